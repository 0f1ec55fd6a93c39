"""Rebuild: drop the figures view and build it again in bulk from the whole log.

Fold the log once up to the head position read at the start (`log.fold_log`: on PostgreSQL one
binary server-side cursor in log order, elsewhere the recorder's pages of 10,000), compute every
figure of every active year with the pure policy, packed one row per subject and year as the view
stores them, then in one transaction delete every row and the tracking, insert the rows
(PostgreSQL: binary COPY; SQLite: executemany) and track the head. The result is the one live
processing reaches: the view's checksum is the same.

On a large log the computing is shared by forked worker processes (`processes`), each of which
computes the figures of every n-th subject from the folded state it inherits and sends the packed
rows back in chunks; the writing streams them into the one transaction as they arrive, so the
database's work overlaps the computing. Which process computed a row changes nothing in it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from ledger.application import AssessmentLedger
from ledger.policy import LedgerState, active_years
from ledger.projections.figures import FiguresView, YearRow, staff_year_row, year_row
from ledger.projections.log import fold_log
from ledger.projections.projector import has_figures, subject_figures

PARALLEL_FROM = 100_000
"""Events from which a rebuild computes in several processes by default (below it, forking
costs more than it saves)."""

_CHUNK = 200
"""Rows (subject-years, about 40 figures each) a worker process sends at a time."""

Subject = tuple[str, str]
"""(subject kind, subject id)."""


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did."""

    position: int
    events: int
    rows: int
    """Figures (stored one row per subject and year)."""
    years: tuple[int, ...]
    processes: int
    fold_seconds: float
    compute_seconds: float
    """Computing alone (one process); with several, the computing and writing overlap and
    `write_seconds` holds both."""
    write_seconds: float

    @property
    def seconds(self) -> float:
        return self.fold_seconds + self.compute_seconds + self.write_seconds

    def phases(self) -> str:
        """Where the time went, in words."""
        if self.processes == 1:
            return (
                f"read+fold {self.fold_seconds:.1f} s, compute {self.compute_seconds:.1f} s, "
                f"write {self.write_seconds:.1f} s"
            )
        return (
            f"read+fold {self.fold_seconds:.1f} s, compute and write {self.write_seconds:.1f} s "
            f"in {self.processes} processes"
        )


def default_processes(events: int) -> int:
    """How many processes compute a rebuild of `events` events: one for a small log (or where
    processes cannot be forked), else one per core (at most 4: the single writer is the limit
    beyond that)."""
    if events < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def rebuild(
    ledger: AssessmentLedger,
    view: FiguresView,
    *,
    up_to: int | None = None,
    processes: int | None = None,
    on_fold: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Rebuilt:
    """Rebuild the view from the log up to the head position (or `up_to`, to leave the view
    there), computing in `processes` processes (default: `default_processes`); `on_fold(position)`
    after each page read, `on_phase(name)` when computing and writing start."""
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
        workers = default_processes(events) if processes is None else processes
        years = active_years(state)
        subjects: list[Subject] = [
            *(("staff", subject) for subject in sorted(state.staff)),
            *(("unit", subject) for subject in sorted(state.units)),
        ]
        if workers <= 1:
            if on_phase is not None:
                on_phase("computing")
            rows: Sequence[YearRow] = list(_rows(state, years, subjects))
            computed = time.perf_counter()
            if on_phase is not None:
                on_phase("writing")
            view.reset_packed(rows, head, state.year_positions, state.member_positions)
            count = sum(_figures_in(row) for row in rows)
        else:
            if on_phase is not None:
                on_phase("computing and writing")
            computed = folded
            counted = _Counted(_rows_in_processes(state, years, subjects, workers))
            view.reset_packed(counted, head, state.year_positions, state.member_positions)
            count = counted.count
        written = time.perf_counter()
    finally:
        if gc_was_enabled:
            gc.enable()
    return Rebuilt(
        position=head,
        events=events,
        rows=count,
        years=years,
        processes=max(1, workers),
        fold_seconds=folded - started,
        compute_seconds=computed - folded,
        write_seconds=written - computed,
    )


def _rows(
    state: LedgerState, years: Sequence[int], subjects: Sequence[Subject]
) -> Iterator[YearRow]:
    """Every figure of the subjects in the years, packed one row per subject and year (the order
    of the rows does not matter to the view)."""
    for year in years:
        for kind, subject in subjects:
            row = subject_row(state, kind, subject, year)
            if row is not None:
                yield row


def subject_row(state: LedgerState, kind: str, subject: str, year: int) -> YearRow | None:
    """The stored row of a subject's figures of a year, if it has any: `year_row` of
    `subject_figures`, written the faster way for a staff member (`staff_year_row`)."""
    if kind == "staff":
        return (
            staff_year_row(state, subject, year)
            if has_figures(state, kind, subject, year)
            else None
        )
    figures = subject_figures(state, kind, subject, year)
    return year_row(figures) if figures else None


def _figures_in(row: YearRow) -> int:
    return row.figures.count(b"\n") + 1


class _Counted:
    """An iterable of rows that counts the figures taken from it."""

    def __init__(self, rows: Iterator[YearRow]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[YearRow]:
        for row in self._rows:
            self.count += _figures_in(row)
            yield row


_forked_state: LedgerState | None = None
"""The folded state, set just before forking so the workers inherit it instead of receiving it
through a pipe."""


def _rows_in_processes(
    state: LedgerState, years: Sequence[int], subjects: Sequence[Subject], workers: int
) -> Iterator[YearRow]:
    """The rows of `_rows`, computed by `workers` forked processes (worker i takes every
    `workers`-th subject from i), yielded as their chunks arrive."""
    global _forked_state
    context = multiprocessing.get_context("fork")
    _forked_state = state
    receivers: list[Connection] = []
    children = []
    try:
        for index in range(workers):
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(
                target=_compute_share,
                args=(sender, years, subjects[index::workers]),
                name=f"ledger-rebuild-{index}",
                daemon=True,
            )
            child.start()
            sender.close()
            receivers.append(receiver)
            children.append(child)
        _forked_state = None
        open_receivers = list(receivers)
        while open_receivers:
            for ready in wait(open_receivers):
                assert isinstance(ready, Connection)
                try:
                    message = pickle.loads(ready.recv_bytes())
                except EOFError:
                    raise RuntimeError("a rebuild process ended before sending its rows") from None
                if message is None:
                    open_receivers.remove(ready)
                elif isinstance(message, str):
                    raise RuntimeError(f"a rebuild process failed:\n{message}")
                else:
                    yield from map(YearRow._make, message)
        for child in children:
            child.join()
            if child.exitcode != 0:
                raise RuntimeError(f"a rebuild process ended with status {child.exitcode}")
    finally:
        _forked_state = None
        for child in children:
            if child.is_alive():
                child.kill()
                child.join()
        for receiver in receivers:
            receiver.close()


def _compute_share(sender: Connection, years: Sequence[int], subjects: Sequence[Subject]) -> None:
    """In a worker process: send the rows of these subjects in chunks of plain tuples, then
    None (or the traceback of a failure, as a string)."""
    gc.disable()
    state = _forked_state
    assert state is not None
    try:
        chunk: list[tuple[object, ...]] = []
        for row in _rows(state, years, subjects):
            chunk.append(tuple.__new__(tuple, row))
            if len(chunk) >= _CHUNK:
                sender.send_bytes(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
                chunk = []
        if chunk:
            sender.send_bytes(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
        sender.send_bytes(pickle.dumps(None))
    except BaseException:
        sender.send_bytes(pickle.dumps(traceback.format_exc()))
        raise
    finally:
        sender.close()
