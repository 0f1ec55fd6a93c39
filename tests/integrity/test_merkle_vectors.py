"""Every published RFC 6962 vector (transparency-dev/merkle, copied into `vectors/`) passes:
each happy path verifies and each mutation is rejected with a `ProofError`."""

from __future__ import annotations

from pathlib import Path

import pytest
from integrity_support import RFC6962, b64, load, vector_files, vector_id

from ledger.integrity.merkle import (
    MerkleTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

INCLUSION = vector_files("inclusion")
CONSISTENCY = vector_files("consistency")
ROOTS = load(RFC6962 / "roots.json")
LEAVES = [bytes.fromhex(value) for value in ROOTS["leaf_inputs_hex"]]
ROOT_BY_SIZE = [bytes.fromhex(value) for value in ROOTS["root_hex_by_tree_size"]]


def test_the_copied_vector_suite_is_complete() -> None:
    """The copy holds all 98 inclusion and 98 consistency vectors (6 happy paths each) and the
    licence beside them, so a lost file cannot make the suite pass vacuously."""
    inclusion_ok = [p for p in INCLUSION if not load(p)["wantErr"]]
    consistency_ok = [p for p in CONSISTENCY if not load(p)["wantErr"]]

    assert (len(INCLUSION), len(inclusion_ok)) == (98, 6)
    assert (len(CONSISTENCY), len(consistency_ok)) == (98, 6)
    assert (RFC6962 / "LICENSE").read_text().startswith("\n                                 Apache")


@pytest.mark.parametrize("path", INCLUSION, ids=vector_id)
def test_inclusion_vector_verifies_or_is_rejected_as_published(path: Path) -> None:
    """Given an inclusion vector, verification succeeds exactly when it is not a mutation."""
    vector = load(path)
    proof = [b64(item) for item in vector["proof"] or []]

    def verify() -> None:
        verify_inclusion(
            b64(vector["leafHash"]),
            vector["leafIdx"],
            vector["treeSize"],
            proof,
            b64(vector["root"]),
        )

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify()
    else:
        verify()


@pytest.mark.parametrize("path", CONSISTENCY, ids=vector_id)
def test_consistency_vector_verifies_or_is_rejected_as_published(path: Path) -> None:
    """Given a consistency vector, verification succeeds exactly when it is not a mutation
    (these vectors refuse size 0, the witness's "old 0" case is separate and explicit)."""
    vector = load(path)
    proof = [b64(item) for item in vector["proof"] or []]

    def verify() -> None:
        verify_consistency(
            vector["size1"], vector["size2"], proof, b64(vector["root1"]), b64(vector["root2"])
        )

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify()
    else:
        verify()


@pytest.mark.parametrize("size", range(9))
def test_tree_hash_matches_the_published_root_for_each_size(size: int) -> None:
    """The Merkle tree hash of the first `size` published leaves is the published root."""
    assert tree_hash(LEAVES[:size]) == ROOT_BY_SIZE[size]


@pytest.mark.parametrize("size", range(9))
def test_merkle_tree_root_at_each_size_matches_the_published_root(size: int) -> None:
    """A tree of all eight leaves gives the published root for every earlier size too."""
    tree = MerkleTree(leaf_hash(data) for data in LEAVES)

    assert tree.root(size) == ROOT_BY_SIZE[size]


HAPPY_INCLUSION = [p for p in INCLUSION if not load(p)["wantErr"] and load(p)["treeSize"] == 8]
HAPPY_CONSISTENCY = [
    p
    for p in CONSISTENCY
    if not load(p)["wantErr"] and b64(load(p)["root2"]) == ROOT_BY_SIZE[load(p)["size2"]]
]
"""The happy-path consistency vectors over the published leaves (not the equal-sizes one with
arbitrary roots)."""


@pytest.mark.parametrize("path", HAPPY_INCLUSION, ids=vector_id)
def test_generated_inclusion_proof_equals_the_published_one(path: Path) -> None:
    """Over the eight published leaves, generation reproduces each published inclusion proof."""
    vector = load(path)
    hashes = [leaf_hash(data) for data in LEAVES]

    proof = inclusion_proof(vector["leafIdx"], vector["treeSize"], hashes)

    assert proof == [b64(item) for item in vector["proof"] or []]
    assert hashes[vector["leafIdx"]] == b64(vector["leafHash"])


@pytest.mark.parametrize("path", HAPPY_CONSISTENCY, ids=vector_id)
def test_generated_consistency_proof_equals_the_published_one(path: Path) -> None:
    """Over the eight published leaves, generation reproduces each published consistency
    proof."""
    vector = load(path)
    hashes = [leaf_hash(data) for data in LEAVES]

    proof = consistency_proof(vector["size1"], vector["size2"], hashes)

    assert proof == [b64(item) for item in vector["proof"] or []]
