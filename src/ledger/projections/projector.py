"""The figures projector (the same code on every store) and its drivers.

The projector keeps the policy's `LedgerState` in memory. Given the next notifications it applies
them as facts in log order, works out which (subject, year) pairs they change, recomputes every
figure of those with the pure policy and replaces their rows (the view stores one row per subject
and year), writing the rows and the new position in one transaction that only succeeds from the
position the projector started from.

Which figures a fact changes (anything else changes no figure; a figure's trace lists only the
events of its own period, so an entry changes only the year of its incident date):

- a staff member's registration, assignment or release: that person, every year, and every unit
  they were ever assigned to, every year (headcounts, D-03 credits, head-liability debtors);
- a staff deduction, its amendment or revocation: that person's year of the incident, and the
  same year of every unit they were ever assigned to (D-03 credits, or the entry left out as
  another window's);
- a veto case or its revocation: that person's year of the incident (D-12: windows do not read
  vetoes);
- a unit opened, or a head or leader in charge appointed: the unit and everybody ever assigned to
  it, every year (head-liability debtors);
- a window deduction, its amendment or revocation: the unit's year of the incident;
- a policy adoption: everything;
- a fact that makes a year active for the first time: every subject in that year.

Drivers: `InProcessProjection` (embedded store and tests: `catch_up()`, and a thread woken by the
ledger's saves) and `run_worker` (PostgreSQL: `ledger project`, woken by the library's
LISTEN/NOTIFY subscription).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from eventsourcing.persistence import Notification

from ledger.application import AssessmentLedger
from ledger.policy import (
    Fact,
    Figure,
    LedgerState,
    staff_figures,
    window_figures,
)
from ledger.projections.figures import (
    FigureRow,
    FiguresView,
    ProjectionConflict,
    Scope,
    figure_row,
    open_figures_view,
)
from ledger.projections.log import PAGE, fact_of, fold_log, pages
from ledger.values import UnitKind

log = logging.getLogger(__name__)

ALL_YEARS = -1
"""In a changed (kind, subject, year): every active year."""

REBUILD_FROM = 10_000
"""Events behind from which a projector that loads rebuilds the view in bulk first, when they
are also at least half the log (an empty view over a long log: a new store layout, a new
worker). Page by page, every page recomputes each subject and year it touches: from position 0
the stress ledger took 19 minutes that way, against 76 s with the rebuild first."""


def has_figures(state: LedgerState, kind: str, subject: str, year: int) -> bool:
    """Whether a subject has figures in a year: a person registered by its end, a window opened
    by its end."""
    year_end = date(year, 12, 31)
    if kind == "staff":
        staff = state.staff.get(subject)
        return staff is not None and staff.registered_on <= year_end
    unit = state.units.get(subject)
    return unit is not None and unit.kind is UnitKind.WINDOW and unit.opened_on <= year_end


def subject_figures(state: LedgerState, kind: str, subject: str, year: int) -> tuple[Figure, ...]:
    """A subject's figures of a year, exactly as `all_figures` holds them (none for a person not
    yet registered, a unit not yet opened or an office)."""
    if not has_figures(state, kind, subject, year):
        return ()
    if kind == "staff":
        return staff_figures(state, subject, year)
    return window_figures(state, subject, year)


class _Changes:
    """What the facts of one batch changed: (kind, subject, year), with ALL_YEARS standing for
    every active year."""

    def __init__(self) -> None:
        self.everything = False
        self.subjects: set[tuple[str, str, int]] = set()
        self.new_years: set[int] = set()
        self.new_members: dict[tuple[str, str], int] = {}
        """(unit code, staff number) assigned for the first time, with the position."""

    def add(self, kind: str, subject: str, year: int = ALL_YEARS) -> None:
        self.subjects.add((kind, subject, year))


class FiguresProjector:
    """Keeps the figures view current from the log; not thread-safe (one driver calls it)."""

    def __init__(
        self, ledger: AssessmentLedger, view: FiguresView, *, bulk_processes: int | None = 1
    ) -> None:
        """`bulk_processes`: the processes of a rebuild on loading far behind (`REBUILD_FROM`);
        None for one per core, which forks: only where no other thread runs (the worker)."""
        self.ledger = ledger
        self.view = view
        self.bulk_processes = bulk_processes
        self.state = LedgerState()
        self._staff_streams: dict[str, str] = {}
        self._unit_streams: dict[str, str] = {}
        self._loaded = False

    @property
    def position(self) -> int:
        """The position of the last fact in memory."""
        return self.state.position

    def load(self) -> int:
        """Fold the log up to the view's position into memory and return it (writing only the
        years and members a view from before it kept them lacks); far behind (`REBUILD_FROM`),
        rebuild the view in bulk first."""
        tracked = self.view.position()
        behind = self.ledger.head_position() - tracked
        if behind >= REBUILD_FROM and 2 * behind >= self.ledger.head_position():
            from ledger.projections.rebuild import rebuild  # which imports this module

            log.info("the figures are %d events behind: rebuilding them in bulk", behind)
            tracked = rebuild(self.ledger, self.view, processes=self.bulk_processes).position
        self.state = fold_log(self.ledger.recorder, tracked)
        # The log may end in gaps (PostgreSQL): the view's position is the one to continue from.
        self.state.position = max(self.state.position, tracked)
        known = self.view.year_positions()
        missing = {y: p for y, p in self.state.year_positions.items() if y not in known}
        if missing:
            self.view.add_years(missing)
        known_members = self.view.member_positions()
        missing_members = {
            m: p for m, p in self.state.member_positions.items() if m not in known_members
        }
        if missing_members:
            self.view.add_members(missing_members)
        self._staff_streams = {s.stream_id: n for n, s in self.state.staff.items()}
        self._unit_streams = {u.stream_id: c for c, u in self.state.units.items()}
        self._loaded = True
        return tracked

    def process(self, notifications: Sequence[Notification]) -> int:
        """Apply the notifications after the projector's position, in log order, and write the
        changed rows with the new position in one transaction (nothing if all were processed
        already). On any failure the memory is reloaded from the view before the next batch."""
        if not self._loaded:
            self.load()
        fresh = [n for n in notifications if n.id > self.state.position]
        if not fresh:
            return self.state.position
        expected = self.state.position
        try:
            changes = _Changes()
            years_before = set(self.state.year_positions)
            for notification in fresh:
                fact = fact_of(notification)
                self.state.apply(fact)
                self._note(fact, changes)
            # A year's first registration, assignment, entry or veto gives everybody figures
            # in it (`active_years`): the fold notes when.
            changes.new_years = set(self.state.year_positions) - years_before
            subjects, rows = self._recompute(changes)
            years = {year: self.state.year_positions[year] for year in changes.new_years}
            self.view.replace(
                subjects,
                rows,
                expected=expected,
                position=fresh[-1].id,
                years=years,
                members=changes.new_members,
            )
        except BaseException:
            self._loaded = False
            raise
        return self.state.position

    def catch_up(self, up_to: int | None = None) -> int:
        """Process everything after the view's position (up to a position, if given) in pages."""
        if not self._loaded:
            self.load()
        for notifications in pages(self.ledger.recorder, self.state.position, up_to, PAGE):
            self.process(notifications)
        return self.state.position

    # Which subjects a fact changes

    def _memberships(self, number: str) -> set[str]:
        staff = self.state.staff.get(number)
        return {m.unit_code for m in staff.memberships} if staff else set()

    def _members(self, code: str) -> set[str]:
        return set(self.state.members_ever(code))

    def _note(self, fact: Fact, changes: _Changes) -> None:
        topic, payload, state = fact.topic, fact.payload, self.state
        day: date | None = None
        if topic.startswith("ledger.staff."):
            if topic == "ledger.staff.Registered.v1":
                self._staff_streams[fact.stream_id] = payload["staff_number"]
            number = self._staff_streams.get(fact.stream_id, "")
            staff = state.staff.get(number)
            if staff is None:
                return
            if topic in (
                "ledger.staff.Registered.v1",
                "ledger.staff.Assigned.v1",
                "ledger.staff.Released.v1",
            ):
                changes.add("staff", number)
                for unit_code in self._memberships(number):
                    changes.add("unit", unit_code)
                if topic == "ledger.staff.Assigned.v1":
                    code = payload["unit_code"]
                    if state.first_assigned(code, number) == fact.position:
                        changes.new_members[(code, number)] = fact.position
                return
            if topic == "ledger.staff.DeductionRecorded.v1":
                day = staff.deductions[fact.version].occurred_on
            elif topic in ("ledger.staff.DeductionAmended.v1", "ledger.staff.DeductionRevoked.v1"):
                day = staff.deductions[payload["deduction"]].occurred_on
            elif topic == "ledger.staff.VetoCaseRecorded.v1":
                day = staff.vetoes[fact.version].occurred_on
            elif topic == "ledger.staff.VetoCaseRevoked.v1":
                day = staff.vetoes[payload["veto"]].occurred_on
            if day is None:
                return
            # A veto bars quarters from its own (D-14) and the year's figures: the whole year,
            # like an entry (D-12: windows do not read vetoes).
            changes.add("staff", number, day.year)
            if "Veto" in topic:
                return
            for unit_code in self._memberships(number):
                changes.add("unit", unit_code, day.year)
        elif topic.startswith("ledger.window."):
            if topic == "ledger.window.Opened.v1":
                self._unit_streams[fact.stream_id] = payload["code"]
            unit = state.units.get(self._unit_streams.get(fact.stream_id, ""))
            if unit is None:
                return
            if topic in (
                "ledger.window.Opened.v1",
                "ledger.window.HeadAppointed.v1",
                "ledger.window.LeaderInChargeAppointed.v1",
            ):
                changes.add("unit", unit.code)
                for number in self._members(unit.code):
                    changes.add("staff", number)
                return
            if topic == "ledger.window.DeductionRecorded.v1":
                day = unit.deductions[fact.version].occurred_on
            elif topic in (
                "ledger.window.DeductionAmended.v1",
                "ledger.window.DeductionRevoked.v1",
            ):
                day = unit.deductions[payload["deduction"]].occurred_on
            if day is not None:
                changes.add("unit", unit.code, day.year)
        elif topic == "ledger.policy.PolicyAdopted.v1":
            changes.everything = True

    def _everyone(self) -> list[tuple[str, str]]:
        return [("staff", s) for s in self.state.staff] + [("unit", u) for u in self.state.units]

    def _recompute(self, changes: _Changes) -> tuple[list[Scope], list[FigureRow]]:
        """The subjects and years the changes touch, and every figure of each (the view stores
        and replaces them one subject and year at a time)."""
        active = set(self.state.year_positions)  # `active_years`, as a set
        scopes: set[Scope] = set()
        if changes.everything:
            scopes = {(k, s, y) for k, s in self._everyone() for y in active}
        else:
            for kind, subject, year in changes.subjects:
                years = active if year == ALL_YEARS else {year} & active
                scopes.update((kind, subject, y) for y in years)
            if changes.new_years:
                scopes.update((k, s, y) for k, s in self._everyone() for y in changes.new_years)
        ordered = sorted(scopes)
        rows = [
            figure_row(figure)
            for kind, subject, year in ordered
            for figure in subject_figures(self.state, kind, subject, year)
        ]
        return ordered, rows


