"""The rules' input: plain records of the event log, and the fold that turns them into a state.

A `Fact` is one stored event as anyone can decode it from the canonical payload (stream id,
version, log position, topic, JSON object): no library event classes, so the standalone verifier
builds them from a filing just as the projections build them from the store. `fold` applies
facts in log order to a `LedgerState`: staff with their dated memberships, deductions and veto
cases; units with their dated heads and leaders in charge and window-level deductions; the
adopted policy versions; the rounds' decisions and late-entry resolutions. Amendments and
revocations are kept beside the entries they change, so a figure can say why it left one out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from ledger.policy.parameters import PolicyBook, PolicyParameters
from ledger.values import Period, PeriodKind, StaffCategory, UnitKind, VetoCase, parse_points


class FactError(ValueError):
    """The facts cannot be folded into a consistent state (out of order, a missing event, an
    unknown event of a record the rules read, a change of an entry that does not exist)."""


@dataclass(frozen=True, order=True)
class EventRef:
    """An event's identity, the same on every store: its stream id and version."""

    stream_id: str
    version: int

    def __str__(self) -> str:
        return f"{self.stream_id}/{self.version}"


class Fact(NamedTuple):
    """One event of the log, decoded from its canonical payload (a tuple: a fold of the whole
    log makes a million)."""

    stream_id: str
    version: int
    position: int
    """The log position; it orders the facts, and is never part of a figure (stores differ)."""
    topic: str
    payload: Mapping[str, Any]

    @classmethod
    def decode(
        cls, stream_id: object, version: int, position: int, topic: str, state: bytes | str
    ) -> Fact:
        """A fact from a stored event's columns (the payload as stored: canonical JSON)."""
        return cls(str(stream_id), version, position, topic, json.loads(state))

    @property
    def ref(self) -> EventRef:
        """The event's identity."""
        return EventRef(self.stream_id, self.version)


# What the records hold, as the rules need it.


@dataclass(frozen=True)
class Change:
    """An amendment (new points and quantity) or a revocation of an entry."""

    ref: EventRef
    position: int
    effective_on: date
    decision_ref: str | None
    points: Decimal | None = None
    quantity: int | None = None
    reason: str = ""
    """Why, as the one who recorded it gave it (for appeals; no rule reads it)."""


@dataclass(frozen=True)
class Entry:
    """A deduction on a staff member (`on` = "staff") or a window (`on` = "window"), with its
    amendments in log order and its revocation, if any."""

    ref: EventRef
    position: int
    on: str
    subject: str
    item_code: str
    occurred_on: date
    incident_ref: str
    recorded_points: Decimal
    quantity: int
    amendments: tuple[Change, ...] = ()
    revocation: Change | None = None

    @property
    def points(self) -> Decimal:
        """The points as they stand: those of the last amendment, else those recorded."""
        for amendment in reversed(self.amendments):
            if amendment.points is not None:
                return amendment.points
        return self.recorded_points

    @property
    def revoked(self) -> bool:
        """Whether the entry no longer counts."""
        return self.revocation is not None


@dataclass(frozen=True)
class VetoEntry:
    """A one-vote veto case (V1–V8) against a staff member, and its revocation, if any."""

    ref: EventRef
    position: int
    staff_number: str
    case: VetoCase
    occurred_on: date
    incident_ref: str
    revocation: Change | None = None

    @property
    def revoked(self) -> bool:
        """Whether the case no longer counts."""
        return self.revocation is not None


@dataclass(frozen=True)
class Membership:
    """An assignment to a unit: from `start` (inclusive) to the day before `end` (R-23–R-25
    boundaries: on a same-day transfer the person belongs to the new unit)."""

    unit_code: str
    start: date
    assigned: EventRef
    end: date | None = None
    released: EventRef | None = None

    def covers(self, day: date) -> bool:
        """Whether the person was a member on the day."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Holding:
    """A head's or a leader in charge's term: from `start` to the day before the next
    appointment's date."""

    person_id: str
    start: date
    appointed: EventRef
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the person held the post on the day."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass
class StaffRecord:
    """One staff member as the rules see them."""

    stream_id: str
    staff_number: str
    category: StaffCategory
    home_unit: str
    registered_on: date
    memberships: list[Membership] = field(default_factory=list)
    deductions: dict[int, Entry] = field(default_factory=dict)
    vetoes: dict[int, VetoEntry] = field(default_factory=dict)

    def membership_on(self, day: date) -> Membership | None:
        """The membership in force on the day, if any."""
        for membership in reversed(self.memberships):
            if membership.covers(day):
                return membership
        return None

    def unit_on(self, day: date) -> str | None:
        """The code of the unit the person belonged to on the day."""
        membership = self.membership_on(day)
        return membership.unit_code if membership else None


