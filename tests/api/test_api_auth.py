"""Sign-in and bearer tokens (issue 6 item 2): the OAuth2 password flow issues a JWT naming the
account and its person; a wrong password, a disabled account, an expired or forged token are
refused with a 401 problem that says why and asks for a bearer token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import issue_token
from ledger.accounts import AccountError, Accounts

PASSWORD = "correct horse battery staple"


@pytest.fixture
def accounts(app: FastAPI, client: TestClient, center: None) -> Accounts:
    accounts: Accounts = app.state.accounts
    accounts.create("zhangsan", "S001", PASSWORD)
    return accounts


def _sign_in(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = client.post("/api/v1/token", data={"username": username, "password": password})
    return response.status_code, response.json()


def test_signing_in_gives_a_token_that_names_the_person(
    client: TestClient, accounts: Accounts
) -> None:
    status, body = _sign_in(client, "zhangsan", PASSWORD)
    assert status == 200 and body["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"username": "zhangsan", "person_id": "S001"}


@pytest.mark.parametrize(
    ("username", "password"), [("zhangsan", "wrong password!!"), ("nobody", PASSWORD)]
)
def test_a_wrong_password_or_unknown_name_is_a_401_that_does_not_say_which(
    client: TestClient, accounts: Accounts, username: str, password: str
) -> None:
    response = client.post("/api/v1/token", data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert "wrong user name or password" in response.json()["detail"]


def test_a_request_without_a_token_is_a_401(client: TestClient, accounts: Accounts) -> None:
    client.headers.pop("Authorization", None)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_disabled_account_cannot_sign_in_and_its_token_stops_working(
    client: TestClient, accounts: Accounts
) -> None:
    _, body = _sign_in(client, "zhangsan", PASSWORD)
    accounts.set_disabled("zhangsan", True)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 401
    assert _sign_in(client, "zhangsan", PASSWORD)[0] == 401


def test_an_expired_token_is_refused_saying_so(
    app: FastAPI, client: TestClient, accounts: Accounts
) -> None:
    old = datetime.now(UTC) - timedelta(hours=3)
    token = issue_token(accounts.get("zhangsan"), app.state.signing_key, 60, now=old)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401 and "expired" in me.json()["detail"]


def test_a_token_signed_with_another_key_is_refused(client: TestClient, accounts: Accounts) -> None:
    now = datetime.now(UTC)
    forged = jwt.encode(
        {
            "iss": "assessment-ledger",
            "sub": "zhangsan",
            "person": "S001",
            "iat": now,
            "exp": now + timedelta(minutes=5),
        },
        "someone else's key of enough length for HS256 use",
        algorithm="HS256",
    )
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert me.status_code == 401 and me.json()["detail"] == "the token is not valid"


def test_an_account_needs_a_registered_person_and_a_long_password(
    app: FastAPI, client: TestClient, center: None
) -> None:
    accounts: Accounts = app.state.accounts
    with pytest.raises(AccountError, match="not a registered person"):
        accounts.create("ghost", "S999", PASSWORD)
    with pytest.raises(AccountError, match="at least 12 characters"):
        accounts.create("shortpw", "S001", "short")
