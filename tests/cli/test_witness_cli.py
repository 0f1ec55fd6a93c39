"""`ledger witness`: making a witness, trusting a log, witnessing offline, showing the state,
serving; and its refusals, one line on stderr with status 2 (usage, bad file) or 1 (refused)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from typer.testing import CliRunner, Result

from ledger.cli import app
from ledger.integrity.merkle import MerkleTree, leaf_hash
from ledger.integrity.note import (
    Checkpoint,
    Ed25519CosignatureVerifier,
    Ed25519Signer,
    cosignatures,
    open_checkpoint,
    sign_note,
)

ORIGIN = "records.example/ledger/v1"
WITNESS_NAME = "authority.example/witness"
LOG_KEY = Ed25519Signer.from_seed(ORIGIN, bytes(range(32)))
TREE = MerkleTree(leaf_hash(f"event {index}".encode()) for index in range(20))


def ledger(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def assert_one_line_error(result: Result, status: int) -> None:
    assert result.exit_code == status, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")


def checkpoint_file(directory: Path, size: int, tree: MerkleTree = TREE) -> Path:
    """The log's signed checkpoint of `size` leaves, in a file."""
    path = directory / f"checkpoint-{size}.txt"
    path.write_text(
        sign_note(Checkpoint(ORIGIN, size, tree.root(size)).format(), [LOG_KEY]), "utf-8"
    )
    return path


def proof_file(directory: Path, old: int, new: int) -> Path:
    """The consistency proof from `old` to `new` leaves, as base64 lines."""
    path = directory / f"proof-{old}-{new}.txt"
    lines = [base64.b64encode(value).decode() for value in TREE.consistency_proof(old, new)]
    path.write_text("".join(line + "\n" for line in lines), "utf-8")
    return path


@pytest.fixture
def witness_dir(tmp_path: Path) -> Path:
    """An initialised witness that trusts the log."""
    directory = tmp_path / "witness"
    assert ledger("witness", "init", "--name", WITNESS_NAME, "--dir", directory).exit_code == 0
    trusted = ledger(
        "witness",
        "trust",
        "--dir",
        directory,
        "--origin",
        ORIGIN,
        "--log-key",
        LOG_KEY.verifier().vkey(),
    )
    assert trusted.exit_code == 0, trusted.output
    return directory


@pytest.fixture
def witnessed_at_8(witness_dir: Path, tmp_path: Path) -> Path:
    """The witness after cosigning the log at size 8."""
    result = ledger(
        "witness",
        "add-checkpoint",
        "--dir",
        witness_dir,
        "--checkpoint",
        checkpoint_file(tmp_path, 8),
    )
    assert result.exit_code == 0, result.output
    return witness_dir


# init


def test_init_prints_the_witness_cosignature_verifier_key(tmp_path: Path) -> None:
    # given an empty place
    # when a witness is initialised there
    result = ledger("witness", "init", "--name", WITNESS_NAME, "--dir", tmp_path / "w")

    # then it prints one verifier key, of the cosignature type (0x04), named as asked
    assert result.exit_code == 0, result.output
    verifier = Ed25519CosignatureVerifier.from_vkey(result.stdout.strip())
    assert verifier.name == WITNESS_NAME


def test_init_writes_the_key_file_with_mode_0600(tmp_path: Path) -> None:
    # given an empty place
    # when a witness is initialised there
    ledger("witness", "init", "--name", WITNESS_NAME, "--dir", tmp_path)

    # then the key file is readable by its owner only
    assert stat.S_IMODE((tmp_path / "witness.key").stat().st_mode) == 0o600


def test_init_refuses_to_overwrite_an_existing_key(witness_dir: Path) -> None:
    # given an initialised witness
    key = (witness_dir / "witness.key").read_bytes()

    # when init runs again on its directory
    result = ledger("witness", "init", "--name", "other.example/w", "--dir", witness_dir)

    # then it refuses with status 1 and the key is unchanged
    assert_one_line_error(result, 1)
    assert "never overwritten" in result.stderr
    assert (witness_dir / "witness.key").read_bytes() == key


def test_init_refuses_an_invalid_key_name_as_bad_usage(tmp_path: Path) -> None:
    # given a key name with a space
    # when init runs with it
    result = ledger("witness", "init", "--name", "bad name", "--dir", tmp_path)

    # then it refuses with status 2 and writes no key
    assert_one_line_error(result, 2)
    assert not (tmp_path / "witness.key").exists()


# trust


def test_trust_refuses_a_key_that_is_not_an_ed25519_log_key(witness_dir: Path) -> None:
    # given an initialised witness
    # when asked to trust a malformed key
    result = ledger(
        "witness", "trust", "--dir", witness_dir, "--origin", ORIGIN, "--log-key", "nonsense"
    )

    # then it refuses with status 2
    assert_one_line_error(result, 2)


def test_commands_on_a_directory_without_a_witness_are_bad_usage(tmp_path: Path) -> None:
    # given a directory that holds no witness
    # when asked to show it
    result = ledger("witness", "show", "--dir", tmp_path)

    # then status 2, pointing to init
    assert_one_line_error(result, 2)
    assert "ledger witness init" in result.stderr


# add-checkpoint


