"""Completeness (SPEC section 7.2): the stream-heads tree and the typed leaf that commits to it.

Before each checkpoint the store appends a *stream-heads leaf* to the log:

    {"recorded_at": "...Z", "schema": "assessment-ledger/stream-heads/v1",
     "stream_count": k, "stream_heads_root": hex, "tree_size": n}

where `tree_size` is the number of leaves before it (its own leaf index) and `stream_heads_root`
the RFC 6962 root of the *stream-heads tree*: one leaf per stream with at least one event among
those `tree_size` leaves, sorted by stream id (the UUID's lowercase text), each the RFC 8785
bytes of

    {"leaf_hash": hex, "schema": "assessment-ledger/stream-head/v1", "stream_id": "<uuid>",
     "version": int}

(the stream's last version before `tree_size` and that event's leaf hash). With the per-stream
links of the event leaves (`prev_stream_leaf_hash`), an inclusion proof of a stream's head proves
that a filing holds the stream's whole history up to the checkpoint; two adjacent heads around a
stream id prove the stream had no event at all.

Standard library and `rfc8785` only: the standalone verifier imports this module.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import rfc8785

from ledger.integrity.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    verify_inclusion,
)

__all__ = [
    "STREAM_HEADS_SCHEMA",
    "STREAM_HEAD_SCHEMA",
    "HeadProof",
    "StreamHead",
    "StreamHeadsLeaf",
    "StreamHeadsTree",
    "verify_absence",
    "verify_head",
]

STREAM_HEAD_SCHEMA = "assessment-ledger/stream-head/v1"
"""The encoding of one entry of the stream-heads tree."""

STREAM_HEADS_SCHEMA = "assessment-ledger/stream-heads/v1"
"""The encoding of the typed leaf that commits to the stream-heads tree."""

_HEX32 = re.compile(r"[0-9a-f]{64}")
_RECORDED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _hash_from_hex(text: object, what: str) -> bytes:
    if not isinstance(text, str) or not _HEX32.fullmatch(text):
        raise ValueError(f"{what} must be 64 lowercase hex digits, not {text!r}")
    return bytes.fromhex(text)


def _count(value: object, what: str) -> int:
    if type(value) is not int or not 0 <= value <= 2**53 - 1:
        raise ValueError(f"{what} must be a non-negative integer, not {value!r}")
    return value


@dataclass(frozen=True, order=True)
class StreamHead:
    """A stream's last event before the stream-heads leaf: its version and leaf hash."""

    stream_id: UUID
    version: int
    leaf_hash: bytes

    def as_object(self) -> dict[str, object]:
        """The entry as a JSON object (before canonicalisation)."""
        return {
            "leaf_hash": self.leaf_hash.hex(),
            "schema": STREAM_HEAD_SCHEMA,
            "stream_id": str(self.stream_id),
            "version": self.version,
        }

    def leaf_bytes(self) -> bytes:
        """The entry's RFC 8785 bytes, a leaf of the stream-heads tree."""
        return rfc8785.dumps(cast(Any, self.as_object()))

    def tree_leaf_hash(self) -> bytes:
        """The entry's RFC 6962 leaf hash in the stream-heads tree."""
        return leaf_hash(self.leaf_bytes())

    @classmethod
    def from_object(cls, data: Mapping[str, Any]) -> StreamHead:
        """An entry from its JSON members (`stream_id`, `version`, `leaf_hash`)."""
        try:
            stream_id = UUID(str(data["stream_id"]))
        except (KeyError, ValueError) as error:
            raise ValueError(f"a stream head needs a UUID stream_id: {error}") from None
        version = _count(data.get("version"), "a stream head's version")
        if version < 1:
            raise ValueError("a stream head's version starts at 1")
        return cls(stream_id, version, _hash_from_hex(data.get("leaf_hash"), "leaf_hash"))


@dataclass(frozen=True)
class HeadProof:
    """A stream head with its index in the stream-heads tree and its inclusion proof."""

    head: StreamHead
    index: int
    proof: tuple[bytes, ...]

    def as_object(self) -> dict[str, object]:
        """The proof as the filing holds it."""
        return {
            "heads_index": self.index,
            "heads_proof": [step.hex() for step in self.proof],
            "leaf_hash": self.head.leaf_hash.hex(),
            "stream_id": str(self.head.stream_id),
            "version": self.head.version,
        }

    @classmethod
    def from_object(cls, data: Mapping[str, Any]) -> HeadProof:
        """A proof from the filing's members."""
        proof = data.get("heads_proof")
        if not isinstance(proof, list):
            raise ValueError("heads_proof must be a list of hashes")
        return cls(
            StreamHead.from_object(data),
            _count(data.get("heads_index"), "heads_index"),
            tuple(_hash_from_hex(step, "a heads_proof hash") for step in proof),
        )


