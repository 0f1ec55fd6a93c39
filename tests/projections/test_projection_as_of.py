"""Figures as known at an earlier position, and their explanation, from the log alone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from projection_support import varied_history

from builders import STAFF, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import DeductionTotal, Figure, canonical_bytes
from ledger.projections.as_of import (
    explain_figure,
    figures_as_of,
    staff_figures_as_of,
    state_as_of,
)
from ledger.projections.figures import open_figures_view
from ledger.projections.projector import InProcessProjection


def _march_total(figures: Sequence[Figure], staff_number: str = STAFF) -> str:
    found = [
        f
        for f in figures
        if isinstance(f, DeductionTotal) and f.subject == staff_number and f.period.key == "2025-03"
    ]
    assert len(found) == 1
    return str(found[0].total)


def test_given_a_later_deduction_when_asking_figures_as_of_an_earlier_position_then_it_is_hidden(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    earlier = record(ledger, "INC-ASOF-1", occurred_on=date(2025, 3, 3))
    record(ledger, "INC-ASOF-2", occurred_on=date(2025, 3, 4))

    then = figures_as_of(ledger, earlier.position)
    now = figures_as_of(ledger)

    assert _march_total(then) == "0.5"
    assert _march_total(now) == "1.0"


def test_given_a_later_deduction_when_explaining_a_figure_as_of_an_earlier_position_then_only_the_events_known_then_are_counted(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    earlier = record(ledger, "INC-ASOF-3", occurred_on=date(2025, 3, 3))
    later = record(ledger, "INC-ASOF-4", occurred_on=date(2025, 3, 4))
    view = open_figures_view(ledger.factory)
    InProcessProjection(ledger, view).catch_up()

    then = explain_figure(ledger, "staff", STAFF, "2025-03", "deduction_total", earlier.position)
    now = explain_figure(ledger, "staff", STAFF, "2025-03", "deduction_total")

    assert then is not None and now is not None
    assert len(then["trace"]["counted"]) == 1
    assert len(now["trace"]["counted"]) == 2
    assert "1 events counted" in then["because"]
    assert view.position() == later.position


def test_given_a_position_before_the_subject_existed_when_explaining_then_there_is_no_figure(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)

    assert explain_figure(ledger, "staff", STAFF, "2025-03", "deduction_total", 1) is None


def test_given_a_varied_history_when_one_staff_member_is_replayed_as_of_a_position_then_it_equals_the_whole_log_replay(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Given transfers, changes of head, amendments, revocations, a veto and a policy adopted
    mid-year, when each staff member's figures are replayed from their own streams (person,
    policy book, units) as of many positions, then they are byte for byte the whole log's."""
    varied_history(ledger, clock)
    head = ledger.head_position()
    compared = 0

    for position in sorted({1, head // 3, head // 2, (2 * head) // 3, head - 1, head}):
        state = state_as_of(ledger, position)
        everything = figures_as_of(ledger, position)
        for year in (2025, 2026):
            for number in sorted(state.staff):
                expected = [
                    canonical_bytes(f)
                    for f in everything
                    if f.subject == number
                    and f.period.key.startswith(str(year))
                    and f.kind not in ("excellent_window", "annual_excellent_window")
                ]
                replayed = staff_figures_as_of(ledger, number, year, position)
                if year in {int(f.period.key[:4]) for f in everything}:
                    assert [canonical_bytes(f) for f in replayed] == expected, (number, position)
                    compared += len(expected)

    assert compared > 100


def test_given_deductions_in_two_months_when_one_is_explained_then_the_other_is_left_out_as_another_period_though_the_stored_row_omits_it(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    february = record(ledger, "INC-ASOF-5", occurred_on=date(2025, 2, 3))
    record(ledger, "INC-ASOF-6", occurred_on=date(2025, 3, 4))
    view = open_figures_view(ledger.factory)
    InProcessProjection(ledger, view).catch_up()

    explained = explain_figure(ledger, "staff", STAFF, "2025-03", "deduction_total")
    row = view.row("staff", STAFF, "2025-03", "deduction_total")

    assert explained is not None and row is not None
    (left,) = explained["trace"]["left_out"]
    assert (left["reason"], left["detail"]) == ("other_period", "incident in 2025-02")
    assert left["ref"]["version"] == february.number
    assert "left out: 1 other_period" in explained["because"]
    assert json.loads(row.record)["trace"]["left_out"] == []
