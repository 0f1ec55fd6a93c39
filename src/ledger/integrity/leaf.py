"""The leaf data of the Merkle log (SPEC section 7.1): one leaf per stored event, in log order.

A leaf is the RFC 8785 (JCS) JSON object

    {"payload_commitment": hex, "position": int, "prev_stream_leaf_hash": hex | null,
     "recorded_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "schema": "assessment-ledger/leaf/v1",
     "stream_id": "<uuid>", "stream_version": int, "topic": str}

`schema` versions the encoding and separates it from any other JSON we hash. The payload is
not in the leaf, only a salted commitment to it:

    payload_commitment = SHA-256("assessment-ledger/payload/v1" ‖ 0x00 ‖ salt ‖ payload)

where `payload` is the stored canonical payload bytes (`ledger.serialisation.canonical_json`;
the stores keep them uncompressed and unencrypted) and `salt` a per-event random 32 bytes kept
beside the leaf, never in it. So the payload can one day be erased while the leaf still
verifies. `prev_stream_leaf_hash` is the leaf hash of the previous event of the same stream
(null for its first event), which chains each stream through the log.

`leaf_bytes` is the fast fixed-template encoder used on the write path; `leaf_bytes_oracle`
builds the same object through `rfc8785.dumps` (the tests check both give identical bytes).
Standard library and `rfc8785` only: the standalone verifier can import this module.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast
from uuid import UUID

import rfc8785

from ledger.integrity.merkle import leaf_hash

__all__ = [
    "LEAF_SCHEMA",
    "PAYLOAD_DOMAIN",
    "SALT_SIZE",
    "LeafEnvelope",
    "LeafRow",
    "build_leaves",
    "format_recorded_at",
    "leaf_bytes",
    "leaf_bytes_oracle",
    "leaf_hash_of",
    "new_salts",
    "parse_recorded_at",
    "payload_commitment",
]

LEAF_SCHEMA = "assessment-ledger/leaf/v1"
"""The leaf encoding's name and version, inside every leaf."""

PAYLOAD_DOMAIN = b"assessment-ledger/payload/v1\x00"
"""Prefix of the payload commitment's hash input (domain separation)."""

SALT_SIZE = 32
"""Bytes of random salt per event."""

_MAX_SAFE = 2**53 - 1


def payload_commitment(salt: bytes, payload: bytes) -> bytes:
    """SHA-256 over the domain, the event's salt and its canonical payload bytes."""
    return hashlib.sha256(PAYLOAD_DOMAIN + salt + payload).digest()


def new_salts(count: int) -> list[bytes]:
    """`count` fresh random salts (one read of the OS's random source)."""
    pool = os.urandom(SALT_SIZE * count)
    return [pool[i : i + SALT_SIZE] for i in range(0, SALT_SIZE * count, SALT_SIZE)]


def format_recorded_at(moment: datetime) -> str:
    """A recorded_at as the leaf holds it: UTC, microseconds, `Z` (RFC 3339)."""
    if moment.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_recorded_at(text: str) -> datetime:
    """The inverse of `format_recorded_at`."""
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class LeafEnvelope:
    """What a leaf states about one stored event."""

    position: int
    stream_id: UUID
    stream_version: int
    topic: str
    recorded_at: datetime
    prev_stream_leaf_hash: bytes | None
    payload_commitment: bytes

    def as_object(self) -> dict[str, object]:
        """The leaf as a JSON object (before canonicalisation)."""
        previous = self.prev_stream_leaf_hash
        return {
            "payload_commitment": self.payload_commitment.hex(),
            "position": self.position,
            "prev_stream_leaf_hash": None if previous is None else previous.hex(),
            "recorded_at": format_recorded_at(self.recorded_at),
            "schema": LEAF_SCHEMA,
            "stream_id": str(self.stream_id),
            "stream_version": self.stream_version,
            "topic": self.topic,
        }


