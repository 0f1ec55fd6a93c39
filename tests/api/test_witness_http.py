"""The witness over HTTP (c2sp.org/tlog-witness): every status code of add-checkpoint with its
media type and plain-text body, through Starlette's TestClient; then the stdlib client module
against a real uvicorn on a loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.witness_app import MAX_BODY_BYTES, create_witness_app
from ledger.integrity import witness_client
from ledger.integrity.merkle import MerkleTree, leaf_hash
from ledger.integrity.note import (
    Checkpoint,
    Ed25519Cosigner,
    Ed25519Signer,
    cosignatures,
    open_checkpoint,
    sign_note,
)
from ledger.integrity.witness import Witness
from ledger.integrity.witness_client import format_add_checkpoint_body
from live_server import serve

ORIGIN = "records.example/ledger/v1"
WITNESS_NAME = "authority.example/witness"
NOW = 1_750_000_000
PLAIN = "text/plain; charset=utf-8"


@dataclass
class Log:
    """A test log: a Merkle tree of made-up leaves and the key that signs its checkpoints."""

    signer: Ed25519Signer
    tree: MerkleTree
    origin: str = ORIGIN

    @classmethod
    def of(cls, signer: Ed25519Signer, size: int, fork: str = "", origin: str = ORIGIN) -> Log:
        leaves = (leaf_hash(f"{fork}event {index}".encode()) for index in range(size))
        return cls(signer, MerkleTree(leaves), origin)

    def checkpoint(self, size: int) -> str:
        text = Checkpoint(self.origin, size, self.tree.root(size)).format()
        return sign_note(text, [self.signer])

    def body(self, old: int, size: int) -> bytes:
        """The add-checkpoint body for the checkpoint of `size` with the proof from `old`."""
        proof = self.tree.consistency_proof(old, size) if old else []
        return format_add_checkpoint_body(old, proof, self.checkpoint(size))


@pytest.fixture
def log_key() -> Ed25519Signer:
    return Ed25519Signer.from_seed(ORIGIN, bytes(range(32)))


@pytest.fixture
def log(log_key: Ed25519Signer) -> Log:
    return Log.of(log_key, 20)


@pytest.fixture
def cosigner() -> Ed25519Cosigner:
    key = Ed25519Cosigner.from_seed(WITNESS_NAME, bytes(range(32, 64)))
    assert isinstance(key, Ed25519Cosigner)
    return key


@pytest.fixture
def witness(tmp_path: Path, cosigner: Ed25519Cosigner, log_key: Ed25519Signer) -> Witness:
    return Witness(
        cosigner,
        {ORIGIN: [log_key.verifier()]},
        tmp_path / "state.sqlite3",
        tmp_path / "evidence",
        lambda: NOW,
    )


@pytest.fixture
def http(witness: Witness, log: Log) -> Iterator[TestClient]:
    """A client of the witness app, the witness having cosigned the log at size 8."""
    witness.add_checkpoint(0, [], log.checkpoint(8))
    with TestClient(create_witness_app(witness)) as client:
        yield client


def post(http: TestClient, body: bytes) -> tuple[int, str, str]:
    response = http.post("/add-checkpoint", content=body)
    return response.status_code, response.headers["content-type"], response.text


# 200


def test_a_consistent_checkpoint_is_answered_200_with_cosignature_lines(
    http: TestClient, log: Log, log_key: Ed25519Signer, cosigner: Ed25519Cosigner
) -> None:
    # given a witness at size 8
    # when the log posts size 20 with the proof from 8
    status, media_type, text = post(http, log.body(8, 20))

    # then the answer is 200, plain text, signature lines that verify as the witness's
    assert (status, media_type) == (200, PLAIN)
    assert text.startswith("— ") and text.endswith("\n")
    _, verified = open_checkpoint(
        log.checkpoint(20) + text, [log_key.verifier(), cosigner.verifier()], origin=ORIGIN
    )
    assert [item.timestamp for item in cosignatures(verified)] == [NOW]


# 400


def test_a_malformed_body_is_answered_400_in_plain_text(http: TestClient) -> None:
    # given a witness
    # when the body has no old size line
    status, media_type, text = post(http, b"hello\n\nworld\n")

    # then 400 with a one-line reason
    assert (status, media_type) == (400, PLAIN)
    assert "old <size>" in text and text.count("\n") == 1


def test_an_old_size_above_the_checkpoint_size_is_answered_400(http: TestClient, log: Log) -> None:
    # given a witness at size 8
    # when the older checkpoint of size 5 is posted with old size 8
    status, media_type, text = post(http, format_add_checkpoint_body(8, [], log.checkpoint(5)))

    # then 400
    assert (status, media_type) == (400, PLAIN)
    assert "larger than the checkpoint size" in text


def test_a_body_over_the_size_limit_is_answered_400(http: TestClient) -> None:
    # given a witness
    # when the body exceeds the limit
    status, _, text = post(http, b"old 0\n" + b"A" * MAX_BODY_BYTES)

    # then 400, without reading on
    assert status == 400 and "larger than" in text


# 403


def test_a_checkpoint_without_a_trusted_signature_is_answered_403(http: TestClient) -> None:
    # given a witness that trusts the log's key
    impostor = Log.of(Ed25519Signer.from_seed(ORIGIN, bytes(32)), 20)

    # when a checkpoint signed by another key of the same name is posted
    status, media_type, _ = post(http, impostor.body(8, 20))

    # then 403
    assert (status, media_type) == (403, PLAIN)


# 404


def test_a_checkpoint_of_an_unknown_origin_is_answered_404(http: TestClient) -> None:
    # given a witness that trusts only ORIGIN
    other = Log.of(Ed25519Signer.from_seed("other.example/log", bytes(32)), 3, origin="o.example")

    # when another log posts its checkpoint
    status, media_type, text = post(http, other.body(0, 3))

    # then 404
    assert (status, media_type) == (404, PLAIN)
    assert "o.example" in text


# 409


def test_a_stale_old_size_is_answered_409_with_the_latest_size_as_text_x_tlog_size(
    http: TestClient, log: Log
) -> None:
    # given a witness at size 8
    # when the log posts size 20 with a proof from size 5
    response = http.post("/add-checkpoint", content=log.body(5, 20))

    # then 409, the body exactly the latest size and a newline, the media type exactly the spec's
    assert response.status_code == 409
    assert response.headers["content-type"] == "text/x.tlog.size"
    assert response.content == b"8\n"


def test_another_root_at_the_cosigned_size_is_answered_409_in_plain_text(
    http: TestClient, log_key: Ed25519Signer, witness: Witness
) -> None:
    # given a witness at size 8, and a fork of the log signed by the same key
    fork = Log.of(log_key, 8, fork="fork ")

    # when the fork's checkpoint of size 8 is posted
    status, media_type, text = post(http, fork.body(8, 8))

    # then 409 in plain text (not a size), naming the evidence file
    assert (status, media_type) == (409, PLAIN)
    [evidence] = witness.evidence_dir.glob("*.json")
    assert "equivocation" in text and str(evidence) in text


# 422


def test_a_proof_that_does_not_verify_is_answered_422(http: TestClient, log: Log) -> None:
    # given a witness at size 8
    proof = log.tree.consistency_proof(8, 20)
    proof.reverse()

    # when size 20 is posted with a scrambled proof
    body = format_add_checkpoint_body(8, proof, log.checkpoint(20))
    status, media_type, text = post(http, body)

    # then 422
    assert (status, media_type) == (422, PLAIN)
    assert "not proven consistent" in text


# Other routes


def test_add_checkpoint_accepts_only_post(http: TestClient) -> None:
    # given a witness
    # when add-checkpoint is fetched with GET
    response = http.get("/add-checkpoint")

    # then 405
    assert response.status_code == 405


def test_healthz_answers_ok_with_the_witness_key(http: TestClient, witness: Witness) -> None:
    # given a witness
    # when its health is asked
    response = http.get("/healthz")

    # then 200, plain text, naming its verifier key
    assert (response.status_code, response.headers["content-type"]) == (200, PLAIN)
    assert response.text == f"ok {witness.verifier.vkey()}\n"


# The client module against a real server


@pytest.fixture
def served(witness: Witness) -> Iterator[str]:
    """The witness app served by uvicorn on a free loopback port; its base URL."""
    with serve(create_witness_app(witness)) as url:
        yield url


def test_the_client_recovers_from_a_size_conflict_with_the_size_the_witness_returns(
    served: str, log: Log, witness: Witness, log_key: Ed25519Signer, cosigner: Ed25519Cosigner
) -> None:
    # given a served witness that cosigned size 8 (as another submitter did)
    witness.add_checkpoint(0, [], log.checkpoint(8))

    # when the client submits size 20 believing the witness new, the witness answers 409...
    with pytest.raises(witness_client.SizeConflict) as conflict:
        witness_client.add_checkpoint(served, log.checkpoint(20))
    latest = conflict.value.latest_size

    # ...and it retries with the proof from the size it was told
    lines = witness_client.add_checkpoint(
        served,
        log.checkpoint(20),
        old_size=latest,
        proof=log.tree.consistency_proof(latest, 20),
    )

    # then the witness told it 8, and the cosignature it returns verifies
    assert (conflict.value.status, latest) == (409, 8)
    _, verified = open_checkpoint(
        log.checkpoint(20) + "".join(lines), [log_key.verifier(), cosigner.verifier()]
    )
    assert [item.verifier.name for item in cosignatures(verified)] == [WITNESS_NAME]


@pytest.mark.parametrize(
    ("submission", "refusal"),
    [
        ("malformed", witness_client.BadRequest),
        ("impostor", witness_client.Forbidden),
        ("unknown origin", witness_client.NotFound),
        ("fork", witness_client.RootConflict),
        ("bad proof", witness_client.Unprocessable),
    ],
)
def test_the_client_maps_each_refusal_status_to_its_exception(
    served: str,
    log: Log,
    witness: Witness,
    log_key: Ed25519Signer,
    submission: str,
    refusal: type[witness_client.WitnessClientError],
) -> None:
    # given a served witness at size 8
    witness.add_checkpoint(0, [], log.checkpoint(8))
    note, old, proof = log.checkpoint(20), 8, log.tree.consistency_proof(8, 20)
    if submission == "malformed":
        note = note.replace("\n\n", "\n")
    elif submission == "impostor":
        note = Log.of(Ed25519Signer.from_seed(ORIGIN, bytes(32)), 20).checkpoint(20)
    elif submission == "unknown origin":
        note = Log.of(log_key, 20, origin="o.example").checkpoint(20)
    elif submission == "fork":
        note, proof = Log.of(log_key, 8, fork="fork ").checkpoint(8), []
    else:
        proof = proof[::-1]

    # when the client submits it
    with pytest.raises(refusal) as raised:
        witness_client.add_checkpoint(served, note, old_size=old, proof=proof)

    # then the exception carries the witness's status and its one-line reason
    assert raised.value.status == refusal.expected_status
    assert raised.value.message and "\n" not in raised.value.message


def test_the_client_reports_an_unreachable_witness(log: Log) -> None:
    # given a loopback port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    # when the client submits there
    with pytest.raises(witness_client.UnexpectedResponse, match="cannot reach"):
        witness_client.add_checkpoint(f"http://127.0.0.1:{port}", log.checkpoint(8), timeout=5)
