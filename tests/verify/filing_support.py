"""Helpers for the filing tests: a log with checkpoints built from a real ledger's event leaves,
and filings of a staff member's or the center's year built from it with `build_bundle`.

`CheckpointedLog` plays the store's part (SPEC 7.2) independently of the store's own
checkpoints: it reads the recorder's event rows (`audit_events`) and leaves (`leaves`), and
before each checkpoint appends a stream-heads leaf committing to every stream's head.

`forged` rebuilds a snapshot's whole log, signed by the log's key, with some payloads changed:
a center whose log holds a decision the rules do not allow. Every proof of its filings holds; only
the decisions check can catch it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, cast
from unittest.mock import patch
from uuid import UUID

import rfc8785

from ledger.application import AssessmentLedger
from ledger.filing.bundle import (
    Bundle,
    EventRow,
    Scope,
    build_bundle,
    facts_of,
    parse,
    policy_version_of,
    scope_figures,
    scope_streams,
)
from ledger.integrity.leaf import leaf_bytes, payload_commitment
from ledger.integrity.merkle import MerkleTree
from ledger.integrity.merkle import leaf_hash as rfc6962_leaf_hash
from ledger.integrity.note import (
    Checkpoint,
    Ed25519Cosigner,
    Ed25519Signer,
    add_signatures,
    sign_note,
)
from ledger.integrity.store_audit import IntegrityRecorder
from ledger.integrity.stream_heads import StreamHead, StreamHeadsLeaf, StreamHeadsTree
from ledger.policy import fold

ORIGIN = "assessment-ledger.test/center"
EXPORTED_AT = "2026-01-05T08:00:00.000000Z"


@dataclass(frozen=True)
class Snapshot:
    """One checkpoint of the log and everything a filing against it needs."""

    size: int
    note: str
    rows: tuple[EventRow, ...]
    leaf_hashes: tuple[bytes, ...]
    heads: StreamHeadsTree
    heads_leaf: StreamHeadsLeaf


@dataclass
class CheckpointedLog:
    """The ledger's event leaves, with a stream-heads leaf and a signed checkpoint whenever
    `checkpoint` is called."""

    ledger: AssessmentLedger
    signer: Ed25519Signer
    cosigners: Sequence[Ed25519Cosigner] = ()
    origin: str = ORIGIN
    rows: list[EventRow] = field(default_factory=list)
    leaf_hashes: list[bytes] = field(default_factory=list)
    stream_heads: dict[UUID, StreamHead] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)

    def checkpoint(self) -> Snapshot:
        """Take in the events recorded since the last checkpoint, append the stream-heads leaf,
        and sign (and cosign) the checkpoint of the tree that ends with it."""
        recorder = cast(IntegrityRecorder, self.ledger.recorder)
        leaves = {row.position: row for row in recorder.leaves()}
        taken = self.rows[-1].position if self.rows else 0
        for event in recorder.audit_events():
            if event.position <= taken:
                continue
            leaf = leaves[event.position]
            assert event.recorded_at is not None
            self.rows.append(
                EventRow(
                    leaf_index=len(self.leaf_hashes),
                    position=event.position,
                    stream_id=event.stream_id,
                    stream_version=event.stream_version,
                    topic=event.topic,
                    recorded_at=leaf.recorded_at,
                    prev_stream_leaf_hash=leaf.prev_stream_leaf_hash,
                    salt=leaf.salt,
                    payload=event.state,
                )
            )
            self.leaf_hashes.append(leaf.leaf_hash)
            self.stream_heads[event.stream_id] = StreamHead(
                event.stream_id, event.stream_version, leaf.leaf_hash
            )
        heads = StreamHeadsTree(self.stream_heads.values())
        recorded_at = self.rows[-1].recorded_at if self.rows else EXPORTED_AT
        heads_leaf = StreamHeadsLeaf.of(len(self.leaf_hashes), heads, recorded_at)
        self.leaf_hashes.append(heads_leaf.leaf_hash())
        size = len(self.leaf_hashes)
        body = Checkpoint(self.origin, size, MerkleTree(self.leaf_hashes).root()).format()
        note = sign_note(body, [self.signer])
        if self.cosigners:
            note = add_signatures(note, self.cosigners)
        snapshot = Snapshot(
            size, note, tuple(self.rows), tuple(self.leaf_hashes), heads, heads_leaf
        )
        self.snapshots.append(snapshot)
        return snapshot


def scope_rows(snapshot: Snapshot, scope: Scope) -> tuple[list[EventRow], dict[UUID, str]]:
    """The events a filing of the scope holds, and the streams it must prove absent."""
    if scope.kind == "center":
        return list(snapshot.rows), {}
    state = fold(facts_of(snapshot.rows))
    staff = state.staff.get(scope.staff_number or "")
    units = sorted({m.unit_code for m in staff.memberships}) if staff else []
    required = scope_streams(scope, units)
    present = {s for s in required if snapshot.heads.head_proof(s) is not None}
    rows = [row for row in snapshot.rows if row.stream_id in present]
    absent = {stream: kind for stream, kind in required.items() if stream not in present}
    return rows, absent


def filing(
    snapshot: Snapshot,
    scope: Scope,
    earlier: Sequence[Snapshot] = (),
    **overrides: Any,
) -> Bundle:
    """The filing of the scope against the snapshot's checkpoint, built as the exporter will."""
    rows, absent = scope_rows(snapshot, scope)
    state = fold(facts_of(rows))
    arguments: dict[str, Any] = {
        "scope": scope,
        "events": rows,
        "tree": list(snapshot.leaf_hashes),
        "stream_heads": snapshot.heads,
        "stream_heads_leaf": snapshot.heads_leaf,
        "checkpoint": snapshot.note,
        "exported_at": EXPORTED_AT,
        "figures": scope_figures(state, scope),
        "policy_version": policy_version_of(state, scope.year),
        "earlier_checkpoints": [s.note for s in earlier],
        "absent_streams": absent,
    }
    arguments.update(overrides)
    return build_bundle(**arguments)


