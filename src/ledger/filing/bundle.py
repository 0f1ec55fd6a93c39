"""The filing bundle (docs/filing-format.md section 2): typed members, a strict parser that names
the member at fault, the RFC 8785 writer, and the pure builder the exporter calls.

Also the few definitions the exporter and the verifier must share so that they agree: which
streams a scope reads (`scope_streams`), the facts of the filed events (`facts_of`), the scope's
figures (`scope_figures`, `period_figures`) and the decisions a filing names
(`decision_entries`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast
from uuid import UUID, uuid5

import rfc8785

from ledger.integrity.leaf import SALT_SIZE, leaf_bytes, payload_commitment
from ledger.integrity.merkle import MerkleTree, SubtreeHashes, consistency_proof, inclusion_proof
from ledger.integrity.merkle import leaf_hash as rfc6962_leaf_hash
from ledger.integrity.note import Checkpoint, NoteError, parse_note, parse_verifier_key
from ledger.integrity.stream_heads import HeadProof, StreamHeadsLeaf, StreamHeadsTree
from ledger.policy import (
    Fact,
    FactError,
    Figure,
    LedgerState,
    all_figures,
    canonical_record,
    checksum,
    fold,
    staff_figures,
)
from ledger.values import Period, PeriodKind

__all__ = [
    "ANNUAL_EXCELLENT_WINDOWS",
    "APPEAL_DECISION",
    "BONUS_SHEET_APPROVAL",
    "CHECKED_DECISION_KINDS",
    "DECISION_TOPICS",
    "EXCELLENT_LIST_APPROVAL",
    "FILING_FORMAT",
    "HEAD_LIABILITY_DECISION",
    "KNOWN_DECISION_KINDS",
    "LATE_ENTRY_RESOLUTION",
    "LATE_ENTRY_RESOLVED_TOPIC",
    "LEDGER_NAMESPACE",
    "OBJECTION_DECISION",
    "PERIOD_DECIDED_TOPIC",
    "PERIOD_DECISION",
    "PERIOD_DECISION_AMENDED_TOPIC",
    "PRELIMINARY_GRADES",
    "PUBLICITY_OBJECTION_RESOLUTION",
    "QUARTER_EXAMINATION",
    "QUARTER_RESULTS",
    "REVIEW_DECISION",
    "YEAR_RESULTS",
    "AbsentStream",
    "Bundle",
    "ConsistencyEntry",
    "DecisionContext",
    "DecisionEntry",
    "EventEntry",
    "EventRow",
    "FilingBuildError",
    "FilingFormatError",
    "Scope",
    "StreamEntry",
    "StreamHeadsEntry",
    "build_bundle",
    "decision_entries",
    "decision_entry",
    "facts_of",
    "parse",
    "period_figures",
    "policy_version_of",
    "record_of_topic",
    "scope_figures",
    "scope_streams",
    "stream_id_of",
]

FILING_FORMAT = "assessment-ledger/filing/v1"
"""The bundle's `format` member: the encoding's name and version."""

LEDGER_NAMESPACE = UUID("6f1c7a52-2b5e-4c35-9a8e-0b7d5d1e2c40")
"""The namespace of the ledger's stream ids (`ledger.aggregates.base`; a test checks they are
equal): the verifier derives the ids of the streams a scope reads without the server's code."""

PERIOD_DECIDED_TOPIC = "ledger.round.PeriodDecided.v1"
PERIOD_DECISION_AMENDED_TOPIC = "ledger.round.PeriodDecisionAmended.v1"
_ROUND_DECISION_TOPICS = frozenset({PERIOD_DECIDED_TOPIC, PERIOD_DECISION_AMENDED_TOPIC})
LATE_ENTRY_RESOLVED_TOPIC = "ledger.round.LateEntryResolved.v1"
PERIOD_DECISION = "period-decision"
LATE_ENTRY_RESOLUTION = "late-entry-resolution"
BONUS_SHEET_APPROVAL = "bonus-sheet-approval"
HEAD_LIABILITY_DECISION = "head-liability-decision"
QUARTER_EXAMINATION = "quarter-examination"
QUARTER_RESULTS = "quarter-results"
PRELIMINARY_GRADES = "preliminary-grades"
ANNUAL_EXCELLENT_WINDOWS = "annual-excellent-windows"
EXCELLENT_LIST_APPROVAL = "excellent-list-approval"
YEAR_RESULTS = "year-results"
PUBLICITY_OBJECTION_RESOLUTION = "publicity-objection-resolution"
OBJECTION_DECISION = "objection-decision"
REVIEW_DECISION = "review-decision"
APPEAL_DECISION = "appeal-decision"

DECISION_TOPICS = {
    PERIOD_DECIDED_TOPIC: PERIOD_DECISION,
    PERIOD_DECISION_AMENDED_TOPIC: PERIOD_DECISION,
    LATE_ENTRY_RESOLVED_TOPIC: LATE_ENTRY_RESOLUTION,
    "ledger.bonus_sheet.Approved.v1": BONUS_SHEET_APPROVAL,
    "ledger.bonus_sheet.HeadLiabilityDecided.v1": HEAD_LIABILITY_DECISION,
    "ledger.quarterly.RecommendationsExamined.v1": QUARTER_EXAMINATION,
    "ledger.quarterly.ResultsPublished.v1": QUARTER_RESULTS,
    "ledger.quarterly.ResultsAmended.v1": QUARTER_RESULTS,
    "ledger.annual.PreliminaryGradesFixed.v1": PRELIMINARY_GRADES,
    "ledger.annual.ExcellentWindowsDecided.v1": ANNUAL_EXCELLENT_WINDOWS,
    "ledger.annual.ExcellentListApproved.v1": EXCELLENT_LIST_APPROVAL,
    "ledger.annual.ResultsDecided.v1": YEAR_RESULTS,
    "ledger.annual.ResultsAmended.v1": YEAR_RESULTS,
    "ledger.annual.PublicityObjectionResolved.v1": PUBLICITY_OBJECTION_RESOLUTION,
    "ledger.staff.ObjectionDecided.v1": OBJECTION_DECISION,
    "ledger.challenge.ReviewDecided.v1": REVIEW_DECISION,
    "ledger.challenge.AppealDecided.v1": APPEAL_DECISION,
}
"""The decision events this version knows, by topic, with the kind a filing names them by."""
KNOWN_DECISION_KINDS = frozenset(DECISION_TOPICS.values())

