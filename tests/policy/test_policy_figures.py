"""Traces, explain and the canonical form of the figures: what was counted and left out and
why, and byte-identical figures from the same events on every store (SPEC 6)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from policy_support import deduct, deduct_window, number_of, state_of

from builders import CLERK, LEADER, STAFF, TODAY, at, full_scenario, prepare_sheet
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import (
    LedgerState,
    Reason,
    active_years,
    all_figures,
    bonus,
    canonical_bytes,
    canonical_record,
    checksum,
    compact_bytes,
    compact_record,
    deduction_total,
    explain,
    late_entries,
    other_period,
    periods_of_year,
    quiet_figures,
    staff_figures,
    staff_figures_by_period,
    staff_period_figures,
)
from ledger.settings import Settings
from ledger.values import Period, PeriodKind

MARCH = Period.parse("2025-03")


def test_a_revoked_deduction_is_left_out_naming_its_revocation(center: AssessmentLedger) -> None:
    """Given a deduction revoked by a later event, then March leaves it out as revoked, with the
    revoking event and its date."""
    revoked = deduct(center, date(2025, 3, 5), "2")
    revocation = center.revoke_deduction(
        CLERK, STAFF, number_of(revoked), date(2026, 1, 10), "wrong person"
    )

    figure = deduction_total(state_of(center), STAFF, MARCH)

    assert figure.total == 0
    (left,) = figure.trace.left_out
    assert (left.ref.version, left.reason) == (number_of(revoked), Reason.REVOKED)
    assert left.by is not None and left.by.version == revocation.records[0][1]
    assert left.detail == "revoked on 2026-01-10"


def test_an_amended_deduction_counts_at_its_new_value_and_lists_the_old_one(
    center: AssessmentLedger,
) -> None:
    """Given 2 points amended to 1 and then to 1.5, then March counts 1.5 naming both
    amendments, and leaves out the values 2 and 1 as amended, each replaced by the next."""
    recorded = deduct(center, date(2025, 3, 5), "2")
    number = number_of(recorded)
    first = center.amend_deduction(LEADER, STAFF, number, date(2026, 1, 9), "less", points="1.0")
    second = center.amend_deduction(LEADER, STAFF, number, date(2026, 1, 10), "more", points="1.5")

    figure = deduction_total(state_of(center), STAFF, MARCH)

    (counted,) = figure.trace.counted
    versions = [first.records[0][1], second.records[0][1]]
    assert counted.points == figure.total == 1.5
    assert [ref.version for ref in counted.amended_by] == versions
    old_values = [
        (i.ref.version, str(i.points), i.by and i.by.version) for i in figure.trace.left_out
    ]
    assert old_values == [(number, "2.0", versions[0]), (versions[0], "1.0", versions[1])]


def test_explain_is_plain_data_with_points_as_one_decimal_strings(
    center: AssessmentLedger,
) -> None:
    """Given a halved March bonus, when explained with what its stored trace leaves unsaid,
    then the answer is JSON-ready plain data: rule, threshold "3.0", policy version, counted and
    left-out events (the February entry as another period) by stream id and version, and a
    sentence naming the left-out events by reason."""
    deduct(center, date(2025, 2, 5), "1")
    deduct(center, date(2025, 3, 5), "3")
    state = state_of(center)
    figure = bonus(state, STAFF, MARCH)
    explained = explain(figure, other_period(state, figure))

    assert json.loads(json.dumps(explained)) == explained
    assert (explained["rule"], explained["threshold"], explained["total"]) == ("R-26", "3.0", "3.0")
    assert explained["policy_version"] == "measures-2009"
    assert explained["trace"]["counted"][0]["points"] == "3.0"
    assert explained["trace"]["left_out"][0]["reason"] == "other_period"
    assert set(explained["trace"]["counted"][0]["ref"]) == {"stream_id", "version"}
    assert "R-26" in explained["because"] and "halved" in explained["because"]
    assert "left out: 1 other_period" in explained["because"]
    assert explain(figure)["trace"]["left_out"] == []  # the stored trace: March's events only


def _full_scenario_state() -> LedgerState:
    """The builders' full scenario, folded: every kind of figure, amendments, revocations,
    vetoes, other windows."""
    clock = SettableClock(at(TODAY))
    ledger = AssessmentLedger(
        env=Settings(database_url="memory://").eventsourcing_env(), clock=clock
    )
    try:
        full_scenario(ledger, clock)
        return state_of(ledger)
    finally:
        ledger.close()


def test_canonical_bytes_are_the_canonical_record_through_json_dumps() -> None:
    """Given the full scenario (every kind of figure, amendments, revocations, vetoes, other
    windows), then the direct encoder writes, for every figure, exactly the bytes json.dumps
    makes of its canonical record with sorted keys, compact separators and UTF-8."""
    state = _full_scenario_state()
    figures = [f for year in active_years(state) for f in all_figures(state, year)]

    for figure in figures:
        expected = json.dumps(
            canonical_record(figure), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        assert canonical_bytes(figure) == expected, figure.key
        assert canonical_bytes(figure) == expected  # and again, from the encoder's memo
    assert {f.kind for f in figures} >= {"head_liability", "excellent_window", "annual_bonus"}


def test_a_quiet_period_has_the_figures_of_its_period_policy_and_staff_number_alone() -> None:
    """Given the full scenario (entries in some months, vetoes), when each staff member's year is
    taken period by period (`staff_figures_by_period`) and each quiet period is filled in with
    `quiet_figures`, then the figures are exactly `staff_figures`; a person with a veto case of
    the year has no quiet quarter or year, only quiet months and half-years (R-35, D-13)."""
    state = _full_scenario_state()
    quiet_kinds: set[PeriodKind] = set()
    vetoed_quiet_kinds: set[PeriodKind] = set()

    for year in active_years(state):
        for number, staff in state.staff.items():
            if staff.registered_on > date(year, 12, 31):
                continue
            vetoed = any(v.occurred_on.year == year for v in staff.vetoes.values())
            figures = []
            for period, policy, computed in staff_figures_by_period(state, number, year):
                if computed is None:
                    (vetoed_quiet_kinds if vetoed else quiet_kinds).add(period.kind)
                    figures += quiet_figures(period, policy, number)
                else:
                    figures += computed

            assert sorted(figures, key=lambda f: f.key) == list(staff_figures(state, number, year))
    assert quiet_kinds == set(PeriodKind)
    assert vetoed_quiet_kinds == {PeriodKind.MONTH, PeriodKind.HALF_YEAR}


def test_compact_bytes_are_the_compact_record_through_json_dumps_and_name_the_trace_events() -> (
    None
):
    """Given the full scenario, then for every figure the compact bytes the view stores are
    exactly json.dumps of its compact record, which is the canonical record but for the trace,
    and the trace names by id every event the whole trace counts (with its amendments) and
    leaves out (with the reason and the event that made it so), in the same order."""
    state = _full_scenario_state()
    figures = [f for year in active_years(state) for f in all_figures(state, year)]

    for figure in figures:
        compact = compact_record(figure)
        expected = json.dumps(compact, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert compact_bytes(figure) == expected.encode("utf-8"), figure.key
        assert {**compact, "trace": None} == {**canonical_record(figure), "trace": None}
        whole = figure.trace
        assert compact["trace"] == {
            "counted": [f"{i.ref.stream_id}/{i.ref.version}" for i in whole.counted],
            "amendments": [
                f"{r.stream_id}/{r.version}" for i in whole.counted for r in i.amended_by
            ],
            "left_out": [
                {
                    "event": f"{i.ref.stream_id}/{i.ref.version}",
                    "reason": i.reason.value,
                    "by": f"{i.by.stream_id}/{i.by.version}" if i.by else None,
                }
                for i in whole.left_out
            ],
        }
    traces = [compact_record(f)["trace"] for f in figures]
    assert any(t["amendments"] for t in traces)
    assert {o["reason"] for t in traces for o in t["left_out"]} >= {"revoked", "amended"}


def test_a_staff_members_year_holds_exactly_the_figures_of_each_of_its_periods() -> None:
    """Given the full scenario (amendments, revocations, vetoes, entries in every kind of
    period), then every staff member's figures of the year, computed from the year's tallies,
    are byte for byte those computed period by period, each from its own tally."""
    state = _full_scenario_state()
    compared = 0

    for year in active_years(state):
        for number in sorted(state.staff):
            by_period = sorted(
                (
                    figure
                    for kind in PeriodKind
                    for period in periods_of_year(year, kind)
                    for figure in staff_period_figures(state, number, period)
                ),
                key=lambda figure: figure.key,
            )
            whole_year = staff_figures(state, number, year)
            assert [canonical_bytes(f) for f in whole_year] == [
                canonical_bytes(f) for f in by_period
            ], number
            compared += len(whole_year)

    assert compared > 100


def test_the_active_years_are_those_with_a_registration_an_assignment_an_entry_or_a_veto(
    center: AssessmentLedger,
) -> None:
    """Given entries in two years, then the years the fold noted as having figures are exactly
    those some record dates a registration, an assignment, an entry or a veto case in, the
    second noted at the command that opened it."""
    deduct(center, date(2025, 3, 5), "1")
    opening = deduct(center, date(2026, 1, 5), "1")
    deduct(center, date(2026, 1, 6), "1")
    state = state_of(center)
    by_definition: set[int] = set()
    for staff in state.staff.values():
        by_definition.add(staff.registered_on.year)
        by_definition.update(m.start.year for m in staff.memberships)
        by_definition.update(e.occurred_on.year for e in staff.deductions.values())
        by_definition.update(v.occurred_on.year for v in staff.vetoes.values())
    for unit in state.units.values():
        by_definition.update(e.occurred_on.year for e in unit.deductions.values())

    assert active_years(state) == tuple(sorted(by_definition)) == (2025, 2026)
    first_event = opening.position - len(opening.records) + 1
    assert first_event <= state.year_positions[2026] <= opening.position  # the command's events


def test_canonical_figures_hold_no_positions(center: AssessmentLedger) -> None:
    """Given a figure, then its canonical bytes name no log position anywhere."""
    deduct(center, date(2025, 3, 5), "3")

    text = canonical_bytes(deduction_total(state_of(center), STAFF, MARCH)).decode()

    assert "position" not in text


def figures_of_full_scenario(url: str) -> tuple[list[bytes], str, list[object]]:
    """Run the builders' full scenario on a store; return every figure's canonical bytes, their
    checksum and the late entries of the decided month, from facts read back from that store."""
    clock = SettableClock(at(TODAY))
    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env(), clock=clock)
    try:
        full_scenario(ledger, clock)
        state = state_of(ledger)
        figures = [f for year in active_years(state) for f in all_figures(state, year)]
        return (
            [canonical_bytes(f) for f in figures],
            checksum(figures),
            list(late_entries(state, "2025-02")),
        )
    finally:
        ledger.close()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_same_events_give_byte_identical_figures_on_every_store(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Given the full scenario run on the in-memory store and on another store, when each log is
    read back, folded and every figure computed, then the canonical bytes, the checksum and the
    late entries are identical."""
    url = (
        f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        if store == "sqlite"
        else request.getfixturevalue("postgres_url")
    )

    memory = figures_of_full_scenario("memory://")
    other = figures_of_full_scenario(url)

    assert memory[0] and memory == other


def test_entries_and_changes_after_a_months_decision_are_listed_as_late(
    center: AssessmentLedger,
) -> None:
    """Given February's bonus sheet decided on 3 March, then a February deduction recorded
    after it and an amendment of one known before are both late entries of the round (the
    decision stands), while a March deduction and a window item are not."""
    known = deduct(center, date(2025, 2, 5), "2")
    center.open_round(CLERK, "2025-02", date(2025, 3, 1))
    prepare_sheet(center, "2025-02", date(2025, 3, 3))
    center.decide_period(LEADER, "2025-02", "LG-2025-10", date(2025, 3, 3))
    late = deduct(center, date(2025, 2, 20), "1")
    amendment = center.amend_deduction(
        LEADER, STAFF, number_of(known), date(2026, 1, 10), "less", points="1.0"
    )
    deduct(center, date(2025, 3, 20), "1")
    deduct_window(center, date(2025, 2, 20), "1")

    entries = late_entries(state_of(center), "2025-02")

    assert [(e.change, e.ref.version, e.entry.version, e.resolution) for e in entries] == [
        ("recorded", number_of(late), number_of(late), None),
        ("amended", amendment.records[0][1], number_of(known), None),
    ]
