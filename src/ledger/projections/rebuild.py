"""Rebuild: drop the figures view and build it again in bulk from the whole log.

Fold the log once up to the head position read at the start (`log.fold_log`: on PostgreSQL one
binary server-side cursor in log order, elsewhere the recorder's pages of 10,000), compute every
figure of every active year with the pure policy, packed one row per subject and year as the view
stores them, then in one transaction delete every row and the tracking, insert the rows
(PostgreSQL: binary COPY; SQLite: executemany) and track the head. The result is the one live
processing reaches: the view's checksum is the same.

On a large log the work is shared by forked processes (`processes`). On PostgreSQL each process
folds and computes a share of its own: the assignments split the staff and units into groups
whose figures read nothing outside the group but the policy book (`partition`), so a process
reads only its groups' streams and the policy; the processes agree on the active years before
they compute. Elsewhere the log is folded once and each process computes every n-th subject of
the state it inherits. Either way the processes send the rows back in chunks, compressed as the
view stores them, and the writing streams them into the one transaction as they arrive, so the
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
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.application import AssessmentLedger
from ledger.policy import LedgerState, active_years
from ledger.projections.figures import (
    FiguresView,
    StoredRow,
    YearRow,
    staff_year_row,
    year_row,
)
from ledger.projections.log import fold_log, fold_streams, log_extent, read_links
from ledger.projections.partition import Share, shares
from ledger.projections.projector import has_figures, subject_figures

PARALLEL_FROM = 100_000
"""The head position from which a rebuild runs in several processes by default (below it,
forking costs more than it saves)."""

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


def default_processes(head: int) -> int:
    """How many processes rebuild a log whose head is at a position (about its number of
    events): one for a small log (or where processes cannot be forked), else one per core (at
    most 4: the single writer is the limit beyond that)."""
    if head < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
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
    as the log is read, `on_phase(name)` when computing and writing start."""
    head = ledger.head_position() if up_to is None else min(up_to, ledger.head_position())
    workers = default_processes(head) if processes is None else max(1, processes)
    recorder = ledger.recorder
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        if workers > 1 and isinstance(recorder, PostgresApplicationRecorder):
            # Each process folds and computes its own share of the log (`partition`).
            last, events = log_extent(recorder, 0, head)
            dealt = shares(read_links(recorder, head), workers)
            opened = frozenset[str]().union(*(share.unit_codes for share in dealt))
            works = [
                _Work(_share_fold(recorder, last, share, opened), _all_subjects) for share in dealt
            ]
            return _rebuild_in_processes(view, head, events, works, started, on_fold, on_phase)
        events = 0

        def page_read(position: int, count: int) -> None:
            nonlocal events
            events += count
            if on_fold is not None:
                on_fold(position)

        state = fold_log(recorder, head, on_page=page_read)
        if workers > 1:
            # The processes inherit the folded state and each computes every n-th subject.
            works = _every_nth_subject(state, workers)
            return _rebuild_in_processes(view, head, events, works, started, None, on_phase)
        folded = time.perf_counter()
        years = active_years(state)
        if on_phase is not None:
            on_phase("computing")
        rows: Sequence[YearRow] = list(_rows(state, years, _all_subjects(state)))
        computed = time.perf_counter()
        if on_phase is not None:
            on_phase("writing")
        view.reset_packed(rows, head, state.year_positions, state.member_positions)
        written = time.perf_counter()
    finally:
        if gc_was_enabled:
            gc.enable()
    return Rebuilt(
        position=head,
        events=events,
        rows=sum(_figures_in(row) for row in rows),
        years=years,
        processes=1,
        fold_seconds=folded - started,
        compute_seconds=computed - folded,
        write_seconds=written - computed,
    )


def _all_subjects(state: LedgerState) -> list[Subject]:
    return [
        *(("staff", subject) for subject in sorted(state.staff)),
        *(("unit", subject) for subject in sorted(state.units)),
    ]


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


# Several processes


@dataclass(frozen=True)
class _Work:
    """What one forked process does: fold a state (calling back with the position read up to),
    then compute the rows of the subjects it picks from that state."""

    fold: Callable[[Callable[[int], None]], LedgerState]
    subjects: Callable[[LedgerState], Sequence[Subject]]


def _share_fold(
    recorder: PostgresApplicationRecorder, last: int | None, share: Share, opened: frozenset[str]
) -> Callable[[Callable[[int], None]], LedgerState]:
    """The fold of a share's streams, which checks that the share is whole: no member of its
    units and no unit of its members was dealt to another share (their figures would then be
    computed from part of what they read)."""

    def fold(on_read: Callable[[int], None]) -> LedgerState:
        state = fold_streams(recorder, last, share.streams, on_page=lambda at, _: on_read(at))
        for staff in state.staff.values():
            for membership in staff.memberships:
                if membership.unit_code in opened and membership.unit_code not in state.units:
                    raise RuntimeError(
                        f"{staff.staff_number} was assigned to {membership.unit_code}, "
                        "which another process folds: the shares are not whole"
                    )
        for code, number in state.member_positions:
            if number not in state.staff:
                raise RuntimeError(
                    f"{number} was assigned to {code} but another process folds them: "
                    "the shares are not whole"
                )
        return state

    return fold