@dataclass
class UnitRecord:
    """One window or office as the rules see it (membership lives on the staff records)."""

    stream_id: str
    code: str
    kind: UnitKind
    opened_on: date
    heads: list[Holding] = field(default_factory=list)
    leaders_in_charge: list[Holding] = field(default_factory=list)
    deductions: dict[int, Entry] = field(default_factory=dict)

    def head_on(self, day: date) -> Holding | None:
        """The head's term in force on the day, if any."""
        return next((h for h in reversed(self.heads) if h.covers(day)), None)

    def leader_in_charge_on(self, day: date) -> Holding | None:
        """The leader in charge's term in force on the day, if any."""
        return next((h for h in reversed(self.leaders_in_charge) if h.covers(day)), None)


@dataclass(frozen=True)
class Decision:
    """A period's decision, taken on the figures as of a log position."""

    ref: EventRef
    decided_at_position: int
    decision_ref: str
    effective_on: date


@dataclass(frozen=True)
class Resolution:
    """How the leading group handled one late entry."""

    ref: EventRef
    entry: EventRef
    resolution: str


@dataclass
class RoundRecord:
    """One period's round: its decision and the late-entry resolutions recorded for it."""

    stream_id: str
    period: Period
    decision: Decision | None = None
    """The decision in force: the first, or the last amended decision (D-13)."""
    superseded: list[Decision] = field(default_factory=list)
    """Earlier decisions, each replaced by an amended decision after a reopening."""
    resolutions: dict[EventRef, Resolution] = field(default_factory=dict)


# The fold.

STAFF_TOPICS = "ledger.staff."
WINDOW_TOPICS = "ledger.window."
POLICY_TOPICS = "ledger.policy."
ROUND_TOPICS = "ledger.round."

FOLDED_TOPICS = (STAFF_TOPICS, WINDOW_TOPICS, POLICY_TOPICS, ROUND_TOPICS)
"""The records a state reads: an event of any other record (an incident, a notification, an
account) changes nothing in it but its position, so a reader may leave those out of a fold
(`LedgerState.skip_to`)."""

_RULED_TOPICS = (STAFF_TOPICS, WINDOW_TOPICS, POLICY_TOPICS)
"""The records whose every topic the rules must know (handle, or list as neutral)."""

NEUTRAL_TOPICS = frozenset(
    {
        "ledger.staff.DeductionNotified.v1",  # starts the R-40 clock; changes no figure
        "ledger.staff.VetoCaseNotified.v1",  # starts the R-40 clock; changes no figure
        "ledger.staff.DeductionAmendmentNotified.v1",  # opens another R-40 window
        # An objection changes nothing by itself; its decision's amendment or revocation does.
        "ledger.staff.ObjectionRaised.v1",
        "ledger.staff.ObjectionDecided.v1",
        # The annual assessment's forms and signature record acts, not figures.
        "ledger.staff.SelfSummarySubmitted.v1",
        "ledger.staff.RegistrationFormSubmitted.v1",
        "ledger.staff.RegistrationFormSigned.v1",
        "ledger.policy.Started.v1",
    }
)
"""Events of the records the rules read that change no figure. Any other unknown topic of a
staff, window or policy record is refused: a fact the rules do not know might change a figure,
so it must be added here (or handled) deliberately, never skipped by accident."""


def _day(payload: Mapping[str, Any], name: str) -> date:
    return date.fromisoformat(payload[name])


