"""The figures projection kept live from the log: equal to a recomputation from scratch with the
pure policy, exactly once, and readable as soon as a command's position is reached."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError
from projection_support import (
    projected_full_scenario,
    projected_varied_history,
    recomputed_checksum,
    varied_history,
)

from builders import STAFF, full_scenario, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import Fact, LedgerState, active_years, all_figures
from ledger.projections import projector as projector_module
from ledger.projections import rebuild as rebuild_module
from ledger.projections.figures import (
    FigureRow,
    ProjectionBehind,
    ProjectionConflict,
    YearRow,
    figure_row,
    figures_checksum,
    open_figures_view,
    year_rows,
)
from ledger.projections.log import UNREAD, fold_log
from ledger.projections.projector import FiguresProjector, InProcessProjection, run_in_process
from ledger.projections.rebuild import rebuild


def test_given_a_running_projection_when_the_full_scenario_is_recorded_then_the_view_equals_a_recomputation_from_scratch(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    with run_in_process(ledger) as projection:
        full_scenario(ledger, clock)
        projection.view.wait_for(ledger.head_position(), timeout=10)

        assert projection.error is None
        assert projection.view.checksum() == recomputed_checksum(ledger)


def test_given_a_varied_history_when_projected_one_event_at_a_time_then_every_step_equals_a_recomputation(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    varied_history(ledger, clock)
    view = open_figures_view(ledger.factory)
    projector = FiguresProjector(ledger, view)
    notifications = ledger.recorder.select_notifications(1, 10_000)

    mismatched = []
    for notification in notifications:
        projector.process([notification])
        if view.checksum() != recomputed_checksum(ledger, notification.id):
            mismatched.append((notification.id, notification.topic))

    assert view.position() == ledger.head_position()
    assert mismatched == []


def test_given_a_full_scenario_when_folded_leaving_the_payloads_the_rules_do_not_read_undecoded_then_every_figure_equals_a_recomputation(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    full_scenario(ledger, clock)
    undecoded = []

    def apply(fact: Fact) -> None:
        if fact.payload is UNREAD:
            undecoded.append(fact.topic)
        LedgerState.apply(state, fact)

    state = LedgerState()
    state.apply = apply  # type: ignore[method-assign]
    fold_log(ledger.recorder, ledger.head_position(), state)
    figures = [f for year in active_years(state) for f in all_figures(state, year)]

    assert "ledger.staff.DeductionNotified.v1" in undecoded
    assert not any(state.reads(topic) for topic in undecoded)
    assert figures_checksum(figures) == recomputed_checksum(ledger)


@pytest.mark.parametrize("processes", [1, 2])
def test_given_a_live_view_when_rebuilt_then_its_checksum_is_unchanged(
    processes: int, ledger: AssessmentLedger, clock: SettableClock
) -> None:
    view = projected_varied_history(ledger, clock)
    live = view.checksum()

    rebuilt = rebuild(ledger, view, processes=processes)

    assert rebuilt.position == view.position() == ledger.head_position()
    assert (rebuilt.processes, rebuilt.rows) == (processes, len(view.rows()))
    assert view.checksum() == live


def test_given_a_rebuild_process_that_fails_when_rebuilding_then_the_view_is_left_as_it_was(
    ledger: AssessmentLedger, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = projected_varied_history(ledger, clock)
    before = (view.position(), view.checksum())
    # The forked processes inherit the parent's memory, so the broken rule reaches them.
    computing = rebuild_module.subject_row

    def broken(state: LedgerState, kind: str, subject: str, year: int) -> YearRow | None:
        if subject == STAFF:
            raise ArithmeticError("a rule that breaks on one subject")
        return computing(state, kind, subject, year)

    monkeypatch.setattr(rebuild_module, "subject_row", broken)

    with pytest.raises(RuntimeError, match="a rule that breaks on one subject"):
        rebuild(ledger, view, processes=2)

    assert (view.position(), view.checksum()) == before


def test_given_a_rebuild_still_writing_when_reading_the_view_then_the_old_rows_are_read_without_waiting(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    view = projected_varied_history(ledger, clock)
    old_rows = sorted(view.subject_rows("staff", STAFF))
    halfway = threading.Event()
    release = threading.Event()

    def rows_then_a_pause() -> Iterator[FigureRow]:
        # As a rebuild whose processes are still computing: half the rows, then a pause.
        rows = view.rows()
        yield from rows[: len(rows) // 2]
        halfway.set()
        assert release.wait(5)
        yield from rows[len(rows) // 2 :]

    writer = threading.Thread(target=view.reset, args=(rows_then_a_pause(), view.position()))
    writer.start()
    try:
        assert halfway.wait(10)
        read_while_writing = sorted(view.subject_rows("staff", STAFF))
        # A read that had waited for the writer would return only after its pause ran out.
        still_writing = writer.is_alive()
    finally:
        release.set()
        writer.join(10)

    assert still_writing
    assert read_while_writing == old_rows
    assert sorted(view.subject_rows("staff", STAFF)) == old_rows


def test_given_a_rebuilt_view_when_live_processing_continues_then_it_still_equals_a_recomputation(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    view = open_figures_view(ledger.factory)
    rebuild(ledger, view)
    record(ledger, "INC-AFTER-1", occurred_on=date(2025, 3, 3))

    InProcessProjection(ledger, view).catch_up()

    assert view.checksum() == recomputed_checksum(ledger)


def test_given_an_empty_view_over_a_long_log_when_the_projector_loads_then_it_rebuilds_in_bulk_and_equals_a_recomputation(  # noqa: E501
    ledger: AssessmentLedger,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Far behind (at least `REBUILD_FROM` events, and at least half the log), the projector
    rebuilds in bulk instead of recomputing every subject's year page after page."""
    full_scenario(ledger, clock)
    monkeypatch.setattr(projector_module, "REBUILD_FROM", ledger.head_position() // 2)
    view = open_figures_view(ledger.factory)

    with caplog.at_level(logging.INFO, logger=projector_module.__name__):
        position = InProcessProjection(ledger, view).catch_up()

    assert "rebuilding them in bulk" in caplog.text
    assert position == view.position() == ledger.head_position()
    assert view.checksum() == recomputed_checksum(ledger)


def test_given_a_view_behind_by_less_than_half_the_log_when_the_projector_loads_then_it_catches_up_page_by_page(  # noqa: E501
    ledger: AssessmentLedger,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    view = projected_full_scenario(ledger, clock)
    for index in range(3):
        record(ledger, f"INC-LATER-{index}", occurred_on=date(2025, 3, 3))
    monkeypatch.setattr(projector_module, "REBUILD_FROM", 1)

    with caplog.at_level(logging.INFO, logger=projector_module.__name__):
        InProcessProjection(ledger, view).catch_up()

    assert "rebuilding" not in caplog.text
    assert view.position() == ledger.head_position()
    assert view.checksum() == recomputed_checksum(ledger)


def test_given_processed_events_when_they_are_processed_again_then_nothing_changes(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    view = projected_full_scenario(ledger, clock)
    before, position = view.checksum(), view.position()
    notifications = ledger.recorder.select_notifications(1, 10_000)

    again = FiguresProjector(ledger, view)
    reached = again.process(notifications)

    assert reached == position == view.position()
    assert view.checksum() == before


def test_given_a_tracked_position_when_a_writer_replays_from_an_older_one_then_the_transaction_writes_nothing(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    view = projected_full_scenario(ledger, clock)
    before, position = view.checksum(), view.position()
    doomed = [("staff", STAFF, 2025)]

    with pytest.raises(ProjectionConflict):
        view.replace(doomed, [], expected=position - 1, position=position)
    with pytest.raises(IntegrityError):
        view.replace(doomed, [], expected=position, position=position)

    assert view.position() == position
    assert view.checksum() == before


def test_given_a_projected_scenario_then_the_view_stores_one_row_per_subject_and_year_holding_exactly_its_figures(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """The stored layout: a row per subject and year with figures, each unpacking to exactly the
    figures a recomputation gives that subject in that year; live and rebuilt rows are the same
    bytes."""
    view = projected_full_scenario(ledger, clock)
    live = sorted(view.stored_rows())
    state = fold_log(ledger.recorder, ledger.head_position())
    expected = year_rows(
        figure_row(figure) for year in active_years(state) for figure in all_figures(state, year)
    )

    rebuild(ledger, view)

    assert len(expected) >= 10
    assert live == expected
    assert sorted(view.stored_rows()) == expected
    for stored in expected:
        assert {(row.subject_kind, row.subject, row.year) for row in stored.unpacked()} == {
            stored.scope
        }


def test_given_figures_of_a_subject_and_year_not_replaced_when_writing_them_then_nothing_is_written(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    view = projected_full_scenario(ledger, clock)
    before, position = view.checksum(), view.position()
    elsewhere = next(row for row in view.rows() if row.subject != STAFF)

    with pytest.raises(ValueError, match="not replaced"):
        view.replace(
            [("staff", STAFF, 2025)], [elsewhere], expected=position, position=position + 1
        )

    assert view.position() == position
    assert view.checksum() == before


def test_given_a_running_projection_when_a_command_returns_then_waiting_for_its_position_shows_its_entry(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    with run_in_process(ledger) as projection:
        outcome = record(ledger, "INC-RYW-1", occurred_on=date(2025, 3, 3))

        reached = projection.view.wait_for(outcome.position, timeout=10)
        row = projection.view.row("staff", STAFF, "2025-03", "deduction_total")

    assert reached >= outcome.position
    assert row is not None
    assert b'"total":"0.5"' in row.record


def test_given_no_projector_running_when_waiting_for_a_position_then_it_says_how_far_behind_it_is(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    view = open_figures_view(ledger.factory)
    InProcessProjection(ledger, view).catch_up()
    outcome = record(ledger, "INC-RYW-2", occurred_on=date(2025, 3, 3))

    with pytest.raises(ProjectionBehind) as behind:
        view.wait_for(outcome.position, timeout=0.05)

    assert behind.value.behind == outcome.position - view.position() > 0