CHECKED_DECISION_KINDS = frozenset(
    {
        BONUS_SHEET_APPROVAL,
        QUARTER_EXAMINATION,
        QUARTER_RESULTS,
        PRELIMINARY_GRADES,
        ANNUAL_EXCELLENT_WINDOWS,
        EXCELLENT_LIST_APPROVAL,
        YEAR_RESULTS,
    }
)
"""The kinds (besides the period decision) checked against the figures recomputed as of their
`decided_at_position`; every other known kind is discretionary: recorded, not recomputable."""

_DECIDED_MEMBERS: dict[str, tuple[str, ...]] = {
    LATE_ENTRY_RESOLUTION: (
        "entry_stream",
        "entry_version",
        "entry_position",
        "resolution",
        "reason",
        "effective_on",
    ),
    BONUS_SHEET_APPROVAL: ("decision_ref", "effective_on", "prepared"),
    HEAD_LIABILITY_DECISION: (
        "staff_number",
        "stream",
        "owed_by",
        "reduction",
        "amount",
        "reason",
        "decision_ref",
        "effective_on",
    ),
    QUARTER_EXAMINATION: ("individuals", "windows", "effective_on"),
    QUARTER_RESULTS: ("individuals", "windows", "decision_ref", "effective_on"),
    PRELIMINARY_GRADES: (
        "grades",
        "differing_from_proposals",
        "quota",
        "quota_warnings",
        "policy_version",
        "effective_on",
    ),
    ANNUAL_EXCELLENT_WINDOWS: ("windows", "recommended", "effective_on"),
    EXCELLENT_LIST_APPROVAL: ("excellent_staff", "excellent_windows", "effective_on"),
    YEAR_RESULTS: (
        "grades",
        "excellent_windows",
        "quota",
        "decision_ref",
        "policy_version",
        "effective_on",
    ),
    PUBLICITY_OBJECTION_RESOLUTION: (
        "number",
        "subject",
        "outcome",
        "reason",
        "grade_changed_to",
        "window_title_withdrawn",
        "effective_on",
    ),
    OBJECTION_DECISION: ("objection", "entry", "outcome", "reason", "decision_ref", "effective_on"),
    REVIEW_DECISION: (
        "outcome",
        "grade",
        "decision_ref",
        "reason",
        "due_on",
        "late",
        "effective_on",
    ),
    APPEAL_DECISION: (
        "outcome",
        "grade",
        "decision_ref",
        "reason",
        "due_on",
        "late",
        "effective_on",
    ),
}
"""What a decision entry's `decided` copies from its event's payload (a bonus sheet's approval
adds the sheet it approved: the preparation's lines, notice and head-liability items)."""

_PREPARED_TOPICS = ("ledger.bonus_sheet.Prepared.v1", "ledger.bonus_sheet.Reprepared.v1")
_PERIOD_OF_STREAM = {
    "ledger.round.Opened.v1": "period_key",
    "ledger.bonus_sheet.Prepared.v1": "period_key",
    "ledger.quarterly.Started.v1": "period_key",
    "ledger.annual.Begun.v1": "year",
    "ledger.challenge.Opened.v1": "year",
}
"""The first event of a procedure's stream and the payload member naming its period."""

_HEX32 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_MAX_SAFE = 2**53 - 1


class FilingFormatError(ValueError):
    """The bundle is not a well-formed filing; `member` names the member at fault."""

    def __init__(self, member: str, message: str) -> None:
        super().__init__(f"{member}: {message}")
        self.member = member
        self.reason = message


class FilingBuildError(ValueError):
    """The builder refused to make a bundle that would not verify; the message says why."""


# --- the scope and the streams it reads --------------------------------------------------------


def stream_id_of(kind: str, natural_key: str) -> UUID:
    """A record's stream id from its kind and natural key, as the ledger derives it."""
    return uuid5(LEDGER_NAMESPACE, f"{kind}/{natural_key}")


def record_of_topic(topic: str) -> str:
    """The record kind an event's topic names: `ledger.staff.Registered.v1` -> `staff`."""
    parts = topic.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "ledger" else "unknown"


def _periods_of_year(year: int) -> list[Period]:
    keys = [f"{year:04d}-{month:02d}" for month in range(1, 13)]
    keys += [f"{year:04d}-Q{quarter}" for quarter in range(1, 5)]
    keys += [f"{year:04d}-H{half}" for half in (1, 2)]
    keys.append(f"{year:04d}")
    return [Period.parse(key) for key in keys]


@dataclass(frozen=True)
class Scope:
    """What a filing covers: one staff member's year or the whole center's year."""

    kind: str
    """"staff" or "center"."""
    year: int
    staff_number: str | None = None

    @classmethod
    def staff(cls, staff_number: str, year: int) -> Scope:
        """A staff member's year."""
        return cls("staff", year, staff_number)

    @classmethod
    def center(cls, year: int) -> Scope:
        """The whole center's year."""
        return cls("center", year)

    def describe(self) -> str:
        """The scope in words."""
        if self.kind == "staff":
            return f"staff member {self.staff_number}, year {self.year}"
        return f"the whole center, year {self.year}"

    def as_object(self) -> dict[str, object]:
        """The scope as the bundle holds it."""
        if self.kind == "staff":
            return {"kind": "staff", "staff_number": self.staff_number, "year": self.year}
        return {"kind": "center", "year": self.year}


