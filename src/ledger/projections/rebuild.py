"""Rebuild: drop the figures view and build it again in bulk from the whole log.

Fold the log once up to the head position read at the start (`log.fold_log`: on PostgreSQL one
binary server-side cursor in log order, elsewhere the recorder's pages of 10,000),
compute every figure of every active year with the pure policy, then in one transaction delete
every row and the tracking, insert the rows (PostgreSQL: binary COPY; SQLite: executemany) and
track the head. The computing happens before the transaction opens, so the transaction holds
only the writes. The result is the one live processing reaches: the view's checksum is the same.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger.application import AssessmentLedger
from ledger.policy import active_years
from ledger.projections.figures import FiguresView, figure_row
from ledger.projections.log import fold_log
from ledger.projections.projector import subject_figures


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did."""

    position: int
    events: int
    rows: int
    years: tuple[int, ...]
    fold_seconds: float
    compute_seconds: float
    write_seconds: float

    @property
    def seconds(self) -> float:
        return self.fold_seconds + self.compute_seconds + self.write_seconds


def rebuild(
    ledger: AssessmentLedger,
    view: FiguresView,
    *,
    up_to: int | None = None,
    on_fold: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Rebuilt:
    """Rebuild the view from the log up to the head position (or `up_to`, to leave the view
    there); `on_fold(position)` after each page read, `on_phase(name)` when computing and
    writing start."""
    head = ledger.head_position() if up_to is None else min(up_to, ledger.head_position())
    events = 0

    def page_read(position: int, count: int) -> None:
        nonlocal events
        events += count
        if on_fold is not None:
            on_fold(position)

    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        state = fold_log(ledger.recorder, head, on_page=page_read)
        folded = time.perf_counter()
        if on_phase is not None:
            on_phase("computing")
        years = active_years(state)
        # Every figure of `all_figures`, subject by subject: the order of the rows does not
        # matter to the view, so the year's figures are not sorted as one list.
        rows = [
            figure_row(figure)
            for year in years
            for kind, subjects in (("staff", sorted(state.staff)), ("unit", sorted(state.units)))
            for subject in subjects
            for figure in subject_figures(state, kind, subject, year)
        ]
        computed = time.perf_counter()
        if on_phase is not None:
            on_phase("writing")
        view.reset(rows, head)
        written = time.perf_counter()
    finally:
        if gc_was_enabled:
            gc.enable()
    return Rebuilt(
        position=head,
        events=events,
        rows=len(rows),
        years=years,
        fold_seconds=folded - started,
        compute_seconds=computed - folded,
        write_seconds=written - computed,
    )
