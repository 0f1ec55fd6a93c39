"""Checkpoints of the Merkle log (SPEC 7.2, 7.3): take one, keep it, and prove against it.

Taking a checkpoint is one store transaction under the log's write lock: the store appends a
stream-heads leaf (the root of the sorted tree of every stream's head, `stream_heads.py`), signs
the C2SP checkpoint of the tree that ends with that leaf, and keeps the signed note. So every
checkpoint's last leaf is a stream-heads leaf, and a filing can prove a stream's whole history
up to it. When nothing was recorded since the last checkpoint, the last one is returned as it is.

The signing key stays outside the database (`keys.py`); the store only keeps the signed notes,
which are public. Witnesses' cosignatures are added to a kept note later (`add_cosignatures`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.integrity.merkle import MerkleTree, ProofError
from ledger.integrity.note import (
    Checkpoint,
    Signer,
    Verifier,
    open_checkpoint,
    parse_note,
    sign_note,
)
from ledger.integrity.stream_heads import StreamHead, StreamHeadsLeaf
from ledger.integrity.witness_client import SizeConflict, add_checkpoint

__all__ = [
    "CheckpointRecorder",
    "StoredCheckpoint",
    "StoredStreamHeads",
    "add_cosignatures",
    "checkpoint_signer",
    "consistency_proof",
    "inclusion_proof",
    "open_stored",
    "submit_to_witness",
    "take_checkpoint",
]


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint as the store keeps it: tree size, root and the signed note's text."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class StoredStreamHeads:
    """A stream-heads leaf as the store keeps it, at its index in the log."""

    leaf_index: int
    leaf: StreamHeadsLeaf
    leaf_hash: bytes


SignCheckpoint = Callable[[int, bytes], str]
"""(tree size, root) -> the signed note text of that checkpoint."""


class CheckpointRecorder(Protocol):
    """What a store does for checkpoints (every ledger store implements it)."""

    def record_checkpoint(self, sign: SignCheckpoint) -> StoredCheckpoint:
        """Under the write lock: append a stream-heads leaf and keep the signed checkpoint that
        ends with it, unless the last leaf already is the last checkpoint's (then return it)."""

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every kept checkpoint, oldest first."""

    def replace_checkpoint_note(self, size: int, note: str) -> None:
        """Keep a new note text (more signatures) for the checkpoint of this size."""

    def stream_heads_leaves(self) -> list[StoredStreamHeads]:
        """Every stream-heads leaf, by index."""

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The hashes of the first `size` leaves of the log (event and stream-heads leaves)."""

    def stream_heads_at(self, tree_size: int) -> list[StreamHead]:
        """Every stream's head among the first `tree_size` leaves (unsorted)."""


def checkpoint_signer(origin: str, signer: Signer) -> SignCheckpoint:
    """A `SignCheckpoint` for this log origin and key."""

    def sign(size: int, root: bytes) -> str:
        return sign_note(Checkpoint(origin, size, root).format(), [signer])

    return sign


def take_checkpoint(recorder: CheckpointRecorder, origin: str, signer: Signer) -> StoredCheckpoint:
    """Append a stream-heads leaf and sign the checkpoint that ends with it (see the module)."""
    return recorder.record_checkpoint(checkpoint_signer(origin, signer))


def add_cosignatures(
    recorder: CheckpointRecorder, checkpoint: StoredCheckpoint, cosigned_note: str
) -> StoredCheckpoint:
    """Keep a cosigned copy of a checkpoint: the same text, the log's signature, and more."""
    ours = parse_note(checkpoint.note)
    theirs = parse_note(cosigned_note)
    if theirs.text != ours.text:
        raise ValueError("the cosigned note is not the same checkpoint text")
    # Every signer of the kept note must still sign (a witness's line may be renewed).
    signers = {signature.name for signature in theirs.signatures}
    dropped = sorted({s.name for s in ours.signatures} - signers)
    if dropped:
        raise ValueError(f"the cosigned note dropped the signature of {', '.join(dropped)}")
    recorder.replace_checkpoint_note(checkpoint.size, cosigned_note)
    return StoredCheckpoint(checkpoint.size, checkpoint.root, cosigned_note)


def open_stored(
    checkpoint: StoredCheckpoint, origin: str, log_keys: Sequence[Verifier]
) -> Checkpoint:
    """A kept checkpoint, its signature checked with the log's keys."""
    body, _ = open_checkpoint(checkpoint.note, log_keys, origin=origin)
    return body


def inclusion_proof(recorder: CheckpointRecorder, index: int, size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of leaf `index` in the tree of the first `size` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    return MerkleTree(recorder.leaf_hashes(size)).inclusion_proof(index)


def consistency_proof(recorder: CheckpointRecorder, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 consistency proof from the tree of `old_size` leaves to `new_size`."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from {old_size} to {new_size} leaves")
    return MerkleTree(recorder.leaf_hashes(new_size)).consistency_proof(old_size)


def submit_to_witness(
    recorder: CheckpointRecorder, checkpoint: StoredCheckpoint, url: str, *, timeout: float = 30.0
) -> StoredCheckpoint:
    """Ask the witness at `url` to cosign a kept checkpoint and keep its cosignature.

    The first request claims the witness has seen nothing of this log (old size 0, empty proof);
    a witness that has answers 409 with the size it last cosigned, and the request is made once
    more with the consistency proof from there (C2SP tlog-witness). Any other refusal is raised
    as the client's `WitnessClientError`: a 409 without a size or a 422 means the witness holds
    a checkpoint this log is not consistent with.
    """
    try:
        lines = add_checkpoint(url, checkpoint.note, timeout=timeout)
    except SizeConflict as conflict:
        old = conflict.latest_size
        proof = consistency_proof(recorder, old, checkpoint.size) if old else []
        lines = add_checkpoint(url, checkpoint.note, old_size=old, proof=proof, timeout=timeout)
    current = next(kept for kept in recorder.checkpoints() if kept.size == checkpoint.size)
    note = parse_note(current.note)
    # A witness asked again cosigns again with a new timestamp: keep only its latest line.
    renewed = {line.split(" ", 2)[1] for line in lines if line.count(" ") >= 2}
    kept_lines = "".join(s.line() for s in note.signatures if s.name not in renewed)
    return add_cosignatures(recorder, current, note.text + "\n" + kept_lines + "".join(lines))