# Drivers


class InProcessProjection:
    """The projector in the application's process (the embedded store, and tests on any store):
    `catch_up()` on demand, or `start()` a thread that catches up after every save of the
    ledger (an in-process signal, no polling). Readers use `view` (whose `wait_for` the writes
    wake)."""

    def __init__(self, ledger: AssessmentLedger, view: FiguresView | None = None) -> None:
        self.ledger = ledger
        self.view = view if view is not None else open_figures_view(ledger.factory)
        self.projector = FiguresProjector(ledger, self.view)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop_listening: Callable[[], None] = lambda: None
        self.error: BaseException | None = None

    def catch_up(self) -> int:
        """Process everything after the view's position; return the new position. A write that
        lost a race (another projector or a rebuild) is retried from the view's position."""
        with self._lock:
            for _ in range(3):
                try:
                    return self.projector.catch_up()
                except ProjectionConflict:
                    continue
            return self.projector.catch_up()

    def wait_for(self, position: int, timeout: float) -> int:
        """Read-your-writes: catch up if the view is behind `position`, then wait for it."""
        if self.view.position() < position and self._thread is None:
            self.catch_up()
        return self.view.wait_for(position, timeout)

    def start(self) -> None:
        """Catch up in a thread now and after every save of the ledger."""
        if self._thread is not None:
            return
        self._stop_listening = self.ledger.on_saved(lambda _position: self._wake.set())
        self._thread = threading.Thread(target=self._run, name="figures-projection", daemon=True)
        self._wake.set()
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.catch_up()
            except Exception as error:  # kept for the owner; the thread goes on after the next save
                log.exception("the figures projection failed")
                self.error = error

    def stop(self) -> None:
        """Stop the thread (the ledger's saves no longer wake it)."""
        thread = self._thread
        if thread is None:
            return
        self._stop_listening()
        self._stopping.set()
        self._wake.set()
        thread.join()
        self._thread = None

    def __enter__(self) -> InProcessProjection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_process(
    ledger: AssessmentLedger, view: FiguresView | None = None
) -> InProcessProjection:
    """An in-process projection of the ledger, caught up, its thread running."""
    projection = InProcessProjection(ledger, view)
    projection.catch_up()
    projection.start()
    return projection


