"""`ledger-verify`'s checks (docs/filing-format.md section 3), in order, each a named step with
plain-words lines, and the verifier's memory of the last checkpoint it accepted per log.

    report = verify_bundle(parse(data), [log_vkey], [witness_vkey], VerifierState.load(path))
    if report.verified:
        state.remember(report.accepted); state.save(path)

A step that fails stops the verification; the report names it. Nothing here touches the network
or the ledger's store: the filing, the trusted keys and the state file are all it reads.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import rfc8785

from ledger.filing.bundle import (
    CHECKED_DECISION_KINDS,
    DECISION_TOPICS,
    FILING_FORMAT,
    PERIOD_DECISION,
    Bundle,
    DecisionContext,
    DecisionEntry,
    EventEntry,
    decision_entry,
    facts_of,
    period_figures,
    policy_version_of,
    record_of_topic,
    scope_figures,
    scope_streams,
)
from ledger.filing.decisions import DecisionFailed, check_decision, describe, short
from ledger.integrity.merkle import ProofError, verify_consistency, verify_inclusion
from ledger.integrity.note import (
    Checkpoint,
    NoteError,
    Verifier,
    cosignatures,
    open_note,
    parse_note,
    parse_verifier_key,
)
from ledger.integrity.stream_heads import verify_absence, verify_head
from ledger.policy import (
    FactError,
    LedgerState,
    canonical_bytes,
    checksum,
    fold,
    late_entries,
)
from ledger.policy.facts import FOLDED_TOPICS, NEUTRAL_TOPICS
from ledger.values import Period

__all__ = [
    "STATE_FORMAT",
    "STEPS",
    "RememberedCheckpoint",
    "Report",
    "Step",
    "VerifierState",
    "VerifierStateError",
    "check_contents",
    "default_state_path",
    "verify_bundle",
]

STEPS = (
    ("format", "the bundle's format and shape"),
    ("signatures", "the checkpoint's signatures"),
    ("consistency", "consistency with the checkpoints seen before"),
    ("events", "every event's leaf and its inclusion in the log"),
    ("completeness", "the listed streams are whole, the absent ones absent"),
    ("figures", "every figure recomputed from the events"),
    ("decisions", "every decision against the figures it was taken on"),
)
"""The checks in the order they run: (name, what is checked)."""

PASSED = "passed"
FAILED = "failed"
NOT_RUN = "not run"
NOT_RECOMPUTABLE = "not recomputable"
"""A step that could not recompute everything (erased payloads, SPEC 7.1): not a failure."""

STATE_FORMAT = "ledger-verify/state/v1"


class CheckFailed(Exception):
    """A check found a problem; the message says what, in plain words."""


class VerifierStateError(ValueError):
    """The verifier's state file cannot be read or written."""


# --- the report --------------------------------------------------------------------------------


@dataclass
class Step:
    """One check: its number and name, what it checks, how it ended and what it found."""

    number: int
    name: str
    title: str
    status: str = NOT_RUN
    lines: list[str] = field(default_factory=list)

    def as_object(self) -> dict[str, object]:
        """The step for `--json`."""
        return {
            "lines": list(self.lines),
            "name": self.name,
            "number": self.number,
            "status": self.status,
            "title": self.title,
        }


@dataclass(frozen=True)
class RememberedCheckpoint:
    """The last checkpoint a verifier accepted for one log."""

    origin: str
    size: int
    root: bytes
    checkpoint: str
    """The signed note text, kept as evidence."""
    accepted_at: str

    def as_object(self) -> dict[str, object]:
        """As the state file holds it."""
        return {
            "accepted_at": self.accepted_at,
            "checkpoint": self.checkpoint,
            "root": self.root.hex(),
            "size": self.size,
        }


