"""Checkpoints of the Merkle log on every store (SPEC 7.2, 7.3): the stream-heads leaf written
before each one, the signed note kept, proofs against it, and the store audit catching edits."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any, cast

import psycopg
import pytest

from builders import full_scenario, record
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.integrity.checkpoints import (
    CheckpointRecorder,
    add_cosignatures,
    consistency_proof,
    inclusion_proof,
    open_stored,
    take_checkpoint,
)
from ledger.integrity.merkle import tree_root, verify_consistency, verify_inclusion
from ledger.integrity.note import (
    Ed25519Cosigner,
    Ed25519Signer,
    add_signatures,
    open_checkpoint,
)
from ledger.integrity.store_audit import IntegrityRecorder, verify_store
from ledger.integrity.stream_heads import StreamHead, StreamHeadsTree
from ledger.settings import Settings

ORIGIN = "assessment-ledger.test/center"


def _log(ledger: AssessmentLedger) -> CheckpointRecorder:
    return cast(CheckpointRecorder, ledger.recorder)


def _audit(ledger: AssessmentLedger) -> IntegrityRecorder:
    return cast(IntegrityRecorder, ledger.recorder)


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN)


def _heads_from_rows(ledger: AssessmentLedger) -> list[StreamHead]:
    """Every stream's last version and leaf hash, from the event rows and leaves (an oracle)."""
    heads: dict[uuid.UUID, StreamHead] = {}
    for event, row in zip(_audit(ledger).audit_events(), _audit(ledger).leaves(), strict=True):
        heads[event.stream_id] = StreamHead(event.stream_id, event.stream_version, row.leaf_hash)
    return list(heads.values())


