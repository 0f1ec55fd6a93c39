"""The stream-heads tree and its typed leaf (SPEC 7.2): heads proven present, streams proven
absent, and any change to a proof refused."""

from __future__ import annotations

import hashlib
import uuid

import pytest
import rfc8785

from ledger.integrity.merkle import EMPTY_ROOT, ProofError
from ledger.integrity.stream_heads import (
    HeadProof,
    StreamHead,
    StreamHeadsLeaf,
    StreamHeadsTree,
    verify_absence,
    verify_head,
)


def _head(number: int, version: int = 1) -> StreamHead:
    return StreamHead(
        uuid.UUID(int=number * 2**100), version, hashlib.sha256(b"%d" % number).digest()
    )


def _tree(*numbers: int) -> StreamHeadsTree:
    return StreamHeadsTree(_head(number) for number in numbers)


def test_an_entry_is_the_rfc8785_object_of_stream_version_and_leaf_hash() -> None:
    head = _head(3, version=7)
    assert head.leaf_bytes() == rfc8785.dumps(
        {
            "leaf_hash": head.leaf_hash.hex(),
            "schema": "assessment-ledger/stream-head/v1",
            "stream_id": str(head.stream_id),
            "version": 7,
        }
    )


def test_heads_are_sorted_by_stream_id_whatever_order_they_come_in() -> None:
    # given the same heads in two orders
    forwards, backwards = _tree(1, 2, 3, 4, 5), _tree(5, 4, 3, 2, 1)
    # then the trees are one and the same
    assert forwards.root == backwards.root
    assert [head.stream_id.int for head in forwards.heads] == sorted(
        head.stream_id.int for head in forwards.heads
    )


def test_a_stream_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        StreamHeadsTree([_head(1), _head(1, version=2)])


def test_every_present_stream_has_a_head_proof_that_verifies() -> None:
    tree = _tree(*range(1, 12))
    for head in tree.heads:
        proof = tree.head_proof(head.stream_id)
        assert proof is not None and proof.head == head
        verify_head(proof, tree.size, tree.root)


def test_a_head_proof_with_another_version_fails() -> None:
    # given a valid head proof
    tree = _tree(1, 2, 3)
    proof = tree.head_proof(_head(2).stream_id)
    assert proof is not None
    # when the version claimed is changed (as if events were held back)
    forged = HeadProof(
        StreamHead(proof.head.stream_id, 2, proof.head.leaf_hash), proof.index, proof.proof
    )
    # then the proof no longer reaches the root
    with pytest.raises(ProofError):
        verify_head(forged, tree.size, tree.root)


@pytest.mark.parametrize("missing", [0, 4, 9])
def test_a_missing_stream_is_proven_absent_by_its_neighbours(missing: int) -> None:
    # given streams 1, 3, 5, 7 (0 sorts first, 4 between, 9 last)
    tree = _tree(1, 3, 5, 7)
    absent = uuid.UUID(int=missing * 2**100)
    # when the absence proof is asked for
    below, above = tree.absence_proof(absent)
    # then it verifies
    verify_absence(absent, below, above, tree.size, tree.root)
    assert tree.head_proof(absent) is None


def test_neighbours_that_are_not_adjacent_do_not_prove_absence() -> None:
    # given streams 1, 3, 5, 7 and a stream 5 that is present
    tree = _tree(1, 3, 5, 7)
    below, above = tree.head_proof(_head(3).stream_id), tree.head_proof(_head(7).stream_id)
    # when 3 and 7 are shown as the neighbours of 5
    with pytest.raises(ProofError, match="not adjacent"):
        verify_absence(_head(5).stream_id, below, above, tree.size, tree.root)


def test_a_present_stream_has_no_absence_proof() -> None:
    with pytest.raises(ValueError, match="is in the stream-heads tree"):
        _tree(1, 2).absence_proof(_head(2).stream_id)


def test_claiming_a_first_stream_absent_needs_the_first_head() -> None:
    # given streams 1, 3, 5
    tree = _tree(1, 3, 5)
    _, above = tree.absence_proof(_head(4).stream_id)
    # when 5 is shown as the upper neighbour of 0 with nothing below
    with pytest.raises(ProofError, match="first head"):
        verify_absence(uuid.UUID(int=0), None, above, tree.size, tree.root)


def test_the_empty_tree_has_the_empty_root_and_proves_every_stream_absent() -> None:
    tree = StreamHeadsTree([])
    assert tree.root == EMPTY_ROOT
    verify_absence(uuid.uuid4(), None, None, 0, tree.root)


def test_the_typed_leaf_round_trips_through_its_json_object() -> None:
    tree = _tree(1, 2, 3)
    leaf = StreamHeadsLeaf.of(41, tree, "2026-01-05T08:00:00.000000Z")
    assert StreamHeadsLeaf.from_object(leaf.as_object()) == leaf
    assert leaf.leaf_bytes() == rfc8785.dumps(leaf.as_object())  # type: ignore[arg-type]


def test_a_typed_leaf_with_an_unknown_member_is_refused() -> None:
    data = StreamHeadsLeaf.of(1, _tree(1), "2026-01-05T08:00:00.000000Z").as_object()
    with pytest.raises(ValueError, match="no members"):
        StreamHeadsLeaf.from_object({**data, "extra": 1})