@dataclass
class Report:
    """What `ledger-verify` checked, step by step, and the verdict."""

    scope: str
    origin: str
    size: int
    root: bytes
    steps: list[Step]
    accepted: RememberedCheckpoint | None = None
    """Set when every check passed: the checkpoint the verifier's state should now remember."""

    @property
    def verified(self) -> bool:
        """Whether no check failed and every check ran."""
        return all(step.status in (PASSED, NOT_RECOMPUTABLE) for step in self.steps)

    @property
    def failed_check(self) -> str | None:
        """The name of the check that failed, if one did."""
        return next((step.name for step in self.steps if step.status == FAILED), None)

    def step(self, name: str) -> Step:
        """The step of this name."""
        return next(step for step in self.steps if step.name == name)

    def verdict(self) -> str:
        """The verdict in one line."""
        failed = next((step for step in self.steps if step.status == FAILED), None)
        if failed is not None:
            reason = failed.lines[-1] if failed.lines else "see above"
            return f"NOT VERIFIED: check {failed.number} ({failed.name}) failed: {reason}"
        partial = [step.name for step in self.steps if step.status == NOT_RECOMPUTABLE]
        caveat = (
            f" ({', '.join(partial)} not fully recomputable: erased payloads)" if partial else ""
        )
        return (
            f"VERIFIED{caveat}: checkpoint {self.size} of {self.origin} is now the last one "
            "this verifier accepted for that log"
        )

    def as_object(self) -> dict[str, object]:
        """The report for `--json`."""
        return {
            "checkpoint": {"origin": self.origin, "root": self.root.hex(), "size": self.size},
            "failed_check": self.failed_check,
            "scope": self.scope,
            "steps": [step.as_object() for step in self.steps],
            "verdict": self.verdict(),
            "verified": self.verified,
        }

    def text(self) -> str:
        """The report in plain words."""
        out = [
            f"Filing of {self.scope}",
            f"Log {self.origin}, checkpoint of size {self.size}, root {self.root.hex()}",
            "",
        ]
        for step in self.steps:
            out.append(f"{step.number}. {step.name}: {step.title} — {step.status}")
            out.extend(f"   {line}" for line in step.lines)
        out += ["", self.verdict()]
        return "\n".join(out) + "\n"


# --- the verifier's memory ---------------------------------------------------------------------


def default_state_path() -> Path:
    """Where the verifier remembers checkpoints unless told: ~/.ledger-verify/state.json."""
    return Path.home() / ".ledger-verify" / "state.json"


