"""A period decided over HTTP publishes a checkpoint when the log's key is in the key directory
(issue 5 item 8): the app reads the key once at startup, never from the database."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from builders import CLERK, LEADER, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.integrity.checkpoints import CheckpointRecorder
from ledger.integrity.keys import KeyDirectory
from ledger.integrity.note import open_checkpoint, parse_verifier_key
from ledger.settings import Settings

ORIGIN = "assessment-ledger.test/center"
FEBRUARY = "2025-02"


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    KeyDirectory(tmp_path / "keys").generate(ORIGIN)
    return tmp_path / "keys"


@pytest.fixture
def app(store_url: str, key_dir: Path) -> FastAPI:
    """The API with the log's key in its key directory."""
    return create_app(
        Settings(
            database_url=store_url,
            jwt_secret="a test key for the API's tokens, not used anywhere else",
            key_dir=key_dir,
            log_origin=ORIGIN,
        )
    )


def test_approving_a_bonus_sheet_over_http_publishes_a_signed_checkpoint(
    client: TestClient,
    served_ledger: AssessmentLedger,
    sign_in: object,
    key_dir: Path,
) -> None:
    # given February's sheet prepared and its items decided
    ledger = served_ledger
    seed_organisation(ledger)
    record(ledger, "INC-CP-1", item_code="ATT-02", occurred_on=date(2025, 2, 5))
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    ledger.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))
    for item in ledger.bonus_sheet(FEBRUARY).undecided:
        ledger.decide_head_liability(
            LEADER, FEBRUARY, item.staff_number, "none", "first time", "LG-1", date(2025, 3, 4)
        )
    leader = sign_in(LEADER.person_id)  # type: ignore[operator]
    etag = client.get(f"/api/v1/bonus-sheets/{FEBRUARY}", headers=leader).headers["etag"]
    # when the leading group approves it over HTTP
    approved = client.post(
        f"/api/v1/bonus-sheets/{FEBRUARY}/approval",
        json={"decision_ref": "LG-2025-11", "effective_on": "2025-03-05"},
        headers={**leader, "If-Match": etag},
    )
    # then a checkpoint covering the decision is kept, signed by the log's key
    assert approved.status_code == 200, approved.text
    (checkpoint,) = cast(CheckpointRecorder, ledger.recorder).checkpoints()
    assert checkpoint.size > approved.json()["position"]
    vkey = parse_verifier_key((key_dir / "log.vkey").read_text(encoding="utf-8").strip())
    body, _ = open_checkpoint(checkpoint.note, [vkey], origin=ORIGIN)
    assert body.root_hash == checkpoint.root
