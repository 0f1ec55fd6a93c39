"""The witness's state machine (c2sp.org/tlog-witness add-checkpoint, without HTTP): what it
cosigns, what it refuses with which refusal, that a refusal changes nothing, the evidence it
writes, and that concurrent submissions cannot both advance from the same size."""

from __future__ import annotations

import base64
import json
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.integrity.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from ledger.integrity.note import (
    Checkpoint,
    Ed25519Cosigner,
    Ed25519Signer,
    Ed25519Verifier,
    cosignatures,
    open_checkpoint,
    sign_note,
)
from ledger.integrity.witness import (
    AddCheckpointRequest,
    BadSignature,
    ClockError,
    Equivocation,
    InconsistentProof,
    Malformed,
    OldSizeMismatch,
    UnknownLog,
    Witness,
    WitnessDirectory,
    parse_add_checkpoint_body,
)
from ledger.integrity.witness_client import format_add_checkpoint_body

ORIGIN = "records.example/ledger/v1"
WITNESS_NAME = "authority.example/witness"
NOW = 1_750_000_000


class Log:
    """A log for the tests: a Merkle tree of made-up leaves and a key that signs checkpoints."""

    def __init__(self, signer: Ed25519Signer, origin: str = ORIGIN, fork: str = "") -> None:
        self.origin = origin
        self.signer = signer
        self.fork = fork
        self.tree = MerkleTree()

    def grow(self, size: int) -> Log:
        """Append leaves up to `size`; leaves of a fork differ from the original's."""
        self.tree.extend(
            leaf_hash(f"{self.fork}event {index}".encode()) for index in range(self.tree.size, size)
        )
        return self

    def checkpoint(self, size: int | None = None) -> str:
        """The signed checkpoint note of the first `size` leaves (default: all)."""
        size = self.tree.size if size is None else size
        text = Checkpoint(self.origin, size, self.tree.root(size)).format()
        return sign_note(text, [self.signer])

    def proof(self, old: int, new: int | None = None) -> list[bytes]:
        """The consistency proof from `old` leaves to `new` (default: all)."""
        return self.tree.consistency_proof(old, new)


@pytest.fixture
def log_key() -> Ed25519Signer:
    return Ed25519Signer.from_seed(ORIGIN, bytes(range(32)))


@pytest.fixture
def log(log_key: Ed25519Signer) -> Log:
    return Log(log_key).grow(20)


@pytest.fixture
def cosigner() -> Ed25519Cosigner:
    key = Ed25519Cosigner.from_seed(WITNESS_NAME, bytes(range(32, 64)))
    assert isinstance(key, Ed25519Cosigner)
    return key


def make_witness(
    tmp_path: Path,
    cosigner: Ed25519Cosigner,
    log_key: Ed25519Signer,
    clock: Callable[[], int] = lambda: NOW,
) -> Witness:
    return Witness(
        cosigner,
        {ORIGIN: [log_key.verifier()]},
        tmp_path / "state.sqlite3",
        tmp_path / "evidence",
        clock,
    )


@pytest.fixture
def witness(tmp_path: Path, cosigner: Ed25519Cosigner, log_key: Ed25519Signer) -> Witness:
    return make_witness(tmp_path, cosigner, log_key)


@pytest.fixture
def witnessed_at_8(witness: Witness, log: Log) -> Witness:
    """A witness that has cosigned the log at size 8."""
    witness.add_checkpoint(0, [], log.checkpoint(8))
    return witness


def evidence_files(witness: Witness) -> list[Path]:
    return sorted(witness.evidence_dir.glob("*.json"))


# Cosigning


def test_the_first_checkpoint_from_old_size_zero_with_an_empty_proof_is_cosigned(
    witness: Witness, log: Log, cosigner: Ed25519Cosigner, log_key: Ed25519Signer
) -> None:
    # given a witness that never saw the log
    note = log.checkpoint(8)

    # when the log submits its checkpoint from old size 0 with an empty proof
    lines = witness.add_checkpoint(0, [], note)

    # then the answer is one cosignature line that verifies, timestamped by the witness's clock
    assert len(lines) == 1 and lines[0].startswith(f"— {WITNESS_NAME} ")
    _, verified = open_checkpoint(
        note + "".join(lines), [log_key.verifier(), cosigner.verifier()], origin=ORIGIN
    )
    assert [(item.verifier.name, item.timestamp) for item in cosignatures(verified)] == [
        (WITNESS_NAME, NOW)
    ]


