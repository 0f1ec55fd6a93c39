"""`ledger keys ...` and `ledger checkpoint ...` (SPEC 7.3): keys outside the database, signed
checkpoints published on demand, one-line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import Invoke

from api.witness_app import create_witness_app
from ledger.integrity.note import Ed25519Cosigner, open_checkpoint, parse_verifier_key
from ledger.integrity.witness import Witness
from live_server import serve


@pytest.fixture
def key_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "keys"
    monkeypatch.setenv("LEDGER_KEY_DIR", str(directory))
    monkeypatch.setenv("LEDGER_LOG_ORIGIN", "assessment-ledger.test/center")
    return directory


def test_publish_signs_a_checkpoint_the_exported_keys_verify(
    ledger_cli: Invoke, seeded_demo: tuple[str, object], key_dir: Path, tmp_path: Path
) -> None:
    # given a copy of the seeded demo (the shared one stays as seeded) and a generated key
    copy = tmp_path / "demo.sqlite3"
    shutil.copyfile(seeded_demo[0].removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    generated = ledger_cli(url, "keys", "generate")
    assert generated.exit_code == 0, generated.output
    # when a checkpoint is published and the keys exported
    published = ledger_cli(url, "checkpoint", "publish", "--output", str(tmp_path / "cp.txt"))
    exported = ledger_cli(url, "keys", "export")
    # then the note verifies with the exported keys and names the log
    assert published.exit_code == 0, published.output
    keys = [parse_verifier_key(line) for line in exported.output.splitlines()]
    body, _ = open_checkpoint(
        (tmp_path / "cp.txt").read_text(encoding="utf-8"),
        keys,
        origin="assessment-ledger.test/center",
    )
    assert body.size > 2900
    listed = ledger_cli(url, "checkpoint", "list")
    assert f"size {body.size}" in listed.output


def test_publish_without_a_key_fails_with_one_line(
    ledger_cli: Invoke, empty_sqlite_url: str, key_dir: Path
) -> None:
    result = ledger_cli(empty_sqlite_url, "checkpoint", "publish")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "ledger keys generate" in result.output


def test_generating_a_second_key_is_refused(
    ledger_cli: Invoke, empty_sqlite_url: str, key_dir: Path
) -> None:
    assert ledger_cli(empty_sqlite_url, "keys", "generate").exit_code == 0
    again = ledger_cli(empty_sqlite_url, "keys", "generate")
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_rotate_prints_a_new_key_and_export_lists_both(
    ledger_cli: Invoke, empty_sqlite_url: str, key_dir: Path
) -> None:
    first = ledger_cli(empty_sqlite_url, "keys", "generate").output.strip()
    second = ledger_cli(empty_sqlite_url, "keys", "rotate").output.strip()
    assert first != second
    exported = ledger_cli(empty_sqlite_url, "keys", "export").output.splitlines()
    assert exported == [second, first]


def test_publish_asks_the_witness_and_keeps_its_cosignature(
    ledger_cli: Invoke, empty_sqlite_url: str, key_dir: Path, tmp_path: Path
) -> None:
    # given a key and a witness that trusts it
    vkey = ledger_cli(empty_sqlite_url, "keys", "generate").output.strip()
    cosigner = Ed25519Cosigner.generate("witness.test/authority")
    assert isinstance(cosigner, Ed25519Cosigner)
    witness = Witness(
        cosigner,
        {"assessment-ledger.test/center": [parse_verifier_key(vkey)]},  # type: ignore[list-item]
        tmp_path / "witness.sqlite3",
        tmp_path / "evidence",
    )
    # when a checkpoint is published with the witness
    with serve(create_witness_app(witness)) as url:
        result = ledger_cli(empty_sqlite_url, "checkpoint", "publish", "--witness", url)
    # then the printed note carries the witness's cosignature
    assert result.exit_code == 0, result.output
    assert "— witness.test/authority " in result.output


def test_publish_says_the_checkpoint_is_kept_when_a_witness_refuses_it(
    ledger_cli: Invoke, empty_sqlite_url: str, key_dir: Path, tmp_path: Path
) -> None:
    # given a witness that does not know this log
    ledger_cli(empty_sqlite_url, "keys", "generate")
    cosigner = Ed25519Cosigner.generate("witness.test/authority")
    assert isinstance(cosigner, Ed25519Cosigner)
    witness = Witness(cosigner, {}, tmp_path / "witness.sqlite3", tmp_path / "evidence")
    with serve(create_witness_app(witness)) as url:
        result = ledger_cli(empty_sqlite_url, "checkpoint", "publish", "--witness", url)
    assert result.exit_code == 1
    assert "signed and kept, but the witness" in result.output
    assert "HTTP 404" in result.output
