"""Fixtures of the API tests: the app on each store, a client that runs its lifespan, and a
small seeded center."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.app import create_app
from api.auth import issue_token
from ledger.accounts import Accounts
from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import SettableClock
from ledger.settings import Settings
from ledger.values import OPERATOR, Actor, DeductionSource, Role, StaffCategory, UnitKind

CLERK = Actor("C001", Role.SUPERVISION_CLERK)
TOKEN_KEY = "a test key for the API's tokens, not used anywhere else"
DEDUCTIONS = 5


@pytest.fixture
def app(store_url: str) -> FastAPI:
    """The API on each store."""
    return create_app(Settings(database_url=store_url, jwt_secret=TOKEN_KEY))


@pytest.fixture
def client(app: FastAPI, clock: SettableClock) -> Iterator[TestClient]:
    """A client of the running app, whose ledger reads the test clock."""
    with TestClient(app) as client:
        app.state.ledger.clock = clock
        yield client


@pytest.fixture
def served_ledger(app: FastAPI, client: TestClient) -> AssessmentLedger:
    """The ledger the running app built."""
    ledger: AssessmentLedger = app.state.ledger
    return ledger


@pytest.fixture
def center(app: FastAPI, client: TestClient, served_ledger: AssessmentLedger) -> None:
    """Branch B1; window W01 headed by H001; clerk C001; staff member S001 in W01 since
    2025-01-02 with five deductions, the first revoked: eight events in S001's stream. The
    client is signed in as the clerk (a center-wide reader)."""
    ledger = served_ledger
    ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "initial")
    ledger.form_party_branch(OPERATOR, "B1", "First branch", date(2025, 1, 1))
    ledger.open_unit(OPERATOR, "W01", "Tax", UnitKind.WINDOW, "Tax bureau", "B1", date(2025, 1, 1))
    ledger.register_staff(
        OPERATOR, "S001", "张三", StaffCategory.CIVIL_SERVANT, "Tax bureau", date(2025, 1, 1)
    )
    ledger.register_staff(
        OPERATOR, "H001", "王五", StaffCategory.CIVIL_SERVANT, "Tax bureau", date(2025, 1, 1)
    )
    ledger.register_staff(
        OPERATOR, "C001", "李四", StaffCategory.CIVIL_SERVANT, "Center", date(2025, 1, 1)
    )
    ledger.grant_role(OPERATOR, "C001", Role.SUPERVISION_CLERK, date(2025, 1, 1))
    ledger.appoint_head(OPERATOR, "W01", "H001", date(2025, 1, 2))
    ledger.assign_staff(OPERATOR, "S001", "W01", date(2025, 1, 2))
    numbers = [
        ledger.record_deduction(
            CLERK,
            "S001",
            "ATT-01",
            date(2025, 3, 3),
            f"INC-{index}",
            f"photo-{index}",
            DeductionSource.SUPERVISION_INSPECTION,
        ).number
        for index in range(DEDUCTIONS)
    ]
    assert numbers[0] is not None
    ledger.revoke_deduction(CLERK, "S001", numbers[0], date(2025, 3, 5), "recorded in error")
    accounts: Accounts = app.state.accounts
    account = accounts.create("c001", "C001", "the clerk's long password")
    token = issue_token(account, app.state.signing_key, 60)
    client.headers["Authorization"] = f"Bearer {token}"


SignIn = Callable[[str], dict[str, str]]


@pytest.fixture
def sign_in(app: FastAPI, served_ledger: AssessmentLedger) -> SignIn:
    """Bearer headers for a registered person, opening their account on first use (with a cheap
    hash: the tests issue tokens directly and never check the password)."""
    accounts = Accounts(served_ledger, PasswordHash((Argon2Hasher(1, 8, 1),)))
    opened: dict[str, dict[str, str]] = {}

    def headers(person: str) -> dict[str, str]:
        if person not in opened:
            account = accounts.create(f"as-{person.lower()}", person, "a test password, unused")
            token = issue_token(account, app.state.signing_key, 60)
            opened[person] = {"Authorization": f"Bearer {token}"}
        return opened[person]

    return headers