def _every_nth_subject(state: LedgerState, workers: int) -> list[_Work]:
    """Works that each take the folded state as it is and every `workers`-th subject of it."""
    subjects = _all_subjects(state)

    def nth(index: int) -> _Work:
        return _Work(lambda _: state, lambda _: subjects[index::workers])

    return [nth(index) for index in range(workers)]


def _rebuild_in_processes(
    view: FiguresView,
    head: int,
    events: int,
    works: Sequence[_Work],
    started: float,
    on_read: Callable[[int], None] | None,
    on_phase: Callable[[str], None] | None,
) -> Rebuilt:
    """Run the works in forked processes: when all have folded, merge what they found of the
    years and members, tell them the active years, and write their rows as they arrive."""
    with _Processes(works) as processes:
        year_positions, member_positions = processes.folded(on_read)
        folded = time.perf_counter()
        years = tuple(sorted(year_positions))  # as `policy.active_years` of the whole state
        if on_phase is not None:
            on_phase("computing and writing")
        view.reset_stored(processes.rows(years), head, year_positions, member_positions)
    written = time.perf_counter()
    return Rebuilt(
        position=head,
        events=events,
        rows=processes.figures,
        years=years,
        processes=len(works),
        fold_seconds=folded - started,
        compute_seconds=0.0,
        write_seconds=written - folded,
    )


Message = tuple[Any, ...]
"""From a process: ("read", position), ("folded", position, year positions, member positions),
("rows", chunk of stored row tuples, their figures), ("done",) or ("failed", traceback text)."""


class _Processes:
    """Forked processes, one per work, each talked to through a pipe of its own."""

    def __init__(self, works: Sequence[_Work]) -> None:
        context = multiprocessing.get_context("fork")
        self.figures = 0
        """The figures in the rows received so far."""
        self._channels: list[Connection] = []
        self._children: list[multiprocessing.process.BaseProcess] = []
        try:
            for index, work in enumerate(works):
                channel, child_channel = context.Pipe(duplex=True)
                # Forked: the child inherits the work (and the state it folded) without pickling.
                child = context.Process(
                    target=_work,
                    args=(child_channel, work),
                    name=f"ledger-rebuild-{index}",
                    daemon=True,
                )
                child.start()
                child_channel.close()
                self._channels.append(channel)
                self._children.append(child)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> _Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def folded(
        self, on_read: Callable[[int], None] | None
    ) -> tuple[dict[int, int], dict[tuple[str, str], int]]:
        """Wait until every process has folded; the years' first positions (the earliest any
        process saw) and the members' first positions, of all of them together. `on_read` gets
        the position every process has read up to, as it moves."""
        year_positions: dict[int, int] = {}
        member_positions: dict[tuple[str, str], int] = {}
        read_up_to = [0] * len(self._channels)
        folding = set(range(len(self._channels)))
        while folding:
            for index, message in self._receive(folding):
                read_up_to[index] = message[1]  # ("read" or "folded", position, ...)
                if on_read is not None:
                    on_read(min(read_up_to))
                if message[0] == "read":
                    continue
                folding.discard(index)
                for year, position in message[2].items():
                    year_positions[year] = min(position, year_positions.get(year, position))
                member_positions.update(message[3])
        return year_positions, member_positions

    def rows(self, years: tuple[int, ...]) -> Iterator[StoredRow]:
        """Tell every process the years to compute; their rows, as they arrive (counting their
        figures in `figures`)."""
        for channel in self._channels:
            channel.send(years)
        computing = set(range(len(self._channels)))
        while computing:
            for index, message in self._receive(computing):
                if message[0] == "rows":
                    self.figures += message[2]
                    yield from map(StoredRow._make, message[1])
                else:
                    computing.discard(index)
        for child in self._children:
            child.join()
            if child.exitcode != 0:
                raise RuntimeError(f"a rebuild process ended with status {child.exitcode}")

    def _receive(self, among: set[int]) -> Iterator[tuple[int, Message]]:
        """The messages waiting from these processes, with each one's index."""
        for channel in wait([self._channels[index] for index in among]):
            assert isinstance(channel, Connection)
            try:
                message: Message = pickle.loads(channel.recv_bytes())
            except EOFError:
                raise RuntimeError("a rebuild process ended before it was done") from None
            if message[0] == "failed":
                raise RuntimeError(f"a rebuild process failed:\n{message[1]}")
            yield self._channels.index(channel), message

    def close(self) -> None:
        for child in self._children:
            if child.is_alive():
                child.kill()
                child.join()
        for channel in self._channels:
            channel.close()


def _work(channel: Connection, work: _Work) -> None:
    """In a forked process: fold, report, receive the years, send the rows in chunks of plain
    tuples, then ("done",) (or the traceback of a failure)."""
    gc.disable()

    def send(message: Message) -> None:
        channel.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    try:
        state = work.fold(lambda position: send(("read", position)))
        send(("folded", state.position, state.year_positions, state.member_positions))
        years: tuple[int, ...] = channel.recv()
        chunk: list[tuple[object, ...]] = []
        figures = 0
        for row in _rows(state, years, work.subjects(state)):
            chunk.append(tuple.__new__(tuple, row.stored()))
            figures += _figures_in(row)
            if len(chunk) >= _CHUNK:
                send(("rows", chunk, figures))
                chunk, figures = [], 0
        if chunk:
            send(("rows", chunk, figures))
        send(("done",))
    except BaseException:
        send(("failed", traceback.format_exc()))
        raise
    finally:
        channel.close()