def leaf_bytes_oracle(envelope: LeafEnvelope) -> bytes:
    """The leaf bytes through the general RFC 8785 encoder (the reference)."""
    return rfc8785.dumps(cast(Any, envelope.as_object()))


@lru_cache(maxsize=1024)
def _json_string(text: str) -> bytes:
    return rfc8785.dumps(text)


_HEAD = b'{"payload_commitment":"'
_SCHEMA_AND_STREAM = b'","schema":"' + LEAF_SCHEMA.encode() + b'","stream_id":"'


def leaf_bytes(
    position: int,
    stream_id: UUID,
    stream_version: int,
    topic: str,
    recorded_at: str,
    prev_stream_leaf_hash: bytes | None,
    commitment: bytes,
) -> bytes:
    """The leaf bytes from a fixed template: identical to `leaf_bytes_oracle` (members in RFC
    8785 order; hex, UUID text and the recorded_at format need no escaping; the topic goes
    through `rfc8785`). `recorded_at` is already formatted (`format_recorded_at`)."""
    if not (
        type(position) is int
        and type(stream_version) is int
        and -_MAX_SAFE <= position <= _MAX_SAFE
        and -_MAX_SAFE <= stream_version <= _MAX_SAFE
    ):
        # Out of the I-JSON range (or not an int): the reference encoder refuses it too.
        raise ValueError(
            f"leaf integers must be ints within +-(2**53 - 1): {position!r}, {stream_version!r}"
        )
    previous = (
        b"null" if prev_stream_leaf_hash is None else b'"%s"' % prev_stream_leaf_hash.hex().encode()
    )
    return b"".join(
        (
            _HEAD,
            commitment.hex().encode(),
            b'","position":',
            str(position).encode(),
            b',"prev_stream_leaf_hash":',
            previous,
            b',"recorded_at":"',
            recorded_at.encode(),
            _SCHEMA_AND_STREAM,
            str(stream_id).encode(),
            b'","stream_version":',
            str(stream_version).encode(),
            b',"topic":',
            _json_string(topic),
            b"}",
        )
    )


def leaf_hash_of(envelope: LeafEnvelope) -> bytes:
    """The RFC 6962 leaf hash of an envelope's leaf bytes."""
    return leaf_hash(
        leaf_bytes(
            envelope.position,
            envelope.stream_id,
            envelope.stream_version,
            envelope.topic,
            format_recorded_at(envelope.recorded_at),
            envelope.prev_stream_leaf_hash,
            envelope.payload_commitment,
        )
    )


@dataclass(frozen=True)
class LeafRow:
    """One leaf as a store keeps it, beside the event it is built from."""

    leaf_index: int
    position: int
    leaf_hash: bytes
    salt: bytes
    prev_stream_leaf_hash: bytes | None
    recorded_at: str
    payload_commitment: bytes


def build_leaves(
    first_index: int,
    events: list[tuple[int, UUID, int, str, bytes]],
    recorded_at: list[str],
    previous: dict[UUID, bytes | None],
    salts: list[bytes] | None = None,
) -> list[LeafRow]:
    """The leaves of one transaction's events, in log order.

    `events` are (position, stream id, version, topic, payload) in log order, `recorded_at` their
    formatted times, `previous` the last leaf hash of each stream before the transaction (a
    stream missing from it has none); it is updated with the new heads. Salts are drawn fresh
    unless given.
    """
    if salts is None:
        salts = new_salts(len(events))
    rows: list[LeafRow] = []
    index = first_index
    for (position, stream_id, version, topic, payload), when, salt in zip(
        events, recorded_at, salts, strict=True
    ):
        prev = previous.get(stream_id)
        commitment = payload_commitment(salt, payload)
        digest = leaf_hash(leaf_bytes(position, stream_id, version, topic, when, prev, commitment))
        previous[stream_id] = digest
        rows.append(LeafRow(index, position, digest, salt, prev, when, commitment))
        index += 1
    return rows
