"""The ledger's checkpoints cosigned by a witness over HTTP (SPEC 7.3, issue 4 item 4): the first
one from size 0, later ones with the consistency proof the witness asks for, and a forked log
refused with evidence written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from api.witness_app import create_witness_app
from builders import full_scenario, record
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.integrity.checkpoints import CheckpointRecorder, submit_to_witness, take_checkpoint
from ledger.integrity.note import (
    Ed25519Cosigner,
    Ed25519Signer,
    cosignatures,
    open_checkpoint,
)
from ledger.integrity.witness import Witness
from ledger.integrity.witness_client import RootConflict, Unprocessable
from ledger.settings import Settings
from live_server import serve

ORIGIN = "assessment-ledger.test/center"
NOW = 1_767_225_600


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN)


@pytest.fixture
def cosigner() -> Ed25519Cosigner:
    key = Ed25519Cosigner.generate("witness.test/higher-authority")
    assert isinstance(key, Ed25519Cosigner)
    return key


@pytest.fixture
def witness(tmp_path: Path, signer: Ed25519Signer, cosigner: Ed25519Cosigner) -> Witness:
    return Witness(
        cosigner,
        {ORIGIN: [signer.verifier()]},
        tmp_path / "witness.sqlite3",
        tmp_path / "evidence",
        lambda: NOW,
    )


@pytest.fixture
def witness_url(witness: Witness) -> Iterator[str]:
    with serve(create_witness_app(witness)) as url:
        yield url


def _log(ledger: AssessmentLedger) -> CheckpointRecorder:
    return cast(CheckpointRecorder, ledger.recorder)


def test_the_first_checkpoint_is_cosigned_from_size_zero(
    ledger: AssessmentLedger,
    clock: SettableClock,
    signer: Ed25519Signer,
    cosigner: Ed25519Cosigner,
    witness: Witness,
    witness_url: str,
) -> None:
    # given a ledger and a witness that has seen nothing of it
    full_scenario(ledger, clock)
    checkpoint = take_checkpoint(_log(ledger), ORIGIN, signer)
    # when the checkpoint is submitted
    cosigned = submit_to_witness(_log(ledger), checkpoint, witness_url)
    # then the kept note carries the witness's valid cosignature, and the witness holds it
    (kept,) = _log(ledger).checkpoints()
    assert kept.note == cosigned.note
    _, verified = open_checkpoint(kept.note, [signer.verifier(), cosigner.verifier()])
    assert [item.verifier.name for item in cosignatures(verified)] == [cosigner.name]
    latest = witness.latest(ORIGIN)
    assert latest is not None and latest.size == checkpoint.size


def test_a_later_checkpoint_is_cosigned_with_the_proof_from_what_the_witness_holds(
    ledger: AssessmentLedger,
    clock: SettableClock,
    signer: Ed25519Signer,
    cosigner: Ed25519Cosigner,
    witness: Witness,
    witness_url: str,
) -> None:
    # given a witness that cosigned an earlier checkpoint
    full_scenario(ledger, clock)
    submit_to_witness(_log(ledger), take_checkpoint(_log(ledger), ORIGIN, signer), witness_url)
    # when more is recorded and the next checkpoint is submitted
    record(ledger, "INC-AFTER-WITNESS")
    second = submit_to_witness(
        _log(ledger), take_checkpoint(_log(ledger), ORIGIN, signer), witness_url
    )
    # then the witness advanced to it (the client answered its 409 with a consistency proof)
    latest = witness.latest(ORIGIN)
    assert latest is not None and latest.size == second.size
    open_checkpoint(second.note, [signer.verifier(), cosigner.verifier()], origin=ORIGIN)


def test_submitting_the_same_checkpoint_again_keeps_one_cosignature_line(
    ledger: AssessmentLedger,
    clock: SettableClock,
    signer: Ed25519Signer,
    witness_url: str,
) -> None:
    full_scenario(ledger, clock)
    checkpoint = take_checkpoint(_log(ledger), ORIGIN, signer)
    submit_to_witness(_log(ledger), checkpoint, witness_url)
    again = submit_to_witness(_log(ledger), checkpoint, witness_url)
    assert again.note.count("— witness.test/higher-authority ") == 1


def test_a_forked_log_under_the_same_key_is_refused_and_leaves_evidence(
    tmp_path: Path,
    clock: SettableClock,
    signer: Ed25519Signer,
    witness: Witness,
    witness_url: str,
) -> None:
    # given two stores signed with the log's one key that diverge (a fork shown to the witness)
    stores = []
    for name in ("honest", "forked"):
        url = f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        stores.append(
            AssessmentLedger(env=Settings(database_url=url).eventsourcing_env(), clock=clock)
        )
    honest, forked = stores
    try:
        full_scenario(honest, clock)
        full_scenario(forked, clock)  # same commands, fresh salts: other leaves, other roots
        submit_to_witness(_log(honest), take_checkpoint(_log(honest), ORIGIN, signer), witness_url)
        fork = take_checkpoint(_log(forked), ORIGIN, signer)
        # when the fork's checkpoint is submitted
        with pytest.raises((RootConflict, Unprocessable)):
            submit_to_witness(_log(forked), fork, witness_url)
        # then the witness kept the honest one and wrote evidence naming both
        latest = witness.latest(ORIGIN)
        assert latest is not None and latest.root_hash != fork.root
        evidence = list((tmp_path / "evidence").glob("*.json"))
        assert len(evidence) == 1
        assert fork.note.splitlines()[2] in evidence[0].read_text(encoding="utf-8")
    finally:
        for store in stores:
            store.close()
