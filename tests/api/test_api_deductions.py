"""Deductions over HTTP (issue 6 items 1-4): the actor from the token, 201 with Location and
ETag, If-Match on amend and revoke (428 without, 412 when stale), Idempotency-Key replays and
refuses a reused key, role refusals as 403 naming the role, rule refusals recording nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import issue_token
from ledger.accounts import Accounts
from ledger.application import AssessmentLedger

PASSWORD = "correct horse battery staple"
RECORDING = {
    "item_code": "ATT-01",
    "occurred_on": "2025-03-06",
    "incident_ref": "INC-HTTP-1",
    "evidence_ref": "photo-http-1",
    "source": "supervision_inspection",
}


def _headers(app: FastAPI, username: str, person: str) -> dict[str, str]:
    accounts: Accounts = app.state.accounts
    accounts.create(username, person, PASSWORD)
    return {
        "Authorization": f"Bearer {issue_token(accounts.get(username), app.state.signing_key, 5)}"
    }


@pytest.fixture
def clerk(app: FastAPI, client: TestClient, center: None) -> dict[str, str]:
    return _headers(app, "clerk", "C001")


def _record(client: TestClient, headers: dict[str, str], **changes: Any) -> Any:
    return client.post(
        "/api/v1/staff/S001/deductions", json={**RECORDING, **changes}, headers=headers
    )


def test_a_clerk_records_a_deduction_and_gets_its_location_and_etag(
    client: TestClient, clerk: dict[str, str], served_ledger: AssessmentLedger
) -> None:
    response = _record(client, clerk)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/staff/S001/deductions/{body['number']}"
    assert response.headers["etag"] == f'"{served_ledger.staff("S001").version}"'
    assert body["position"] == served_ledger.head_position()


def test_the_event_records_the_tokens_person_as_actor(
    client: TestClient, clerk: dict[str, str], served_ledger: AssessmentLedger
) -> None:
    _record(client, clerk)
    event = served_ledger.history(served_ledger.staff_stream("S001"))[-1]
    assert event.event.endswith("DeductionRecorded.v1")
    assert (event.payload["actor_id"], event.payload["actor_role"]) == ("C001", "supervision_clerk")


def test_a_staff_member_cannot_record_a_deduction(
    app: FastAPI, client: TestClient, center: None, served_ledger: AssessmentLedger
) -> None:
    head = served_ledger.head_position()
    response = _record(client, _headers(app, "zhangsan", "S001"))
    assert response.status_code == 403
    assert response.json()["rule"] == "ROLES"
    assert served_ledger.head_position() == head


def test_a_deduction_breaking_a_rule_is_a_422_naming_it_and_records_nothing(
    client: TestClient, clerk: dict[str, str], served_ledger: AssessmentLedger
) -> None:
    head = served_ledger.head_position()
    response = _record(client, clerk, points="0.3")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["rule"] == "R-01"
    assert served_ledger.head_position() == head


def test_amending_without_if_match_is_a_428(client: TestClient, clerk: dict[str, str]) -> None:
    number = _record(client, clerk).json()["number"]
    response = client.post(
        f"/api/v1/staff/S001/deductions/{number}/amendments",
        json={"effective_on": "2025-03-07", "reason": "recount", "quantity": 2},
        headers=clerk,
    )
    assert response.status_code == 428


def test_revoking_with_the_current_etag_succeeds_and_a_second_with_it_is_a_412(
    client: TestClient, clerk: dict[str, str], served_ledger: AssessmentLedger
) -> None:
    # given an entry and the record's ETag as read
    recorded = _record(client, clerk)
    number, etag = recorded.json()["number"], recorded.headers["etag"]
    amendment = {"effective_on": "2025-03-07", "reason": "wrong incident", "decision_ref": "LG-1"}
    url = f"/api/v1/staff/S001/deductions/{number}/revocation"
    # when two amendments are sent with that same ETag (two clients racing)
    first = client.post(url, json=amendment, headers={**clerk, "If-Match": etag})
    second = client.post(url, json=amendment, headers={**clerk, "If-Match": etag})
    # then the first wins and the second is told the record moved on
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != etag
    assert second.status_code == 412
    assert second.json()["current_version"] == served_ledger.staff("S001").version


def test_a_retry_with_the_same_idempotency_key_replays_and_records_nothing(
    client: TestClient, clerk: dict[str, str], served_ledger: AssessmentLedger
) -> None:
    headers = {**clerk, "Idempotency-Key": "6a1f2c0e-0000-4000-8000-000000000001"}
    first = _record(client, headers)
    head = served_ledger.head_position()
    again = _record(client, headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert served_ledger.head_position() == head


def test_the_same_idempotency_key_with_another_body_is_a_422(
    client: TestClient, clerk: dict[str, str]
) -> None:
    headers = {**clerk, "Idempotency-Key": "6a1f2c0e-0000-4000-8000-000000000002"}
    _record(client, headers)
    response = _record(client, headers, incident_ref="INC-HTTP-OTHER")
    assert response.status_code == 422
    assert response.json()["rule"] == "IDEMPOTENCY_KEY_REUSED"


def test_revoking_with_a_malformed_if_match_is_a_400(
    client: TestClient, clerk: dict[str, str]
) -> None:
    number = _record(client, clerk).json()["number"]
    response = client.post(
        f"/api/v1/staff/S001/deductions/{number}/revocation",
        json={"effective_on": "2025-03-07", "reason": "error"},
        headers={**clerk, "If-Match": "seven"},
    )
    assert response.status_code == 400


def test_an_entry_number_no_payload_can_hold_is_a_422_naming_it(
    client: TestClient, clerk: dict[str, str]
) -> None:
    # It reached the command's canonical payload, which refuses integers from 2**53 (a 500).
    response = client.post(
        f"/api/v1/staff/S001/deductions/{2**53}/revocation",
        json={"effective_on": "2025-03-07", "reason": "error"},
        headers={**clerk, "If-Match": '"1"'},
    )

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["errors"]] == [["path", "number"]]


def test_recording_without_a_token_is_a_401(client: TestClient, center: None) -> None:
    assert _record(client, {"Authorization": ""}).status_code == 401