def scope_streams(scope: Scope, unit_codes: Iterable[str] = ()) -> dict[UUID, str]:
    """The streams a staff member's figures and decisions read, with their record kind: the
    staff stream, the units the person was assigned to (`unit_codes`, their heads owe the head
    liability), the policy book, the rounds of every period of the year, the bonus sheets of its
    months and half-years, its quarterly evaluations, its annual assessment and the person's
    challenge of the year's grade. A staff filing lists each of them or proves it absent. The
    center's scope reads every stream: empty here."""
    if scope.kind != "staff" or scope.staff_number is None:
        return {}
    streams = {
        stream_id_of("staff", scope.staff_number): "staff",
        stream_id_of("policy", "measures"): "policy",
    }
    for code in unit_codes:
        streams[stream_id_of("window", code)] = "window"
    for period in _periods_of_year(scope.year):
        streams[stream_id_of("round", period.key)] = "round"
        if period.kind in (PeriodKind.MONTH, PeriodKind.HALF_YEAR):
            streams[stream_id_of("bonus_sheet", period.key)] = "bonus_sheet"
        elif period.kind is PeriodKind.QUARTER:
            streams[stream_id_of("quarterly", period.key)] = "quarterly"
    streams[stream_id_of("annual", str(scope.year))] = "annual"
    streams[stream_id_of("challenge", f"{scope.staff_number}/{scope.year}")] = "challenge"
    return streams


def facts_of(events: Iterable[EventEntry | EventRow]) -> list[Fact]:
    """The facts of the events, in the order given (log order). An erased payload becomes an
    empty object: it keeps its event's place in its stream, and a rule that reads it fails."""
    facts = []
    for event in events:
        payload = event.payload_object()
        facts.append(
            Fact(
                str(event.stream_id),
                event.stream_version,
                event.position,
                event.topic,
                {} if payload is None else payload,
            )
        )
    return facts


def scope_figures(state: LedgerState, scope: Scope) -> tuple[Figure, ...]:
    """Every figure of the scope and year, in key order: `staff_figures` for a staff member
    (none if the person is not registered in the facts), `all_figures` for the center."""
    if scope.kind == "staff":
        if scope.staff_number is None or scope.staff_number not in state.staff:
            return ()
        return staff_figures(state, scope.staff_number, scope.year)
    return all_figures(state, scope.year)


def period_figures(state: LedgerState, scope: Scope, period_key: str) -> tuple[Figure, ...]:
    """The scope's figures of one period (of any year), in key order."""
    year_scope = Scope(scope.kind, int(period_key[:4]), scope.staff_number)
    return tuple(f for f in scope_figures(state, year_scope) if f.period.key == period_key)


def policy_version_of(state: LedgerState, year: int) -> str:
    """The policy version in force at the end of the year."""
    return state.policy.in_force(date(year, 12, 31)).version


# --- the members -------------------------------------------------------------------------------


def _proof_hex(proof: Iterable[bytes]) -> list[str]:
    return [step.hex() for step in proof]


def _canonical_payload(payload: bytes) -> Mapping[str, Any]:
    """The payload as a JSON object, refusing bytes that are not its own RFC 8785 form (the
    commitment covers the stored bytes; the verifier can only rebuild them from canonical JSON)."""
    try:
        decoded = json.loads(payload)
    except ValueError as error:
        raise FilingBuildError(f"a payload is not JSON: {error}") from None
    if not isinstance(decoded, dict):
        raise FilingBuildError("a payload is not a JSON object")
    if rfc8785.dumps(decoded) != payload:
        raise FilingBuildError("a payload is not in its RFC 8785 canonical form")
    return decoded


@dataclass(frozen=True)
class EventRow:
    """One stored event as the exporter reads it from the store (the builder's input)."""

    leaf_index: int
    position: int
    stream_id: UUID
    stream_version: int
    topic: str
    recorded_at: str
    """As the leaf holds it: UTC, microseconds, `Z`."""
    prev_stream_leaf_hash: bytes | None
    salt: bytes | None
    payload: bytes | None
    """The canonical payload bytes; None when erased (then `payload_commitment` is needed)."""
    payload_commitment: bytes | None = None

    def payload_object(self) -> Mapping[str, Any] | None:
        """The payload as a JSON object (None when erased)."""
        return None if self.payload is None else _canonical_payload(self.payload)


@dataclass(frozen=True)
class EventEntry:
    """One event of the filing: its envelope, salt, payload and inclusion proof."""

    leaf_index: int
    position: int
    stream_id: UUID
    stream_version: int
    topic: str
    recorded_at: str
    prev_stream_leaf_hash: bytes | None
    salt: bytes | None
    payload: Mapping[str, Any] | None
    """None: the payload was erased (SPEC 7.1); `payload_commitment` then stands in for it."""
    payload_commitment: bytes | None
    inclusion_proof: tuple[bytes, ...]

    @property
    def erased(self) -> bool:
        """Whether the payload was erased."""
        return self.payload is None

    def payload_object(self) -> Mapping[str, Any] | None:
        """The payload as a JSON object (None when erased)."""
        return self.payload

    def commitment(self) -> bytes:
        """The payload commitment: recomputed from the salt and the payload's RFC 8785 bytes,
        or the one given for an erased payload."""
        if self.payload is None:
            assert self.payload_commitment is not None  # the parser requires it
            return self.payload_commitment
        assert self.salt is not None  # the parser requires it
        return payload_commitment(self.salt, rfc8785.dumps(cast(Any, self.payload)))

    def leaf_hash(self) -> bytes:
        """The event's RFC 6962 leaf hash, rebuilt from the envelope and the commitment."""
        return rfc6962_leaf_hash(
            leaf_bytes(
                self.position,
                self.stream_id,
                self.stream_version,
                self.topic,
                self.recorded_at,
                self.prev_stream_leaf_hash,
                self.commitment(),
            )
        )

    def as_object(self) -> dict[str, object]:
        """The event as the bundle holds it."""
        previous = self.prev_stream_leaf_hash
        data: dict[str, object] = {
            "inclusion_proof": _proof_hex(self.inclusion_proof),
            "leaf_index": self.leaf_index,
            "payload": None if self.payload is None else dict(self.payload),
            "position": self.position,
            "prev_stream_leaf_hash": None if previous is None else previous.hex(),
            "recorded_at": self.recorded_at,
            "salt": None if self.salt is None else self.salt.hex(),
            "stream_id": str(self.stream_id),
            "stream_version": self.stream_version,
            "topic": self.topic,
        }
        if self.payload is None:
            assert self.payload_commitment is not None
            data["payload_commitment"] = self.payload_commitment.hex()
        return data