class LedgerState:
    """Everything the rules read, folded from the facts in log order.

    Read it; change it only through `apply` (or `fold`)."""

    def __init__(self) -> None:
        self.staff: dict[str, StaffRecord] = {}
        """By staff number."""
        self.units: dict[str, UnitRecord] = {}
        """By unit code."""
        self.rounds: dict[str, RoundRecord] = {}
        """By period key."""
        self.policy = PolicyBook()
        self.position = 0
        """The position of the last fact applied."""
        self.year_positions: dict[int, int] = {}
        """For each year with figures (see `rules.active_years`), the position of the fact that
        first gave it a registration, an assignment, an entry or a veto case: a year has
        figures as of a position from then on."""
        self._staff_streams: dict[str, StaffRecord] = {}
        self._unit_streams: dict[str, UnitRecord] = {}
        self._round_streams: dict[str, RoundRecord] = {}
        self._versions: dict[str, int] = {}
        self._members_ever: dict[str, dict[str, int]] = {}
        """Unit code -> staff number -> the position of the person's first assignment to it."""
        self._handlers: dict[str, Callable[[Fact], None]] = {
            "ledger.staff.Registered.v1": self._registered,
            "ledger.staff.Assigned.v1": self._assigned,
            "ledger.staff.Released.v1": self._released,
            "ledger.staff.DeductionRecorded.v1": self._staff_deduction,
            "ledger.staff.DeductionAmended.v1": self._staff_amendment,
            "ledger.staff.DeductionRevoked.v1": self._staff_revocation,
            "ledger.staff.VetoCaseRecorded.v1": self._veto,
            "ledger.staff.VetoCaseRevoked.v1": self._veto_revocation,
            "ledger.window.Opened.v1": self._opened,
            "ledger.window.HeadAppointed.v1": self._head,
            "ledger.window.HeadTermEnded.v1": self._head_term_ended,
            "ledger.window.LeaderInChargeAppointed.v1": self._leader_in_charge,
            "ledger.window.DeductionRecorded.v1": self._window_deduction,
            "ledger.window.DeductionAmended.v1": self._window_amendment,
            "ledger.window.DeductionRevoked.v1": self._window_revocation,
            "ledger.policy.PolicyAdopted.v1": self._policy_adopted,
            "ledger.round.Opened.v1": self._round_opened,
            "ledger.round.PeriodDecided.v1": self._period_decided,
            "ledger.round.PeriodDecisionAmended.v1": self._period_decided,
            "ledger.round.LateEntryResolved.v1": self._late_entry_resolved,
        }

    def skip_to(self, position: int) -> None:
        """Note that the log holds nothing more for the state up to a position (only events
        outside `FOLDED_TOPICS`, which a reader left out): the position advances to it."""
        if position < self.position:
            raise FactError(f"position {position} is before the state's position {self.position}")
        self.position = position

    def reads(self, topic: str) -> bool:
        """Whether applying an event of this topic reads its payload: of every other event the
        fold needs only the stream, version and position (so a reader may leave it undecoded)."""
        return topic in self._handlers

    def members_ever(self, unit_code: str) -> frozenset[str]:
        """The staff numbers of everyone ever assigned to the unit (an index: the window rules
        read only these people, not every staff member)."""
        return frozenset(self._members_ever.get(unit_code, ()))

    @property
    def member_positions(self) -> dict[tuple[str, str], int]:
        """Each (unit code, staff number) ever assigned, with the position of the first such
        assignment: the index that lets a window be replayed from its members' streams alone."""
        return {
            (code, number): position
            for code, members in self._members_ever.items()
            for number, position in members.items()
        }

    def first_assigned(self, unit_code: str, staff_number: str) -> int | None:
        """The position of the person's first assignment to the unit, if any."""
        return self._members_ever.get(unit_code, {}).get(staff_number)

    def apply(self, fact: Fact) -> None:
        """Apply the next fact of the log; raise FactError if it does not fit (the state is
        then not to be used further)."""
        stream_id, version, position, topic, _ = fact
        if position <= self.position:
            raise FactError(
                f"fact at position {position} comes after position {self.position}: "
                "facts must be applied in log order"
            )
        handler = self._handlers.get(topic)
        versions = self._versions
        if handler is None:
            if topic in NEUTRAL_TOPICS:
                tracked = True
            elif topic.startswith(_RULED_TOPICS):
                raise FactError(
                    f"unknown event {topic} at {fact.ref}: the rules cannot tell whether it "
                    "changes a figure"
                )
            else:
                tracked = stream_id in versions
        else:
            tracked = True
        # Streams the rules read must arrive whole: a missing version would silently drop a
        # deduction, an amendment or a revocation from every figure.
        if tracked and version != versions.get(stream_id, 0) + 1:
            raise FactError(
                f"event {fact.ref} ({topic}) arrives where version "
                f"{versions.get(stream_id, 0) + 1} of its stream was due"
            )
        if handler is not None:
            try:
                handler(fact)
            except FactError:
                raise
            except (KeyError, TypeError, ValueError) as error:
                raise FactError(f"event {fact.ref} ({topic}) cannot be read: {error!r}") from None
        if tracked:
            versions[stream_id] = version
        self.position = position

    # Staff

    def _staff_of(self, fact: Fact) -> StaffRecord:
        try:
            return self._staff_streams[fact.stream_id]
        except KeyError:
            raise FactError(f"event {fact.ref} belongs to no registered staff member") from None

    def _registered(self, fact: Fact) -> None:
        payload = fact.payload
        record = StaffRecord(
            stream_id=fact.stream_id,
            staff_number=payload["staff_number"],
            category=StaffCategory(payload["category"]),
            home_unit=payload["home_unit"],
            registered_on=_day(payload, "effective_on"),
        )
        self.staff[record.staff_number] = record
        self._staff_streams[fact.stream_id] = record
        self._year_seen(record.registered_on, fact)

    def _year_seen(self, day: date, fact: Fact) -> None:
        self.year_positions.setdefault(day.year, fact.position)

    def _assigned(self, fact: Fact) -> None:
        staff = self._staff_of(fact)
        unit_code = fact.payload["unit_code"]
        staff.memberships.append(
            Membership(unit_code, _day(fact.payload, "effective_on"), fact.ref)
        )
        self._year_seen(staff.memberships[-1].start, fact)
        self._members_ever.setdefault(unit_code, {}).setdefault(staff.staff_number, fact.position)

    def _released(self, fact: Fact) -> None:
        staff = self._staff_of(fact)
        if not staff.memberships or staff.memberships[-1].end is not None:
            raise FactError(f"event {fact.ref} releases {staff.staff_number}, who is unassigned")
        staff.memberships[-1] = replace(
            staff.memberships[-1], end=_day(fact.payload, "effective_on"), released=fact.ref
        )

    def _staff_deduction(self, fact: Fact) -> None:
        staff = self._staff_of(fact)
        entry = staff.deductions[fact.version] = _entry(fact, "staff", staff.staff_number)
        self._year_seen(entry.occurred_on, fact)

    def _staff_amendment(self, fact: Fact) -> None:
        _amend(self._staff_of(fact).deductions, fact)

    def _staff_revocation(self, fact: Fact) -> None:
        _revoke(self._staff_of(fact).deductions, fact, "deduction")

    def _veto(self, fact: Fact) -> None:
        staff = self._staff_of(fact)
        staff.vetoes[fact.version] = VetoEntry(
            ref=fact.ref,
            position=fact.position,
            staff_number=staff.staff_number,
            case=VetoCase(fact.payload["case"]),
            occurred_on=_day(fact.payload, "occurred_on"),
            incident_ref=fact.payload["incident_ref"],
        )
        self._year_seen(staff.vetoes[fact.version].occurred_on, fact)

    def _veto_revocation(self, fact: Fact) -> None:
        _revoke(self._staff_of(fact).vetoes, fact, "veto")

    # Units

    def _unit_of(self, fact: Fact) -> UnitRecord:
        try:
            return self._unit_streams[fact.stream_id]
        except KeyError:
            raise FactError(f"event {fact.ref} belongs to no opened unit") from None

    def _opened(self, fact: Fact) -> None:
        record = UnitRecord(
            stream_id=fact.stream_id,
            code=fact.payload["code"],
            kind=UnitKind(fact.payload["kind"]),
            opened_on=_day(fact.payload, "effective_on"),
        )
        self.units[record.code] = record
        self._unit_streams[fact.stream_id] = record

    @staticmethod
    def _appoint(terms: list[Holding], fact: Fact) -> None:
        start = _day(fact.payload, "effective_on")
        if terms and terms[-1].end is None:
            # The previous holder's term ends the day before the new appointment.
            terms[-1] = replace(terms[-1], end=start)
        terms.append(Holding(fact.payload["person_id"], start, fact.ref))

    def _head(self, fact: Fact) -> None:
        self._appoint(self._unit_of(fact).heads, fact)

    def _head_term_ended(self, fact: Fact) -> None:
        heads = self._unit_of(fact).heads
        heads[-1] = replace(heads[-1], end=_day(fact.payload, "effective_on"))

    def _leader_in_charge(self, fact: Fact) -> None:
        self._appoint(self._unit_of(fact).leaders_in_charge, fact)

    def _window_deduction(self, fact: Fact) -> None:
        unit = self._unit_of(fact)
        entry = unit.deductions[fact.version] = _entry(fact, "window", unit.code)
        self._year_seen(entry.occurred_on, fact)

    def _window_amendment(self, fact: Fact) -> None:
        _amend(self._unit_of(fact).deductions, fact)

    def _window_revocation(self, fact: Fact) -> None:
        _revoke(self._unit_of(fact).deductions, fact, "deduction")

    # Policy and rounds

    def _policy_adopted(self, fact: Fact) -> None:
        adopted = PolicyParameters.from_record(
            fact.payload["version"],
            _day(fact.payload, "effective_from"),
            fact.payload["parameters"],
        )
        self.policy = PolicyBook.of([*self.policy.versions, adopted])

    def _round_of(self, fact: Fact) -> RoundRecord:
        try:
            return self._round_streams[fact.stream_id]
        except KeyError:
            raise FactError(f"event {fact.ref} belongs to no opened round") from None

    def _round_opened(self, fact: Fact) -> None:
        period = Period(PeriodKind(fact.payload["period_kind"]), fact.payload["period_key"])
        record = RoundRecord(fact.stream_id, period)
        self.rounds[period.key] = record
        self._round_streams[fact.stream_id] = record

    def _period_decided(self, fact: Fact) -> None:
        record = self._round_of(fact)
        if record.decision is not None:
            record.superseded.append(record.decision)
        record.decision = Decision(
            ref=fact.ref,
            decided_at_position=fact.payload["decided_at_position"],
            decision_ref=fact.payload["decision_ref"],
            effective_on=_day(fact.payload, "effective_on"),
        )

    def _late_entry_resolved(self, fact: Fact) -> None:
        entry = EventRef(fact.payload["entry_stream"], fact.payload["entry_version"])
        self._round_of(fact).resolutions[entry] = Resolution(
            fact.ref, entry, fact.payload["resolution"]
        )