class StreamHeadsTree:
    """The sorted stream-heads tree over a set of stream heads (one per stream)."""

    def __init__(self, heads: Iterable[StreamHead]) -> None:
        ordered = sorted(heads, key=lambda head: str(head.stream_id))
        keys = [str(head.stream_id) for head in ordered]
        if len(set(keys)) != len(keys):
            raise ValueError("a stream appears twice among the stream heads")
        self._heads = ordered
        self._keys = keys
        self._tree = MerkleTree(head.tree_leaf_hash() for head in ordered)

    @property
    def size(self) -> int:
        """The number of streams."""
        return len(self._heads)

    @property
    def root(self) -> bytes:
        """The tree's root (SHA-256 of the empty string when there is no stream)."""
        return self._tree.root() if self._heads else EMPTY_ROOT

    @property
    def heads(self) -> Sequence[StreamHead]:
        """The heads in tree order."""
        return tuple(self._heads)

    def _proof(self, index: int) -> HeadProof:
        return HeadProof(self._heads[index], index, tuple(self._tree.inclusion_proof(index)))

    def head_proof(self, stream_id: UUID) -> HeadProof | None:
        """The stream's head with its inclusion proof, or None when the stream has no event."""
        key = str(stream_id)
        index = bisect.bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            return self._proof(index)
        return None

    def absence_proof(self, stream_id: UUID) -> tuple[HeadProof | None, HeadProof | None]:
        """The two adjacent heads around a stream that is not in the tree (below, above); None
        on the side where the stream id sorts first or last. Raises if the stream is present."""
        key = str(stream_id)
        index = bisect.bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            raise ValueError(f"stream {key} is in the stream-heads tree")
        below = self._proof(index - 1) if index > 0 else None
        above = self._proof(index) if index < len(self._keys) else None
        return below, above


def verify_head(proof: HeadProof, stream_count: int, root: bytes) -> None:
    """Check that the head is at its index in the stream-heads tree of `stream_count` streams with
    this root; raise `ProofError` otherwise."""
    verify_inclusion(proof.head.tree_leaf_hash(), proof.index, stream_count, proof.proof, root)


def verify_absence(
    stream_id: UUID,
    below: HeadProof | None,
    above: HeadProof | None,
    stream_count: int,
    root: bytes,
) -> None:
    """Check that no stream with this id is in the stream-heads tree: its neighbours are adjacent
    in the tree and sort on either side of it; raise `ProofError` saying what failed."""
    key = str(stream_id)
    if stream_count == 0:
        if below is not None or above is not None:
            raise ProofError("an empty stream-heads tree has no neighbours to show")
        if root != EMPTY_ROOT:
            raise ProofError("a stream-heads tree of 0 streams must have the empty root")
        return
    if below is None and above is None:
        raise ProofError("an absence proof needs at least one neighbour")
    for neighbour in (below, above):
        if neighbour is not None:
            verify_head(neighbour, stream_count, root)
    if below is not None:
        if not str(below.head.stream_id) < key:
            raise ProofError(f"the head below {key} does not sort before it")
    elif above is not None and above.index != 0:
        raise ProofError(f"{key} sorts first, but its neighbour above is not the first head")
    if above is not None:
        if not key < str(above.head.stream_id):
            raise ProofError(f"the head above {key} does not sort after it")
    elif below is not None and below.index != stream_count - 1:
        raise ProofError(f"{key} sorts last, but its neighbour below is not the last head")
    if below is not None and above is not None and above.index != below.index + 1:
        raise ProofError(f"the heads around {key} are not adjacent in the stream-heads tree")


@dataclass(frozen=True)
class StreamHeadsLeaf:
    """The typed leaf written before each checkpoint."""

    tree_size: int
    stream_count: int
    stream_heads_root: bytes
    recorded_at: str
    """As the event leaves hold it: UTC, microseconds, `Z`."""

    def as_object(self) -> dict[str, object]:
        """The leaf as a JSON object (before canonicalisation)."""
        return {
            "recorded_at": self.recorded_at,
            "schema": STREAM_HEADS_SCHEMA,
            "stream_count": self.stream_count,
            "stream_heads_root": self.stream_heads_root.hex(),
            "tree_size": self.tree_size,
        }

    def leaf_bytes(self) -> bytes:
        """The leaf's RFC 8785 bytes."""
        return rfc8785.dumps(cast(Any, self.as_object()))

    def leaf_hash(self) -> bytes:
        """The leaf's RFC 6962 hash in the log."""
        return leaf_hash(self.leaf_bytes())

    @classmethod
    def from_object(cls, data: Mapping[str, Any]) -> StreamHeadsLeaf:
        """The leaf from its JSON members, checked for shape."""
        if data.get("schema") != STREAM_HEADS_SCHEMA:
            raise ValueError(f"a stream-heads leaf has schema {STREAM_HEADS_SCHEMA!r}")
        extra = set(data) - {
            "recorded_at",
            "schema",
            "stream_count",
            "stream_heads_root",
            "tree_size",
        }
        if extra:
            raise ValueError(f"a stream-heads leaf has no members {sorted(extra)}")
        recorded_at = data.get("recorded_at")
        if not isinstance(recorded_at, str) or not _RECORDED_AT.fullmatch(recorded_at):
            raise ValueError(f"recorded_at must be YYYY-MM-DDTHH:MM:SS.ffffffZ: {recorded_at!r}")
        return cls(
            _count(data.get("tree_size"), "tree_size"),
            _count(data.get("stream_count"), "stream_count"),
            _hash_from_hex(data.get("stream_heads_root"), "stream_heads_root"),
            recorded_at,
        )

    @classmethod
    def of(cls, tree_size: int, tree: StreamHeadsTree, recorded_at: str) -> StreamHeadsLeaf:
        """The leaf committing to this tree, written after `tree_size` leaves."""
        return cls(tree_size, tree.size, tree.root, recorded_at)
