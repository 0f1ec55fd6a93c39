"""The figures of SPEC 4.2–4.4, each with its trace, and their canonical form.

Every figure names the rule that decided it (`rule`), the threshold applied, the policy version
in force on the last day of its period, the events counted and the events left out with the
reason. Its canonical record (`canonical_record`) holds no log positions or times, only event
ids (stream id and version), so the same events give byte-identical records on every store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, ClassVar, cast

from ledger.policy.facts import EventRef
from ledger.values import Period, format_points


class Reason(StrEnum):
    """Why an event was left out of a figure."""

    REVOKED = "revoked"
    AMENDED = "amended"
    """A value the entry no longer has: the entry counts at the value of the amendment `by`."""
    OTHER_PERIOD = "other_period"
    OTHER_WINDOW = "other_window"
    """The person was a member of another unit on the incident date (D-03)."""
    NOT_A_MEMBER = "not_a_member"
    """The person belonged to no unit on the incident date (D-03)."""


class BonusStatus(StrEnum):
    """What happens to a bonus stream (R-26–R-29, R-32)."""

    FULL = "full"
    HALVED = "halved"
    CANCELLED = "cancelled"
    WITHHELD = "withheld"


class OwedAs(StrEnum):
    """In which post the person who owes a head-liability item owes it (R-30, R-34)."""

    HEAD = "head"
    LEADER_IN_CHARGE = "leader_in_charge"
    """The liable person is the head of their own unit: their leader in charge owes it."""
    VACANT = "vacant"
    """Nobody held the post on the incident date: the leading group sees the item unowed."""


@dataclass(frozen=True)
class Counted:
    """An event a figure counted; `amended_by` names the amendments whose value it counts."""

    ref: EventRef
    what: str
    """"deduction", "window_deduction" or "veto"."""
    subject: str
    occurred_on: date
    points: Decimal | None
    amended_by: tuple[EventRef, ...] = ()


@dataclass(frozen=True)
class LeftOut:
    """An event a figure left out, why, and the event that made it so (`by`), if any."""

    ref: EventRef
    what: str
    subject: str
    occurred_on: date
    points: Decimal | None
    reason: Reason
    detail: str
    by: EventRef | None = None


def _left_out_order(item: LeftOut) -> tuple[Any, ...]:
    return (item.occurred_on, item.ref, item.reason, item.by is not None, item.by or item.ref)


@dataclass(frozen=True)
class Trace:
    """The events a figure was computed from, sorted (incident date, then event id)."""

    counted: tuple[Counted, ...] = ()
    left_out: tuple[LeftOut, ...] = ()

    @classmethod
    def of(cls, counted: Iterable[Counted], left_out: Iterable[LeftOut]) -> Trace:
        """A trace in canonical order, without duplicates."""
        return cls(
            tuple(sorted(set(counted), key=lambda c: (c.occurred_on, c.ref))),
            tuple(sorted(set(left_out), key=_left_out_order)),
        )

    @classmethod
    def distinct(cls, counted: Iterable[Counted], left_out: Iterable[LeftOut]) -> Trace:
        """A trace in canonical order of items known to be distinct (as `of` would give)."""
        return cls(
            tuple(sorted(counted, key=lambda c: (c.occurred_on, c.ref))),
            tuple(sorted(left_out, key=_left_out_order)),
        )


@dataclass(frozen=True, kw_only=True)
class Figure:
    """What every figure holds."""

    kind: ClassVar[str]
    subject: str
    """A staff number or a unit code."""
    period: Period
    rule: str
    """The SPEC rule id that decided the outcome."""
    threshold: Decimal | None
    """The threshold applied (reached at >= N, D-01), if the rule has one."""
    policy_version: str
    """The policy version in force on the last day of the period (SPEC 4.8)."""
    trace: Trace

    @property
    def key(self) -> tuple[str, str, str]:
        """The figure's identity: at most one figure of a kind per subject and period."""
        return (self.kind, self.subject, self.period.key)

    def outcome(self) -> str:
        """The outcome in words."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class DeductionTotal(Figure):
    """A staff member's deductions in a month, quarter, half-year or year (R-20)."""

    kind: ClassVar[str] = "deduction_total"
    total: Decimal

    def outcome(self) -> str:
        return f"{format_points(self.total)} points in {self.period.key}"


