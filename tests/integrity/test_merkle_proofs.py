"""Merkle hashing, proof generation from a store's subtree hashes, the compact range, and the
errors verification gives (RFC 6962 / RFC 9162)."""

from __future__ import annotations

import hashlib

import pytest
from integrity_support import oracle_leaf, oracle_mth

from ledger.integrity.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of_leaf_hashes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

HASHES = [leaf_hash(i.to_bytes(4)) for i in range(100)]


def test_leaf_and_node_hashes_use_the_rfc_6962_domain_prefixes() -> None:
    """A leaf is SHA-256(0x00 ‖ data) and a node SHA-256(0x01 ‖ left ‖ right)."""
    left, right = b"L" * 32, b"R" * 32

    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_the_empty_tree_root_is_the_hash_of_the_empty_string() -> None:
    """MTH({}) = SHA-256() for every way of computing a root."""
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert root_of_leaf_hashes([]) == EMPTY_ROOT
    assert MerkleTree().root() == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(0, 100))
def test_every_root_equals_the_recursive_definition(size: int) -> None:
    """Level-by-level hashing, the kept-levels tree and the compact range all give RFC MTH."""
    expected = oracle_mth(HASHES[:size])
    compact = CompactRange()
    compact.extend(HASHES[:size])

    assert root_of_leaf_hashes(HASHES[:size]) == expected
    assert MerkleTree(HASHES).root(size) == expected
    assert compact.root() == expected


def test_proofs_from_a_subtree_callable_equal_proofs_from_leaf_hashes() -> None:
    """A store serving only perfect-subtree hashes yields the same proofs and roots as the list
    of leaf hashes, and is never asked for a subtree beyond the requested size."""
    tree = MerkleTree(HASHES)
    asked: list[tuple[int, int]] = []

    def store(level: int, index: int) -> bytes:
        asked.append((level, index))
        return tree.subtree(level, index)

    for size in (1, 5, 37, 64, 100):
        assert tree_root(size, store) == oracle_mth(HASHES[:size])
        for index in range(size):
            assert inclusion_proof(index, size, store) == inclusion_proof(index, size, HASHES)
        for old in range(1, size + 1):
            assert consistency_proof(old, size, store) == consistency_proof(old, size, HASHES)
        assert all((index + 1) << level <= size for level, index in asked)
        asked.clear()


def test_a_proof_from_a_tree_of_leaf_hashes_verifies_against_its_root() -> None:
    """The generated proofs verify for every leaf and every earlier size of a 100-leaf tree."""
    tree = MerkleTree(HASHES)

    for index in range(100):
        verify_inclusion(HASHES[index], index, 100, tree.inclusion_proof(index), tree.root())
    for old in range(1, 101):
        verify_consistency(old, 100, tree.consistency_proof(old), tree.root(old), tree.root())


def test_an_interior_node_presented_as_a_leaf_does_not_verify() -> None:
    """Second preimage (RFC 6962 section 2.1): the node over leaves 0-1 is refused as leaf 0
    with the rest of leaf 0's path (too short for a 4-leaf tree), and its data (the two child
    hashes) hashed as a leaf does not give that node, so it fails in the node's place."""
    tree = MerkleTree(HASHES[:4])
    interior = node_hash(HASHES[0], HASHES[1])
    path = tree.inclusion_proof(0)

    with pytest.raises(ProofError, match="needs 2"):
        verify_inclusion(interior, 0, 4, path[1:], tree.root())
    with pytest.raises(ProofError, match="gives root"):
        verify_inclusion(leaf_hash(HASHES[0] + HASHES[1]), 0, 2, path[1:], tree.root())


def test_an_inclusion_proof_does_not_bind_the_tree_size_the_checkpoint_must() -> None:
    """RFC 6962 roots do not commit to the tree size: leaf 0's proof in the size-8 tree also
    verifies for the claimed size 7 (same path shape). A verifier must take the size from the
    signed checkpoint, never from the proof's sender."""
    tree = MerkleTree(HASHES[:8])

    verify_inclusion(HASHES[0], 0, 7, tree.inclusion_proof(0), tree.root())


@pytest.mark.parametrize(
    ("index", "size", "proof_length", "message"),
    [
        (8, 8, 3, "not below tree size"),
        (0, 0, 0, "not below tree size"),
        (-1, 8, 3, "outside 0..2\\*\\*64-1"),
        (0, 2**64, 3, "outside 0..2\\*\\*64-1"),
        (0, 8, 2, "has 2 hashes; leaf 0 of 8 needs 3"),
        (0, 8, 4, "has 4 hashes; leaf 0 of 8 needs 3"),
    ],
)
def test_inclusion_verification_says_which_check_failed(
    index: int, size: int, proof_length: int, message: str
) -> None:
    """Malformed inclusion inputs raise a `ProofError` naming the failed check."""
    tree = MerkleTree(HASHES[:8])
    proof = [*tree.inclusion_proof(0), HASHES[9]][:proof_length]

    with pytest.raises(ProofError, match=message):
        verify_inclusion(HASHES[0], index, size, proof, tree.root())


def test_inclusion_verification_rejects_a_hash_of_the_wrong_length() -> None:
    """A 31-byte proof hash is named as such, not silently hashed."""
    tree = MerkleTree(HASHES[:8])
    proof = tree.inclusion_proof(0)
    proof[1] = proof[1][:31]

    with pytest.raises(ProofError, match="inclusion proof hash 1 is 31 bytes"):
        verify_inclusion(HASHES[0], 0, 8, proof, tree.root())


