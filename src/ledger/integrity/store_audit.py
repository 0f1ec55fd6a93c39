"""`ledger verify-store`: recompute every leaf from the stored events, and the whole tree.

Reads the store's rows directly (events with their recorded_at stamps, leaves, the tree row),
not through the application, and reports the FIRST inconsistency in log order, naming the row
and the check:

* `leaf_index` — leaf indices are not dense from 0;
* `event_missing` — a leaf names a position that has no event row (a deleted event);
* `leaf_missing` — an event row has no leaf (an inserted event, or a deleted leaf);
* `recorded_at_missing` — an event has no recorded_at stamp;
* `recorded_at` — the event's stamp differs from the one its leaf was built with;
* `recorded_at_order` — the stamps go back in time along the log;
* `payload_commitment` — the payload (or salt) is not the one the leaf commits to;
* `previous_stream_link` — the leaf's previous-stream hash is not the stream's previous leaf;
* `envelope` — the stream id, version, topic or position (or the stored leaf hash) changed;
* `stream_heads` — a stream-heads leaf (SPEC 7.2) is not the root and count of the stream
  heads recomputed from the leaves before it, or not at its own index;
* `tree_size` / `root` / `frontier` — the stored tree row disagrees with the leaves;
* `checkpoint` — a kept checkpoint's note is not the root of the log at its size, or does not
  end with a stream-heads leaf.

The leaf row keeps the payload commitment it was built with (it is inside the hashed leaf too),
so a changed payload or salt is told apart from a changed envelope field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast
from uuid import UUID

from ledger.integrity.checkpoints import StoredCheckpoint, StoredStreamHeads
from ledger.integrity.leaf import LeafRow, leaf_bytes, payload_commitment
from ledger.integrity.merkle import CompactRange, leaf_hash, tree_root
from ledger.integrity.note import Checkpoint, NoteError, parse_note
from ledger.integrity.stream_heads import StreamHead, StreamHeadsLeaf, StreamHeadsTree

if TYPE_CHECKING:
    from ledger.application import AssessmentLedger

__all__ = ["AuditedEvent", "IntegrityRecorder", "Problem", "Report", "TreeState", "verify_store"]


@dataclass(frozen=True)
class TreeState:
    """The Merkle tree over the log as the store keeps it: size, root and compact range."""

    size: int
    root: bytes
    frontier: bytes


@dataclass(frozen=True)
class AuditedEvent:
    """A stored event row as the store audit reads it (recorded_at None: its stamp is gone)."""

    position: int
    stream_id: UUID
    stream_version: int
    topic: str
    state: bytes
    recorded_at: str | None


class IntegrityRecorder(Protocol):
    """The Merkle log's reads, on every store."""

    def current_root(self) -> bytes:
        """The root of the tree over every leaf."""

    def tree_size(self) -> int:
        """The number of leaves."""

    def tree_state(self) -> TreeState:
        """The stored tree: size, root and compact range."""

    def leaf(self, index: int) -> LeafRow | None:
        """The leaf at an index, if there is one."""

    def leaves(self) -> list[LeafRow]:
        """Every leaf, by index."""

    def audit_events(self) -> list[AuditedEvent]:
        """Every stored event row with its recorded_at stamp, in log order."""

    def stream_heads_leaves(self) -> list[StoredStreamHeads]:
        """Every stream-heads leaf, by index."""

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every kept checkpoint, oldest first."""


@dataclass(frozen=True)
class Problem:
    """The first inconsistency found: which check, which row, what was expected."""

    check: str
    row: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.row}: {self.detail}"


@dataclass
class Report:
    """What `verify_store` checked and the first problem, if any."""

    events: int = 0
    leaves: int = 0
    tree_size: int = 0
    root: bytes = b""
    seconds: float = 0.0
    problem: Problem | None = None
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return self.problem is None


def verify_store(ledger: AssessmentLedger) -> Report:
    """Recompute every leaf and the tree from the store; stop at the first inconsistency."""
    recorder = cast(IntegrityRecorder, ledger.recorder)  # every ledger store implements it
    started = time.perf_counter()
    report = Report(
        checks=[
            "leaf indices dense from 0, one leaf per event in log order",
            "each leaf recomputed from its event (payload commitment, envelope, recorded_at)",
            "each stream's previous-leaf links",
            "recorded_at never decreasing along the log",
            "each stream-heads leaf against the stream heads recomputed before it",
            "tree size, root and compact range against all leaves",
            "each kept checkpoint against the log's root at its size",
        ]
    )
    events = recorder.audit_events()
    leaves = recorder.leaves()
    heads_leaves = recorder.stream_heads_leaves()
    tree = recorder.tree_state()
    report.events, report.leaves, report.tree_size, report.root = (
        len(events),
        len(leaves) + len(heads_leaves),
        tree.size,
        tree.root,
    )
    hashes: list[bytes] = []
    report.problem = (
        _check_leaves(events, leaves, heads_leaves, hashes)
        or _check_tree(hashes, tree)
        or _check_checkpoints(hashes, heads_leaves, recorder.checkpoints())
    )
    report.seconds = time.perf_counter() - started
    return report


def _check_leaves(
    events: list[AuditedEvent],
    leaves: list[LeafRow],
    heads_leaves: list[StoredStreamHeads],
    hashes: list[bytes],
) -> Problem | None:
    """Walk the log in leaf order; `hashes` receives every leaf hash checked."""
    typed = {stored.leaf_index: stored for stored in heads_leaves}
    versions: dict[UUID, int] = {}
    heads: dict[UUID, bytes] = {}
    last_recorded = ""
    next_event = 0
    expected_index = 0
    for row in leaves:
        while expected_index in typed:
            stored = typed.pop(expected_index)
            problem = _check_stream_heads(stored, heads, versions, last_recorded)
            if problem is not None:
                return problem
            last_recorded = max(last_recorded, stored.leaf.recorded_at)
            hashes.append(stored.leaf_hash)
            expected_index += 1
        where = f"leaf {row.leaf_index} (position {row.position})"
        if row.leaf_index != expected_index:
            return Problem(
                "leaf_index", where, f"expected leaf index {expected_index}: the index has a gap"
            )
        # Events before this leaf's position have no leaf; an event at it is the leaf's.
        if next_event < len(events) and events[next_event].position < row.position:
            orphan = events[next_event]
            return Problem(
                "leaf_missing",
                f"event at position {orphan.position}",
                f"no leaf (the next leaf, {row.leaf_index}, is for position {row.position})",
            )
        if next_event >= len(events) or events[next_event].position != row.position:
            return Problem("event_missing", where, "no event row at the leaf's position")
        event = events[next_event]
        next_event += 1
        if event.recorded_at is None:
            return Problem("recorded_at_missing", where, "the event has no recorded_at stamp")
        if event.recorded_at != row.recorded_at:
            return Problem(
                "recorded_at",
                where,
                f"the event's recorded_at {event.recorded_at} is not the leaf's {row.recorded_at}",
            )
        if event.recorded_at < last_recorded:
            return Problem(
                "recorded_at_order",
                where,
                f"recorded_at {event.recorded_at} is before the previous event's {last_recorded}",
            )
        last_recorded = event.recorded_at
        prev = heads.get(event.stream_id)
        if row.prev_stream_leaf_hash != prev:
            return Problem(
                "previous_stream_link",
                where,
                f"the leaf links to {_hex(row.prev_stream_leaf_hash)}; the previous leaf of "
                f"stream {event.stream_id} is {_hex(prev)}",
            )
        commitment = payload_commitment(row.salt, event.state)
        if commitment != row.payload_commitment:
            return Problem(
                "payload_commitment",
                where,
                "SHA-256 of the salt and the stored payload is not the commitment of the leaf",
            )
        computed = leaf_hash(
            leaf_bytes(
                event.position,
                event.stream_id,
                event.stream_version,
                event.topic,
                event.recorded_at,
                prev,
                commitment,
            )
        )
        if computed != row.leaf_hash:
            return Problem(
                "envelope",
                where,
                "the leaf recomputed from the event row (stream id, version, topic, position) "
                "is not the stored leaf hash",
            )
        heads[event.stream_id] = row.leaf_hash
        versions[event.stream_id] = event.stream_version
        hashes.append(row.leaf_hash)
        expected_index += 1
    while expected_index in typed:
        stored = typed.pop(expected_index)
        problem = _check_stream_heads(stored, heads, versions, last_recorded)
        if problem is not None:
            return problem
        hashes.append(stored.leaf_hash)
        expected_index += 1
    if typed:
        index = min(typed)
        return Problem(
            "leaf_index",
            f"stream-heads leaf {index}",
            f"expected leaf index {expected_index}: the index has a gap",
        )
    if next_event < len(events):
        orphan = events[next_event]
        return Problem(
            "leaf_missing", f"event at position {orphan.position}", "no leaf after the last one"
        )
    return None


def _hex(value: bytes | None) -> str:
    return "none" if value is None else value.hex()


def _check_stream_heads(
    stored: StoredStreamHeads,
    heads: dict[UUID, bytes],
    versions: dict[UUID, int],
    last_recorded: str,
) -> Problem | None:
    where = f"stream-heads leaf {stored.leaf_index}"
    tree = StreamHeadsTree(
        StreamHead(stream, versions[stream], digest) for stream, digest in heads.items()
    )
    expected = StreamHeadsLeaf.of(stored.leaf_index, tree, stored.leaf.recorded_at)
    if stored.leaf.tree_size != stored.leaf_index:
        return Problem("stream_heads", where, f"it says it follows {stored.leaf.tree_size} leaves")
    if (stored.leaf.stream_count, stored.leaf.stream_heads_root) != (tree.size, tree.root):
        return Problem(
            "stream_heads",
            where,
            f"it commits to {stored.leaf.stream_count} streams with root "
            f"{stored.leaf.stream_heads_root.hex()}; the leaves before it give {tree.size} "
            f"streams with root {tree.root.hex()}",
        )
    if expected.leaf_hash() != stored.leaf_hash:
        return Problem("stream_heads", where, "the stored leaf hash is not the leaf's hash")
    if stored.leaf.recorded_at < last_recorded:
        return Problem(
            "recorded_at_order",
            where,
            f"recorded_at {stored.leaf.recorded_at} is before the previous leaf's {last_recorded}",
        )
    return None


def _check_checkpoints(
    hashes: list[bytes], heads_leaves: list[StoredStreamHeads], kept: list[StoredCheckpoint]
) -> Problem | None:
    ends = {stored.leaf_index + 1 for stored in heads_leaves}
    # One pass over the log gives the root at every kept size.
    sizes = {checkpoint.size for checkpoint in kept}
    roots: dict[int, bytes] = {}
    compact = CompactRange()
    for digest in hashes:
        compact.append(digest)
        if compact.size in sizes:
            roots[compact.size] = compact.root()
    for checkpoint in kept:
        where = f"checkpoint of size {checkpoint.size}"
        if checkpoint.size not in ends:
            return Problem("checkpoint", where, "its last leaf is not a stream-heads leaf")
        if checkpoint.size > len(hashes):
            return Problem("checkpoint", where, f"the log has only {len(hashes)} leaves")
        root = roots[checkpoint.size]
        try:
            body = Checkpoint.parse(parse_note(checkpoint.note).text)
        except NoteError as error:
            return Problem("checkpoint", where, f"the kept note is malformed: {error}")
        if (body.size, body.root_hash) != (checkpoint.size, root) or checkpoint.root != root:
            return Problem(
                "checkpoint",
                where,
                f"the note says size {body.size} root {body.root_hash.hex()}; the log's root at "
                f"that size is {root.hex()}",
            )
    return None


def _check_tree(hashes: list[bytes], state: TreeState) -> Problem | None:
    if state.size != len(hashes):
        return Problem(
            "tree_size", "tree row", f"the tree holds {state.size} leaves; there are {len(hashes)}"
        )
    root = tree_root(len(hashes), hashes)
    if state.root != root:
        return Problem(
            "root",
            "tree row",
            f"stored root {state.root.hex()} is not the root of the leaves, {root.hex()}",
        )
    try:
        frontier = CompactRange.from_bytes(state.size, state.frontier)
    except ValueError as error:
        return Problem("frontier", "tree row", f"the compact range is malformed: {error}")
    if frontier.root() != root:
        return Problem("frontier", "tree row", "the compact range's root is not the tree's root")
    return None
