"""`ledger-verify`: exit status 0 verified, 1 a check failed (named), 2 bad usage or an
unreadable or malformed file; plain words by default, JSON with `--json`; the state file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from filing_support import CheckpointedLog, filing, tampered

from builders import STAFF
from ledger.filing.bundle import Bundle, Scope
from ledger.filing.verify_cli import main
from ledger.integrity.note import Ed25519Cosigner, Ed25519Signer


def _write(tmp_path: Path, bundle: Bundle, name: str = "filing.json") -> Path:
    path = tmp_path / name
    path.write_bytes(bundle.to_json())
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_good_filing_exits_0_and_says_what_was_checked(
    log: CheckpointedLog,
    signer: Ed25519Signer,
    witness: Ed25519Cosigner,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given a staff filing on disk
    path = _write(tmp_path, filing(log.snapshots[0], Scope.staff(STAFF, 2025)))
    # when ledger-verify checks it with the log's and the witness's keys
    status, out, _ = _run(
        capsys,
        str(path),
        "--log-key",
        signer.verifier().vkey(),
        "--witness-key",
        witness.verifier().vkey(),
        "--state",
        str(tmp_path / "state.json"),
    )
    # then it exits 0 and says, check by check, what it verified
    assert status == 0
    assert "first filing: no predecessor" in out
    assert "figures of staff member S001, year 2025 recomputed" in out
    assert out.rstrip().splitlines()[-1].startswith("VERIFIED")


def test_a_verified_filing_is_remembered_in_the_state_file(
    log: CheckpointedLog, signer: Ed25519Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a filing and no state file yet
    path = _write(tmp_path, filing(log.snapshots[0], Scope.staff(STAFF, 2025)))
    state = tmp_path / "verifier" / "state.json"
    # when it verifies
    status, _, _ = _run(
        capsys, str(path), "--log-key", signer.verifier().vkey(), "--state", str(state)
    )
    # then the state file remembers its checkpoint for the log's origin
    assert status == 0
    remembered = json.loads(state.read_text())["logs"][log.origin]
    assert remembered["size"] == log.snapshots[0].size


def test_a_failed_check_exits_1_names_it_and_leaves_the_state_alone(
    log: CheckpointedLog, signer: Ed25519Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a filing with a changed figure
    bundle = tampered(
        filing(log.snapshots[0], Scope.staff(STAFF, 2025)),
        lambda doc: doc["figures"][0].update(total="9.5"),
    )
    path, state = _write(tmp_path, bundle), tmp_path / "state.json"
    # when it is checked
    status, out, _ = _run(
        capsys, str(path), "--log-key", signer.verifier().vkey(), "--state", str(state)
    )
    # then it exits 1, the verdict names the figures check, and nothing was remembered
    assert status == 1
    assert "NOT VERIFIED: check 6 (figures) failed" in out
    assert not state.exists()


def test_json_output_has_the_verdict_and_every_step(
    log: CheckpointedLog, signer: Ed25519Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a filing
    path = _write(tmp_path, filing(log.snapshots[0], Scope.center(2025)))
    # when it is checked with --json
    status, out, _ = _run(
        capsys,
        str(path),
        "--log-key",
        signer.verifier().vkey(),
        "--state",
        str(tmp_path / "state.json"),
        "--json",
    )
    # then the output is one JSON object: verdict, checkpoint and the seven named steps
    report: dict[str, Any] = json.loads(out)
    assert status == 0
    assert set(report) == {"checkpoint", "failed_check", "scope", "steps", "verdict", "verified"}
    assert report["verified"] is True and report["failed_check"] is None
    assert set(report["checkpoint"]) == {"origin", "root", "size"}
    assert [step["name"] for step in report["steps"]] == [
        "format",
        "signatures",
        "consistency",
        "events",
        "completeness",
        "figures",
        "decisions",
    ]
    assert {tuple(sorted(step)) for step in report["steps"]} == {
        ("lines", "name", "number", "status", "title")
    }


def test_a_malformed_filing_exits_2_naming_the_member(
    log: CheckpointedLog, signer: Ed25519Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a filing without its stream-heads member
    document = json.loads(filing(log.snapshots[0], Scope.staff(STAFF, 2025)).to_json())
    del document["stream_heads"]
    path = tmp_path / "filing.json"
    path.write_text(json.dumps(document))
    # when it is checked
    status, out, err = _run(
        capsys,
        str(path),
        "--log-key",
        signer.verifier().vkey(),
        "--state",
        str(tmp_path / "s.json"),
    )
    # then it exits 2 with one line naming the member
    assert status == 2
    assert out == ""
    assert err == "error: malformed filing: member stream_heads: is missing\n"


def test_an_unreadable_file_exits_2(
    signer: Ed25519Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(
        capsys, str(tmp_path / "missing.json"), "--log-key", signer.verifier().vkey()
    )
    assert status == 2
    assert err.startswith("error: cannot read") and err.count("\n") == 1


def test_a_missing_log_key_is_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, str(tmp_path / "filing.json"))
    assert status == 2
    assert err.startswith("error: ") and err.count("\n") == 1


def test_a_malformed_key_is_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, str(tmp_path / "filing.json"), "--log-key", "not-a-key")
    assert status == 2
    assert err.startswith("error: log key 'not-a-key'")