_parsed_points: dict[str, Decimal] = {}


def _points(value: Any) -> Decimal:
    """`parse_points` of a stored points string, remembered (a log holds a few dozen)."""
    if value.__class__ is not str:
        return parse_points(value)
    points = _parsed_points.get(value)
    if points is None:
        points = parse_points(value)
        if len(_parsed_points) < 1024:
            _parsed_points[value] = points
    return points


def _entry(fact: Fact, on: str, subject: str) -> Entry:
    payload = fact.payload
    return Entry(
        ref=fact.ref,
        position=fact.position,
        on=on,
        subject=subject,
        item_code=payload["item_code"],
        occurred_on=_day(payload, "occurred_on"),
        incident_ref=payload["incident_ref"],
        recorded_points=_points(payload["points_applied"]),
        quantity=payload["quantity"],
    )


def _change(fact: Fact, *, amendment: bool) -> Change:
    payload = fact.payload
    return Change(
        ref=fact.ref,
        position=fact.position,
        effective_on=_day(payload, "effective_on"),
        decision_ref=payload.get("decision_ref"),
        points=_points(payload["points_applied"]) if amendment else None,
        quantity=payload["quantity"] if amendment else None,
        reason=payload.get("reason", ""),
    )


def _live(entries: Mapping[int, Any], number: object, fact: Fact, what: str) -> Any:
    found = entries.get(number) if isinstance(number, int) else None
    if found is None:
        raise FactError(f"event {fact.ref} changes {what} {number!r}, which was never recorded")
    if found.revoked:
        raise FactError(f"event {fact.ref} changes {what} {number}, which is already revoked")
    return found


def _amend(entries: dict[int, Entry], fact: Fact) -> None:
    number = fact.payload["deduction"]
    entry: Entry = _live(entries, number, fact, "deduction")
    entries[number] = replace(entry, amendments=(*entry.amendments, _change(fact, amendment=True)))


def _revoke(entries: dict[int, Any], fact: Fact, what: str) -> None:
    number = fact.payload[what]
    entry = _live(entries, number, fact, what)
    entries[number] = replace(entry, revocation=_change(fact, amendment=False))


def fold(facts: Iterable[Fact], state: LedgerState | None = None) -> LedgerState:
    """Apply facts in log order to a new state (or continue an existing one) and return it."""
    state = state if state is not None else LedgerState()
    for fact in facts:
        state.apply(fact)
    return state
