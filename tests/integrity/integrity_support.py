"""Shared helpers for the integrity tests: the copied vectors, and independent oracles written
from the RFC 6962 recursive definitions (not from the code under test)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).parent / "vectors"
RFC6962 = VECTORS / "rfc6962"


def load(path: Path) -> dict[str, Any]:
    """One JSON vector file."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def b64(text: str) -> bytes:
    """Decode a vector's base64 field (the vectors use standard base64; "" is empty)."""
    return base64.b64decode(text)


def vector_files(kind: str) -> list[Path]:
    """Every vector file of one kind ("inclusion" or "consistency"), sorted."""
    return sorted((RFC6962 / kind).rglob("*.json"))


def vector_id(path: Path) -> str:
    """A readable test id: the path below the kind's folder."""
    return str(path.relative_to(RFC6962))


def oracle_leaf(data: bytes) -> bytes:
    """RFC 6962 leaf hash, written out independently."""
    return hashlib.sha256(b"\x00" + data).digest()


def oracle_mth(leaf_hashes: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 MTH, literally: split at the largest power of two below n."""
    n = len(leaf_hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    left, right = oracle_mth(leaf_hashes[:k]), oracle_mth(leaf_hashes[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def inclusion_shape(index: int, size: int) -> tuple[str, ...]:
    """Which side each audit-path hash sits on, from RFC 6962 PATH(m, D[n]), bottom first: the
    only thing about (index, size) an inclusion proof's verification depends on."""
    if size <= 1:
        return ()
    k = _split(size)
    if index < k:
        return (*inclusion_shape(index, k), "right")
    return (*inclusion_shape(index - k, size - k), "left")


def consistency_shape(size1: int, size2: int) -> tuple[str, ...]:
    """The structure of RFC 6962 PROOF(m, D[n]) = SUBPROOF(m, D[n], true): per hash, whether it
    is a right sibling (new tree only), a left sibling (both trees) or the old subtree itself."""

    def sub(m: int, n: int, whole: bool) -> tuple[str, ...]:
        if m == n:
            return ("seed-old-root",) if whole else ("seed",)
        k = _split(n)
        if m <= k:
            return (*sub(m, k, whole), "right")
        return (*sub(m - k, n - k, False), "left")

    if not 0 < size1 <= size2:
        return ("invalid",)
    if size1 == size2:
        return ("equal",)
    return sub(size1, size2, True)
