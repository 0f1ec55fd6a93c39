"""Figures as known at a past log position or moment (transaction time), and their explanation,
computed from the log with the pure policy without touching the view."""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from ledger.aggregates.policy_book import PolicyBook
from ledger.application import AssessmentLedger
from ledger.policy import (
    Fact,
    Figure,
    LedgerState,
    active_years,
    all_figures,
    explain,
    fold,
    other_period,
    staff_figures,
)
from ledger.projections.figures import FiguresView, subject_kind
from ledger.projections.log import fold_log
from ledger.projections.projector import subject_figures
from ledger.values import Period


def position_of(ledger: AssessmentLedger, as_of: int | datetime | None) -> int:
    """A log position: the head (None), the position itself, or the last position recorded at or
    before a moment."""
    if as_of is None:
        return ledger.head_position()
    if isinstance(as_of, datetime):
        return ledger.position_at(as_of)
    return min(as_of, ledger.head_position())


def state_as_of(ledger: AssessmentLedger, as_of: int | datetime | None = None) -> LedgerState:
    """The policy's state folded from the log up to the position (or moment)."""
    return fold_log(ledger.recorder, position_of(ledger, as_of))


def figures_as_of(ledger: AssessmentLedger, as_of: int | datetime | None = None) -> list[Figure]:
    """Every figure of every active year as known at the position (or moment)."""
    state = state_as_of(ledger, as_of)
    return [figure for year in active_years(state) for figure in all_figures(state, year)]


def find_figure(
    state: LedgerState, kind: str, subject: str, period: str, name: str
) -> Figure | None:
    """One figure of a state: subject kind ("staff" / "unit"), subject, period key, figure name;
    None for a key that names no period."""
    try:
        year = Period.parse(period).first_day.year
    except ValueError:
        return None
    return next(
        (
            figure
            for figure in subject_figures(state, kind, subject, year)
            if figure.kind == name and figure.period.key == period
        ),
        None,
    )


def explain_figure(
    ledger: AssessmentLedger,
    kind: str,
    subject: str,
    period: str,
    name: str,
    as_of: int | datetime | None = None,
    view: FiguresView | None = None,
) -> dict[str, Any] | None:
    """The figure's explanation (`policy.explain`: rule, threshold, policy version, the events
    counted and those left out with the reason) as known at the position or moment; None if
    there was no such figure then. Given the view, the figure is replayed from its subject's
    streams (see `subject_figures_as_of`)."""
    position = position_of(ledger, as_of)
    years = _replayable_years(view, position)
    if view is not None and years is not None:
        try:
            year = Period.parse(period).first_day.year
        except ValueError:
            return None
        if year not in years:
            return None
        state = subject_state_as_of(ledger, view, kind, subject, position)
    else:
        state = state_as_of(ledger, position)
    figure = find_figure(state, kind, subject, period, name)
    return explain(figure, other_period(state, figure)) if figure is not None else None


def subject_figures_as_of(
    ledger: AssessmentLedger,
    view: FiguresView,
    kind: str,
    subject: str,
    as_of: int | datetime | None = None,
) -> list[Figure]:
    """A subject's figures of every year as known at a position (or moment), what
    `figures_as_of` holds for the subject. Once the view has reached the position they are
    replayed from the subject's streams (`subject_state_as_of`) in the years that had figures
    then (`FiguresView.years_as_of`: whether a year has figures at all depends on the whole
    log); at a position the view has not reached, they are computed from the whole log."""
    position = position_of(ledger, as_of)
    years = _replayable_years(view, position)
    if years is not None:
        state = subject_state_as_of(ledger, view, kind, subject, position)
        return [figure for year in years for figure in subject_figures(state, kind, subject, year)]
    return [
        figure
        for figure in figures_as_of(ledger, position)
        if subject_kind(figure) == kind and figure.subject == subject
    ]


def _replayable_years(view: FiguresView | None, position: int) -> tuple[int, ...] | None:
    """The years that had figures at the position, when a subject can be replayed from its own
    streams there (the view has reached the position); None when the whole log must be
    folded."""
    if view is None or position > view.position():
        return None
    return view.years_as_of(position)


ASSIGNED = "ledger.staff.Assigned.v1"
STREAM_LIMIT = 10_000_000


def subject_state_as_of(
    ledger: AssessmentLedger, view: FiguresView, kind: str, subject: str, position: int
) -> LedgerState:
    """The part of the policy's state a subject's figures read, as known at a position the view
    has reached: `staff_state_as_of` for a staff member, `window_state_as_of` for a unit."""
    if kind == "staff":
        return staff_state_as_of(ledger, subject, position)
    return window_state_as_of(ledger, subject, view.members_as_of(subject, position), position)


def staff_state_as_of(ledger: AssessmentLedger, staff_number: str, position: int) -> LedgerState:
    """The part of the policy's state one staff member's figures read, as known at a position:
    folded from the person's stream, the policy book and the units the person was assigned to
    (their heads and leaders in charge: the head-liability debtors), each read up to the position
    by stream, not the whole log."""
    person = _stream(ledger, ledger.staff_stream(staff_number), position)
    units = sorted({f.payload["unit_code"] for f in person if f.topic == ASSIGNED})
    streams = [person, _stream(ledger, PolicyBook.create_id(), position)]
    streams += [_stream(ledger, ledger.unit_stream(code), position) for code in units]
    return fold(heapq.merge(*streams, key=lambda fact: fact.position))


def window_state_as_of(
    ledger: AssessmentLedger, unit_code: str, members: Iterable[str], position: int
) -> LedgerState:
    """The part of the policy's state one window's figures read, as known at a position: folded
    from the unit's stream, the policy book and the streams of everyone assigned to the unit by
    then (`members`, from `FiguresView.members_as_of`: headcounts and D-03 credits read their
    memberships and deductions), each read up to the position by stream."""
    streams = [
        _stream(ledger, ledger.unit_stream(unit_code), position),
        _stream(ledger, PolicyBook.create_id(), position),
    ]
    streams += [_stream(ledger, ledger.staff_stream(number), position) for number in members]
    return fold(heapq.merge(*streams, key=lambda fact: fact.position))


def _stream(ledger: AssessmentLedger, stream_id: Any, position: int) -> list[Fact]:
    """One stream's facts up to a position."""
    return [
        Fact(str(e.originator_id), e.originator_version, e.position, e.topic, json.loads(e.state))
        for e in ledger.ledger_recorder.select_stream(
            stream_id, before=position + 1, limit=STREAM_LIMIT
        )
    ]


def staff_figures_as_of(
    ledger: AssessmentLedger,
    staff_number: str,
    year: int,
    as_of: int | datetime | None = None,
) -> list[Figure]:
    """One staff member's figures of a year as known at a position (or moment), replayed from
    that person's streams only (`staff_state_as_of`): what `figures_as_of` holds for the person
    and the year, when the year is active (none if the person was not registered by its end)."""
    state = staff_state_as_of(ledger, staff_number, position_of(ledger, as_of))
    staff = state.staff.get(staff_number)
    if staff is None or staff.registered_on > date(year, 12, 31):
        return []
    return list(staff_figures(state, staff_number, year))