class VerifierState:
    """The last checkpoint accepted per log origin (a JSON file, replaced atomically)."""

    def __init__(self, logs: Mapping[str, RememberedCheckpoint] | None = None) -> None:
        self._logs = dict(logs or {})

    @classmethod
    def load(cls, path: Path) -> VerifierState:
        """The state kept in the file; empty if there is no file yet."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            raise VerifierStateError(f"state file {path} cannot be read: {error}") from None
        try:
            if data["format"] != STATE_FORMAT:
                raise ValueError(f"format is not {STATE_FORMAT}")
            logs = {}
            for origin, item in data["logs"].items():
                size = item["size"]
                if type(size) is not int or size < 0:
                    raise ValueError(f"size of {origin} is not a count")
                root = bytes.fromhex(item["root"])
                if len(root) != 32:
                    raise ValueError(f"root of {origin} is not 32 bytes")
                logs[origin] = RememberedCheckpoint(
                    origin, size, root, str(item["checkpoint"]), str(item["accepted_at"])
                )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise VerifierStateError(f"state file {path} is malformed: {error!r}") from None
        return cls(logs)

    def remembered(self, origin: str) -> RememberedCheckpoint | None:
        """The last checkpoint accepted for this log, if any."""
        return self._logs.get(origin)

    def remember(self, checkpoint: RememberedCheckpoint) -> None:
        """Remember a newly accepted checkpoint; never a smaller one than remembered."""
        known = self._logs.get(checkpoint.origin)
        if known is not None and known.size > checkpoint.size:
            raise VerifierStateError(
                f"the state remembers size {known.size} of {checkpoint.origin}; "
                f"it does not go back to {checkpoint.size}"
            )
        self._logs[checkpoint.origin] = checkpoint

    def as_object(self) -> dict[str, object]:
        """The state file's content."""
        return {
            "format": STATE_FORMAT,
            "logs": {origin: item.as_object() for origin, item in sorted(self._logs.items())},
        }

    def save(self, path: Path) -> None:
        """Write the state: a temporary file beside it, then an atomic rename over it."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".state-", dir=path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(self.as_object(), out, indent=2, sort_keys=True)
                    out.write("\n")
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise VerifierStateError(f"state file {path} cannot be written: {error}") from None


# --- the checks --------------------------------------------------------------------------------


def _verifiers(keys: Iterable[str | Verifier]) -> list[Verifier]:
    verifiers: list[Verifier] = []
    for key in keys:
        verifiers.append(parse_verifier_key(key) if isinstance(key, str) else key)
    return verifiers


def _key_text(verifier: Verifier) -> str:
    return f"{verifier.name}+{verifier.key_id.hex()}"


def _figure_bytes(record: Mapping[str, Any]) -> bytes:
    """A filed figure record's bytes, written as `canonical_bytes` writes a computed one."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class _Verification:
    """The checks of one bundle, sharing what earlier steps established."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.checkpoint = Checkpoint.parse(parse_note(bundle.checkpoint).text)
        self.size = self.checkpoint.size
        self.root = self.checkpoint.root_hash
        self.leaf_hashes: dict[tuple[UUID, int], bytes] = {}
        self.state: LedgerState | None = None
        self.facts_complete = True

    # 1
    def format(self, step: Step) -> None:
        bundle = self.bundle
        step.lines.append(
            f"{FILING_FORMAT}: {bundle.scope.describe()}, exported at {bundle.exported_at}; "
            f"{len(bundle.events)} events in {len(bundle.streams)} streams, "
            f"{len(bundle.absent_streams)} streams shown absent, {len(bundle.figures)} figures, "
            f"{len(bundle.decisions)} decisions"
        )

    # 2
    def signatures(
        self, step: Step, logs: Sequence[Verifier], witnesses: Sequence[Verifier]
    ) -> None:
        if not logs:
            raise CheckFailed("no trusted log key was given")
        try:
            verified = open_note(self.bundle.checkpoint, logs)
        except NoteError as error:
            raise CheckFailed(
                f"the checkpoint is not signed by a trusted log key: {error}"
            ) from None
        names = sorted({_key_text(item.verifier) for item in verified.verified})
        step.lines.append(f"signed by the trusted log key {', '.join(names)}")
        for witness in witnesses:
            try:
                cosigned = open_note(self.bundle.checkpoint, [witness])
            except NoteError as error:
                raise CheckFailed(
                    f"no valid cosignature by the trusted witness {_key_text(witness)}: {error}"
                ) from None
            times = [
                item.timestamp for item in cosignatures(cosigned) if item.timestamp is not None
            ]
            when = f" at {datetime.fromtimestamp(max(times), UTC).isoformat()}" if times else ""
            step.lines.append(f"cosigned by the trusted witness {_key_text(witness)}{when}")
        if not witnesses:
            step.lines.append("no witness key given: witness cosignatures were not required")
        known = len(verified.verified) + len(witnesses)
        other = len(verified.note.signatures) - known
        if other > 0:
            step.lines.append(f"{other} signatures by keys not given on the command line ignored")

    # 3
    def consistency(
        self, step: Step, logs: Sequence[Verifier] | None, state: VerifierState | None
    ) -> None:
        origin, size = self.checkpoint.origin, self.size
        earlier: dict[int, bytes] = {}
        previous_size = 0
        for index, entry in enumerate(self.bundle.consistency):
            where = f"consistency[{index}]"
            try:
                text = (
                    open_note(entry.checkpoint, logs).text
                    if logs is not None
                    else parse_note(entry.checkpoint).text
                )
                old = Checkpoint.parse(text)
            except NoteError as error:
                raise CheckFailed(
                    f"{where}: the earlier checkpoint is not signed by a trusted log key: {error}"
                ) from None
            if old.origin != origin:
                raise CheckFailed(
                    f"{where}: the earlier checkpoint is of another log, {old.origin}"
                )
            if old.size < previous_size:
                raise CheckFailed(f"{where}: the earlier checkpoints are not oldest first")
            previous_size = old.size
            try:
                verify_consistency(
                    old.size, size, entry.proof, old.root_hash, self.root, allow_empty_old=True
                )
            except ProofError as error:
                raise CheckFailed(
                    f"{where}: the consistency proof from size {old.size} to {size} fails: {error}"
                ) from None
            if earlier.get(old.size, old.root_hash) != old.root_hash:
                raise CheckFailed(f"{where}: two earlier checkpoints of size {old.size} differ")
            earlier[old.size] = old.root_hash
        if not self.bundle.consistency:
            step.lines.append("first filing: no predecessor (no earlier checkpoint published)")
        else:
            sizes = ", ".join(str(s) for s in sorted(earlier))
            step.lines.append(
                f"{len(self.bundle.consistency)} earlier published checkpoints (sizes {sizes}): "
                f"each signed by the log and proven a prefix of this one"
            )
        if state is None:
            return
        known = state.remembered(origin)
        if known is None:
            step.lines.append(
                f"this verifier had accepted no checkpoint of {origin} before: this one is "
                "accepted on its signatures (first use)"
            )
        elif known.size > size:
            raise CheckFailed(
                f"going backwards: this verifier already accepted size {known.size} of {origin}, "
                f"this filing's checkpoint has size {size} (a replayed old checkpoint?)"
            )
        elif known.size == size:
            if known.root != self.root:
                raise CheckFailed(
                    f"fork: this verifier accepted size {size} of {origin} with root "
                    f"{known.root.hex()}, this checkpoint has root {self.root.hex()}"
                )
            step.lines.append("the same checkpoint as the one this verifier accepted before")
        elif known.size not in earlier:
            raise CheckFailed(
                f"no consistency proof from size {known.size}, the checkpoint of {origin} this "
                "verifier accepted before"
            )
        elif earlier[known.size] != known.root:
            raise CheckFailed(
                f"fork: the filing's checkpoint of size {known.size} has root "
                f"{earlier[known.size].hex()}, the one this verifier accepted has "
                f"{known.root.hex()}"
            )
        else:
            step.lines.append(
                f"consistent with size {known.size}, the checkpoint this verifier accepted before"
            )

    # 4
    def events(self, step: Step) -> None:
        size, root = self.size, self.root
        previous: EventEntry | None = None
        erased: list[str] = []
        for index, event in enumerate(self.bundle.events):
            name = f"event {event.stream_id}/{event.stream_version} (events[{index}])"
            if previous is not None:
                if event.leaf_index <= previous.leaf_index or event.position <= previous.position:
                    raise CheckFailed(f"{name} is out of log order")
                if event.recorded_at < previous.recorded_at:
                    raise CheckFailed(
                        f"{name} was recorded at {event.recorded_at}, before the event before it "
                        f"({previous.recorded_at}): back-dated"
                    )
            if event.leaf_index >= size - 1:
                raise CheckFailed(
                    f"{name} is at leaf {event.leaf_index}, not before the stream-heads leaf at "
                    f"{size - 1}"
                )
            try:
                digest = event.leaf_hash()
            except (TypeError, ValueError) as error:
                raise CheckFailed(f"{name}: its leaf cannot be rebuilt: {error}") from None
            try:
                verify_inclusion(digest, event.leaf_index, size, event.inclusion_proof, root)
            except ProofError as error:
                raise CheckFailed(
                    f"{name}: its leaf, rebuilt from the envelope, salt and payload, is not in "
                    f"the log at leaf {event.leaf_index}: {error}"
                ) from None
            self.leaf_hashes[(event.stream_id, event.stream_version)] = digest
            if event.erased:
                erased.append(f"{event.stream_id}/{event.stream_version} ({event.topic})")
            previous = event
        step.lines.append(
            f"{len(self.bundle.events)} events: each leaf rebuilt from its envelope, salt and "
            f"canonical payload (RFC 8785), and proven at its index in the tree of size {size}"
        )
        if erased:
            step.lines.append(
                f"{len(erased)} erased payloads: present, not recomputable: {', '.join(erased)}"
            )

    # 5
    def completeness(self, step: Step) -> None:
        bundle, size = self.bundle, self.size
        heads = bundle.stream_heads
        leaf = heads.leaf
        if heads.leaf_index != size - 1 or leaf.tree_size != size - 1:
            raise CheckFailed(
                f"the stream-heads leaf is at {heads.leaf_index} for {leaf.tree_size} leaves, "
                f"not at {size - 1}, just before the checkpoint of size {size}"
            )
        try:
            verify_inclusion(leaf.leaf_hash(), size - 1, size, heads.inclusion_proof, self.root)
        except ProofError as error:
            raise CheckFailed(
                f"the stream-heads leaf is not in the log at {size - 1}: {error}"
            ) from None
        count, heads_root = leaf.stream_count, leaf.stream_heads_root
        by_stream: dict[UUID, list[EventEntry]] = {}
        for event in bundle.events:
            by_stream.setdefault(event.stream_id, []).append(event)
        listed = {entry.stream_id for entry in bundle.streams}
        for stream in by_stream:
            if stream not in listed:
                raise CheckFailed(f"stream {stream} has events in the filing but is not listed")
        for entry in bundle.streams:
            stream = entry.stream_id
            try:
                verify_head(entry.head, count, heads_root)
            except ProofError as error:
                raise CheckFailed(
                    f"stream {stream}: its head (version {entry.head.head.version}) is not in the "
                    f"stream-heads tree: {error}"
                ) from None
            events = by_stream.get(stream, [])
            versions = [event.stream_version for event in events]
            if versions != list(range(1, entry.head.head.version + 1)):
                raise CheckFailed(
                    f"stream {stream}: the filing holds versions {_ranges(versions)}, not every "
                    f"version 1..{entry.head.head.version} of its head"
                )
            link: bytes | None = None
            for event in events:
                if event.prev_stream_leaf_hash != link:
                    raise CheckFailed(
                        f"stream {stream}: version {event.stream_version} does not link to the "
                        "leaf of the version before it"
                    )
                link = self.leaf_hashes[(stream, event.stream_version)]
            if link != entry.head.head.leaf_hash:
                raise CheckFailed(
                    f"stream {stream}: its last event is not the head in the stream-heads tree"
                )
            if record_of_topic(events[0].topic) != entry.record:
                raise CheckFailed(
                    f"stream {stream} is listed as a {entry.record} record but its events are "
                    f"{record_of_topic(events[0].topic)} events"
                )
        for absent in bundle.absent_streams:
            try:
                verify_absence(absent.stream_id, absent.below, absent.above, count, heads_root)
            except ProofError as error:
                raise CheckFailed(
                    f"stream {absent.stream_id} is not proven absent: {error}"
                ) from None
        step.lines.append(
            f"the stream-heads leaf at {size - 1} commits to {count} streams; "
            f"{len(bundle.streams)} streams listed, each whole (versions 1..head, each linked to "
            f"the one before, the last one the head)"
        )
        if bundle.absent_streams:
            step.lines.append(
                f"{len(bundle.absent_streams)} streams proven to have had no event "
                "(adjacent heads on either side)"
            )
        self._scope_coverage(step, by_stream, listed, count)

    def _scope_coverage(
        self, step: Step, by_stream: Mapping[UUID, list[EventEntry]], listed: set[UUID], count: int
    ) -> None:
        bundle = self.bundle
        scope = bundle.scope
        if scope.kind == "center":
            if len(listed) != count:
                raise CheckFailed(
                    f"a center filing lists every stream of the log, but {len(listed)} of "
                    f"{count} are listed"
                )
            step.lines.append(f"the center's scope: all {count} streams of the log are listed")
            return
        staff = scope_streams(scope)
        staff_stream = next(s for s, kind in staff.items() if kind == "staff")
        units = set()
        for event in by_stream.get(staff_stream, []):
            payload = event.payload
            if event.topic == "ledger.staff.Assigned.v1" and payload is not None:
                units.add(str(payload.get("unit_code")))
        required = scope_streams(scope, sorted(units))
        shown = listed | {absent.stream_id for absent in bundle.absent_streams}
        missing = [f"{kind} {stream}" for stream, kind in required.items() if stream not in shown]
        if missing:
            raise CheckFailed(
                f"the scope reads streams the filing neither lists nor proves absent: "
                f"{', '.join(missing)}"
            )
        step.lines.append(
            f"the scope of {scope.describe()}: the person's record, the units they were "
            f"assigned to ({len(units)}), the policy book, the rounds, bonus sheets, quarterly "
            f"evaluations and annual assessment of {scope.year} and the person's challenge of "
            f"its grade ({len(required)} streams) are each listed or proven absent"
        )

    # 6
    def figures(self, step: Step) -> None:
        bundle = self.bundle
        unreadable = [
            event
            for event in bundle.events
            if event.erased
            and event.topic.startswith(FOLDED_TOPICS)
            and event.topic not in NEUTRAL_TOPICS
        ]
        if unreadable:
            self.facts_complete = False
            step.status = NOT_RECOMPUTABLE
            step.lines.append(
                f"not recomputable: {len(unreadable)} erased events change figures "
                f"({', '.join(f'{e.stream_id}/{e.stream_version}' for e in unreadable)})"
            )
            return
        facts = facts_of(bundle.events)
        # An erased event the rules do not read still takes its place in its stream.
        try:
            state = fold(facts)
        except FactError as error:
            raise CheckFailed(
                f"the events cannot be folded into the rules' state: {error}"
            ) from None
        self.state = state
        version = policy_version_of(state, bundle.scope.year)
        if version != bundle.policy_version:
            raise CheckFailed(
                f"the policy version in force at the end of {bundle.scope.year} is {version}, "
                f"not {bundle.policy_version} as filed"
            )
        try:
            recomputed = scope_figures(state, bundle.scope)
        except (ValueError, KeyError) as error:
            raise CheckFailed(f"the figures cannot be recomputed: {error}") from None
        filed = {_record_key(record): record for record in bundle.figures}
        if len(filed) != len(bundle.figures):
            raise CheckFailed("the filing lists a figure twice")
        for figure in recomputed:
            key = _key_text_of(figure.key)
            record = filed.pop(figure.key, None)
            if record is None:
                raise CheckFailed(f"figure {key} follows from the events but is not filed")
            if _figure_bytes(record) != canonical_bytes(figure):
                raise CheckFailed(
                    f"figure {key} as filed differs from the one recomputed from the events: "
                    f"filed {figure_outcome(record)}, recomputed {figure.outcome()}"
                )
        if filed:
            key = _key_text_of(next(iter(filed)))
            raise CheckFailed(f"figure {key} is filed but does not follow from the events")
        if [_record_key(r) for r in bundle.figures] != [f.key for f in recomputed]:
            raise CheckFailed("the figures are not filed in key order")
        total = checksum(recomputed)
        if total != bundle.figures_checksum:
            raise CheckFailed(
                f"the figures' checksum is {total}, not {bundle.figures_checksum} as filed"
            )
        step.lines.append(
            f"{len(recomputed)} figures of {bundle.scope.describe()} recomputed from the "
            f"{len(facts)} events with the pure policy (version {version}): each equal byte for "
            f"byte to the one filed; checksum {total} equal"
        )

    # 7
    def decisions(self, step: Step) -> None:
        bundle = self.bundle
        events = {(e.stream_id, e.stream_version): e for e in bundle.events}
        named = {(d.stream_id, d.version): d for d in bundle.decisions}
        if len(named) != len(bundle.decisions):
            raise CheckFailed("a decision is listed twice")
        for event in bundle.events:
            kind = DECISION_TOPICS.get(event.topic)
            ref = (event.stream_id, event.stream_version)
            if kind is not None and ref not in named:
                raise CheckFailed(
                    f"decision {event.stream_id}/{event.stream_version} ({event.topic}) is in "
                    "the events but not listed among the decisions"
                )
        facts = facts_of(bundle.events)
        context = DecisionContext.of(facts)
        lines: list[str] = []
        pending: list[tuple[int, int, str, DecisionEntry]] = []
        checked = discretionary = unreadable = 0
        for decision in bundle.decisions:
            name = f"decision {decision.stream_id}/{decision.version}"
            filed = events.get((decision.stream_id, decision.version))
            if filed is None or filed.topic != decision.topic:
                raise CheckFailed(f"{name} ({decision.topic}) is not among the filing's events")
            known = DECISION_TOPICS.get(decision.topic)
            if known is not None and known != decision.kind:
                raise CheckFailed(f"{name} is a {known}, not a {decision.kind}")
            if known is None:
                discretionary += 1
                lines.append(
                    f"{name}: {describe(decision)} ({decision.topic}, a decision this verifier "
                    "does not know): recorded, not recomputable"
                )
                continue
            if known == PERIOD_DECISION:
                if filed.erased or self.state is None:
                    unreadable += 1
                    lines.append(f"{name}: present, not recomputable (erased payloads)")
                    continue
                lines.append(self._period_decision(name, filed, decision))
                checked += 1
                continue
            try:
                expected = decision_entry(bundle.scope, facts_of([filed])[0], context)
            except (KeyError, TypeError, ValueError):
                expected = None
            if filed.erased or expected is None:
                unreadable += 1
                lines.append(
                    f"{name}: {decision.kind}: present, not recomputable (erased payloads)"
                )
                continue
            _same_entry(name, decision, expected)
            if known not in CHECKED_DECISION_KINDS:
                discretionary += 1
                lines.append(
                    f"{name}: {describe(decision)}: recorded, not recomputable (discretionary)"
                )
                continue
            if self.state is None:
                unreadable += 1
                lines.append(f"{name}: {decision.kind}: not recomputable (erased payloads)")
                continue
            position = decision.decided_at_position
            if position is None or not 0 < position < filed.position:
                raise CheckFailed(
                    f"{name} ({decision.kind}) claims figures as of position {position}, not "
                    "before it"
                )
            pending.append((position, len(lines), name, decision))
            lines.append("")
            checked += 1
        # One fold of the filed events, stopping at each position a decision is checked as of.
        state = LedgerState()
        remaining = iter(facts)
        upcoming = next(remaining, None)
        for position, index, name, decision in sorted(pending, key=lambda item: item[:2]):
            while upcoming is not None and upcoming.position <= position:
                state.apply(upcoming)
                upcoming = next(remaining, None)
            try:
                lines[index] = check_decision(state, bundle.scope, name, decision)
            except DecisionFailed as error:
                raise CheckFailed(str(error)) from None
            except (KeyError, TypeError, ValueError) as error:
                raise CheckFailed(
                    f"{name} ({decision.kind}) cannot be checked: {error!r}"
                ) from None
        if unreadable:
            step.status = NOT_RECOMPUTABLE
        step.lines.append(
            f"{len(bundle.decisions)} decisions: {checked} checked against the figures "
            f"recomputed as of their position, {discretionary} recorded, not recomputable "
            f"(discretionary)"
            + (f", {unreadable} not recomputable (erased payloads)" if unreadable else "")
        )
        step.lines.extend(lines)

    def _period_decision(self, name: str, event: EventEntry, decision: DecisionEntry) -> str:
        """Check a period decision against the figures recomputed as of its position."""
        period_key = decision.period
        state = self.state
        assert state is not None and event.payload is not None
        payload = event.payload
        decided_at = payload.get("decided_at_position")
        assessment_round = next(
            (r for r in state.rounds.values() if r.stream_id == str(event.stream_id)), None
        )
        if assessment_round is None or assessment_round.period.key != period_key:
            raise CheckFailed(f"{name} is not the decision of period {period_key}")
        period: Period = assessment_round.period
        if decided_at != decision.decided_at_position:
            raise CheckFailed(
                f"{name} was taken as of position {decided_at}, not {decision.decided_at_position}"
            )
        if type(decided_at) is not int or not 0 < decided_at < event.position:
            raise CheckFailed(f"{name} claims figures as of position {decided_at}, not before it")
        effective_on = date.fromisoformat(payload["effective_on"])
        if effective_on < period.last_day:
            raise CheckFailed(
                f"{name} of {period.key} took effect on {effective_on}, before the period ended"
            )
        as_of = fold(f for f in facts_of(self.bundle.events) if f.position <= decided_at)
        figures = period_figures(as_of, self.bundle.scope, period.key)
        total = checksum(figures)
        if total != decision.figures_checksum:
            raise CheckFailed(
                f"{name} of {period.key}: the {len(figures)} figures as of position {decided_at} "
                f"have checksum {total}, not {decision.figures_checksum} as filed"
            )
        late = late_entries(state, period.key)
        resolved = sum(1 for item in late if item.resolution is not None)
        later = (
            f"; entries recorded after it: {len(late)}, resolved by the leading group: {resolved}"
            if late
            else "; no entry recorded after it"
        )
        return (
            f"{name}: {period.key} ({payload.get('decision_ref')}) decided on the figures as of "
            f"position {decided_at}: its {len(figures)} figures of the scope recomputed, "
            f"checksum equal{later}"
        )


def _same_entry(name: str, filed: DecisionEntry, expected: DecisionEntry) -> None:
    """The filed decision entry says what its event says (period, position, what it decided)."""
    for member in ("period", "decided_at_position"):
        if getattr(filed, member) != getattr(expected, member):
            raise CheckFailed(
                f"{name} ({filed.kind}): the filed {member} is {getattr(filed, member)}, its event "
                f"gives {getattr(expected, member)}"
            )
    said, given = dict(filed.decided or {}), dict(expected.decided or {})
    for member in sorted(said.keys() | given.keys()):
        if said.get(member) != given.get(member):
            raise CheckFailed(
                f"{name} ({filed.kind}): the filed decision says {member} "
                f"{short(said.get(member))}, its event {short(given.get(member))}"
            )


def _record_key(record: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(record.get("kind")), str(record.get("subject")), str(record.get("period")))


def _key_text_of(key: tuple[str, str, str]) -> str:
    return f"{key[0]} of {key[1]} for {key[2]}"


def figure_outcome(record: Mapping[str, Any]) -> str:
    """A short rendering of a filed figure's outcome members (those beyond its trace)."""
    skip = {"kind", "subject", "period", "rule", "threshold", "policy_version", "trace"}
    return rfc8785.dumps({k: v for k, v in record.items() if k not in skip}).decode()