@pytest.mark.parametrize(
    ("size1", "size2", "message"),
    [
        (9, 8, "larger than new tree size"),
        (0, 8, "from the empty tree"),
        (3, 8, "consistency proof gives new root"),
    ],
)
def test_consistency_verification_says_which_check_failed(
    size1: int, size2: int, message: str
) -> None:
    """Wrong sizes or a root that does not match raise a `ProofError` naming the check."""
    tree = MerkleTree(HASHES[:8])
    proof = tree.consistency_proof(3) if size1 == 3 else []

    with pytest.raises(ProofError, match=message):
        verify_consistency(size1, size2, proof, tree.root(size1 % 9), tree.root(7))


def test_witness_old_size_zero_accepts_only_an_empty_proof_from_the_empty_root() -> None:
    """With `allow_empty_old` (the witness's "old 0"), an empty proof from the empty root is
    accepted; a non-empty proof or another old root is refused; by default size 0 is refused."""
    tree = MerkleTree(HASHES[:8])

    verify_consistency(0, 8, [], EMPTY_ROOT, tree.root(), allow_empty_old=True)
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT, allow_empty_old=True)
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(0, 8, [HASHES[0]], EMPTY_ROOT, tree.root(), allow_empty_old=True)
    with pytest.raises(ProofError, match="empty tree's root"):
        verify_consistency(0, 0, [], EMPTY_ROOT, HASHES[0], allow_empty_old=True)
    with pytest.raises(ProofError, match="empty tree's root"):
        verify_consistency(0, 8, [], HASHES[0], tree.root(), allow_empty_old=True)
    with pytest.raises(ProofError, match="from the empty tree"):
        verify_consistency(0, 8, [], EMPTY_ROOT, tree.root())


def test_consistency_proof_from_size_zero_or_to_the_same_size_is_empty() -> None:
    """Generation gives the empty proof for 0 -> n and n -> n, and refuses size1 > size2."""
    assert consistency_proof(0, 10, HASHES) == []
    assert consistency_proof(10, 10, HASHES) == []
    with pytest.raises(ValueError, match="size1 <= size2"):
        consistency_proof(11, 10, HASHES)


def test_proof_generation_refuses_an_index_outside_the_tree() -> None:
    """Inclusion of leaf n in a tree of n leaves, or a size beyond the leaves given, is refused."""
    with pytest.raises(ValueError, match="outside a tree of size 10"):
        inclusion_proof(10, 10, HASHES)
    with pytest.raises(ValueError, match="100 leaf hashes given for a tree of size 101"):
        inclusion_proof(0, 101, HASHES)


def test_compact_range_keeps_one_hash_per_set_bit_of_the_size() -> None:
    """After 13 = 0b1101 leaves the range holds the 8-, 4- and 1-leaf subtrees, largest first."""
    compact = CompactRange()
    compact.extend(HASHES[:13])
    tree = MerkleTree(HASHES[:13])

    assert compact.size == 13
    assert compact.hashes == (tree.subtree(3, 0), tree.subtree(2, 2), tree.subtree(0, 12))


def test_compact_range_round_trips_through_bytes_and_subtrees() -> None:
    """A stored range (size + concatenated hashes) or one read from a store's subtrees is equal
    to the one built by appending, and continues to the same roots."""
    compact = CompactRange()
    compact.extend(HASHES[:37])
    stored = CompactRange.from_bytes(37, compact.to_bytes())
    served = CompactRange.from_subtrees(37, MerkleTree(HASHES).subtree)
    assert stored == compact == served

    stored.extend(HASHES[37:50])
    compact.extend(HASHES[37:50])
    assert stored.root() == compact.root() == oracle_mth(HASHES[:50])


def test_compact_range_copy_is_independent() -> None:
    """Appending to a copy (a tentative transaction) leaves the original unchanged."""
    compact = CompactRange()
    compact.extend(HASHES[:5])
    tentative = compact.copy()
    tentative.append(HASHES[5])

    assert compact.size == 5
    assert compact.root() == oracle_mth(HASHES[:5])


@pytest.mark.parametrize(
    ("size", "hashes", "message"),
    [
        (3, [b"x" * 32], "holds 2 hashes, not 1"),
        (1, [b"x" * 31], "must be 32 bytes"),
        (-1, [], "non-negative"),
    ],
)
def test_compact_range_refuses_an_inconsistent_state(
    size: int, hashes: list[bytes], message: str
) -> None:
    """A stored frontier whose hash count does not match its size, or with a short hash, is
    refused rather than silently giving a wrong root."""
    with pytest.raises(ValueError, match=message):
        CompactRange(size, hashes)


def test_appending_a_leaf_that_is_not_a_hash_is_refused() -> None:
    """Leaf data instead of its 32-byte hash is refused by the range and the tree."""
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"leaf data")
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree().append(b"leaf data")


def test_the_independent_oracle_agrees_with_the_published_small_tree() -> None:
    """The test oracle itself gives the published root of the three-leaf tree."""
    leaves = [b"", b"\x00", b"\x10"]
    expected = "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"

    assert oracle_mth([oracle_leaf(data) for data in leaves]).hex() == expected