def test_add_checkpoint_prints_a_cosignature_that_verifies_with_the_witness_key(
    tmp_path: Path,
) -> None:
    # given a witness initialised (its key printed) and trusting the log
    directory = tmp_path / "witness"
    vkey = ledger("witness", "init", "--name", WITNESS_NAME, "--dir", directory).stdout.strip()
    ledger(
        "witness",
        "trust",
        "--dir",
        directory,
        "--origin",
        ORIGIN,
        "--log-key",
        LOG_KEY.verifier().vkey(),
    )
    note = checkpoint_file(tmp_path, 8)

    # when the log's first checkpoint is witnessed offline
    result = ledger("witness", "add-checkpoint", "--dir", directory, "--checkpoint", note)

    # then the printed line is a cosignature by that key
    assert result.exit_code == 0, result.output
    _, verified = open_checkpoint(
        note.read_text("utf-8") + result.stdout,
        [LOG_KEY.verifier(), Ed25519CosignatureVerifier.from_vkey(vkey)],
        origin=ORIGIN,
    )
    assert [item.verifier.name for item in cosignatures(verified)] == [WITNESS_NAME]


def test_add_checkpoint_with_a_consistency_proof_advances_the_witness(
    witnessed_at_8: Path, tmp_path: Path
) -> None:
    # given a witness at size 8
    # when the checkpoint of size 20 is witnessed with the proof from 8
    result = ledger(
        "witness",
        "add-checkpoint",
        "--dir",
        witnessed_at_8,
        "--checkpoint",
        checkpoint_file(tmp_path, 20),
        "--old-size",
        "8",
        "--proof",
        proof_file(tmp_path, 8, 20),
    )

    # then it is cosigned and show reports size 20
    assert result.exit_code == 0, result.output
    root = base64.b64encode(TREE.root(20)).decode()
    assert f"size 20 root {root}" in ledger("witness", "show", "--dir", witnessed_at_8).stdout


def test_add_checkpoint_from_a_stale_size_is_refused_with_the_size_to_use(
    witnessed_at_8: Path, tmp_path: Path
) -> None:
    # given a witness at size 8
    # when the checkpoint of size 20 comes with a proof from size 5
    result = ledger(
        "witness",
        "add-checkpoint",
        "--dir",
        witnessed_at_8,
        "--checkpoint",
        checkpoint_file(tmp_path, 20),
        "--old-size",
        "5",
        "--proof",
        proof_file(tmp_path, 5, 20),
    )

    # then status 1, telling the old size to use
    assert_one_line_error(result, 1)
    assert "--old-size 8" in result.stderr


def test_add_checkpoint_of_a_fork_is_refused_and_names_the_evidence(
    witnessed_at_8: Path, tmp_path: Path
) -> None:
    # given a witness at size 8, and a fork of the log at size 8 signed by the log's key
    fork = MerkleTree(leaf_hash(f"fork {index}".encode()) for index in range(8))
    (tmp_path / "fork").mkdir()
    note = checkpoint_file(tmp_path / "fork", 8, fork)

    # when the fork's checkpoint is witnessed
    result = ledger(
        "witness",
        "add-checkpoint",
        "--dir",
        witnessed_at_8,
        "--checkpoint",
        note,
        "--old-size",
        "8",
    )

    # then status 1, naming the evidence file that was written
    assert_one_line_error(result, 1)
    [evidence] = (witnessed_at_8 / "evidence").glob("*.json")
    assert "equivocation" in result.stderr and evidence.name in result.stderr


def test_add_checkpoint_of_an_untrusted_log_is_refused(witness_dir: Path, tmp_path: Path) -> None:
    # given a witness that trusts the log, and a checkpoint of another log
    other = Ed25519Signer.from_seed("other.example/log", bytes(32))
    path = tmp_path / "other.txt"
    path.write_text(
        sign_note(Checkpoint("other.example/log", 8, TREE.root(8)).format(), [other]), "utf-8"
    )

    # when it is witnessed
    result = ledger("witness", "add-checkpoint", "--dir", witness_dir, "--checkpoint", path)

    # then status 1
    assert_one_line_error(result, 1)
    assert "unknown log" in result.stderr


def test_add_checkpoint_of_a_malformed_file_is_bad_input(witness_dir: Path, tmp_path: Path) -> None:
    # given a file that is not a signed note
    path = tmp_path / "checkpoint.txt"
    path.write_text(f"{ORIGIN}\n8\n", "utf-8")

    # when it is witnessed
    result = ledger("witness", "add-checkpoint", "--dir", witness_dir, "--checkpoint", path)

    # then status 2, and nothing was cosigned
    assert_one_line_error(result, 2)
    assert "nothing cosigned yet" in ledger("witness", "show", "--dir", witness_dir).stdout


def test_add_checkpoint_with_a_proof_but_no_old_size_is_bad_usage(
    witness_dir: Path, tmp_path: Path
) -> None:
    # given a witness
    # when a proof is given without the size it starts from
    result = ledger(
        "witness",
        "add-checkpoint",
        "--dir",
        witness_dir,
        "--checkpoint",
        checkpoint_file(tmp_path, 20),
        "--proof",
        proof_file(tmp_path, 8, 20),
    )

    # then status 2
    assert_one_line_error(result, 2)


# show


def test_show_lists_each_trusted_log_with_its_latest_checkpoint(witnessed_at_8: Path) -> None:
    # given a witness that cosigned the log at size 8
    # when its state is shown
    result = ledger("witness", "show", "--dir", witnessed_at_8)

    # then the witness key and the log's size and root are listed
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"witness {WITNESS_NAME}+")
    assert lines[1] == f"log {ORIGIN} (1 key)"
    assert lines[2].startswith(f"  size 8 root {base64.b64encode(TREE.root(8)).decode()} ")


# serve


def test_serve_runs_uvicorn_with_the_witness_app_on_the_given_address(
    witness_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a witness, and uvicorn replaced by a recorder
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))

    # when it is served on a chosen port
    result = ledger("witness", "serve", "--dir", witness_dir, "--port", "7399")

    # then uvicorn runs the witness app there
    assert result.exit_code == 0, result.output
    [(args, kwargs)] = calls
    assert isinstance(args[0], Starlette)
    assert kwargs == {"host": "127.0.0.1", "port": 7399}