@dataclass(frozen=True, kw_only=True)
class Bonus(Figure):
    """A staff member's monthly (R-26, R-27) or half-year (R-28, R-29) bonus."""

    kind: ClassVar[str] = "bonus"
    total: Decimal
    status: BonusStatus

    def outcome(self) -> str:
        return f"bonus {self.status.value} at {format_points(self.total)} points"


@dataclass(frozen=True, kw_only=True)
class CriticismNotice(Figure):
    """A staff member named in the month's public criticism notice (R-31, D-09)."""

    kind: ClassVar[str] = "criticism_notice"
    total: Decimal
    status: BonusStatus

    def outcome(self) -> str:
        return f"named in the criticism notice: monthly bonus {self.status.value}"


@dataclass(frozen=True, kw_only=True)
class HeadLiability(Figure):
    """One head-liability item per staff member, period and bonus stream (R-30, R-34, D-08):
    the leading group decides the reduction of the debtor's own bonus."""

    kind: ClassVar[str] = "head_liability"
    stream: str
    """The bonus stream: "month", "half_year" or "year" (the annual bonus, R-32)."""
    status: BonusStatus
    crossing: EventRef
    """The deduction at which the running total reached the halving threshold, or the veto."""
    crossing_on: date
    unit_code: str | None
    owed_by: str | None
    owed_as: OwedAs

    def outcome(self) -> str:
        debtor = self.owed_by or "nobody (post vacant)"
        return (
            f"{self.stream} bonus {self.status.value}: owed by {debtor} as "
            f"{self.owed_as.value} of {self.unit_code or 'no unit'} on {self.crossing_on}"
        )


@dataclass(frozen=True, kw_only=True)
class ExcellentIndividual(Figure):
    """Eligibility for quarterly excellent individual (R-21; R-35 and D-14 for vetoes)."""

    kind: ClassVar[str] = "excellent_individual"
    eligible: bool
    total: Decimal
    barred_by: tuple[str, ...]
    """Every rule that bars it, in order: points first, then the veto."""

    def outcome(self) -> str:
        if self.eligible:
            return f"eligible at {format_points(self.total)} points"
        return f"not eligible, barred by {' and '.join(self.barred_by)}"


@dataclass(frozen=True, kw_only=True)
class ExcellentGrade(ExcellentIndividual):
    """Eligibility for the annual excellent grade (R-22; R-35 for vetoes)."""

    kind: ClassVar[str] = "excellent_grade"


@dataclass(frozen=True, kw_only=True)
class AnnualBonus(Figure):
    """The annual assessment bonus and the veto notice of the year of the incident (R-32,
    D-13)."""

    kind: ClassVar[str] = "annual_bonus"
    status: BonusStatus
    notice: bool

    def outcome(self) -> str:
        notice = ", notice circulated" if self.notice else ""
        return f"annual bonus {self.status.value}{notice}"


@dataclass(frozen=True, kw_only=True)
class HomeUnitRecommendation(Figure):
    """The recommendation to the home unit to withhold assessment-linked pay (R-33, D-13)."""

    kind: ClassVar[str] = "home_unit_recommendation"
    home_unit: str

    def outcome(self) -> str:
        return f"recommend to {self.home_unit} to withhold the assessment-linked pay"


@dataclass(frozen=True)
class Member:
    """A staff member counted in a window's headcount, with the assignment that counts."""

    staff_number: str
    assigned: EventRef
    since: date


