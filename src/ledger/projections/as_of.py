"""Figures as known at a past log position or moment (transaction time), and their explanation,
computed from the log with the pure policy without touching the view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.application import AssessmentLedger
from ledger.policy import Figure, LedgerState, active_years, all_figures, explain
from ledger.projections.log import fold_log
from ledger.projections.projector import subject_figures


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
    """One figure of a state: subject kind ("staff" / "unit"), subject, period key, figure name."""
    try:
        year = int(period[:4])
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
) -> dict[str, Any] | None:
    """The figure's explanation (`policy.explain`: rule, threshold, policy version, the events
    counted and those left out with the reason) as known at the position or moment; None if
    there was no such figure then."""
    figure = find_figure(state_as_of(ledger, as_of), kind, subject, period, name)
    return explain(figure) if figure is not None else None
