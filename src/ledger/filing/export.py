"""`ledger filing export`: a filing of a staff member's year or the center's year, built from the
store at the last published checkpoint (docs/filing-format.md; SPEC 7.4).

Server side (it reads the store through the application); the bundle itself is built and
re-checked by the pure `ledger.filing.bundle.build_bundle`, which the standalone verifier shares.
The figures are computed from the whole log up to the checkpoint, not from the filed events, so a
filing whose events would not reproduce them is refused here rather than failing at the auditor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from ledger.filing.bundle import (
    Bundle,
    EventRow,
    FilingBuildError,
    Scope,
    build_bundle,
    facts_of,
    policy_version_of,
    scope_figures,
    scope_streams,
)
from ledger.integrity.checkpoints import CheckpointRecorder
from ledger.integrity.leaf import format_recorded_at
from ledger.integrity.store_audit import IntegrityRecorder
from ledger.integrity.stream_heads import StreamHeadsTree
from ledger.policy import fold

__all__ = ["FilingUnavailable", "export_filing"]


class FilingUnavailable(Exception):
    """No filing can be made (no checkpoint yet, an unknown staff member); the message says why."""


class _Store(CheckpointRecorder, IntegrityRecorder, Protocol):
    """The recorder's integrity reads (every ledger store implements both)."""


def _event_rows(store: _Store, size: int) -> list[EventRow]:
    """Every event leaf before `size` with its event, in log order."""
    events = {event.position: event for event in store.audit_events()}
    rows = []
    for leaf in store.leaves():
        if leaf.leaf_index >= size:
            break
        event = events[leaf.position]
        rows.append(
            EventRow(
                leaf.leaf_index,
                leaf.position,
                event.stream_id,
                event.stream_version,
                event.topic,
                leaf.recorded_at,
                leaf.prev_stream_leaf_hash,
                leaf.salt,
                event.state,
            )
        )
    return rows


def export_filing(
    recorder: Any,
    scope: Scope,
    *,
    log_verifier_keys: Sequence[str] = (),
    witness_verifier_keys: Sequence[str] = (),
    now: datetime | None = None,
) -> Bundle:
    """The filing of `scope` at the store's last published checkpoint."""
    store = cast(_Store, recorder)
    kept = store.checkpoints()
    if not kept:
        raise FilingUnavailable("no checkpoint is published yet: run `ledger checkpoint publish`")
    checkpoint = kept[-1]
    heads_index = checkpoint.size - 1
    heads_leaf = next((s for s in store.stream_heads_leaves() if s.leaf_index == heads_index), None)
    if heads_leaf is None:
        raise FilingUnavailable(
            f"the checkpoint of size {checkpoint.size} has no stream-heads leaf"
        )
    rows = _event_rows(store, checkpoint.size)
    state = fold(facts_of(rows))
    if scope.kind == "staff":
        if scope.staff_number not in state.staff:
            raise FilingUnavailable(
                f"staff member {scope.staff_number} is not registered at the checkpoint of size "
                f"{checkpoint.size}"
            )
        units = sorted({m.unit_code for m in state.staff[scope.staff_number].memberships})
        wanted = scope_streams(scope, units)
        filed = [row for row in rows if row.stream_id in wanted]
        present = {row.stream_id for row in filed}
        absent = {stream: kind for stream, kind in wanted.items() if stream not in present}
    else:
        filed, absent = rows, {}
    try:
        return build_bundle(
            scope=scope,
            events=filed,
            tree=store.leaf_hashes(checkpoint.size),
            stream_heads=StreamHeadsTree(store.stream_heads_at(heads_index)),
            stream_heads_leaf=heads_leaf.leaf,
            checkpoint=checkpoint.note,
            exported_at=format_recorded_at(now or datetime.now(UTC)),
            figures=scope_figures(state, scope),
            policy_version=policy_version_of(state, scope.year),
            earlier_checkpoints=[earlier.note for earlier in kept[:-1]],
            absent_streams=absent,
            log_verifier_keys=log_verifier_keys,
            witness_verifier_keys=witness_verifier_keys,
        )
    except FilingBuildError as error:
        raise FilingUnavailable(f"the filing would not verify: {error}") from None