@dataclass(frozen=True, kw_only=True)
class ExcellentWindow(Figure):
    """A window's quarter: headcount (D-04), total (D-03) and eligibility for quarterly
    excellent window (R-23, or R-24 and D-05 for a one-person window)."""

    kind: ClassVar[str] = "excellent_window"
    headcount: int
    members: tuple[Member, ...]
    total: Decimal
    eligible: bool

    def outcome(self) -> str:
        verdict = "eligible" if self.eligible else "not eligible"
        return f"{verdict}: {format_points(self.total)} points, headcount {self.headcount}"


@dataclass(frozen=True, kw_only=True)
class AnnualExcellentWindow(Figure):
    """A window's eligibility for the year's excellent-window selection (R-25)."""

    kind: ClassVar[str] = "annual_excellent_window"
    eligible: bool
    disqualified_in: tuple[str, ...]
    """The quarters in which R-23/R-24 disqualified it."""

    def outcome(self) -> str:
        if self.eligible:
            return "may take part"
        return f"may not take part: disqualified in {', '.join(self.disqualified_in)}"


# Canonical form


def _plain(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Decimal):
        return format_points(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Period):
        return value.key
    if isinstance(value, EventRef):
        return {"stream_id": value.stream_id, "version": value.version}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    raise TypeError(f"a figure cannot hold a {type(value).__name__}")


def canonical_record(figure: Figure) -> dict[str, Any]:
    """The figure as plain data: points as one-decimal strings, dates ISO, periods by key,
    events as {stream_id, version}; no positions, no times."""
    record = _plain(figure)
    assert isinstance(record, dict)
    return {"kind": figure.kind, **record}


def canonical_bytes(figure: Figure) -> bytes:
    """The canonical record as compact JSON with sorted member names (RFC 8785 order: every
    name is ASCII), UTF-8: exactly `json.dumps(canonical_record(figure), sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)`, written directly (a rebuild writes millions)."""
    return _encoder(type(figure), figure=True)(figure).encode("utf-8")


def event_id(ref: EventRef) -> str:
    """An event's id as one string: "stream id/version"."""
    return f"{ref.stream_id}/{ref.version}"


def trace_ids(trace: Trace) -> dict[str, Any]:
    """A trace by event ids alone: the events counted, the amendments whose values they count
    at, and the events left out with the reason and the event that made it so (`by`)."""
    return {
        "counted": [event_id(item.ref) for item in trace.counted],
        "amendments": [event_id(ref) for item in trace.counted for ref in item.amended_by],
        "left_out": [
            {
                "event": event_id(item.ref),
                "reason": item.reason.value,
                "by": event_id(item.by) if item.by is not None else None,
            }
            for item in trace.left_out
        ],
    }


def compact_record(figure: Figure) -> dict[str, Any]:
    """The canonical record with its trace by event ids (`trace_ids`): what the figures view
    stores for every figure; the whole trace is the explanation's (`explain`)."""
    return {**canonical_record(figure), "trace": trace_ids(figure.trace)}


def compact_bytes(figure: Figure) -> bytes:
    """`compact_record` written as `canonical_bytes` writes the canonical record."""
    return compact_text(figure).encode("utf-8")


def compact_text(figure: Figure) -> str:
    """`compact_bytes` as text (for writers that join many records before encoding them)."""
    encode = _compact_encoders.get(figure.__class__)
    if encode is None:
        encode = _compact_encoders[figure.__class__] = _encoder(
            type(figure), figure=True, compact=True
        )
    return encode(figure)


_compact_encoders: dict[type, Callable[[Any], str]] = {}
"""`_encoder(kind, figure=True, compact=True)` by kind, looked up without a key tuple."""


# The direct encoder behind canonical_bytes. Member names are sorted once per class; values are
# written as `_plain` would make them and `json.dumps` would write them.

_string: Callable[[str], str] = getattr(json.encoder, "encode_basestring")  # noqa: B009
"""The standard library's (C) JSON string writer, as json.dumps uses it with ensure_ascii off."""

_points_text: dict[Decimal, str] = {}
_item_texts: dict[int, tuple[object, str]] = {}
"""Texts of traces and their items by identity (the object is held, so its id is not reused;
all of them are frozen)."""
_MEMO_KINDS = frozenset({Trace, Counted, LeftOut, Member})