def tampered(bundle: Bundle, change: Callable[[dict[str, Any]], object]) -> Bundle:
    """The bundle re-read after `change` edited its JSON document in place."""
    document = json.loads(bundle.to_json())
    change(document)
    return parse(json.dumps(document, ensure_ascii=False).encode())


Edit = Callable[[str, dict[str, Any]], Mapping[str, Any] | None]
"""Given an event's topic and its payload (a copy), the payload to log instead, or None."""


def forged(snapshot: Snapshot, signer: Ed25519Signer, edit: Edit) -> Snapshot:
    """The snapshot's events relogged from scratch with `edit` applied to their payloads: new
    commitments, stream links, stream heads and a checkpoint signed by the log's key."""
    rows: list[EventRow] = []
    hashes: list[bytes] = []
    heads: dict[UUID, StreamHead] = {}
    for row in snapshot.rows:
        assert row.payload is not None and row.salt is not None
        changed = edit(row.topic, json.loads(row.payload))
        payload = row.payload if changed is None else rfc8785.dumps(dict(changed))
        previous = heads[row.stream_id].leaf_hash if row.stream_id in heads else None
        digest = rfc6962_leaf_hash(
            leaf_bytes(
                row.position,
                row.stream_id,
                row.stream_version,
                row.topic,
                row.recorded_at,
                previous,
                payload_commitment(row.salt, payload),
            )
        )
        rows.append(
            replace(row, leaf_index=len(hashes), prev_stream_leaf_hash=previous, payload=payload)
        )
        hashes.append(digest)
        heads[row.stream_id] = StreamHead(row.stream_id, row.stream_version, digest)
    tree = StreamHeadsTree(heads.values())
    heads_leaf = StreamHeadsLeaf.of(len(hashes), tree, rows[-1].recorded_at)
    hashes.append(heads_leaf.leaf_hash())
    body = Checkpoint(ORIGIN, len(hashes), MerkleTree(hashes).root()).format()
    return Snapshot(
        len(hashes), sign_note(body, [signer]), tuple(rows), tuple(hashes), tree, heads_leaf
    )


@contextmanager
def unchecked() -> Iterator[None]:
    """Build filings without the builder's own verification (which refuses a forged decision),
    as a dishonest exporter would."""
    with patch("ledger.filing.verify.check_contents", return_value=None):
        yield
