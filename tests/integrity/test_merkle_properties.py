"""Hypothesis: for random trees up to a few thousand leaves, every generated inclusion and
consistency proof verifies, and any one-byte change to a proof, leaf, root, size or index makes
verification fail; the compact range always gives the recursive tree hash."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st
from integrity_support import consistency_shape, inclusion_shape, oracle_mth

from ledger.integrity.merkle import (
    CompactRange,
    MerkleTree,
    ProofError,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 3000
_TREES: dict[tuple[int, int], MerkleTree] = {}


def random_tree(seed: int, size: int) -> MerkleTree:
    """A tree of `size` distinct pseudo-random leaf hashes (cached: building is the slow part)."""
    key = (seed, size)
    if key not in _TREES:
        prefix = seed.to_bytes(8)
        _TREES[key] = MerkleTree(
            hashlib.sha256(prefix + i.to_bytes(4)).digest() for i in range(size)
        )
    return _TREES[key]


def flip(value: bytes, position: int, mask: int) -> bytes:
    """`value` with byte `position % len` XORed by a non-zero mask."""
    position %= len(value)
    return value[:position] + bytes([value[position] ^ mask]) + value[position + 1 :]


def flip_int(value: int, position: int, mask: int) -> int:
    """`value` as 8 big-endian bytes with one byte XORed by a non-zero mask."""
    return int.from_bytes(flip(value.to_bytes(8), position, mask))


def fails(check: object) -> bool:
    """Whether calling `check` raises `ProofError`."""
    assert callable(check)
    try:
        check()
    except ProofError:
        return True
    return False


sizes = st.one_of(st.integers(1, 64), st.integers(1, MAX_LEAVES))
masks = st.integers(1, 255)
positions = st.integers(0, 2**16)
seeds = st.integers(0, 3)
PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(seed=seeds, size=sizes, data=st.data())
def test_every_generated_inclusion_proof_verifies(
    seed: int, size: int, data: st.DataObject
) -> None:
    """For any leaf of any tree size, the generated proof verifies against the root."""
    tree = random_tree(seed, size)
    index = data.draw(st.integers(0, size - 1))

    verify_inclusion(tree.leaf_hash(index), index, size, tree.inclusion_proof(index), tree.root())


@PROPERTY
@given(seed=seeds, size=sizes, data=st.data(), position=positions, mask=masks)
def test_a_one_byte_change_to_an_inclusion_proof_leaf_or_root_fails(
    seed: int, size: int, data: st.DataObject, position: int, mask: int
) -> None:
    """Changing one byte of any proof hash, of the leaf hash or of the root is rejected."""
    tree = random_tree(seed, size)
    index = data.draw(st.integers(0, size - 1))
    leaf, proof, root = tree.leaf_hash(index), tree.inclusion_proof(index), tree.root()
    target = data.draw(st.sampled_from(["leaf", "root", *(["proof"] if proof else [])]))

    if target == "leaf":
        leaf = flip(leaf, position, mask)
    elif target == "root":
        root = flip(root, position, mask)
    else:
        component = data.draw(st.integers(0, len(proof) - 1))
        proof[component] = flip(proof[component], position, mask)

    assert fails(lambda: verify_inclusion(leaf, index, size, proof, root))


@PROPERTY
@given(seed=seeds, size=sizes, data=st.data(), position=positions, mask=masks)
def test_a_one_byte_change_to_the_index_or_size_of_an_inclusion_proof_fails(
    seed: int, size: int, data: st.DataObject, position: int, mask: int
) -> None:
    """Changing one byte of the leaf index or tree size is rejected, except when the changed
    pair has exactly the same audit-path shape (RFC 6962 PATH): the root does not commit to
    the size, which is why a verifier takes the size from the signed checkpoint."""
    tree = random_tree(seed, size)
    index = data.draw(st.integers(0, size - 1))
    leaf, proof, root = tree.leaf_hash(index), tree.inclusion_proof(index), tree.root()
    new_index, new_size = index, size
    if data.draw(st.booleans()):
        new_index = flip_int(index, position, mask)
    else:
        new_size = flip_int(size, position, mask)

    rejected = fails(lambda: verify_inclusion(leaf, new_index, new_size, proof, root))

    same_shape = new_index < new_size and inclusion_shape(new_index, new_size) == (
        inclusion_shape(index, size)
    )
    assert rejected != same_shape
    if new_size == size:
        assert rejected


@PROPERTY
@given(seed=seeds, size2=sizes, data=st.data())
def test_every_generated_consistency_proof_verifies(
    seed: int, size2: int, data: st.DataObject
) -> None:
    """For any 0 < size1 <= size2, the generated proof verifies between the two roots."""
    tree = random_tree(seed, size2)
    size1 = data.draw(st.integers(1, size2))

    verify_consistency(
        size1, size2, tree.consistency_proof(size1), tree.root(size1), tree.root(size2)
    )


@PROPERTY
@given(seed=seeds, size2=sizes, data=st.data(), position=positions, mask=masks)
def test_a_one_byte_change_to_a_consistency_proof_or_either_root_fails(
    seed: int, size2: int, data: st.DataObject, position: int, mask: int
) -> None:
    """Changing one byte of any proof hash or of the old or new root is rejected."""
    tree = random_tree(seed, size2)
    size1 = data.draw(st.integers(1, size2))
    proof, root1, root2 = tree.consistency_proof(size1), tree.root(size1), tree.root(size2)
    target = data.draw(st.sampled_from(["root1", "root2", *(["proof"] if proof else [])]))

    if target == "root1":
        root1 = flip(root1, position, mask)
    elif target == "root2":
        root2 = flip(root2, position, mask)
    else:
        component = data.draw(st.integers(0, len(proof) - 1))
        proof[component] = flip(proof[component], position, mask)

    assert fails(lambda: verify_consistency(size1, size2, proof, root1, root2))


@PROPERTY
@given(seed=seeds, size2=sizes, data=st.data(), position=positions, mask=masks)
def test_a_one_byte_change_to_a_consistency_size_fails(
    seed: int, size2: int, data: st.DataObject, position: int, mask: int
) -> None:
    """Changing one byte of the old or new size is rejected, except when the changed pair has
    exactly the same proof shape (RFC 6962 SUBPROOF) - sizes come from signed checkpoints."""
    tree = random_tree(seed, size2)
    size1 = data.draw(st.integers(1, size2))
    proof, root1, root2 = tree.consistency_proof(size1), tree.root(size1), tree.root(size2)
    new1, new2 = size1, size2
    if data.draw(st.booleans()):
        new1 = flip_int(size1, position, mask)
    else:
        new2 = flip_int(size2, position, mask)

    rejected = fails(lambda: verify_consistency(new1, new2, proof, root1, root2))

    same_shape = consistency_shape(new1, new2) == consistency_shape(size1, size2)
    assert rejected != same_shape


@settings(max_examples=100, deadline=None)
@given(chunks=st.lists(st.integers(0, 40), max_size=30))
def test_compact_range_root_equals_the_recursive_tree_hash_when_appended_in_chunks(
    chunks: list[int],
) -> None:
    """Appending leaves in uneven chunks (sizes up to 300), the compact range's root after each
    chunk is the RFC's recursive MTH of the leaves so far."""
    leaves = [hashlib.sha256(i.to_bytes(4)).digest() for i in range(300)]
    compact = CompactRange()
    for chunk in chunks:
        end = min(compact.size + chunk, 300)
        compact.extend(leaves[compact.size : end])
        assert compact.root() == oracle_mth(leaves[:end])


def test_compact_range_root_equals_the_recursive_tree_hash_for_every_size_to_300() -> None:
    """Appending one leaf at a time, every size 0-300 has the recursive MTH as its root."""
    leaves = [hashlib.sha256(i.to_bytes(4)).digest() for i in range(300)]
    compact = CompactRange()
    assert compact.root() == oracle_mth([])
    for size in range(1, 301):
        compact.append(leaves[size - 1])
        assert compact.root() == oracle_mth(leaves[:size]), size