def _points(value: Decimal) -> str:
    text = _points_text.get(value)
    if text is None:
        text = _string(format_points(value))
        if len(_points_text) < 4096:
            _points_text[value] = text
    return text


def _value(value: Any) -> str:
    kind = type(value)
    if kind in _MEMO_KINDS:
        # The same item appears in several figures (its month, quarter, half-year, year), the
        # same trace in several figures of one period (total, bonus, notice, liability).
        found = _item_texts.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        text = _record(value)
        if len(_item_texts) >= 65536:
            _item_texts.clear()
        _item_texts[id(value)] = (value, text)
        return text
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is Decimal:
        return _points(value)
    if kind is date:
        return '"' + str(value.isoformat()) + '"'
    if kind is EventRef:
        return (
            '{"stream_id":'
            + _string(value.stream_id)
            + ',"version":'
            + int.__repr__(value.version)
            + "}"
        )
    if kind is Period:
        return _string(value.key)
    if kind is tuple or kind is list:
        return "[" + ",".join([_value(item) for item in value]) + "]"
    if isinstance(value, Enum):
        return _value(value.value)
    if isinstance(value, str):
        return _string(value)
    if is_dataclass(value) and not isinstance(value, type):
        return _record(value)
    raise TypeError(f"a figure cannot hold a {kind.__name__}")


_GUARDED = {
    # A field's annotation -> how to write a value of exactly that type (anything else goes to
    # `_value`, so the result never depends on the annotation being right).
    "str": "(_string({v}) if {v}.__class__ is str else _value({v}))",
    "Decimal": "(_points({v}) if {v}.__class__ is Decimal else _value({v}))",
    "Period": "(_string({v}.key) if {v}.__class__ is Period else _value({v}))",
    "date": "(('\"' + {v}.isoformat() + '\"') if {v}.__class__ is date else _value({v}))",
    "int": "(int.__repr__({v}) if {v}.__class__ is int else _value({v}))",
    "bool": "('true' if {v} is True else 'false' if {v} is False else _value({v}))",
    "Decimal | None": (
        "('null' if {v} is None else _points({v}) if {v}.__class__ is Decimal else _value({v}))"
    ),
    "str | None": (
        "('null' if {v} is None else _string({v}) if {v}.__class__ is str else _value({v}))"
    ),
    "tuple[str, ...]": "('[]' if {v} == () else _value({v}))",
    "BonusStatus": "(_string({v}.value) if {v}.__class__ is BonusStatus else _value({v}))",
}
_encoders: dict[tuple[type, bool, bool], Callable[[Any], str]] = {}
_trace_id_texts: dict[int, tuple[Trace, str]] = {}
"""Texts of traces by event ids, by the trace's identity (as `_item_texts`)."""


_NO_TRACE_IDS = '{"amendments":[],"counted":[],"left_out":[]}'


def _trace_ids(trace: Trace) -> str:
    """`trace_ids` as JSON text (sorted member names), memoized: the figures of one period
    share their trace."""
    if not trace.counted and not trace.left_out:
        return _NO_TRACE_IDS  # half the figures of a year count nothing and leave nothing out
    found = _trace_id_texts.get(id(trace))
    if found is not None and found[0] is trace:
        return found[1]
    counted = ",".join([_event_id(item.ref) for item in trace.counted])
    amendments = ",".join([_event_id(ref) for item in trace.counted for ref in item.amended_by])
    left_out = ",".join(
        [
            '{"by":'
            + ("null" if item.by is None else _event_id(item.by))
            + ',"event":'
            + _event_id(item.ref)
            + ',"reason":'
            + _string(item.reason.value)
            + "}"
            for item in trace.left_out
        ]
    )
    text = f'{{"amendments":[{amendments}],"counted":[{counted}],"left_out":[{left_out}]}}'
    if len(_trace_id_texts) >= 65536:
        _trace_id_texts.clear()
    _trace_id_texts[id(trace)] = (trace, text)
    return text