@dataclass(frozen=True)
class ConsistencyEntry:
    """An earlier published checkpoint and the consistency proof from it to the filing's."""

    checkpoint: str
    proof: tuple[bytes, ...]

    def as_object(self) -> dict[str, object]:
        """The entry as the bundle holds it."""
        return {"checkpoint": self.checkpoint, "proof": _proof_hex(self.proof)}


@dataclass(frozen=True)
class StreamHeadsEntry:
    """The stream-heads leaf at index N - 1 and its inclusion proof."""

    leaf_index: int
    leaf: StreamHeadsLeaf
    inclusion_proof: tuple[bytes, ...]

    def as_object(self) -> dict[str, object]:
        """The entry as the bundle holds it."""
        return {
            "inclusion_proof": _proof_hex(self.inclusion_proof),
            "leaf": self.leaf.as_object(),
            "leaf_index": self.leaf_index,
        }


@dataclass(frozen=True)
class StreamEntry:
    """A stream whose every event up to the checkpoint is in the filing, with its head."""

    record: str
    head: HeadProof

    @property
    def stream_id(self) -> UUID:
        """The stream's id."""
        return self.head.head.stream_id

    def as_object(self) -> dict[str, object]:
        """The entry as the bundle holds it."""
        return {"record": self.record, **self.head.as_object()}


@dataclass(frozen=True)
class AbsentStream:
    """A stream proven to have no event before the checkpoint: its neighbours in the tree."""

    stream_id: UUID
    record: str
    below: HeadProof | None
    above: HeadProof | None

    def as_object(self) -> dict[str, object]:
        """The entry as the bundle holds it."""
        return {
            "above": None if self.above is None else self.above.as_object(),
            "below": None if self.below is None else self.below.as_object(),
            "record": self.record,
            "stream_id": str(self.stream_id),
        }


@dataclass(frozen=True)
class DecisionEntry:
    """A decision event of the filing. A period decision also names its period, the position
    whose figures it was taken on, and the checksum of the scope's figures of that period as of
    that position (`ledger.policy.checksum`), which the verifier recomputes. Every other known
    kind names its period (but an objection decision) and `decided`, what the event decided as
    its payload says; those checked against the figures (`CHECKED_DECISION_KINDS`) also the
    position they are checked as of. A kind this version does not know keeps its other members
    in `extra`, as filed."""

    stream_id: UUID
    version: int
    topic: str
    kind: str
    period: str | None = None
    decided_at_position: int | None = None
    figures_checksum: str | None = None
    decided: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] | None = None

    def as_object(self) -> dict[str, object]:
        """The entry as the bundle holds it."""
        data: dict[str, object] = dict(self.extra or {})
        data.update(
            {
                "kind": self.kind,
                "stream_id": str(self.stream_id),
                "topic": self.topic,
                "version": self.version,
            }
        )
        members = _KIND_MEMBERS.get(self.kind, frozenset())
        if "period" in members:
            data["period"] = self.period
        if "decided_at_position" in members:
            data["decided_at_position"] = self.decided_at_position
        if "figures_checksum" in members:
            data["figures_checksum"] = self.figures_checksum
        if "decided" in members:
            data["decided"] = None if self.decided is None else dict(self.decided)
        return data


_KIND_MEMBERS: dict[str, frozenset[str]] = {
    PERIOD_DECISION: frozenset({"period", "decided_at_position", "figures_checksum"}),
    OBJECTION_DECISION: frozenset({"decided"}),
    **{
        kind: frozenset({"period", "decided_at_position", "decided"})
        for kind in CHECKED_DECISION_KINDS
    },
    **{
        kind: frozenset({"period", "decided"})
        for kind in (
            LATE_ENTRY_RESOLUTION,
            HEAD_LIABILITY_DECISION,
            PUBLICITY_OBJECTION_RESOLUTION,
            REVIEW_DECISION,
            APPEAL_DECISION,
        )
    },
}
"""The members of a decision entry beyond stream_id, version, topic and kind, by kind."""


@dataclass(frozen=True)
class Bundle:
    """A filing: everything `ledger-verify` needs, offline."""

    scope: Scope
    exported_at: str
    checkpoint: str
    log_verifier_keys: tuple[str, ...]
    witness_verifier_keys: tuple[str, ...]
    consistency: tuple[ConsistencyEntry, ...]
    stream_heads: StreamHeadsEntry
    streams: tuple[StreamEntry, ...]
    absent_streams: tuple[AbsentStream, ...]
    events: tuple[EventEntry, ...]
    policy_version: str
    figures: tuple[Mapping[str, Any], ...]
    """Canonical figure records (`ledger.policy.figures.canonical_record`), in key order."""
    figures_checksum: str
    decisions: tuple[DecisionEntry, ...]
    format: str = field(default=FILING_FORMAT)

    def as_object(self) -> dict[str, object]:
        """The bundle as one JSON object."""
        return {
            "absent_streams": [entry.as_object() for entry in self.absent_streams],
            "checkpoint": self.checkpoint,
            "consistency": [entry.as_object() for entry in self.consistency],
            "decisions": [entry.as_object() for entry in self.decisions],
            "events": [entry.as_object() for entry in self.events],
            "exported_at": self.exported_at,
            "figures": [dict(record) for record in self.figures],
            "figures_checksum": self.figures_checksum,
            "format": self.format,
            "log_verifier_keys": list(self.log_verifier_keys),
            "policy_version": self.policy_version,
            "scope": self.scope.as_object(),
            "stream_heads": self.stream_heads.as_object(),
            "streams": [entry.as_object() for entry in self.streams],
            "witness_verifier_keys": list(self.witness_verifier_keys),
        }

    def to_json(self) -> bytes:
        """The bundle's RFC 8785 bytes, the filing file."""
        return rfc8785.dumps(cast(Any, self.as_object()))


# --- the strict parser -------------------------------------------------------------------------


def _reject_float(text: str) -> object:
    raise FilingFormatError("(document)", f"a filing holds no fractions or exponents: {text}")


def _reject_constant(text: str) -> object:
    raise FilingFormatError("(document)", f"{text} is not JSON")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise FilingFormatError("(document)", f"member {name!r} appears twice in an object")
        result[name] = value
    return result