_STOP = object()


class WorkerStop:
    """Asks a worker to stop; safe to `set()` from a signal handler (it only sets flags and puts
    a marker on a SimpleQueue, which is reentrant)."""

    def __init__(self) -> None:
        self.requested = False
        self._queues: list[queue.SimpleQueue[object]] = []

    def set(self) -> None:
        self.requested = True
        for arrived in list(self._queues):
            arrived.put(_STOP)

    def _watch(self, arrived: queue.SimpleQueue[object]) -> None:
        self._queues.append(arrived)
        if self.requested:
            arrived.put(_STOP)

    def _unwatch(self, arrived: queue.SimpleQueue[object]) -> None:
        self._queues.remove(arrived)


def run_worker(
    ledger: AssessmentLedger,
    view: FiguresView,
    stop: WorkerStop,
    *,
    batch: int = PAGE,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Keep the view current until `stop` is set (PostgreSQL: `ledger project`); return the
    position reached.

    Folds the log up to the view's position, subscribes to the notifications after it (the
    library's subscription, woken by LISTEN/NOTIFY) and processes what has arrived in batches of
    up to `batch`, each in one transaction with its position. Killed at any point it loses
    nothing: the next run starts again from the last committed position. If another writer moved
    the position (a rebuild), it reloads and subscribes again from there."""
    # Loading far behind rebuilds in processes forked before the subscription's thread starts.
    projector = FiguresProjector(ledger, view, bulk_processes=None)
    while not stop.requested:
        projector.load()
        arrived: queue.SimpleQueue[object] = queue.SimpleQueue()
        stop._watch(arrived)
        try:
            with ledger.recorder.subscribe(gt=projector.position) as subscription:
                pumping = threading.Thread(
                    target=_pump, args=(subscription, arrived), name="figures-subscription"
                )
                pumping.start()
                try:
                    _consume(projector, arrived, batch, on_batch)
                except ProjectionConflict:
                    log.warning("the figures view moved under the worker: reloading")
                finally:
                    subscription.stop()
                    pumping.join()
        finally:
            stop._unwatch(arrived)
    return projector.position


def _pump(subscription: Any, arrived: queue.SimpleQueue[object]) -> None:
    """Move the subscription's notifications onto the worker's queue."""
    try:
        for notification in subscription:
            arrived.put(notification)
    except BaseException as error:
        arrived.put(error)
    finally:
        arrived.put(_STOP)


def _consume(
    projector: FiguresProjector,
    arrived: queue.SimpleQueue[object],
    batch: int,
    on_batch: Callable[[int], None] | None,
) -> None:
    """Process what has arrived, in batches, until the stop marker."""
    while True:
        item = arrived.get()
        notifications: list[Notification] = []
        ended = False
        while True:
            if item is _STOP:
                ended = True
                break
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Notification)
            notifications.append(item)
            if len(notifications) >= batch:
                break
            try:
                item = arrived.get_nowait()
            except queue.Empty:
                break
        if notifications:
            position = projector.process(notifications)
            if on_batch is not None:
                on_batch(position)
        if ended:
            return