def _event_id(ref: EventRef) -> str:
    return _string(f"{ref.stream_id}/{ref.version}")


def _encoder(kind: type, *, figure: bool = False, compact: bool = False) -> Callable[[Any], str]:
    """The writer of a dataclass as a JSON object with sorted member names (a figure's record
    also holds its class attribute "kind"; a compact one writes its trace by event ids),
    generated once per class: one join of the members' texts (with the constant text between
    them), each written by its type without a dispatch where the value is of the annotated
    type. A join of one tuple makes one string; a chain of `+` would make one per member."""
    found = _encoders.get((kind, figure, compact))
    if found is not None:
        return found
    annotations = {f.name: str(f.type) for f in fields(kind)}
    names = sorted([*annotations, "kind"] if figure else annotations)
    # (constant, text): constant text, or an expression that writes a member.
    pieces: list[tuple[bool, str]] = []
    for number, name in enumerate(names):
        pieces.append((True, ("{" if number == 0 else ",") + _string(name) + ":"))
        if figure and name == "kind":
            pieces.append((True, _string(kind.kind)))  # type: ignore[attr-defined]
        elif compact and name == "trace":
            pieces.append((False, "_trace_ids(o.trace)"))
        else:
            written = _GUARDED.get(annotations[name], "_value({v})").format(v=f"o.{name}")
            pieces.append((False, written))
    pieces.append((True, "}"))
    joined: list[str] = []
    constant = ""
    for is_constant, text in pieces:
        if is_constant:
            constant += text
            continue
        if constant:
            joined.append(repr(constant))
            constant = ""
        joined.append(text)
    joined.append(repr(constant))
    source = "def encode(o):\n    return ''.join((" + ", ".join(joined) + "))\n"
    namespace: dict[str, Any] = {
        "_string": _string,
        "_value": _value,
        "_points": _points,
        "_trace_ids": _trace_ids,
        "Decimal": Decimal,
        "BonusStatus": BonusStatus,
        "Period": Period,
        "date": date,
    }
    exec(source, namespace)  # generated from the dataclass's own field names
    found = cast(Callable[[Any], str], namespace["encode"])
    _encoders[(kind, figure, compact)] = found
    return found


def _record(value: object) -> str:
    return _encoder(type(value))(value)


def checksum(figures: Iterable[Figure]) -> str:
    """SHA-256 over the figures' canonical bytes, in key order, one per line: equal on every
    store that holds the same events."""
    digest = hashlib.sha256()
    for figure in sorted(figures, key=lambda f: f.key):
        digest.update(canonical_bytes(figure))
        digest.update(b"\n")
    return digest.hexdigest()


def explain(figure: Figure, also_left_out: Iterable[LeftOut] = ()) -> dict[str, Any]:
    """For the API and the verifier: the figure's canonical record plus a sentence saying what
    was decided under which rule, and the counts of the events counted and left out by reason.

    `also_left_out` adds what the stored trace leaves unsaid (`rules.other_period`: the
    subject's entries of the same year in another period) to the explanation's trace."""
    also = tuple(also_left_out)
    if also:
        trace = Trace.of(figure.trace.counted, (*figure.trace.left_out, *also))
        figure = dataclasses.replace(figure, trace=trace)
    reasons: dict[str, int] = {}
    for item in figure.trace.left_out:
        reasons[item.reason.value] = reasons.get(item.reason.value, 0) + 1
    threshold = (
        f", threshold {format_points(figure.threshold)}" if figure.threshold is not None else ""
    )
    left = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
    because = (
        f"{figure.subject}, {figure.period.key}: {figure.outcome()} "
        f"({figure.rule}{threshold}, policy {figure.policy_version}); "
        f"{len(figure.trace.counted)} events counted" + (f", left out: {left}" if left else "")
    )
    return {**canonical_record(figure), "because": because}