def _object(
    value: object, path: str, required: set[str], optional: Iterable[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FilingFormatError(path, f"must be an object, not {_json_type(value)}")
    missing = sorted(required - set(value))
    if missing:
        raise FilingFormatError(_at(path, missing[0]), "is missing")
    extra = sorted(set(value) - required - set(optional))
    if extra:
        raise FilingFormatError(_at(path, extra[0]), "is not a member of a filing here")
    return value


def _at(path: str, name: str) -> str:
    return name if not path else f"{path}.{name}"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _int(value: object, path: str, minimum: int = 0) -> int:
    if type(value) is not int or not minimum <= value <= _MAX_SAFE:
        raise FilingFormatError(
            path, f"must be an integer from {minimum} to 2**53-1, not {value!r}"
        )
    return value


def _str(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise FilingFormatError(path, f"must be a non-empty string, not {_json_type(value)}")
    return value


def _hash(value: object, path: str) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise FilingFormatError(path, "must be 64 lowercase hex digits")
    return bytes.fromhex(value)


def _optional_hash(value: object, path: str) -> bytes | None:
    return None if value is None else _hash(value, path)


def _hashes(value: object, path: str) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise FilingFormatError(path, f"must be a list of hashes, not {_json_type(value)}")
    return tuple(_hash(item, f"{path}[{index}]") for index, item in enumerate(value))


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise FilingFormatError(path, f"must be a list, not {_json_type(value)}")
    return value


def _uuid(value: object, path: str) -> UUID:
    if isinstance(value, str):
        try:
            parsed = UUID(value)
        except ValueError:
            pass
        else:
            if str(parsed) == value:
                return parsed
    raise FilingFormatError(path, "must be a UUID in lowercase hyphenated text")


def _timestamp(value: object, path: str) -> str:
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise FilingFormatError(path, "must be a UTC time YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return value


def _checkpoint_note(value: object, path: str) -> str:
    text = _str(value, path)
    try:
        Checkpoint.parse(parse_note(text).text)
    except NoteError as error:
        raise FilingFormatError(path, f"is not a signed checkpoint note: {error}") from None
    return text


def _verifier_keys(value: object, path: str) -> tuple[str, ...]:
    keys = []
    for index, item in enumerate(_list(value, path)):
        key = _str(item, f"{path}[{index}]")
        try:
            parse_verifier_key(key)
        except NoteError as error:
            raise FilingFormatError(f"{path}[{index}]", f"is not a verifier key: {error}") from None
        keys.append(key)
    return tuple(keys)


_HEAD_MEMBERS = {"stream_id", "version", "leaf_hash", "heads_index", "heads_proof"}


def _head_proof(value: object, path: str) -> HeadProof:
    data = _object(value, path, _HEAD_MEMBERS)
    _uuid(data["stream_id"], _at(path, "stream_id"))
    _int(data["version"], _at(path, "version"), minimum=1)
    _hash(data["leaf_hash"], _at(path, "leaf_hash"))
    _int(data["heads_index"], _at(path, "heads_index"))
    _hashes(data["heads_proof"], _at(path, "heads_proof"))
    return HeadProof.from_object(data)


def _optional_head_proof(value: object, path: str) -> HeadProof | None:
    return None if value is None else _head_proof(value, path)


def _scope(value: object, path: str) -> Scope:
    if isinstance(value, dict) and value.get("kind") == "staff":
        data = _object(value, path, {"kind", "staff_number", "year"})
        return Scope.staff(
            _str(data["staff_number"], _at(path, "staff_number")),
            _int(data["year"], _at(path, "year"), minimum=1),
        )
    data = _object(value, path, {"kind", "year"})
    if data["kind"] != "center":
        raise FilingFormatError(_at(path, "kind"), 'must be "staff" or "center"')
    return Scope.center(_int(data["year"], _at(path, "year"), minimum=1))


_EVENT_MEMBERS = {
    "leaf_index",
    "position",
    "stream_id",
    "stream_version",
    "topic",
    "recorded_at",
    "prev_stream_leaf_hash",
    "salt",
    "payload",
    "inclusion_proof",
}


def _event(value: object, path: str) -> EventEntry:
    data = _object(value, path, _EVENT_MEMBERS, {"payload_commitment"})
    payload = data["payload"]
    salt: bytes | None
    commitment: bytes | None = None
    if payload is None:
        # Erased (SPEC 7.1): the leaf is rebuilt from the commitment the store kept.
        if "payload_commitment" not in data:
            raise FilingFormatError(
                _at(path, "payload_commitment"), "is needed when payload is null"
            )
        commitment = _hash(data["payload_commitment"], _at(path, "payload_commitment"))
        salt = _optional_salt(data["salt"], _at(path, "salt"))
    else:
        if not isinstance(payload, dict):
            raise FilingFormatError(_at(path, "payload"), "must be an object or null")
        if "payload_commitment" in data:
            raise FilingFormatError(
                _at(path, "payload_commitment"), "is given only for an erased payload"
            )
        salt = _optional_salt(data["salt"], _at(path, "salt"))
        if salt is None:
            raise FilingFormatError(_at(path, "salt"), "is needed with a payload")
    return EventEntry(
        leaf_index=_int(data["leaf_index"], _at(path, "leaf_index")),
        position=_int(data["position"], _at(path, "position"), minimum=1),
        stream_id=_uuid(data["stream_id"], _at(path, "stream_id")),
        stream_version=_int(data["stream_version"], _at(path, "stream_version"), minimum=1),
        topic=_str(data["topic"], _at(path, "topic")),
        recorded_at=_timestamp(data["recorded_at"], _at(path, "recorded_at")),
        prev_stream_leaf_hash=_optional_hash(
            data["prev_stream_leaf_hash"], _at(path, "prev_stream_leaf_hash")
        ),
        salt=salt,
        payload=payload,
        payload_commitment=commitment,
        inclusion_proof=_hashes(data["inclusion_proof"], _at(path, "inclusion_proof")),
    )


def _optional_salt(value: object, path: str) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(f"[0-9a-f]{{{2 * SALT_SIZE}}}", value):
        raise FilingFormatError(path, f"must be {2 * SALT_SIZE} lowercase hex digits")
    return bytes.fromhex(value)


def _decision(value: object, path: str) -> DecisionEntry:
    base = {"stream_id", "version", "topic", "kind"}
    kind = value.get("kind") if isinstance(value, dict) else None
    members = _KIND_MEMBERS.get(kind) if isinstance(kind, str) else None
    if members is None:
        # A kind this version does not know: kept as filed, listed as recorded, not recomputable.
        data = _object(value, path, base, value if isinstance(value, dict) else ())
        return DecisionEntry(
            _uuid(data["stream_id"], _at(path, "stream_id")),
            _int(data["version"], _at(path, "version"), minimum=1),
            _str(data["topic"], _at(path, "topic")),
            _str(data["kind"], _at(path, "kind")),
            extra={k: v for k, v in data.items() if k not in base} or None,
        )
    data = _object(value, path, base | members)
    period: str | None = None
    if "period" in members:
        period = _str(data["period"], _at(path, "period"))
        try:
            Period.parse(period)
        except ValueError as error:
            raise FilingFormatError(_at(path, "period"), str(error)) from None
    position: int | None = None
    if "decided_at_position" in members:
        position = _int(data["decided_at_position"], _at(path, "decided_at_position"))
    checksum_hex: str | None = None
    if "figures_checksum" in members:
        _hash(data["figures_checksum"], _at(path, "figures_checksum"))
        checksum_hex = data["figures_checksum"]
    decided: Mapping[str, Any] | None = None
    if "decided" in members:
        if not isinstance(data["decided"], dict):
            raise FilingFormatError(_at(path, "decided"), "must be an object")
        decided = data["decided"]
    return DecisionEntry(
        _uuid(data["stream_id"], _at(path, "stream_id")),
        _int(data["version"], _at(path, "version"), minimum=1),
        _str(data["topic"], _at(path, "topic")),
        cast(str, kind),
        period,
        position,
        checksum_hex,
        decided,
    )


_BUNDLE_MEMBERS = {
    "format",
    "scope",
    "exported_at",
    "checkpoint",
    "log_verifier_keys",
    "witness_verifier_keys",
    "consistency",
    "stream_heads",
    "streams",
    "absent_streams",
    "events",
    "policy_version",
    "figures",
    "figures_checksum",
    "decisions",
}


def parse(data: bytes) -> Bundle:
    """Read a filing, checking its shape strictly (docs/filing-format.md section 2); raise
    `FilingFormatError` naming the member at fault. Proofs and signatures are not checked here."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FilingFormatError("(document)", f"is not UTF-8: {error}") from None
    try:
        document = json.loads(
            text,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_members,
        )
    except json.JSONDecodeError as error:
        raise FilingFormatError("(document)", f"is not JSON: {error}") from None
    top = _object(document, "", _BUNDLE_MEMBERS)
    if top["format"] != FILING_FORMAT:
        raise FilingFormatError("format", f"must be {FILING_FORMAT!r}, not {top['format']!r}")

    consistency = []
    for index, item in enumerate(_list(top["consistency"], "consistency")):
        path = f"consistency[{index}]"
        entry = _object(item, path, {"checkpoint", "proof"})
        consistency.append(
            ConsistencyEntry(
                _checkpoint_note(entry["checkpoint"], _at(path, "checkpoint")),
                _hashes(entry["proof"], _at(path, "proof")),
            )
        )

    heads = _object(top["stream_heads"], "stream_heads", {"leaf_index", "leaf", "inclusion_proof"})
    try:
        heads_leaf = StreamHeadsLeaf.from_object(
            _object(
                heads["leaf"],
                "stream_heads.leaf",
                {"recorded_at", "schema", "stream_count", "stream_heads_root", "tree_size"},
            )
        )
    except ValueError as error:
        if isinstance(error, FilingFormatError):
            raise
        raise FilingFormatError("stream_heads.leaf", str(error)) from None
    stream_heads = StreamHeadsEntry(
        _int(heads["leaf_index"], "stream_heads.leaf_index"),
        heads_leaf,
        _hashes(heads["inclusion_proof"], "stream_heads.inclusion_proof"),
    )

    streams = []
    seen: dict[UUID, str] = {}
    for index, item in enumerate(_list(top["streams"], "streams")):
        path = f"streams[{index}]"
        entry = _object(item, path, {"record", *_HEAD_MEMBERS})
        record = _str(entry["record"], _at(path, "record"))
        head = _head_proof({k: v for k, v in entry.items() if k != "record"}, path)
        if head.head.stream_id in seen:
            raise FilingFormatError(_at(path, "stream_id"), f"repeats {seen[head.head.stream_id]}")
        seen[head.head.stream_id] = _at(path, "stream_id")
        streams.append(StreamEntry(record, head))

    absent = []
    for index, item in enumerate(_list(top["absent_streams"], "absent_streams")):
        path = f"absent_streams[{index}]"
        entry = _object(item, path, {"stream_id", "record", "below", "above"})
        stream = _uuid(entry["stream_id"], _at(path, "stream_id"))
        if stream in seen:
            raise FilingFormatError(_at(path, "stream_id"), f"repeats {seen[stream]}")
        seen[stream] = _at(path, "stream_id")
        absent.append(
            AbsentStream(
                stream,
                _str(entry["record"], _at(path, "record")),
                _optional_head_proof(entry["below"], _at(path, "below")),
                _optional_head_proof(entry["above"], _at(path, "above")),
            )
        )

    events = tuple(
        _event(item, f"events[{index}]")
        for index, item in enumerate(_list(top["events"], "events"))
    )

    figures: list[Mapping[str, Any]] = []
    for index, item in enumerate(_list(top["figures"], "figures")):
        # A figure record's members depend on its kind: the figures check compares them whole.
        figure = _object(
            item, f"figures[{index}]", {"kind"}, item if isinstance(item, dict) else ()
        )
        _str(figure["kind"], f"figures[{index}].kind")
        figures.append(figure)

    return Bundle(
        format=FILING_FORMAT,
        scope=_scope(top["scope"], "scope"),
        exported_at=_timestamp(top["exported_at"], "exported_at"),
        checkpoint=_checkpoint_note(top["checkpoint"], "checkpoint"),
        log_verifier_keys=_verifier_keys(top["log_verifier_keys"], "log_verifier_keys"),
        witness_verifier_keys=_verifier_keys(top["witness_verifier_keys"], "witness_verifier_keys"),
        consistency=tuple(consistency),
        stream_heads=stream_heads,
        streams=tuple(streams),
        absent_streams=tuple(absent),
        events=events,
        policy_version=_str(top["policy_version"], "policy_version"),
        figures=tuple(figures),
        figures_checksum=_hash(top["figures_checksum"], "figures_checksum").hex(),
        decisions=tuple(
            _decision(item, f"decisions[{index}]")
            for index, item in enumerate(_list(top["decisions"], "decisions"))
        ),
    )


# --- the builder -------------------------------------------------------------------------------


@dataclass
class DecisionContext:
    """What a decision entry reads besides its own event: each procedure stream's period, the
    bonus sheets' preparations and the position each round's period decision was taken as of."""

    periods: dict[str, str] = field(default_factory=dict)
    """By stream id: the period key of a round, bonus sheet, quarterly evaluation, annual
    assessment (the year) or challenge (the year)."""
    preparations: dict[tuple[str, int], Mapping[str, Any]] = field(default_factory=dict)
    """By (stream id, version): a bonus sheet's Prepared or Reprepared payload."""
    round_decisions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """By period key: each decision of the period (the first, then any amended decision after a
    reopening) as (its event's position, its `decided_at_position`), in log order."""

    @classmethod
    def of(cls, facts: Iterable[Fact]) -> DecisionContext:
        """The context of the facts (an erased payload contributes nothing)."""
        context = cls()
        for fact in facts:
            payload = fact.payload
            member = _PERIOD_OF_STREAM.get(fact.topic)
            if member is not None and member in payload:
                context.periods.setdefault(fact.stream_id, str(payload[member]))
            if fact.topic in _PREPARED_TOPICS:
                context.preparations[(fact.stream_id, fact.version)] = payload
            if fact.topic in _ROUND_DECISION_TOPICS and "decided_at_position" in payload:
                period = context.periods.get(fact.stream_id)
                if period is not None:
                    context.round_decisions.setdefault(period, []).append(
                        (fact.position, payload["decided_at_position"])
                    )
        return context

    def decision_with(self, period: str, position: int) -> int | None:
        """The `decided_at_position` of the period decision recorded with a procedure's final
        event at `position`: the first decision of the period after it (the round's event is
        saved in the same transaction, after the procedure's); None if there is none."""
        return next(
            (decided for at, decided in self.round_decisions.get(period, ()) if at > position),
            None,
        )


def _in_scope(scope: Scope, items: Iterable[Any], staff_number: Any = None) -> list[Any]:
    """The items of a sheet about the scope's person (all of them for the center)."""
    if scope.kind != "staff":
        return list(items)
    if staff_number is None:
        return [item for item in items if item == scope.staff_number]
    return [item for item in items if staff_number(item) == scope.staff_number]


def decision_entry(scope: Scope, fact: Fact, context: DecisionContext) -> DecisionEntry:
    """The entry of a decision event other than a period decision: its period, what it decided
    (`decided`, copied from its payload; for a bonus sheet's approval also the approved sheet's
    lines, notice and head-liability items, those about the person in a staff filing) and, for a
    checked kind, the position it is checked as of: the approval's and the year's results' own
    `decided_at_position`, the quarter's results' round decision's (the one recorded with them:
    the amended decision for amended results), the position just before the
    event for the other steps (their figures are those known when they were taken). Raises
    KeyError when the payloads it reads are erased."""
    kind = DECISION_TOPICS[fact.topic]
    payload = fact.payload
    decided: dict[str, Any] = {
        name: payload[name] for name in _DECIDED_MEMBERS[kind] if name in payload
    }
    members = _KIND_MEMBERS[kind]
    period = context.periods[fact.stream_id] if "period" in members else None
    position: int | None = None
    if kind == BONUS_SHEET_APPROVAL:
        prepared = context.preparations[(fact.stream_id, payload["prepared"])]
        decided["prepared_at_position"] = prepared["prepared_at_position"]
        decided["policy_version"] = prepared["policy_version"]
        decided["lines"] = _in_scope(scope, prepared["lines"], lambda line: line["staff_number"])
        notice = prepared["criticism_notice"]
        decided["criticism_notice"] = None if notice is None else _in_scope(scope, notice)
        decided["head_liability"] = _in_scope(
            scope, prepared["head_liability"], lambda item: item["staff_number"]
        )
        position = payload["decided_at_position"]
    elif kind == YEAR_RESULTS:
        position = payload["decided_at_position"]
    elif kind == QUARTER_RESULTS:
        assert period is not None
        paired = context.decision_with(period, fact.position)
        position = fact.position - 1 if paired is None else paired
    elif kind in CHECKED_DECISION_KINDS:
        position = fact.position - 1
    return DecisionEntry(
        UUID(fact.stream_id), fact.version, fact.topic, kind, period, position, None, decided
    )


def decision_entries(scope: Scope, events: Sequence[EventEntry | EventRow]) -> list[DecisionEntry]:
    """The decision events among the filing's events, in log order: each period decision with
    its period and the checksum of the scope's figures of that period as of the position it was
    decided at, and every other known decision with what it decided (`decision_entry`)."""
    facts = facts_of(events)
    context = DecisionContext.of(facts)
    entries = []
    state = LedgerState()
    for fact in facts:
        state.apply(fact)
        kind = DECISION_TOPICS.get(fact.topic)
        if kind is None:
            continue
        if kind != PERIOD_DECISION:
            entries.append(decision_entry(scope, fact, context))
            continue
        decided_at = fact.payload["decided_at_position"]
        period_key = next(
            r.period.key for r in state.rounds.values() if r.stream_id == fact.stream_id
        )
        as_of = fold(f for f in facts if f.position <= decided_at)
        entries.append(
            DecisionEntry(
                UUID(fact.stream_id),
                fact.version,
                fact.topic,
                PERIOD_DECISION,
                period_key,
                decided_at,
                checksum(period_figures(as_of, scope, period_key)),
            )
        )
    return entries


def _derived_decisions(scope: Scope, events: Sequence[EventEntry]) -> list[DecisionEntry]:
    try:
        return decision_entries(scope, events)
    except (FactError, KeyError, ValueError):
        # Events that cannot be folded: the check below names what is wrong with them.
        return []


def build_bundle(
    *,
    scope: Scope,
    events: Sequence[EventRow],
    tree: Sequence[bytes] | SubtreeHashes,
    stream_heads: StreamHeadsTree,
    stream_heads_leaf: StreamHeadsLeaf,
    checkpoint: str,
    exported_at: str,
    figures: Sequence[Figure],
    policy_version: str,
    earlier_checkpoints: Sequence[str] = (),
    absent_streams: Mapping[UUID, str] | None = None,
    decisions: Sequence[DecisionEntry] | None = None,
    records: Mapping[UUID, str] | None = None,
    log_verifier_keys: Sequence[str] = (),
    witness_verifier_keys: Sequence[str] = (),
) -> Bundle:
    """A filing from plain inputs, checked before it is returned (`FilingBuildError` when it
    would not verify: a stream listed whose events are not all given, a proof source that does
    not match the checkpoint, figures that do not follow from the events …).

    `events` are the filed events in log order; every stream among them is listed, and must be
    given whole up to the checkpoint. `tree` is the log's leaf hashes (at least the first N) or
    its `SubtreeHashes`, for the inclusion and consistency proofs. `stream_heads` is the
    stream-heads tree the leaf at N - 1 commits to. `checkpoint` is the signed (maybe cosigned)
    checkpoint note of size N; `earlier_checkpoints` every checkpoint published before it,
    oldest first. `absent_streams` maps each stream to prove absent to its record kind.
    `figures` are the scope's figures computed by the caller (`scope_figures`), `decisions`
    default to `decision_entries`; `records` name each listed stream's record kind (default:
    from its first topic). Signatures are not checked here: the exporter signed them."""
    try:
        checkpoint_body = Checkpoint.parse(parse_note(checkpoint).text)
    except NoteError as error:
        raise FilingBuildError(f"the checkpoint is not a signed checkpoint note: {error}") from None
    size = checkpoint_body.size
    if size < 1 or stream_heads_leaf.tree_size != size - 1:
        raise FilingBuildError(
            f"the checkpoint of size {size} does not follow the stream-heads leaf at "
            f"{stream_heads_leaf.tree_size}"
        )
    if stream_heads_leaf.stream_heads_root != stream_heads.root:
        raise FilingBuildError(
            "the stream-heads leaf does not commit to the stream-heads tree given"
        )
    subtree: SubtreeHashes
    if callable(tree):
        subtree = tree
    else:
        if len(tree) < size:
            raise FilingBuildError(f"{len(tree)} leaf hashes given for a checkpoint of size {size}")
        subtree = MerkleTree(tree[:size]).subtree

    entries = []
    for row in events:
        if row.payload is None and row.payload_commitment is None:
            raise FilingBuildError(
                f"event {row.stream_id}/{row.stream_version}: erased without a commitment"
            )
        if not 0 <= row.leaf_index < size - 1:
            raise FilingBuildError(
                f"event {row.stream_id}/{row.stream_version} at leaf {row.leaf_index} is not "
                f"before the stream-heads leaf at {size - 1}"
            )
        entries.append(
            EventEntry(
                leaf_index=row.leaf_index,
                position=row.position,
                stream_id=row.stream_id,
                stream_version=row.stream_version,
                topic=row.topic,
                recorded_at=row.recorded_at,
                prev_stream_leaf_hash=row.prev_stream_leaf_hash,
                salt=row.salt,
                payload=row.payload_object(),
                payload_commitment=row.payload_commitment if row.payload is None else None,
                inclusion_proof=tuple(inclusion_proof(row.leaf_index, size, subtree)),
            )
        )

    first_topic: dict[UUID, str] = {}
    for row in events:
        first_topic.setdefault(row.stream_id, row.topic)
    streams = []
    for stream in sorted(first_topic, key=str):
        head = stream_heads.head_proof(stream)
        if head is None:
            raise FilingBuildError(
                f"stream {stream} has events but no head in the stream-heads tree"
            )
        record = (records or {}).get(stream, record_of_topic(first_topic[stream]))
        streams.append(StreamEntry(record, head))

    absent = []
    for stream, record in sorted((absent_streams or {}).items(), key=lambda item: str(item[0])):
        if stream in first_topic or stream_heads.head_proof(stream) is not None:
            raise FilingBuildError(f"stream {stream} is to be proven absent but has events")
        below, above = stream_heads.absence_proof(stream)
        absent.append(AbsentStream(stream, record, below, above))

    consistency = []
    for text in earlier_checkpoints:
        try:
            earlier = Checkpoint.parse(parse_note(text).text)
        except NoteError as error:
            raise FilingBuildError(
                f"an earlier checkpoint is not a checkpoint note: {error}"
            ) from None
        if earlier.size > size:
            raise FilingBuildError(
                f"an earlier checkpoint of size {earlier.size} is larger than {size}"
            )
        consistency.append(
            ConsistencyEntry(text, tuple(consistency_proof(earlier.size, size, subtree)))
        )

    ordered = sorted(figures, key=lambda f: f.key)
    bundle = Bundle(
        scope=scope,
        exported_at=exported_at,
        checkpoint=checkpoint,
        log_verifier_keys=tuple(log_verifier_keys),
        witness_verifier_keys=tuple(witness_verifier_keys),
        consistency=tuple(consistency),
        stream_heads=StreamHeadsEntry(
            size - 1,
            stream_heads_leaf,
            tuple(inclusion_proof(size - 1, size, subtree)),
        ),
        streams=tuple(streams),
        absent_streams=tuple(absent),
        events=tuple(entries),
        policy_version=policy_version,
        figures=tuple(canonical_record(f) for f in ordered),
        figures_checksum=checksum(ordered),
        decisions=tuple(decisions if decisions is not None else _derived_decisions(scope, entries)),
    )
    # The bundle is re-read and re-checked as a recipient would, signatures and the verifier's
    # memory aside: an exporter must never hand out a filing that does not verify.
    from ledger.filing.verify import check_contents

    failure = check_contents(parse(bundle.to_json()))
    if failure is not None:
        raise FilingBuildError(f"the filing would not verify: {failure}")
    return bundle