def test_an_accepted_checkpoint_becomes_the_latest_for_its_log(witness: Witness, log: Log) -> None:
    # given a witness that never saw the log
    note = log.checkpoint(8)

    # when it cosigns the log's checkpoint of size 8
    lines = witness.add_checkpoint(0, [], note)

    # then its state holds that size, root, note and cosignature
    latest = witness.latest(ORIGIN)
    assert latest is not None
    assert (latest.size, latest.root_hash, latest.note) == (8, log.tree.root(8), note)
    assert (latest.cosignature, latest.cosigned_at) == (lines[0], NOW)


def test_a_checkpoint_with_a_valid_consistency_proof_from_the_latest_is_cosigned(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8
    # when the log submits size 20 with the consistency proof from 8
    lines = witnessed_at_8.add_checkpoint(8, log.proof(8, 20), log.checkpoint(20))

    # then it is cosigned and becomes the latest
    assert len(lines) == 1
    latest = witnessed_at_8.latest(ORIGIN)
    assert latest is not None and (latest.size, latest.root_hash) == (20, log.tree.root(20))


def test_resubmitting_the_latest_checkpoint_is_cosigned_again(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8 (a log retrying after losing the answer)
    # when the same checkpoint is submitted with old size 8 and an empty proof
    lines = witnessed_at_8.add_checkpoint(8, [], log.checkpoint(8))

    # then the spec's checks all pass: it is cosigned again and stays the latest
    assert len(lines) == 1
    latest = witnessed_at_8.latest(ORIGIN)
    assert latest is not None and latest.size == 8


def test_the_latest_checkpoint_survives_reopening_the_state_file(
    witnessed_at_8: Witness, tmp_path: Path, cosigner: Ed25519Cosigner, log_key: Ed25519Signer
) -> None:
    # given a witness at size 8
    # when another witness opens the same state file
    reopened = make_witness(tmp_path, cosigner, log_key)

    # then it holds the same latest checkpoint
    assert reopened.accepted() == witnessed_at_8.accepted()


# Refusals, each leaving the state as it was


def test_a_checkpoint_of_an_unknown_origin_is_refused_as_unknown_log(
    witnessed_at_8: Witness, log_key: Ed25519Signer
) -> None:
    # given a witness that trusts only ORIGIN
    before = witnessed_at_8.accepted()
    other = Log(Ed25519Signer.from_seed("other.example/log", bytes(32)), "other.example/log")

    # when another log submits a checkpoint
    with pytest.raises(UnknownLog, match=r"other\.example/log") as refusal:
        witnessed_at_8.add_checkpoint(0, [], other.grow(3).checkpoint())

    # then it is refused as 404 and nothing changed
    assert refusal.value.status == 404
    assert witnessed_at_8.accepted() == before


def test_a_checkpoint_signed_by_an_unknown_key_is_refused_as_bad_signature(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8, and a checkpoint signed by another key of the log's name
    before = witnessed_at_8.accepted()
    impostor = Log(Ed25519Signer.from_seed(ORIGIN, bytes(32))).grow(20)

    # when it is submitted
    with pytest.raises(BadSignature, match="no known key") as refusal:
        witnessed_at_8.add_checkpoint(8, impostor.proof(8, 20), impostor.checkpoint(20))

    # then it is refused as 403 and nothing changed
    assert refusal.value.status == 403
    assert witnessed_at_8.accepted() == before


def test_a_checkpoint_whose_trusted_signature_fails_is_refused_as_bad_signature(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given the log's signed checkpoint of size 20 with its size changed after signing
    note = log.checkpoint(20).replace("\n20\n", "\n21\n", 1)
    before = witnessed_at_8.accepted()

    # when it is submitted
    with pytest.raises(BadSignature, match="does not verify"):
        witnessed_at_8.add_checkpoint(8, log.proof(8, 20), note)

    # then it is refused and nothing changed
    assert witnessed_at_8.accepted() == before


def test_an_old_size_larger_than_the_checkpoint_size_is_refused_as_malformed(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8
    before = witnessed_at_8.accepted()

    # when the older checkpoint of size 5 is replayed from old size 8
    with pytest.raises(Malformed, match="larger than the checkpoint size") as refusal:
        witnessed_at_8.add_checkpoint(8, [], log.checkpoint(5))

    # then it is refused as 400 and nothing changed
    assert refusal.value.status == 400
    assert witnessed_at_8.accepted() == before


def test_an_old_size_other_than_the_latest_is_refused_with_the_latest_size(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8
    before = witnessed_at_8.accepted()

    # when the log submits size 20 with a proof from size 5
    with pytest.raises(OldSizeMismatch) as refusal:
        witnessed_at_8.add_checkpoint(5, log.proof(5, 20), log.checkpoint(20))

    # then it is refused as 409 naming size 8, and nothing changed
    assert (refusal.value.status, refusal.value.latest_size) == (409, 8)
    assert witnessed_at_8.accepted() == before


def test_an_older_checkpoint_replayed_from_size_zero_is_refused_as_stale(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8
    before = witnessed_at_8.accepted()

    # when the log's old checkpoint of size 5 is replayed as if first
    with pytest.raises(OldSizeMismatch) as refusal:
        witnessed_at_8.add_checkpoint(0, [], log.checkpoint(5))

    # then it is refused with the latest size, and nothing changed
    assert refusal.value.latest_size == 8
    assert witnessed_at_8.accepted() == before


def test_a_proof_that_does_not_verify_is_refused_as_inconsistent(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8, and the proof from 8 to 20 with one byte changed
    proof = log.proof(8, 20)
    proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    before = witnessed_at_8.accepted()

    # when the checkpoint of size 20 is submitted with it
    with pytest.raises(InconsistentProof) as refusal:
        witnessed_at_8.add_checkpoint(8, proof, log.checkpoint(20))

    # then it is refused as 422 and nothing changed
    assert refusal.value.status == 422
    assert witnessed_at_8.accepted() == before


def test_a_non_empty_proof_from_old_size_zero_is_refused_as_inconsistent(
    witness: Witness, log: Log
) -> None:
    # given a witness that never saw the log
    # when the first checkpoint comes with a proof although the old size is 0
    with pytest.raises(InconsistentProof, match="empty"):
        witness.add_checkpoint(0, log.proof(4, 8), log.checkpoint(8))

    # then nothing was recorded
    assert witness.accepted() == []


def test_a_size_zero_checkpoint_without_the_empty_tree_root_is_refused_as_inconsistent(
    witness: Witness, log_key: Ed25519Signer
) -> None:
    # given a validly signed checkpoint of size 0 whose root is not SHA-256("")
    note = sign_note(Checkpoint(ORIGIN, 0, bytes(32)).format(), [log_key])

    # when it is submitted from old size 0
    with pytest.raises(InconsistentProof, match="empty tree"):
        witness.add_checkpoint(0, [], note)

    # then nothing was recorded
    assert witness.accepted() == []


def test_the_empty_tree_checkpoint_is_cosigned(witness: Witness, log_key: Ed25519Signer) -> None:
    # given a validly signed checkpoint of the empty log
    note = sign_note(Checkpoint(ORIGIN, 0, EMPTY_ROOT).format(), [log_key])

    # when it is submitted from old size 0
    lines = witness.add_checkpoint(0, [], note)

    # then it is cosigned
    assert len(lines) == 1


# Equivocation and evidence


def test_a_second_root_at_the_cosigned_size_is_refused_as_equivocation(
    witnessed_at_8: Witness, log_key: Ed25519Signer
) -> None:
    # given a witness at size 8, and a fork of the log signed by the same key
    fork = Log(log_key, fork="fork ").grow(8)
    before = witnessed_at_8.accepted()

    # when the fork's checkpoint of size 8 is submitted
    with pytest.raises(Equivocation, match="two checkpoints of size 8") as refusal:
        witnessed_at_8.add_checkpoint(8, [], fork.checkpoint(8))

    # then it is refused as 409 and nothing changed
    assert refusal.value.status == 409
    assert witnessed_at_8.accepted() == before


def test_equivocation_writes_evidence_with_both_checkpoints(
    witnessed_at_8: Witness, log: Log, log_key: Ed25519Signer
) -> None:
    # given a witness at size 8, and a fork of the log signed by the same key
    fork_note = Log(log_key, fork="fork ").grow(8).checkpoint(8)

    # when the fork's checkpoint is submitted
    with pytest.raises(Equivocation) as refusal:
        witnessed_at_8.add_checkpoint(8, [], fork_note)

    # then one evidence file holds both signed notes, the request, the time and why
    [path] = evidence_files(witnessed_at_8)
    assert refusal.value.evidence == path and str(path) in str(refusal.value)
    evidence = json.loads(path.read_text("utf-8"))
    assert evidence["origin"] == ORIGIN
    assert evidence["previous_checkpoint"] == log.checkpoint(8)
    assert evidence["submitted_checkpoint"] == fork_note
    assert (evidence["old_size"], evidence["proof"], evidence["time"]) == (8, [], NOW)
    assert evidence["refusal"] == "Equivocation" and "size 8" in evidence["reason"]


def test_a_fork_that_a_proof_cannot_connect_writes_evidence_with_the_proof(
    witnessed_at_8: Witness, log: Log, log_key: Ed25519Signer
) -> None:
    # given a witness at size 8, and a fork that rewrote leaf 3, signed by the same key
    fork = Log(log_key, fork="fork ").grow(20)
    proof = fork.proof(8, 20)

    # when the fork's checkpoint of size 20 is submitted with its own proof from 8
    with pytest.raises(InconsistentProof) as refusal:
        witnessed_at_8.add_checkpoint(8, proof, fork.checkpoint(20))

    # then the evidence holds the witness's checkpoint, the fork's, and the proof
    evidence = json.loads(Path(str(refusal.value.evidence)).read_text("utf-8"))
    assert evidence["previous_checkpoint"] == log.checkpoint(8)
    assert evidence["submitted_checkpoint"] == fork.checkpoint(20)
    assert evidence["proof"] == [base64.b64encode(h).decode() for h in proof]
    assert evidence["status"] == 422


def test_refusals_before_the_signature_is_known_to_be_valid_write_no_evidence(
    witnessed_at_8: Witness, log: Log
) -> None:
    # given a witness at size 8, and the checkpoint of size 20 altered after signing
    note = log.checkpoint(20).replace("\n20\n", "\n21\n", 1)

    # when it is submitted
    with pytest.raises(BadSignature):
        witnessed_at_8.add_checkpoint(8, log.proof(8, 20), note)

    # then no evidence is written: an unsigned claim proves nothing about the log
    assert evidence_files(witnessed_at_8) == []


# The request body


def test_a_request_body_parses_to_its_old_size_proof_and_note(log: Log) -> None:
    # given a body built as a client builds it
    body = format_add_checkpoint_body(8, log.proof(8, 20), log.checkpoint(20))

    # when it is parsed
    request = parse_add_checkpoint_body(body)

    # then it gives back what went in
    assert request == AddCheckpointRequest(8, tuple(log.proof(8, 20)), log.checkpoint(20))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"old 8\n", "no empty line"),
        (b"new 8\n\nx\n", "'old <size>'"),
        (b"old 08\n\nx\n", "'old <size>'"),
        (b"old -1\n\nx\n", "'old <size>'"),
        (b"old 8\nnot base64!\n\nx\n", "not base64"),
        (b"old 8\nAAAA\n\nx\n", "3 bytes, not 32"),
        (
            b"old 8\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx\n",
            "64 consis",
        ),
        (b"old 8\n\n\xff\n", "not UTF-8"),
    ],
)
def test_a_malformed_request_body_is_refused_as_malformed(body: bytes, message: str) -> None:
    # given a body that breaks the add-checkpoint grammar
    # when it is parsed
    with pytest.raises(Malformed, match=message) as refusal:
        parse_add_checkpoint_body(body)

    # then the refusal is the 400 kind
    assert refusal.value.status == 400


def test_a_malformed_checkpoint_note_is_refused_as_malformed_and_changes_nothing(
    witnessed_at_8: Witness,
) -> None:
    # given a witness at size 8
    before = witnessed_at_8.accepted()

    # when the body's note has no signature block
    with pytest.raises(Malformed, match="checkpoint note is malformed"):
        witnessed_at_8.add_checkpoint_body(b"old 8\n\n" + f"{ORIGIN}\n20\n".encode())

    # then nothing changed
    assert witnessed_at_8.accepted() == before


# Atomicity


def test_concurrent_submissions_from_the_same_old_size_advance_the_state_once(
    tmp_path: Path, cosigner: Ed25519Cosigner, log_key: Ed25519Signer, log: Log
) -> None:
    # given a witness at size 2 whose clock is slow; it is read between the check and the
    # update, so a witness that did not hold them in one transaction would let several through
    def slow_clock() -> int:
        time.sleep(0.02)
        return NOW

    witness = make_witness(tmp_path, cosigner, log_key, slow_clock)
    witness.add_checkpoint(0, [], log.checkpoint(2))
    sizes = list(range(4, 20, 2))
    start = threading.Barrier(len(sizes))
    outcomes: dict[int, str] = {}

    def submit(size: int) -> None:
        start.wait()
        try:
            witness.add_checkpoint(2, log.proof(2, size), log.checkpoint(size))
            outcomes[size] = "cosigned"
        except OldSizeMismatch as refusal:
            outcomes[size] = f"409 {refusal.latest_size}"

    # when eight threads submit eight valid checkpoints, all from old size 2, at once
    threads = [threading.Thread(target=submit, args=(size,)) for size in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then exactly one is cosigned, the others learn its size, and the state is that one
    [winner] = [size for size, outcome in outcomes.items() if outcome == "cosigned"]
    assert sorted(outcomes.values()) == sorted(["cosigned"] + [f"409 {winner}"] * 7)
    latest = witness.latest(ORIGIN)
    assert latest is not None and (latest.size, latest.root_hash) == (winner, log.tree.root(winner))


# The clock


def test_a_clock_earlier_than_the_previous_cosignature_cosigns_nothing(
    tmp_path: Path, cosigner: Ed25519Cosigner, log_key: Ed25519Signer, log: Log
) -> None:
    # given a witness that cosigned size 8 at NOW, whose clock then goes back a second
    times = iter([NOW, NOW - 1])
    witness = make_witness(tmp_path, cosigner, log_key, lambda: next(times))
    witness.add_checkpoint(0, [], log.checkpoint(8))
    before = witness.accepted()

    # when the log submits size 20
    with pytest.raises(ClockError, match="before its previous cosignature"):
        witness.add_checkpoint(8, log.proof(8, 20), log.checkpoint(20))

    # then nothing changed
    assert witness.accepted() == before


def test_a_zero_clock_cosigns_nothing(
    tmp_path: Path, cosigner: Ed25519Cosigner, log_key: Ed25519Signer, log: Log
) -> None:
    # given a witness whose clock says 0 (tlog-witness: the timestamp MUST NOT be zero)
    witness = make_witness(tmp_path, cosigner, log_key, lambda: 0)

    # when the log submits its first checkpoint
    with pytest.raises(ClockError, match="outside 1"):
        witness.add_checkpoint(0, [], log.checkpoint(8))

    # then nothing was recorded
    assert witness.accepted() == []


# The directory


def test_init_writes_a_cosigner_key_readable_by_the_owner_only(tmp_path: Path) -> None:
    # given an empty directory
    files = WitnessDirectory(tmp_path / "witness")

    # when a witness is initialised in it
    verifier = files.init(WITNESS_NAME)

    # then the key file is mode 0600 and holds the key whose verifier init returned
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600
    assert files.cosigner().verifier() == verifier
    assert files.logs() == {}


def test_init_refuses_to_overwrite_an_existing_key(tmp_path: Path) -> None:
    # given an initialised witness
    files = WitnessDirectory(tmp_path)
    files.init(WITNESS_NAME)
    key = files.key_path.read_bytes()

    # when init runs again
    with pytest.raises(FileExistsError):
        files.init("another.example/witness")

    # then the key is unchanged
    assert files.key_path.read_bytes() == key


def test_a_trusted_log_is_witnessed_by_the_opened_directory(
    tmp_path: Path, log: Log, log_key: Ed25519Signer
) -> None:
    # given an initialised witness that trusts the log's key
    files = WitnessDirectory(tmp_path)
    files.init(WITNESS_NAME)
    assert files.trust(ORIGIN, log_key.verifier()) is True

    # when the opened witness is given the log's checkpoint
    lines = files.open(clock=lambda: NOW).add_checkpoint(0, [], log.checkpoint(8))

    # then it cosigns, and trusting the same key again adds nothing
    assert len(lines) == 1
    assert files.trust(ORIGIN, Ed25519Verifier.from_vkey(log_key.verifier().vkey())) is False
    assert files.logs() == {ORIGIN: [log_key.verifier()]}
