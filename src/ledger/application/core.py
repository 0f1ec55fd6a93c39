"""The core of the application service: the command pipeline (decide, then save every touched
record in one transaction, honouring idempotency keys), loading records, the rule checks several
commands share, and the queries over the log. The commands themselves live beside it, one module
per group, and `ledger.application.AssessmentLedger` combines them.

Every command takes the actor explicitly and reads the time from the injected clock. A command
that breaks a rule raises a LedgerError naming the rule and records nothing. A command given an
idempotency key records its outcome in the same transaction as its events; a retry with the same
key and request returns that outcome and records nothing new.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper, Recording

from ledger.aggregates.assessment_round import AssessmentRound
from ledger.aggregates.calendar_year import CalendarYear
from ledger.aggregates.catalogue import Catalogue, CatalogueItem
from ledger.aggregates.incident import Incident
from ledger.aggregates.organisation import Organisation
from ledger.aggregates.policy_book import PolicyBook
from ledger.aggregates.staff import Staff
from ledger.aggregates.window import Window
from ledger.clock import Clock, command_time, local_date, system_clock
from ledger.errors import (
    ConcurrentWrite,
    IdempotencyKeyReused,
    LedgerError,
    RecordNotFound,
    RoleRequired,
    RuleViolation,
    VersionMismatch,
)
from ledger.integrity.checkpoints import CheckpointRecorder, take_checkpoint
from ledger.integrity.note import Signer
from ledger.policy import LedgerState
from ledger.policy.grades import Grade
from ledger.policy.working_days import CalendarUnknown, Deadline, LoadedYear, WorkingCalendar
from ledger.procedure_status import ProcedureStatus
from ledger.serialisation import CanonicalMapper, canonical_json
from ledger.stores import IdempotencyRecord, LedgerRecorder, LoggedEvent, ReadSet, is_stale_read
from ledger.values import (
    MEASURES_IN_FORCE_FROM,
    OPERATOR,
    Actor,
    AppliesTo,
    CatalogueUnit,
    Period,
    Role,
    UnitKind,
    parse_points,
)

STALE_READ_ATTEMPTS = 3
"""How often a command is decided again when the catalogue or organisation changed under it."""

MAX_PAGE = 1000
"""The most events one history page returns."""

MAX_QUANTITY = 1000
"""Far above any real absence in half days, and well inside what a payload can hold."""

CHECKPOINT_TOPICS = frozenset(
    {
        "ledger.round.PeriodDecided.v1",
        "ledger.round.PeriodDecisionAmended.v1",
        "ledger.annual.FiledWithHigherAuthority.v1",
        "ledger.annual.FilingAmended.v1",
    }
)
"""The events a save is followed by a checkpoint for: a period's decision (or its amended
decision after a reopening), and the year's filing with the higher authority (or its amended
filing: what leaves the center then is covered by a signed head that includes the filing
itself, the notifications, signatures and home-unit filings before it)."""


@dataclass(frozen=True)
class Outcome:
    """What a command recorded: the log position it wrote and the records it changed."""

    position: int
    records: tuple[tuple[str, int], ...]
    number: int | None = None
    """The number of the entry it created (a deduction's or veto case's version), if any."""
    replayed: bool = False
    """True when an idempotent retry returned the first outcome without recording anything."""


class CheckpointNotPublished(LedgerError):
    """A save recorded a period decision, but the checkpoint after it failed (issue 5 item 8).

    The decision is committed and stays: `position` is the last one the save wrote, and
    `outcome` the command's outcome when a command saved it. Publish the checkpoint again with
    `ledger checkpoint publish`: it covers everything recorded up to then.
    """

    rule = "CHECKPOINT"

    def __init__(self, position: int, error: Exception) -> None:
        super().__init__(
            f"CHECKPOINT: the period decision is recorded (up to position {position}), but the "
            f"checkpoint after it was not published ({error}); publish it with "
            "`ledger checkpoint publish`",
            fields={"position": position},
        )
        self.position = position
        self.outcome: Outcome | None = None


@dataclass
class Changes:
    """The aggregates a command changed, and what to report when the save collides."""

    aggregates: list[Aggregate]
    number: int | None = None
    new_incident: Incident | None = None


@dataclass
class Batch:
    """Commands decided together and saved in one transaction (the demo's bulk path)."""

    records: dict[UUID, Aggregate] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    """The batch's events in command order, so the log keeps the order they were decided in."""
    new_incidents: list[Incident] = field(default_factory=list)
    save_options: dict[str, list[Any]] = field(default_factory=dict)
    """What the batch's commands ask its one save to do beside the events, by save option
    (e.g. the unlinkable ballots to stage): each option's items in command order."""
    failed: bool = False
    position: int = 0
    """The last log position written, once the batch is saved."""


@dataclass(frozen=True)
class HistoryItem:
    """One event of a record's history, decoded from its canonical payload."""

    position: int
    stream_id: str
    version: int
    event: str
    recorded_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


class LedgerCore(Application[UUID]):
    """What every group of commands shares: the command pipeline, loading records, the rule
    checks used by several commands, and the queries over the log."""

    name = "ledger"
    # Cached records are brought up to date with one query per load (the library's fast-forward),
    # so the cache stays right when other processes write; commands get deep copies.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "5000"}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        clock: Clock = system_clock,
        *,
        checkpoint_signer: Signer | None = None,
        log_origin: str | None = None,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.checkpoint_signer = checkpoint_signer
        """With a signer, a checkpoint is published after every save that records a period
        decision (issue 5 item 8)."""
        self.log_origin = log_origin or (checkpoint_signer.name if checkpoint_signer else None)
        """The log's name in its checkpoints; by default the signer's key name (which
        `ledger keys generate` makes the origin)."""
        self._batches = threading.local()
        self._command_reads = threading.local()
        self._references: dict[UUID, Any] = {}
        self._after_save: list[Callable[[int], None]] = []
        self._policy_state = LedgerState()
        self._policy_state_lock = threading.Lock()
        self._expectations = threading.local()

    def on_saved(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call `callback(position)` after every save of this application object (the in-process
        projection's wake-up on the embedded store); returns a function that stops it."""
        self._after_save.append(callback)
        return lambda: self._after_save.remove(callback)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)
        if recordings:
            for callback in list(self._after_save):
                callback(recordings[-1].notification.id)
            self._checkpoint_after(recordings)

    def _checkpoint_after(self, recordings: list[Recording[UUID]]) -> None:
        """Publish a checkpoint after a save that recorded a period decision or the year's filing
        with the higher authority, whatever command recorded it, when a signer is configured.
        The save is committed by now: a failure is raised as CheckpointNotPublished, which says
        so, rather than lost in a log."""
        signer, origin = self.checkpoint_signer, self.log_origin
        if signer is None or origin is None:
            return
        if not any(r.notification.topic in CHECKPOINT_TOPICS for r in recordings):
            return
        try:
            take_checkpoint(cast(CheckpointRecorder, self.recorder), origin, signer)
        except Exception as error:
            raise CheckpointNotPublished(recordings[-1].notification.id, error) from error

    def construct_mapper(self) -> Mapper[UUID]:
        """Our canonical payload encoding instead of the library's typed JSON."""
        return CanonicalMapper(transcoder=self.construct_transcoder())

    @property
    def ledger_recorder(self) -> LedgerRecorder:
        """The recorder, with our additions (idempotency, recorded_at, positions)."""
        return cast(LedgerRecorder, self.recorder)

    # The command pipeline

    def _execute(
        self,
        command: str,
        actor: Actor,
        idempotency_key: str | None,
        arguments: Mapping[str, object],
        decide: Callable[[date], Changes],
    ) -> Outcome:
        """Decide and save atomically, honouring an idempotency key."""
        if idempotency_key is None:
            return self._decide_and_save(command, actor, decide, None)
        if self._current_batch() is not None:
            raise RuntimeError("idempotency keys are for single commands, not batches")
        fingerprint = hashlib.sha256(
            canonical_json({"command": command, "role": actor.role, "arguments": dict(arguments)})
        ).hexdigest()
        recorder = self.ledger_recorder
        with recorder.idempotency_lock(actor.person_id, idempotency_key):
            replay = self._replay(actor, idempotency_key, fingerprint)
            if replay is not None:
                return replay
            record = IdempotencyRecord(
                actor.person_id, idempotency_key, fingerprint, command, outcome=""
            )
            try:
                return self._decide_and_save(command, actor, decide, record)
            except ConcurrentWrite:
                # Another process may have recorded the same key between our check and save.
                replay = self._replay(actor, idempotency_key, fingerprint)
                if replay is not None:
                    return replay
                raise

    @contextmanager
    def expecting(self, record_id: UUID, version: int, what: str = "") -> Iterator[None]:
        """Refuse the commands of this block (VersionMismatch) unless the record is still at
        `version` when they are decided (HTTP If-Match), and (RecordNotFound, naming it as `what`)
        if it is not recorded. The save's optimistic concurrency check then keeps it so until the
        commit: a writer in between makes it a ConcurrentWrite."""
        previous = getattr(self._expectations, "current", None)
        self._expectations.current = (record_id, version, what)
        try:
            yield
        finally:
            self._expectations.current = previous

    def _check_expected_version(self, changes: Changes | None) -> None:
        expected: tuple[UUID, int, str] | None = getattr(self._expectations, "current", None)
        if expected is None:
            return
        record_id, version, what = expected
        aggregates = changes.aggregates if changes is not None else []
        touched = next((a for a in aggregates if a.id == record_id), None)
        if touched is not None:
            # Its version before this command's events (0 when the command creates it).
            current = touched.version - len(touched.pending_events)
        elif self._exists(record_id):
            current = self._load(record_id, for_update=False).version
        else:
            current = 0
        if current == 0:
            # Missing, or created by this very command: the If-Match names nothing recorded.
            raise RecordNotFound(
                f"{what} is not recorded"
                if what
                else f"record {record_id} named by the If-Match is not recorded"
            )
        if current != version:
            raise VersionMismatch(
                f"the record is at version {current}, not {version} as the request expected; "
                "reload it and decide again",
                current_version=current,
            )

    def _replay(self, actor: Actor, key: str, fingerprint: str) -> Outcome | None:
        stored = self.ledger_recorder.idempotency_record(actor.person_id, key)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"idempotency key {key!r} was used for a different request ({stored.command})",
                fields={"idempotency_key": key},
            )
        outcome = json.loads(stored.outcome)
        return Outcome(
            position=int(stored.position or 0),
            records=tuple((record[0], record[1]) for record in outcome["records"]),
            number=outcome["number"],
            replayed=True,
        )

    def _decide_and_save(
        self,
        command: str,
        actor: Actor,
        decide: Callable[[date], Changes],
        record: IdempotencyRecord | None,
    ) -> Outcome:
        now = self.clock()
        if self._current_batch() is not None:
            return self._decide_in_batch(decide, now)
        for _attempt in range(STALE_READ_ATTEMPTS):
            reads: ReadSet = {}
            self._command_reads.current = reads
            try:
                with command_time(now):
                    try:
                        changes = decide(local_date(now))
                    except RoleRequired:
                        # The command's own role check: it comes before the state of the record
                        # an If-Match names.
                        raise
                    except Exception:
                        # Refused for the records' state, which a person who never held the role
                        # they act in must not learn (SPEC section 5): the role is the answer.
                        self._refuse_unless_ever_held(command, actor)
                        # A record that is missing or moved on answers "not found" or "stale"
                        # rather than whatever rule its state breaks.
                        self._check_expected_version(None)
                        raise
                    # The version decided on, which the save then keeps until the commit.
                    self._check_expected_version(changes)
            finally:
                self._command_reads.current = None
            try:
                return self._save(command, changes, record, reads)
            except IntegrityError as error:
                if not is_stale_read(error):
                    raise
                # The catalogue or organisation changed since it was read: read it again.
                for record_id in reads:
                    self._references.pop(record_id, None)
        raise ConcurrentWrite(f"{command}: the records it depends on kept changing; retry")

    def _save(
        self,
        command: str,
        changes: Changes,
        record: IdempotencyRecord | None,
        reads: ReadSet,
    ) -> Outcome:
        """Save a decided command's records in one transaction, with its idempotency record and
        the check that the reference records it read are still current."""
        records = tuple(
            (str(aggregate.id), aggregate.version)
            for aggregate in changes.aggregates
            if aggregate.pending_events
        )
        if not records:
            raise RuleViolation("NO_CHANGE", f"{command} would record nothing")
        if record is not None:
            outcome = json.dumps({"records": records, "number": changes.number})
            record = IdempotencyRecord(
                record.actor_id, record.key, record.fingerprint, record.command, outcome
            )
        try:
            recordings = self.save(*changes.aggregates, idempotency=record, read_set=reads)
        except CheckpointNotPublished as failure:
            # The command's events are committed; only the checkpoint after them failed.
            for aggregate in changes.aggregates:
                self._references.pop(aggregate.id, None)
            failure.outcome = Outcome(failure.position, records, changes.number)
            raise
        except IntegrityError as error:
            if is_stale_read(error):
                raise
            if record is not None and self.ledger_recorder.idempotency_record(
                record.actor_id, record.key
            ):
                # A duplicate of this request won the race: _execute replays its outcome.
                raise ConcurrentWrite(
                    f"{command}: a duplicate request was recorded first"
                ) from error
            incident = changes.new_incident
            if incident is not None and incident.id in self.repository:
                raise RuleViolation(
                    "R-03",
                    f"incident {incident.incident_ref} is already recorded; a second entry must "
                    "cite a leading-group decision",
                    fields={"incident_ref": incident.incident_ref},
                ) from None
            raise ConcurrentWrite(
                f"{command}: another writer changed one of its records first; reload and retry"
            ) from error
        for aggregate in changes.aggregates:
            self._references.pop(aggregate.id, None)
        return Outcome(recordings[-1].notification.id, records, changes.number)

    def _decide_in_batch(self, decide: Callable[[date], Changes], now: datetime) -> Outcome:
        """Decide a command against the batch's records and keep its events for the batch."""
        batch = self._current_batch()
        assert batch is not None
        # No never-held check on a refusal (as `_decide_and_save` makes): a batch (the demo's
        # seeding, on the server) grants and appoints on records not saved yet, which that check
        # would not see; and a refusal there fails the whole batch anyway.
        try:
            with command_time(now):
                changes = decide(local_date(now))
        except Exception:
            batch.failed = True
            raise
        for aggregate in changes.aggregates:
            batch.records.setdefault(aggregate.id, aggregate)
            batch.events.extend(aggregate.collect_events())
        if changes.new_incident is not None:
            batch.new_incidents.append(changes.new_incident)
        records = tuple((str(aggregate.id), aggregate.version) for aggregate in changes.aggregates)
        return Outcome(0, records, changes.number)

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Decide the commands of the block against the same records and save all their events
        in one transaction when the block ends; an error anywhere saves nothing."""
        if self._current_batch() is not None:
            raise RuntimeError("batches do not nest")
        batch = Batch()
        self._batches.current = batch
        try:
            yield batch
        finally:
            self._batches.current = None
        if batch.failed:
            # A refused command may have left events on the batch's records: save none of them.
            raise RuntimeError("a command in the batch was refused; the batch saved nothing")
        if batch.events:
            options = {option: tuple(items) for option, items in batch.save_options.items()}
            try:
                recordings = self.save(*batch.events, **options)
            except IntegrityError as error:
                recorded = [i.incident_ref for i in batch.new_incidents if i.id in self.repository]
                if recorded:
                    raise RuleViolation(
                        "R-03",
                        f"incidents already recorded: {', '.join(recorded)}; a second entry must "
                        "cite a leading-group decision (the batch saved nothing)",
                        fields={"incident_ref": recorded[0]},
                    ) from None
                raise ConcurrentWrite(
                    "batch: another writer changed one of its records first; nothing was saved"
                ) from error
            batch.position = recordings[-1].notification.id

    def _current_batch(self) -> Batch | None:
        batch: Batch | None = getattr(self._batches, "current", None)
        return batch

    # Loading records

    def _load(self, record_id: UUID, version: int | None = None, *, for_update: bool = True) -> Any:
        """A record from the store, or the batch's own copy while a batch is being decided.

        Records read only to check a rule (`for_update=False`) are the cached objects themselves,
        brought up to date with one query and not copied: callers must not change them.
        """
        batch = self._current_batch()
        if batch is not None and version is None:
            if record_id not in batch.records:
                batch.records[record_id] = self.repository.get(record_id)
            return batch.records[record_id]
        return self.repository.get(record_id, version=version, deepcopy_from_cache=for_update)

    def _exists(self, record_id: UUID) -> bool:
        batch = self._current_batch()
        if batch is not None and record_id in batch.records:
            return True
        return record_id in self.repository

    def _get(self, record_id: UUID, what: str) -> Any:
        try:
            return self._load(record_id)
        except AggregateNotFoundError:
            raise RecordNotFound(f"{what} is not recorded") from None

    def staff(self, staff_number: str, *, version: int | None = None) -> Staff:
        """A staff member's record (as of a version of their stream, if given)."""
        try:
            return cast(Staff, self._load(Staff.create_id(staff_number), version=version))
        except AggregateNotFoundError:
            raise RecordNotFound(f"staff member {staff_number} is not registered") from None

    def unit(self, code: str) -> Window:
        """A window's or office's record."""
        return cast(Window, self._get(Window.create_id(code), f"unit {code}"))

    def round(self, period_key: str) -> AssessmentRound:
        """An assessment round's record."""
        return cast(
            AssessmentRound,
            self._get(AssessmentRound.create_id(period_key), f"round {period_key}"),
        )

    def _reopened_round(self, period_key: str, what: str) -> AssessmentRound:
        """The period's round, refused under D-13 unless the leading group reopened it for a
        late entry: `what` (e.g. "the 2025 results") is amended only then (read only)."""
        round_id = AssessmentRound.create_id(period_key)
        assessment_round = (
            cast(AssessmentRound, self._load(round_id, for_update=False))
            if self._exists(round_id)
            else None
        )
        if assessment_round is None or not assessment_round.reopened:
            raise RuleViolation(
                "D-13",
                f"{what} are amended only after the leading group reopens the period "
                f"{period_key} for a late entry",
                fields={"period": period_key},
            )
        return assessment_round

    def _reference(self, record_id: UUID) -> Any:
        """A record read only to check a rule: the catalogue or the organisation.

        Inside a command it comes from memory without a query, and the version read joins the
        command's read set, which the store checks under its write lock (a changed record makes
        the command decide again). Elsewhere it is the cached record, brought up to date.
        Either way it is shared: read it, do not change it.
        """
        reads: ReadSet | None = getattr(self._command_reads, "current", None)
        if reads is None or self._current_batch() is not None:
            return self._load(record_id, for_update=False)
        pinned = self._references.get(record_id)
        if pinned is None:
            try:
                pinned = self.repository.get(record_id)  # a private copy, never changed
            except AggregateNotFoundError:
                reads[record_id] = 0
                raise
            self._references[record_id] = pinned
        reads[record_id] = pinned.version
        return pinned

    def organisation(self) -> Organisation | None:
        """The organisation's record (shared: read it, do not change it), or None if empty."""
        try:
            return cast(Organisation, self._reference(Organisation.create_id()))
        except AggregateNotFoundError:
            return None

    def catalogue(self) -> Catalogue:
        """The deduction catalogue (shared: read it, do not change it)."""
        try:
            return cast(Catalogue, self._reference(Catalogue.create_id()))
        except AggregateNotFoundError:
            raise RecordNotFound("the catalogue is not recorded") from None

    def policy_book(self) -> PolicyBook:
        """The adopted policy versions."""
        return cast(PolicyBook, self._get(PolicyBook.create_id(), "the policy book"))

    def calendar_year(self, year: int) -> CalendarYear:
        """A loaded calendar year."""
        return cast(CalendarYear, self._get(CalendarYear.create_id(year), f"calendar {year}"))

    def _organisation_for_update(self, actor: Actor, today: date) -> Organisation:
        try:
            return cast(Organisation, self._load(Organisation.create_id()))
        except AggregateNotFoundError:
            return Organisation(actor_id=actor.person_id, actor_role=actor.role, effective_on=today)

    # Rule checks shared by several commands

    def _authorise(
        self,
        actor: Actor,
        allowed: Role | tuple[Role, ...],
        on: date,
        *,
        command: str,
        unit: Window | None = None,
        scope: str = "",
    ) -> None:
        """Refuse unless the actor acts in an allowed role and held it (with its scope) that day."""
        needed = self._require_acting_as(actor, allowed, command=command)
        role = actor.role
        if role is Role.OPERATOR:
            held = actor.person_id == OPERATOR.person_id
        elif role in (Role.WINDOW_HEAD, Role.OFFICE_HEAD):
            held = (
                unit is not None and unit.head_role is role and unit.head_on(on) == actor.person_id
            )
        elif role is Role.LEADER_IN_CHARGE:
            held = unit is not None and unit.leader_in_charge_on(on) == actor.person_id
        elif role is Role.STAFF:
            # Every registered staff member holds it, for their own records only (scope: their
            # staff number), from the day of registration.
            held = scope == actor.person_id and self._registered_on_or_before(actor.person_id, on)
        else:
            organisation = self.organisation()
            held = organisation is not None and organisation.holds(actor.person_id, role, on, scope)
        if not held:
            where = f" for {unit.code if unit else scope}" if (unit or scope) else ""
            raise RoleRequired(
                needed, f"{actor.person_id} did not hold {role.value}{where} on {on}"
            )

    @staticmethod
    def _require_acting_as(actor: Actor, allowed: Role | tuple[Role, ...], *, command: str) -> str:
        """Refuse unless the actor acts in an allowed role (whatever its scope); return the
        allowed roles in words."""
        roles = (allowed,) if isinstance(allowed, Role) else allowed
        needed = " or ".join(role.value for role in roles)
        if actor.role not in roles:
            raise RoleRequired(
                needed, f"{command} needs the role {needed}; the actor acts as {actor.role.value}"
            )
        return needed

    def _refuse_unless_ever_held(self, command: str, actor: Actor) -> None:
        """Refuse an actor whose person never held the role they act in, in any scope, on any
        day; the precise check (scope and date) is each command's `_authorise`."""
        if not self._ever_held(actor.person_id, actor.role):
            role = actor.role.value
            # From None: the refusal it replaces named the records' state.
            raise RoleRequired(
                role, f"{command} as {role}: {actor.person_id} never held {role}"
            ) from None

    def _ever_held(self, person_id: str, role: Role) -> bool:
        """Whether the person held the role, in any scope, on any day, as recorded now."""
        if role is Role.OPERATOR:
            return person_id == OPERATOR.person_id
        if role is Role.STAFF:
            return self._exists(Staff.create_id(person_id))
        if role in (Role.WINDOW_HEAD, Role.OFFICE_HEAD, Role.LEADER_IN_CHARGE):
            # Heads and leaders in charge are on the units' records, which no index lists; the
            # folded state has them all, and the commands of these roles fold it anyway.
            with self.policy_state() as state:
                for unit in state.units.values():
                    if role is Role.LEADER_IN_CHARGE:
                        terms = unit.leaders_in_charge
                    elif (role is Role.WINDOW_HEAD) == (unit.kind is UnitKind.WINDOW):
                        terms = unit.heads
                    else:
                        continue
                    if any(term.person_id == person_id for term in terms):
                        return True
            return False
        organisation = self.organisation()
        return organisation is not None and organisation.ever_held(person_id, role)

    def _registered_on_or_before(self, staff_number: str, on: date) -> bool:
        if not self._exists(Staff.create_id(staff_number)):
            return False
        return self.staff(staff_number).registered_on <= on

    # Working days and the policy's view of the log, for the procedures

    def working_calendar(self, *years: int) -> WorkingCalendar:
        """The loaded calendar years among `years` (a deadline that needs one that is not loaded
        is refused when it is counted)."""
        loaded = []
        for year in years:
            record_id = CalendarYear.create_id(year)
            if not self._exists(record_id):
                continue
            calendar = cast(CalendarYear, self._load(record_id, for_update=False))
            loaded.append(
                LoadedYear(
                    year,
                    frozenset(calendar.holidays),
                    frozenset(calendar.makeup_workdays),
                    f"{year}: {calendar.source} (v{calendar.version})",
                )
            )
        return WorkingCalendar(loaded)

    def working_days_after(self, start: date, days: int) -> Deadline:
        """The deadline `days` working days after `start` (SPEC 3), or a CALENDAR refusal naming
        the year to load."""
        try:
            return self.working_calendar(start.year, start.year + 1).working_days_after(start, days)
        except CalendarUnknown as error:
            raise RuleViolation("CALENDAR", str(error), fields={"year": error.year}) from None

    def calendar_days_after(self, start: date, days: int) -> Deadline:
        """The deadline `days` calendar days after `start`, run on to the next working day when
        it falls on a rest day (SPEC 3), or a CALENDAR refusal."""
        try:
            return self.working_calendar(start.year, start.year + 1).calendar_days_after(
                start, days
            )
        except CalendarUnknown as error:
            raise RuleViolation("CALENDAR", str(error), fields={"year": error.year}) from None

    # Each procedure's status (overridden by the procedure's commands; None: no procedure yet)

    def _bonus_sheet_status(self, period: Period, today: date) -> ProcedureStatus | None:
        """Where a month's or half-year's bonus sheet stands."""
        return None

    def _quarter_status(self, period: Period, today: date) -> ProcedureStatus | None:
        """Where a quarter's evaluation stands."""
        return None

    def _year_status(self, period: Period, today: date) -> ProcedureStatus | None:
        """Where a year's annual assessment stands."""
        return None

    def _decided_grade(self, staff_number: str, year: int) -> tuple[Grade, date] | None:
        """A staff member's final grade of a year and the day they were notified of it (the
        annual assessment overrides this; None: no grade decided and notified yet)."""
        return None

    @contextmanager
    def policy_state(self) -> Iterator[LedgerState]:
        """The pure policy's state of the whole log as recorded now, for rule checks that need
        figures (eligibility, quotas). It is kept between calls and advanced by the events
        recorded since; read it inside the `with` block only (it is shared)."""
        from ledger.projections.log import fold_log  # the projections import this module

        with self._policy_state_lock:
            self._policy_state = fold_log(self.recorder, self.head_position(), self._policy_state)
            yield self._policy_state

    @staticmethod
    def _not_in_future(day: date, today: date, field_name: str) -> None:
        if day > today:
            raise RuleViolation(
                "R-20" if field_name == "occurred_on" else "DATED_RECORDS",
                f"{field_name} {day} is later than today ({today})",
                fields={field_name: day.isoformat()},
            )

    @staticmethod
    def _within_measures(day: date, field_name: str) -> None:
        if day < MEASURES_IN_FORCE_FROM:
            raise RuleViolation(
                "R-20",
                f"{field_name} {day} is before the Measures took effect on "
                f"{MEASURES_IN_FORCE_FROM}",
                fields={field_name: day.isoformat()},
            )

    def _registered_by(self, person_id: str, effective_on: date) -> None:
        """Refuse a role or appointment dated before the person was registered."""
        staff = self.staff(person_id)
        if effective_on < staff.registered_on:
            raise RuleViolation(
                "DATED_RECORDS",
                f"{person_id} was registered on {staff.registered_on}",
                fields={"effective_on": effective_on.isoformat()},
            )

    def _priced_item(
        self,
        actor: Actor,
        item_code: str,
        quantity: int,
        occurred_on: date,
        points: str | Decimal | None,
        override_reason: str | None,
        applies_to: AppliesTo,
    ) -> tuple[int, Decimal, str | None]:
        """The catalogue version in force on the incident date, the points applied and the
        override reason kept, or the R-01/R-02 refusal."""
        catalogue = self.catalogue()
        version = catalogue.version_in_force(occurred_on)
        item = catalogue.item(item_code, version) if version else None
        if version is None or item is None:
            raise RuleViolation(
                "R-01",
                f"catalogue item {item_code} is not in the catalogue in force on {occurred_on}",
                fields={"item_code": item_code},
            )
        if item.applies_to is not applies_to:
            raise RuleViolation(
                "R-02",
                f"item {item_code} applies to a {item.applies_to.value}, "
                f"not to a {applies_to.value}",
                fields={"item_code": item_code},
            )
        applied, reason = self._checked_points(actor, item, quantity, points, override_reason)
        return version, applied, reason

    @staticmethod
    def _checked_points(
        actor: Actor,
        item: CatalogueItem,
        quantity: int,
        points: str | Decimal | None,
        override_reason: str | None,
    ) -> tuple[Decimal, str | None]:
        """Points applied = the item's points × quantity, unless the leading group gives other
        points with a reason (R-01); returns them with the reason, which only an override keeps."""
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= MAX_QUANTITY
        ):
            raise RuleViolation(
                "R-01",
                f"quantity must be a whole number from 1 to {MAX_QUANTITY}",
                fields={"quantity": quantity},
            )
        if item.unit is CatalogueUnit.INCIDENT and quantity != 1:
            raise RuleViolation(
                "R-03",
                f"item {item.code} counts per incident: record each incident once, quantity 1",
                fields={"quantity": quantity},
            )
        standard = item.points * quantity
        if points is None:
            if override_reason:
                raise RuleViolation(
                    "R-01", "an override reason needs overriding points", fields={"points": None}
                )
            return standard, None
        try:
            applied = parse_points(points)
        except ValueError as error:
            raise RuleViolation("R-01", str(error), fields={"points": str(points)}) from None
        if applied <= 0:
            raise RuleViolation(
                "R-01", "points must be positive; revoke instead", fields={"points": str(points)}
            )
        if applied == standard:
            return standard, None
        if not override_reason or not override_reason.strip():
            raise RuleViolation(
                "R-01",
                f"points {applied} differ from the catalogue's {standard}: give a reason",
                fields={"override_reason": None},
            )
        if actor.role is not Role.LEADING_GROUP:
            raise RoleRequired(
                Role.LEADING_GROUP.value,
                f"points other than the catalogue's {standard} need the leading group's role",
            )
        return applied, override_reason

    def _incident(
        self, actor: Actor, incident_ref: str, entry: str, decision_ref: str | None
    ) -> tuple[Incident, bool]:
        """The incident index for an entry: new (collides atomically if it exists) or extended."""
        if not incident_ref.strip():
            raise RuleViolation(
                "R-03", "an entry needs an incident_ref", fields={"incident_ref": ""}
            )
        # The new index record collides at save time if the incident is already stored, so the
        # common path reads nothing; a batch must also see the incidents it created itself.
        incident_id = Incident.create_id(incident_ref)
        batch = self._current_batch()
        existing: Incident | None = None
        if batch is not None and incident_id in batch.records:
            existing = cast(Incident, batch.records[incident_id])
        elif decision_ref:
            with suppress(AggregateNotFoundError):
                existing = cast(Incident, self._load(incident_id))
        if existing is not None:
            existing.add_entry(actor, entry, decision_ref)
            return existing, False
        created = Incident(
            actor_id=actor.person_id, actor_role=actor.role, incident_ref=incident_ref, entry=entry
        )
        return created, True

    # Queries over the log

    def _logged_event(self, originator_id: UUID, version: int) -> LoggedEvent:
        for logged in self.ledger_recorder.select_stream(originator_id, limit=1_000_000):
            if logged.originator_version == version:
                return logged
        raise RecordNotFound(f"event {originator_id}/{version} is not recorded")

    def history(
        self,
        originator_id: UUID,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest_first: bool = False,
        as_of: int | datetime | None = None,
    ) -> list[HistoryItem]:
        """A record's events in log order (or newest first), keyset-paged by position, as known
        at a position (or moment: the last position recorded at or before it) if `as_of` is
        given."""
        if not 1 <= limit <= MAX_PAGE:
            raise RuleViolation(
                "PAGING", f"limit must be from 1 to {MAX_PAGE}", fields={"limit": limit}
            )
        if isinstance(as_of, datetime):
            as_of = self.position_at(as_of)
        if as_of is not None:
            before = min(before, as_of + 1) if before is not None else as_of + 1
        return [
            HistoryItem(
                position=logged.position,
                stream_id=str(logged.originator_id),
                version=logged.originator_version,
                event=logged.topic,
                recorded_at=logged.recorded_at,
                payload=json.loads(logged.state),
            )
            for logged in self.ledger_recorder.select_stream(
                originator_id, after=after, before=before, limit=limit, newest_first=newest_first
            )
        ]

    def position_at(self, moment: datetime) -> int:
        """The last log position recorded at or before a moment (transaction time)."""
        return self.ledger_recorder.position_at(moment)

    def head_position(self) -> int:
        """The newest log position, 0 for an empty log."""
        return self.recorder.max_notification_id() or 0

    @staticmethod
    def staff_stream(staff_number: str) -> UUID:
        """The stream id of a staff member."""
        return Staff.create_id(staff_number)

    @staticmethod
    def unit_stream(code: str) -> UUID:
        """The stream id of a window or office."""
        return Window.create_id(code)

    @staticmethod
    def round_stream(period_key: str) -> UUID:
        """The stream id of an assessment round."""
        return AssessmentRound.create_id(period_key)