def test_a_checkpoint_ends_with_a_stream_heads_leaf_after_every_event(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given a ledger with events of every kind
    full_scenario(ledger, clock)
    events = len(_audit(ledger).audit_events())
    # when a checkpoint is taken
    checkpoint = take_checkpoint(_log(ledger), ORIGIN, signer)
    # then it covers every event and one stream-heads leaf, the last
    assert checkpoint.size == events + 1
    (heads_leaf,) = _log(ledger).stream_heads_leaves()
    assert heads_leaf.leaf_index == events == heads_leaf.leaf.tree_size
    assert _audit(ledger).tree_state().root == checkpoint.root
    assert tree_root(checkpoint.size, _log(ledger).leaf_hashes(checkpoint.size)) == checkpoint.root


def test_the_stream_heads_leaf_commits_to_every_streams_last_event(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    take_checkpoint(_log(ledger), ORIGIN, signer)
    (heads_leaf,) = _log(ledger).stream_heads_leaves()
    expected = StreamHeadsTree(_heads_from_rows(ledger))
    assert heads_leaf.leaf.stream_count == expected.size > 5
    assert heads_leaf.leaf.stream_heads_root == expected.root
    assert heads_leaf.leaf_hash == heads_leaf.leaf.leaf_hash()


def test_the_kept_note_is_signed_by_the_logs_key_for_its_size_and_root(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    checkpoint = take_checkpoint(_log(ledger), ORIGIN, signer)
    body = open_stored(checkpoint, ORIGIN, [signer.verifier()])
    assert (body.origin, body.size, body.root_hash) == (ORIGIN, checkpoint.size, checkpoint.root)
    assert _log(ledger).checkpoints() == [checkpoint]


def test_a_checkpoint_with_nothing_new_is_the_last_one_again(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    first = take_checkpoint(_log(ledger), ORIGIN, signer)
    again = take_checkpoint(_log(ledger), ORIGIN, signer)
    assert again == first
    assert len(_log(ledger).stream_heads_leaves()) == 1


def test_events_after_a_checkpoint_continue_the_log_and_the_store_audit_passes(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given a checkpoint, then more events, then another checkpoint
    full_scenario(ledger, clock)
    first = take_checkpoint(_log(ledger), ORIGIN, signer)
    record(ledger, "INC-AFTER-CHECKPOINT")
    second = take_checkpoint(_log(ledger), ORIGIN, signer)
    # then the new events' leaves follow the stream-heads leaf, and everything verifies
    later = [row.leaf_index for row in _audit(ledger).leaves() if row.leaf_index >= first.size]
    assert later == list(range(first.size, second.size - 1))
    assert second.size > first.size + 1
    report = verify_store(ledger)
    assert report.ok, report.problem
    assert report.leaves == second.size


def test_every_leaf_has_an_inclusion_proof_against_the_checkpoint(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    checkpoint = take_checkpoint(_log(ledger), ORIGIN, signer)
    hashes = _log(ledger).leaf_hashes(checkpoint.size)
    for index in (0, 1, checkpoint.size // 2, checkpoint.size - 1):
        proof = inclusion_proof(_log(ledger), index, checkpoint.size)
        verify_inclusion(hashes[index], index, checkpoint.size, proof, checkpoint.root)


def test_two_checkpoints_are_consistent(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    first = take_checkpoint(_log(ledger), ORIGIN, signer)
    record(ledger, "INC-AFTER-CHECKPOINT")
    second = take_checkpoint(_log(ledger), ORIGIN, signer)
    proof = consistency_proof(_log(ledger), first.size, second.size)
    verify_consistency(first.size, second.size, proof, first.root, second.root)


def test_stream_heads_at_an_old_size_ignore_later_events(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given a checkpoint and a later event on a stream that already had events
    full_scenario(ledger, clock)
    first = take_checkpoint(_log(ledger), ORIGIN, signer)
    record(ledger, "INC-AFTER-CHECKPOINT")
    # then the heads as of the checkpoint still give the stream-heads leaf's root
    (heads_leaf,) = _log(ledger).stream_heads_leaves()
    tree = StreamHeadsTree(_log(ledger).stream_heads_at(first.size - 1))
    assert tree.root == heads_leaf.leaf.stream_heads_root


def test_cosignatures_are_kept_beside_the_logs_signature(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    checkpoint = take_checkpoint(_log(ledger), ORIGIN, signer)
    witness = Ed25519Cosigner.generate("witness.test/authority")
    kept = add_cosignatures(_log(ledger), checkpoint, add_signatures(checkpoint.note, [witness]))
    (stored,) = _log(ledger).checkpoints()
    assert stored.note == kept.note
    _, verified = open_checkpoint(stored.note, [signer.verifier(), witness.verifier()])
    assert {item.verifier.name for item in verified.verified} == {ORIGIN, witness.name}


def test_a_cosigned_note_of_another_text_is_refused(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    first = take_checkpoint(_log(ledger), ORIGIN, signer)
    record(ledger, "INC-AFTER-CHECKPOINT")
    second = take_checkpoint(_log(ledger), ORIGIN, signer)
    with pytest.raises(ValueError, match="not the same checkpoint"):
        add_cosignatures(_log(ledger), first, second.note)
    assert _log(ledger).checkpoints()[0] == first


# The store audit catches edits to the stream-heads leaves and the kept checkpoints.


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def checkpointed(
    request: pytest.FixtureRequest, tmp_path: Any, clock: SettableClock, signer: Ed25519Signer
) -> Iterator[tuple[AssessmentLedger, Any, dict[str, str]]]:
    """A ledger with two checkpoints, a raw SQL executor on its store, and its table names."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        url = f"sqlite:///{path}"
        tables = {"heads": "stream_heads", "checkpoints": "checkpoints"}

        def execute(statement: str, params: tuple[Any, ...]) -> None:
            with sqlite3.connect(path) as conn:
                conn.execute(statement, params)

    else:
        url = request.getfixturevalue("postgres_url")
        tables = {}

        def execute(statement: str, params: tuple[Any, ...]) -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(statement.replace("?", "%s"), params)

    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env(), clock=clock)
    try:
        full_scenario(ledger, clock)
        take_checkpoint(_log(ledger), ORIGIN, signer)
        record(ledger, "INC-AFTER-CHECKPOINT")
        take_checkpoint(_log(ledger), ORIGIN, signer)
        assert verify_store(ledger).ok
        if not tables:
            events = ledger.recorder.events_table_name  # type: ignore[attr-defined]
            prefix = events.removesuffix("_events")
            tables = {"heads": f"{prefix}_stream_heads", "checkpoints": f"{prefix}_checkpoints"}
        yield ledger, execute, tables
    finally:
        ledger.close()


def test_a_changed_stream_heads_root_is_caught_by_the_stream_heads_check(
    checkpointed: Any,
) -> None:
    ledger, execute, t = checkpointed
    first = _log(ledger).stream_heads_leaves()[0]
    execute(
        f"UPDATE {t['heads']} SET stream_heads_root = ? WHERE leaf_index = ?",
        (bytes(32), first.leaf_index),
    )
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "stream_heads"
    assert problem.row == f"stream-heads leaf {first.leaf_index}"


def test_a_deleted_stream_heads_leaf_is_caught_as_a_gap_in_the_leaf_index(
    checkpointed: Any,
) -> None:
    ledger, execute, t = checkpointed
    first = _log(ledger).stream_heads_leaves()[0]
    execute(f"DELETE FROM {t['heads']} WHERE leaf_index = ?", (first.leaf_index,))
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "leaf_index"


def test_a_kept_checkpoint_swapped_for_another_note_is_caught_by_the_checkpoint_check(
    checkpointed: Any,
) -> None:
    ledger, execute, t = checkpointed
    first, second = _log(ledger).checkpoints()
    execute(f"UPDATE {t['checkpoints']} SET note = ? WHERE size = ?", (second.note, first.size))
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "checkpoint"
    assert problem.row == f"checkpoint of size {first.size}"
