"""Leaf bytes (SPEC 7.1): the fast template encoder against `rfc8785` as the oracle."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from uuid import UUID

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity.leaf import (
    LEAF_SCHEMA,
    PAYLOAD_DOMAIN,
    LeafEnvelope,
    build_leaves,
    format_recorded_at,
    leaf_bytes,
    leaf_bytes_oracle,
    leaf_hash_of,
    payload_commitment,
)
from ledger.integrity.merkle import leaf_hash

SAFE = 2**53 - 1

envelopes = st.builds(
    LeafEnvelope,
    position=st.integers(min_value=1, max_value=SAFE),
    stream_id=st.uuids(),
    stream_version=st.integers(min_value=1, max_value=SAFE),
    topic=st.text(),
    recorded_at=st.datetimes(timezones=st.just(UTC)),
    prev_stream_leaf_hash=st.none() | st.binary(min_size=32, max_size=32),
    payload_commitment=st.binary(min_size=32, max_size=32),
)


def _fast(envelope: LeafEnvelope) -> bytes:
    return leaf_bytes(
        envelope.position,
        envelope.stream_id,
        envelope.stream_version,
        envelope.topic,
        format_recorded_at(envelope.recorded_at),
        envelope.prev_stream_leaf_hash,
        envelope.payload_commitment,
    )


@settings(max_examples=3000)
@given(envelopes)
def test_template_encoder_gives_the_rfc8785_bytes(envelope: LeafEnvelope) -> None:
    assert _fast(envelope) == leaf_bytes_oracle(envelope)


@pytest.mark.parametrize(
    "topic",
    ["ledger.aggregates:X", 'a"b\\c', "\u2028\x00\x1f\x7f", "é😀", "\ud800", ""],
)
def test_awkward_topics_match_the_oracle(topic: str) -> None:
    envelope = LeafEnvelope(
        7, UUID(int=5), 3, topic, datetime(2025, 1, 2, tzinfo=UTC), b"\x01" * 32, b"\x02" * 32
    )
    try:
        expected = leaf_bytes_oracle(envelope)
    except Exception as error:  # the oracle refuses: so must the template
        with pytest.raises(type(error)):
            _fast(envelope)
    else:
        assert _fast(envelope) == expected


@pytest.mark.parametrize("value", [2**53, -(2**53), True])
def test_integers_outside_i_json_are_refused(value: int) -> None:
    with pytest.raises(ValueError):
        leaf_bytes(value, UUID(int=1), 1, "t", "2025-01-01T00:00:00.000000Z", None, b"\0" * 32)


def test_leaf_is_versioned_domain_separated_and_holds_no_payload() -> None:
    salt, payload = b"\x03" * 32, b'{"points":"1.0"}'
    commitment = payload_commitment(salt, payload)
    assert commitment == hashlib.sha256(PAYLOAD_DOMAIN + salt + payload).digest()
    envelope = LeafEnvelope(
        1, UUID(int=9), 1, "t", datetime(2025, 3, 10, 1, 2, 3, 4, tzinfo=UTC), None, commitment
    )
    data = _fast(envelope)
    decoded = json.loads(data)
    assert decoded["schema"] == LEAF_SCHEMA
    assert decoded["recorded_at"] == "2025-03-10T01:02:03.000004Z"
    assert decoded["prev_stream_leaf_hash"] is None
    assert salt.hex() not in data.decode() and b"points" not in data
    assert rfc8785.dumps(decoded) == data
    assert leaf_hash_of(envelope) == leaf_hash(data)


def test_build_leaves_chains_streams_and_counts_from_the_first_index() -> None:
    a, b = UUID(int=1), UUID(int=2)
    events = [(10, a, 1, "t", b"x"), (11, b, 4, "t", b"y"), (12, a, 2, "t", b"z")]
    heads: dict[UUID, bytes | None] = {b: b"\x07" * 32}
    rows = build_leaves(5, events, ["2025-01-01T00:00:00.000000Z"] * 3, heads)
    assert [r.leaf_index for r in rows] == [5, 6, 7]
    assert rows[0].prev_stream_leaf_hash is None
    assert rows[1].prev_stream_leaf_hash == b"\x07" * 32
    assert rows[2].prev_stream_leaf_hash == rows[0].leaf_hash
    assert heads == {a: rows[2].leaf_hash, b: rows[1].leaf_hash}
    assert len({r.salt for r in rows}) == 3
