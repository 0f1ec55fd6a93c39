"""RFC 6962 Merkle tree hashing and RFC 9162 inclusion and consistency proofs, on `hashlib`.

Leaves are hashed as SHA-256(0x00 ‖ data), interior nodes as SHA-256(0x01 ‖ left ‖ right), and
the tree over n leaves is the left-balanced tree of RFC 6962 section 2.1 (the empty tree's hash
is SHA-256 of the empty string).

A *perfect subtree* is addressed by `(level, index)`: the 2**level leaves starting at leaf
`index * 2**level`. Proof generation takes either the list of leaf hashes or a callable
`(level, index) -> hash` (a `SubtreeHashes`), so a store that keeps those hashes can serve proofs
without rereading the log. Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 and raises
`ProofError` naming the check that failed.

Standard library only: the standalone verifier imports this module.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "MerkleTree",
    "ProofError",
    "SubtreeHashes",
    "consistency_proof",
    "consistency_proof_size",
    "inclusion_proof",
    "inclusion_proof_size",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "root_of_leaf_hashes",
    "tree_hash",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in a SHA-256 digest, the size of every hash in the tree."""

MAX_TREE_SIZE = 2**64 - 1
"""Tree sizes and leaf indices are unsigned 64-bit integers (RFC 9162)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root hash of the empty tree: SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

SubtreeHashes = Callable[[int, int], bytes]
"""`(level, index)` -> the hash of the perfect subtree of 2**level leaves from leaf
`index * 2**level`; level 0 gives leaf hashes."""


class ProofError(ValueError):
    """A proof did not verify, or its inputs are malformed; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 leaf hash SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 interior node hash SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_of_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaves whose hashes are given, in order (level by level: an odd
    node at the end of a level moves up unchanged, which yields the RFC's left-balanced tree)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def tree_hash(leaves: Iterable[bytes]) -> bytes:
    """The Merkle tree hash (RFC 6962 MTH) of the given leaf data, in order."""
    return root_of_leaf_hashes([leaf_hash(data) for data in leaves])


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(subtree: SubtreeHashes, start: int, end: int) -> bytes:
    """The hash of the RFC 6962 subtree over leaves [start, end), from perfect subtree hashes."""
    count = end - start
    if count & (count - 1) == 0:
        level = count.bit_length() - 1
        if start & (count - 1):
            raise ValueError(f"leaves [{start}, {end}) are not an aligned perfect subtree")
        return subtree(level, start >> level)
    split = start + _largest_power_of_two_below(count)
    return node_hash(_range_hash(subtree, start, split), _range_hash(subtree, split, end))


def _check_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofError(f"{name} must be an integer, not {type(value).__name__}")
    if not 0 <= value <= MAX_TREE_SIZE:
        raise ProofError(f"{name} {value} is outside 0..2**64-1")
    return value


def _check_hash(name: str, value: object) -> bytes:
    if not isinstance(value, bytes):
        raise ProofError(f"{name} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, not {HASH_SIZE}")
    return value


class MerkleTree:
    """An in-memory tree that keeps every level of perfect subtree hashes: appends in O(log n)
    amortised, serves any perfect subtree, the root at any size, and proofs. For tests, tools and
    filings built from a list of leaf hashes; a store serves the same `subtree` from its rows."""

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf by its hash (32 bytes)."""
        if not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
        levels = self._levels
        levels[0].append(leaf_hash)
        level = 0
        while len(levels[level]) % 2 == 0:
            below = levels[level]
            if level + 1 == len(levels):
                levels.append([])
            levels[level + 1].append(node_hash(below[-2], below[-1]))
            level += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaves by their hashes, in order."""
        for value in leaf_hashes:
            self.append(value)

    def leaf_hash(self, index: int) -> bytes:
        """The hash of leaf `index`."""
        return self._levels[0][index]

    def subtree(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree `(level, index)`; `IndexError` if it is not complete."""
        if level < 0 or index < 0 or level >= len(self._levels):
            raise IndexError(f"no complete subtree at level {level}, index {index}")
        return self._levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the first `size` leaves (default: all of them)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is outside 0..{self.size}")
        return tree_root(size, self.subtree)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The inclusion proof of leaf `index` in the tree of the first `size` leaves."""
        size = self.size if size is None else size
        if size > self.size:
            raise ValueError(f"size {size} exceeds the tree's {self.size} leaves")
        return inclusion_proof(index, size, self.subtree)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The consistency proof from `size1` leaves to `size2` leaves (default: all of them)."""
        size2 = self.size if size2 is None else size2
        if size2 > self.size:
            raise ValueError(f"size {size2} exceeds the tree's {self.size} leaves")
        return consistency_proof(size1, size2, self.subtree)


def _as_subtree_hashes(source: Sequence[bytes] | SubtreeHashes, size: int) -> SubtreeHashes:
    if callable(source):
        return source
    if len(source) < size:
        raise ValueError(f"{len(source)} leaf hashes given for a tree of size {size}")
    return MerkleTree(source[:size]).subtree


def tree_root(size: int, source: Sequence[bytes] | SubtreeHashes) -> bytes:
    """The root hash of the first `size` leaves, from leaf hashes or perfect subtree hashes (at
    most one per set bit of `size` plus the nodes above them are computed)."""
    if size < 0:
        raise ValueError(f"size {size} is negative")
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(_as_subtree_hashes(source, size), 0, size)


def inclusion_proof(index: int, size: int, source: Sequence[bytes] | SubtreeHashes) -> list[bytes]:
    """The RFC 6962 audit path (RFC 9162 inclusion proof) of leaf `index` in the tree of `size`
    leaves, bottom first, from leaf hashes or a `SubtreeHashes` callable."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    subtree = _as_subtree_hashes(source, size)
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            path.append(_range_hash(subtree, split, end))
            end = split
        else:
            path.append(_range_hash(subtree, start, split))
            start = split
    path.reverse()
    return path


def consistency_proof(
    size1: int, size2: int, source: Sequence[bytes] | SubtreeHashes
) -> list[bytes]:
    """The RFC 6962 consistency proof (RFC 9162 section 2.1.4.1) from the tree of `size1` leaves
    to that of `size2`, from leaf hashes or a `SubtreeHashes` callable. Empty when the sizes are
    equal or `size1` is 0 (the witness protocol's proof from the empty tree)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"sizes must satisfy 0 <= size1 <= size2, got {size1} and {size2}")
    if size1 == 0 or size1 == size2:
        return []
    subtree = _as_subtree_hashes(source, size2)
    proof: list[bytes] = []
    start, end, whole_old_tree = 0, size2, True
    while size1 != end:
        split = start + _largest_power_of_two_below(end - start)
        if size1 <= split:
            proof.append(_range_hash(subtree, split, end))
            end = split
        else:
            proof.append(_range_hash(subtree, start, split))
            start = split
            whole_old_tree = False
    if not whole_old_tree:
        proof.append(_range_hash(subtree, start, end))
    proof.reverse()
    return proof


def inclusion_proof_size(index: int, size: int) -> int:
    """The number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_size(size1: int, size2: int) -> int:
    """The number of hashes in the consistency proof between sizes 0 < size1 < size2."""
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    border = ((size1 - 1) >> inner).bit_count()
    shift = (size1 & -size1).bit_length() - 1
    length = inner - shift + border
    return length if size1 == 1 << shift else length + 1


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root hash that an inclusion proof implies for the leaf (RFC 9162 section 2.1.3.2
    steps 1-4), after checking every input's shape; `ProofError` if the proof cannot apply."""
    _check_hash("leaf hash", leaf_hash)
    index = _check_size("leaf index", index)
    size = _check_size("tree size", size)
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    expected = inclusion_proof_size(index, size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes; leaf {index} of {size} needs {expected}"
        )
    for position, component in enumerate(proof):
        _check_hash(f"inclusion proof hash {position}", component)
    fn, sn = index, size - 1
    result = leaf_hash
    for component in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            result = node_hash(component, result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, component)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that the leaf with this hash is at `index` in the tree of `size` leaves with this
    root (RFC 9162 section 2.1.3.2); return nothing, raise `ProofError` saying what failed."""
    _check_hash("root hash", root)
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(computed, root):
        raise ProofError(
            f"inclusion proof of leaf {index} gives root {computed.hex()}, not {root.hex()}"
        )


def verify_consistency(
    size1: int,
    size2: int,
    proof: Sequence[bytes],
    root1: bytes,
    root2: bytes,
    *,
    allow_empty_old: bool = False,
) -> None:
    """Check that the tree of `size2` leaves with `root2` extends the tree of `size1` leaves with
    `root1` (RFC 9162 section 2.1.4.2); return nothing, raise `ProofError` saying what failed.

    Equal sizes need an empty proof and equal roots. `size1 == 0` is refused (a consistency proof
    from the empty tree proves nothing) unless `allow_empty_old` is set, for the witness
    protocol's explicit "old 0" case: then the proof must be empty, `root1` must be the empty
    tree's root, and `root2` must be a hash (the empty root if `size2` is 0 too)."""
    size1 = _check_size("old tree size", size1)
    size2 = _check_size("new tree size", size2)
    if size1 > size2:
        raise ProofError(f"old tree size {size1} is larger than new tree size {size2}")
    if size1 == 0:
        if not allow_empty_old:
            raise ProofError("a consistency proof from the empty tree (size 0) proves nothing")
        if proof:
            raise ProofError(f"a proof from the empty tree must be empty, not {len(proof)} hashes")
        if not hmac.compare_digest(_check_hash("old root hash", root1), EMPTY_ROOT):
            raise ProofError("old root hash is not the empty tree's root for size 0")
        _check_hash("new root hash", root2)
        if size2 == 0 and not hmac.compare_digest(root2, EMPTY_ROOT):
            raise ProofError("new root hash is not the empty tree's root for size 0")
        return
    if size1 == size2:
        if proof:
            raise ProofError(f"equal tree sizes need an empty proof, not {len(proof)} hashes")
        if not isinstance(root1, bytes) or not isinstance(root2, bytes):
            raise ProofError("root hashes must be bytes")
        if not hmac.compare_digest(root1, root2):
            raise ProofError(f"tree size {size1} has two different roots")
        return
    _check_hash("old root hash", root1)
    _check_hash("new root hash", root2)
    expected = consistency_proof_size(size1, size2)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof has {len(proof)} hashes; {size1} to {size2} needs {expected}"
        )
    for position, component in enumerate(proof):
        _check_hash(f"consistency proof hash {position}", component)

    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old = new = path[0]
    for component in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path to the new root")
        if fn & 1 or fn == sn:
            old = node_hash(component, old)
            new = node_hash(component, new)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new = node_hash(new, component)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path to the new root")
    if not hmac.compare_digest(old, root1):
        raise ProofError(
            f"consistency proof gives old root {old.hex()} for size {size1}, not {root1.hex()}"
        )
    if not hmac.compare_digest(new, root2):
        raise ProofError(
            f"consistency proof gives new root {new.hex()} for size {size2}, not {root2.hex()}"
        )


class CompactRange:
    """The right edge of a tree: the hashes of its maximal perfect subtrees, largest (leftmost)
    first, one per set bit of the size. Appending a leaf and computing the root each take
    O(log n); this is what a recorder keeps between transactions instead of rereading the log."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"size must be a non-negative integer, not {size!r}")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of size {size} holds {size.bit_count()} hashes, not {len(hashes)}"
            )
        for value in hashes:
            if not isinstance(value, bytes) or len(value) != HASH_SIZE:
                raise ValueError(f"every compact range hash must be {HASH_SIZE} bytes")
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> CompactRange:
        """The compact range of `size` leaves from its hashes concatenated (see `to_bytes`)."""
        if len(data) % HASH_SIZE:
            raise ValueError(f"compact range bytes are not a multiple of {HASH_SIZE}")
        return cls(size, [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])

    @classmethod
    def from_subtrees(cls, size: int, subtree: SubtreeHashes) -> CompactRange:
        """The compact range of the first `size` leaves, read from perfect subtree hashes."""
        hashes: list[bytes] = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                hashes.append(subtree(level, start >> level))
                start += 1 << level
        return cls(size, hashes)

    @property
    def size(self) -> int:
        """The number of leaves appended."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The right-edge perfect subtree hashes, largest first."""
        return tuple(self._hashes)

    def to_bytes(self) -> bytes:
        """The hashes concatenated, largest subtree first (popcount(size) x 32 bytes)."""
        return b"".join(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf by its hash (32 bytes)."""
        if not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
        merged = leaf_hash
        size = self._size
        while size & 1:
            merged = node_hash(self._hashes.pop(), merged)
            size >>= 1
        self._hashes.append(merged)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaves by their hashes, in order."""
        for value in leaf_hashes:
            self.append(value)

    def root(self) -> bytes:
        """The root hash of the tree of all leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for value in reversed(self._hashes[:-1]):
            result = node_hash(value, result)
        return result

    def copy(self) -> CompactRange:
        """An independent copy (to append tentatively, e.g. inside a transaction)."""
        return CompactRange(self._size, self._hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __hash__(self) -> int:
        return hash((self._size, tuple(self._hashes)))

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"
