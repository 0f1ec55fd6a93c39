"""Figures as known at an earlier position, and their explanation, from the log alone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from projection_support import projected_varied_history, varied_history

from builders import STAFF, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import DeductionTotal, Figure, active_years, canonical_bytes
from ledger.projections.as_of import (
    explain_figure,
    figures_as_of,
    staff_figures_as_of,
    state_as_of,
    subject_figures_as_of,
)
from ledger.projections.figures import open_figures_view, subject_kind
from ledger.projections.projector import FiguresProjector, InProcessProjection
from ledger.projections.rebuild import rebuild


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


def test_given_a_varied_history_projected_live_or_rebuilt_then_the_view_knows_from_which_position_each_year_has_figures(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Given a history whose second year starts mid-log, then for every position the years the
    view says had figures are those a fold of the log up to there has, after live processing
    and after a rebuild alike."""
    view = projected_varied_history(ledger, clock)
    head = ledger.head_position()
    live = view.year_positions()
    rebuild(ledger, view)

    assert view.year_positions() == live
    assert len(live) >= 2
    for position in range(1, head + 1):
        assert view.years_as_of(position) == active_years(state_as_of(ledger, position)), position


def test_given_a_view_written_before_it_kept_its_years_when_the_projector_loads_then_it_notes_them(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    view = projected_varied_history(ledger, clock)
    expected = view.year_positions()
    view.reset(view.rows(), view.position())  # as a view of an earlier version: no years

    assert view.year_positions() == {}
    FiguresProjector(ledger, view).load()

    assert view.year_positions() == expected


def test_given_a_varied_history_projected_live_or_rebuilt_then_the_view_knows_from_which_position_each_person_was_a_member_of_each_unit(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Given a history with a transfer, then for every position and unit the members the view
    names are those a fold of the log up to there has ever seen assigned to it (D-03, D-04),
    after live processing and after a rebuild alike."""
    view = projected_varied_history(ledger, clock)
    head = ledger.head_position()
    live = view.member_positions()
    rebuild(ledger, view)

    assert view.member_positions() == live
    units = sorted(state_as_of(ledger, head).units)
    assert any(len(view.unit_members(code)) >= 2 for code in units)
    for position in range(1, head + 1):
        state = state_as_of(ledger, position)
        for code in units:
            expected = tuple(sorted(state.members_ever(code)))
            assert view.members_as_of(code, position) == expected, (code, position)


def test_given_a_view_written_before_it_kept_its_members_when_the_projector_loads_then_it_notes_them(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    view = projected_varied_history(ledger, clock)
    expected = view.member_positions()
    view.reset(view.rows(), view.position(), view.year_positions())  # as an earlier version's

    assert view.member_positions() == {}
    FiguresProjector(ledger, view).load()

    assert view.member_positions() == expected


def test_given_a_varied_history_when_a_window_is_asked_as_of_a_position_the_view_has_reached_then_the_replay_from_its_members_streams_equals_the_whole_log(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """What the API answers for a unit's `?as_of=` and explanations: each window's figures and
    explanations from the streams of the unit and its members equal those of the whole log at
    every position (R-23–R-25 as the whole log gives them)."""
    view = projected_varied_history(ledger, clock)
    head = ledger.head_position()
    compared = 0

    for position in range(1, head + 1):
        everything = figures_as_of(ledger, position)
        for code in sorted(state_as_of(ledger, position).units):
            whole_log = [f for f in everything if f.subject == code and subject_kind(f) == "unit"]
            replayed = subject_figures_as_of(ledger, view, "unit", code, position)
            assert sorted(map(canonical_bytes, replayed)) == sorted(
                map(canonical_bytes, whole_log)
            ), (code, position)
            for figure in whole_log:
                key = ("unit", code, figure.period.key, figure.kind, position)
                assert explain_figure(ledger, *key, view) == explain_figure(ledger, *key), key
            compared += len(whole_log)

    assert compared > 100


def test_given_a_varied_history_when_a_staff_member_is_asked_as_of_a_position_the_view_has_reached_then_the_replay_from_their_streams_equals_the_whole_log(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """What the API answers for `?as_of=` and explanations: each staff member's figures and
    explanations from the person's streams equal those of the whole log at many positions."""
    view = projected_varied_history(ledger, clock)
    head = ledger.head_position()
    compared = 0

    for position in sorted({1, head // 3, head // 2, (2 * head) // 3, head - 1, head}):
        everything = figures_as_of(ledger, position)
        for number in sorted(state_as_of(ledger, position).staff):
            whole_log = [
                f for f in everything if f.subject == number and subject_kind(f) == "staff"
            ]
            replayed = subject_figures_as_of(ledger, view, "staff", number, position)
            assert sorted(map(canonical_bytes, replayed)) == sorted(
                map(canonical_bytes, whole_log)
            ), (number, position)
            for figure in whole_log[:: max(1, len(whole_log) // 5)]:
                key = ("staff", number, figure.period.key, figure.kind, position)
                assert explain_figure(ledger, *key, view) == explain_figure(ledger, *key), key
            compared += len(whole_log)

    assert compared > 100