def _ranges(versions: Sequence[int]) -> str:
    if not versions:
        return "none"
    return ", ".join(str(v) for v in versions[:10]) + (" …" if len(versions) > 10 else "")


def _run(verification: _Verification, steps: list[Step], name: str, *arguments: Any) -> bool:
    step = next(step for step in steps if step.name == name)
    try:
        getattr(verification, name)(step, *arguments)
    except CheckFailed as error:
        step.status = FAILED
        step.lines.append(str(error))
        return False
    if step.status == NOT_RUN:
        step.status = PASSED
    return True


def _new_steps() -> list[Step]:
    return [Step(number, name, title) for number, (name, title) in enumerate(STEPS, start=1)]


def verify_bundle(
    bundle: Bundle,
    trusted_log_keys: Sequence[str | Verifier],
    trusted_witness_keys: Sequence[str | Verifier] = (),
    state: VerifierState | None = None,
    *,
    now: datetime | None = None,
) -> Report:
    """Run every check of docs/filing-format.md section 3 in order and report each; stop at the
    first that fails. Keys are verifier key texts (or verifiers) the recipient trusts; those in
    the bundle are never used. `state` is the verifier's memory (not changed here: on success
    `report.accepted` is what to remember). Raises `KeyFormatError` for a malformed key."""
    logs = _verifiers(trusted_log_keys)
    witnesses = _verifiers(trusted_witness_keys)
    verification = _Verification(bundle)
    steps = _new_steps()
    report = Report(
        bundle.scope.describe(),
        verification.checkpoint.origin,
        verification.size,
        verification.root,
        steps,
    )
    plan: list[tuple[str, tuple[Any, ...]]] = [
        ("format", ()),
        ("signatures", (logs, witnesses)),
        ("consistency", (logs, state)),
        ("events", ()),
        ("completeness", ()),
        ("figures", ()),
        ("decisions", ()),
    ]
    for name, arguments in plan:
        if not _run(verification, steps, name, *arguments):
            return report
    moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report.accepted = RememberedCheckpoint(
        verification.checkpoint.origin,
        verification.size,
        verification.root,
        bundle.checkpoint,
        moment,
    )
    return report


def check_contents(bundle: Bundle) -> str | None:
    """The checks that need neither trusted keys nor the verifier's memory (the builder runs
    them before handing a filing out): the first failure as "check: what", or None."""
    verification = _Verification(bundle)
    steps = _new_steps()
    plan: list[tuple[str, tuple[Any, ...]]] = [
        ("format", ()),
        ("consistency", (None, None)),
        ("events", ()),
        ("completeness", ()),
        ("figures", ()),
        ("decisions", ()),
    ]
    for name, arguments in plan:
        if not _run(verification, steps, name, *arguments):
            step = next(step for step in steps if step.name == name)
            return f"{name}: {step.lines[-1]}"
    return None
