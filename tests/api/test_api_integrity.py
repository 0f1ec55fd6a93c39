"""Integrity over HTTP (issue 6 item 1 for SPEC section 7): the kept checkpoints and the latest
as a C2SP signed note (text/plain), inclusion and consistency proofs that verify against the
checkpoints' roots, and filings of the center's and a staff member's year that the standalone
verifier accepts; for the clerk, the leading group and the higher authority only (403 naming
them); 404 before any checkpoint; 422 for proofs outside the log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import cast

import pytest
from fastapi.testclient import TestClient

from ledger.application import AssessmentLedger
from ledger.filing.bundle import parse
from ledger.filing.verify import VerifierState, verify_bundle
from ledger.integrity.checkpoints import CheckpointRecorder, StoredCheckpoint, take_checkpoint
from ledger.integrity.merkle import verify_consistency, verify_inclusion
from ledger.integrity.note import Ed25519Signer
from ledger.values import OPERATOR, Actor, Role

SignIn = Callable[[str], dict[str, str]]
ORIGIN = "assessment-ledger.test/center"
CLERK = Actor("C001", Role.SUPERVISION_CLERK)
AUTHORITY = "H001"
"""The API center's window head, granted higher_authority where a test needs one."""


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN)


def _log(ledger: AssessmentLedger) -> CheckpointRecorder:
    return cast(CheckpointRecorder, ledger.recorder)


@pytest.fixture
def checkpoints(
    center: None, served_ledger: AssessmentLedger, signer: Ed25519Signer
) -> tuple[StoredCheckpoint, StoredCheckpoint]:
    """The API's small center checkpointed, then one more event and a second checkpoint."""
    first = take_checkpoint(_log(served_ledger), ORIGIN, signer)
    served_ledger.notify_deduction(CLERK, "S001", 4, date(2025, 3, 6))
    second = take_checkpoint(_log(served_ledger), ORIGIN, signer)
    return first, second


def test_before_any_checkpoint_the_latest_and_the_filings_are_404(
    client: TestClient, center: None
) -> None:
    assert client.get("/api/v1/checkpoints").json() == []
    latest = client.get("/api/v1/checkpoints/latest")
    assert latest.status_code == 404
    assert latest.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/filings/2025").status_code == 404
    assert client.get("/api/v1/staff/S001/filings/2025").status_code == 404


def test_the_latest_checkpoint_is_its_signed_note_as_text(
    client: TestClient, checkpoints: tuple[StoredCheckpoint, StoredCheckpoint]
) -> None:
    first, second = checkpoints
    response = client.get("/api/v1/checkpoints/latest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == second.note
    assert response.text.startswith(f"{ORIGIN}\n{second.size}\n")
    kept = client.get("/api/v1/checkpoints").json()
    assert [(c["size"], c["root"]) for c in kept] == [
        (first.size, first.root.hex()),
        (second.size, second.root.hex()),
    ]
    assert kept[0]["signers"] == [ORIGIN]


def test_the_proofs_verify_against_the_checkpoints(
    client: TestClient,
    served_ledger: AssessmentLedger,
    checkpoints: tuple[StoredCheckpoint, StoredCheckpoint],
) -> None:
    first, second = checkpoints
    index = 3
    inclusion = client.get(f"/api/v1/proofs/inclusion?index={index}&size={second.size}")
    assert inclusion.status_code == 200, inclusion.text
    leaf = _log(served_ledger).leaf_hashes(second.size)[index]
    proof = [bytes.fromhex(node) for node in inclusion.json()["proof"]]
    verify_inclusion(leaf, index, second.size, proof, second.root)
    consistency = client.get(f"/api/v1/proofs/consistency?old={first.size}&new={second.size}")
    assert consistency.status_code == 200, consistency.text
    nodes = [bytes.fromhex(node) for node in consistency.json()["proof"]]
    verify_consistency(first.size, second.size, nodes, first.root, second.root)


def test_proofs_outside_the_log_are_a_422(
    client: TestClient, checkpoints: tuple[StoredCheckpoint, StoredCheckpoint]
) -> None:
    _, second = checkpoints
    beyond = client.get(f"/api/v1/proofs/inclusion?index=0&size={second.size + 5}")
    assert beyond.status_code == 422
    assert beyond.json()["rule"] == "PROOF"
    outside = client.get(f"/api/v1/proofs/inclusion?index={second.size}&size={second.size}")
    assert outside.status_code == 422
    backwards = client.get(f"/api/v1/proofs/consistency?old={second.size}&new=2")
    assert backwards.status_code == 422


def test_the_filings_verify_offline(
    client: TestClient,
    signer: Ed25519Signer,
    checkpoints: tuple[StoredCheckpoint, StoredCheckpoint],
) -> None:
    for url in ("/api/v1/filings/2025", "/api/v1/staff/S001/filings/2025"):
        response = client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        report = verify_bundle(parse(response.content), [signer.verifier()], state=VerifierState())
        assert report.verified, report.text()
    assert client.get("/api/v1/staff/S999/filings/2025").status_code == 404


def test_the_higher_authority_reads_them_and_a_staff_member_does_not(
    client: TestClient,
    served_ledger: AssessmentLedger,
    sign_in: SignIn,
    checkpoints: tuple[StoredCheckpoint, StoredCheckpoint],
) -> None:
    refused = client.get("/api/v1/checkpoints/latest", headers=sign_in("S001"))
    assert refused.status_code == 403
    assert "higher_authority" in refused.json()["role_needed"]
    assert client.get("/api/v1/filings/2025", headers=sign_in("S001")).status_code == 403
    served_ledger.grant_role(OPERATOR, AUTHORITY, Role.HIGHER_AUTHORITY, date(2025, 3, 1))
    authority = sign_in(AUTHORITY)
    assert client.get("/api/v1/checkpoints/latest", headers=authority).status_code == 200
    assert client.get("/api/v1/filings/2025", headers=authority).status_code == 200
