"""Who may read what (issue 6 item 2; SPEC section 5): a staff member their own records, a head
their unit and its people, the center-wide roles everything; anyone else gets a 403 naming who
may. The center: clerk C001, head H001 of window W01, S001 assigned to W01, C001 not in W01."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import issue_token
from ledger.accounts import Accounts


def _as(app: FastAPI, client: TestClient, person: str) -> None:
    accounts: Accounts = app.state.accounts
    account = accounts.create(f"user-{person.lower()}", person, "a long enough password")
    client.headers["Authorization"] = f"Bearer {issue_token(account, app.state.signing_key, 5)}"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/staff/S001", "/api/v1/staff/S001/events", "/api/v1/staff/S001/figures"],
)
def test_a_staff_member_reads_their_own_records(
    app: FastAPI, client: TestClient, center: None, path: str
) -> None:
    _as(app, client, "S001")
    assert client.get(path).status_code == 200


def test_a_staff_member_may_not_read_a_colleague(
    app: FastAPI, client: TestClient, center: None
) -> None:
    _as(app, client, "S001")
    response = client.get("/api/v1/staff/H001")
    assert response.status_code == 403
    assert "the person themselves" in response.json()["role_needed"]


def test_a_staff_member_may_not_read_their_window(
    app: FastAPI, client: TestClient, center: None
) -> None:
    _as(app, client, "S001")
    assert client.get("/api/v1/units/W01").status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/units/W01", "/api/v1/staff/S001/events"])
def test_a_window_head_reads_the_window_and_its_people(
    app: FastAPI, client: TestClient, center: None, path: str
) -> None:
    _as(app, client, "H001")
    assert client.get(path).status_code == 200


def test_the_clerk_reads_anyone(client: TestClient, center: None) -> None:
    # the center fixture signed the client in as the clerk C001
    assert client.get("/api/v1/staff/H001").status_code == 200
    assert client.get("/api/v1/units/W01/events").status_code == 200


def test_an_unknown_staff_number_is_a_404_before_any_scope_check(
    app: FastAPI, client: TestClient, center: None
) -> None:
    _as(app, client, "S001")
    assert client.get("/api/v1/staff/S999").status_code == 404
