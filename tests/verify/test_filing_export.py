"""`ledger filing export` on every store (SPEC 7.4): filings of a staff member's year and of the
center's year, taken at the store's own published checkpoint, verified by the standalone
verifier; and the whole path from the command line on the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
from filing_support import ORIGIN

from builders import STAFF, full_scenario, record
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.filing.bundle import Scope, parse
from ledger.filing.export import FilingUnavailable, export_filing
from ledger.filing.verify import VerifierState, verify_bundle
from ledger.integrity.checkpoints import CheckpointRecorder, take_checkpoint
from ledger.integrity.note import Ed25519Signer


def _log(ledger: AssessmentLedger) -> CheckpointRecorder:
    return cast(CheckpointRecorder, ledger.recorder)


def test_a_staff_members_year_exported_from_the_store_verifies(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given a ledger with a published checkpoint
    full_scenario(ledger, clock)
    take_checkpoint(_log(ledger), ORIGIN, signer)
    # when the staff member's year is exported and read back
    bundle = parse(export_filing(ledger.recorder, Scope.staff(STAFF, 2025)).to_json())
    # then the standalone verifier accepts it, with figures recomputed
    report = verify_bundle(bundle, [signer.verifier()], state=VerifierState())
    assert report.verified, report.text()
    assert bundle.figures
    assert {event.stream_id for event in bundle.events} == {s.stream_id for s in bundle.streams}


def test_the_centers_year_exported_from_the_store_verifies(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    checkpoint = take_checkpoint(_log(ledger), ORIGIN, signer)
    bundle = export_filing(ledger.recorder, Scope.center(2025))
    assert len(bundle.events) == checkpoint.size - 1
    report = verify_bundle(bundle, [signer.verifier()], state=VerifierState())
    assert report.verified, report.text()


def test_a_second_filing_verifies_against_the_first_through_its_consistency_proof(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given a verifier that accepted a first filing
    full_scenario(ledger, clock)
    take_checkpoint(_log(ledger), ORIGIN, signer)
    state = VerifierState()
    first = verify_bundle(
        export_filing(ledger.recorder, Scope.staff(STAFF, 2025)), [signer.verifier()], state=state
    )
    assert first.verified and first.accepted is not None
    state.remember(first.accepted)
    # when more is recorded, a new checkpoint published and a new filing exported
    record(ledger, "INC-AFTER-FIRST-FILING")
    take_checkpoint(_log(ledger), ORIGIN, signer)
    second = export_filing(ledger.recorder, Scope.staff(STAFF, 2025))
    # then it verifies against the remembered checkpoint
    report = verify_bundle(second, [signer.verifier()], state=state)
    assert report.verified, report.text()
    assert len(second.consistency) == 1


def test_export_without_a_checkpoint_says_to_publish_one(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    full_scenario(ledger, clock)
    with pytest.raises(FilingUnavailable, match="ledger checkpoint publish"):
        export_filing(ledger.recorder, Scope.center(2025))


def test_export_of_an_unknown_staff_member_is_refused(
    ledger: AssessmentLedger, clock: SettableClock, signer: Ed25519Signer
) -> None:
    full_scenario(ledger, clock)
    take_checkpoint(_log(ledger), ORIGIN, signer)
    with pytest.raises(FilingUnavailable, match="S9999 is not registered"):
        export_filing(ledger.recorder, Scope.staff("S9999", 2025))


def test_the_demo_filed_from_the_command_line_verifies_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the seeded demo, a log key and a published checkpoint, from the command line
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "LEDGER_KEY_DIR": str(tmp_path / "keys"),
        "LEDGER_LOG_ORIGIN": ORIGIN,
    }

    def ledger(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ledger.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    for step in (["demo"], ["keys", "generate"], ["checkpoint", "publish"]):
        done = ledger(*step)
        assert done.returncode == 0, done.stderr
    exported = ledger(
        "filing", "export", "--center", "--year", "2025", "-o", str(tmp_path / "f.json")
    )
    assert exported.returncode == 0, exported.stderr
    vkey = ledger("keys", "export").stdout.split()[0]
    # when the filing is verified by the standalone verifier
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "ledger.filing.verify_cli",
            str(tmp_path / "f.json"),
            "--log-key",
            vkey,
            "--state",
            str(tmp_path / "state.json"),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # then every check passed
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["verified"] is True
