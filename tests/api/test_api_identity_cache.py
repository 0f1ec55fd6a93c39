"""What an API process remembers of identity between requests (issue 6 item 2, item 8): verified
tokens, whose expiry is still checked each time, and login accounts, remembered only while every
change to the accounts table is heard (PostgreSQL's notifications) and forgotten when one is.

A disabled account must stop working in the API as soon as the change is heard, and a read of
an account that raced with a change must never be remembered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import jwt
import psycopg
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from psycopg import sql

from api.account_cache import FORGOTTEN, AccountCache
from api.app import create_app
from api.auth import TokenVerifier, issue_token
from ledger.accounts import Account, Accounts
from ledger.application import AssessmentLedger
from ledger.settings import Settings
from ledger.values import OPERATOR, StaffCategory

PASSWORD = "correct horse battery staple"
KEY = b"a test key for the API's tokens, not used anywhere else"
HEARD_WITHIN = 10.0
"""Seconds a notification may take to arrive before a test gives up (they take milliseconds)."""


def _register(ledger: AssessmentLedger, person: str) -> None:
    ledger.register_staff(
        OPERATOR, person, "张三", StaffCategory.CIVIL_SERVANT, "Tax bureau", date(2025, 1, 1)
    )


@pytest.fixture
def accounts(ledger: AssessmentLedger) -> Accounts:
    """A store's accounts with one account, zhangsan (person S001)."""
    _register(ledger, "S001")
    accounts = Accounts(ledger)
    accounts.create("zhangsan", "S001", PASSWORD)
    return accounts


# --- tokens -------------------------------------------------------------------------------


def _token(minutes: int = 5, now: datetime | None = None) -> str:
    account = Account("zhangsan", "S001", "not used", False, "2025-01-01T00:00:00Z")
    return issue_token(account, KEY, minutes, now=now)


def test_a_verified_token_is_not_verified_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a token verified once
    verifier = TokenVerifier(KEY)
    token = _token()
    first = verifier.claims(token)
    decodes: list[str] = []
    monkeypatch.setattr(jwt, "decode", lambda *args, **kwargs: decodes.append("again"))
    # when it comes again
    second = verifier.claims(token)
    # then the claims are the remembered ones, with no second verification
    assert second == first and second.username == "zhangsan" and second.person_id == "S001"
    assert decodes == []


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    # given a token for five minutes, verified once
    verifier = TokenVerifier(KEY)
    issued = datetime.now(UTC)
    token = _token(5, now=issued)
    claims = verifier.claims(token)
    # when it is used again at the moment it expires
    with pytest.raises(HTTPException) as refused:
        verifier.claims(token, now=claims.expires_at)
    # then it is refused as expired
    assert refused.value.status_code == 401 and "expired" in str(refused.value.detail)
    assert verifier.claims(token, now=(issued + timedelta(minutes=4)).timestamp()) == claims


def test_a_refused_token_is_verified_afresh_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a token that fails verification
    verifier = TokenVerifier(KEY)
    forged = _token()[:-2] + "xx"
    with pytest.raises(HTTPException):
        verifier.claims(forged)
    decodes: list[str] = []
    real_decode = jwt.decode

    def counted(*args: object, **kwargs: object) -> object:
        decodes.append("verified")
        return real_decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counted)
    # when it comes again
    with pytest.raises(HTTPException) as refused:
        verifier.claims(forged)
    # then it was verified again (a refusal is not remembered), and refused again
    assert decodes == ["verified"] and refused.value.detail == "the token is not valid"


# --- accounts: the cache on its own ---------------------------------------------------------


def test_an_untrusted_cache_remembers_nothing(accounts: Accounts) -> None:
    # given a cache that hears no changes (never told it does)
    cache = AccountCache(accounts)
    # when an account is read
    assert cache.read("zhangsan") == accounts.get("zhangsan")
    # then nothing is remembered: the next request reads the table again
    assert cache.remembered("zhangsan") is FORGOTTEN


def test_a_trusted_cache_answers_from_memory_until_a_change_is_heard(accounts: Accounts) -> None:
    # given a trusted cache that read zhangsan
    cache = AccountCache(accounts)
    cache.heard()
    account = cache.read("zhangsan")
    # when the account is disabled in the table, before the change is heard
    accounts.set_disabled("zhangsan", True)
    # then the cache still answers from memory; once the change is heard, it reads the table
    assert cache.remembered("zhangsan") == account
    cache.changed("zhangsan")
    assert cache.remembered("zhangsan") is FORGOTTEN
    assert cache.read("zhangsan") is None


def test_a_read_that_raced_with_a_change_is_not_remembered(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a trusted cache, and a change heard while a read of the account is under way
    cache = AccountCache(accounts)
    cache.heard()
    read_before = accounts.active

    def read_then_change_heard(username: str) -> Account | None:
        found = read_before(username)
        cache.changed(username)
        return found

    monkeypatch.setattr(accounts, "active", read_then_change_heard)
    # when the read finishes
    cache.read("zhangsan")
    # then what it read is not remembered (it may be the account as it was before the change)
    assert cache.remembered("zhangsan") is FORGOTTEN


def test_losing_the_notifications_forgets_everything_until_heard_again(
    accounts: Accounts,
) -> None:
    # given a trusted cache that remembers zhangsan
    cache = AccountCache(accounts)
    cache.heard()
    cache.read("zhangsan")
    # when the listener loses its connection
    cache.lost()
    # then nothing is remembered or trusted, and reading does not remember either
    assert not cache.trusted and cache.remembered("zhangsan") is FORGOTTEN
    cache.read("zhangsan")
    assert cache.remembered("zhangsan") is FORGOTTEN
    # and once heard again, it starts remembering from nothing
    cache.heard()
    assert cache.remembered("zhangsan") is FORGOTTEN
    cache.read("zhangsan")
    assert cache.remembered("zhangsan") == accounts.get("zhangsan")


def test_an_empty_change_forgets_every_account(accounts: Accounts) -> None:
    # given a trusted cache that remembers zhangsan and an unknown name
    cache = AccountCache(accounts)
    cache.heard()
    cache.read("zhangsan")
    cache.read("nobody")
    assert cache.remembered("nobody") is None
    # when the whole table changed (TRUNCATE)
    cache.changed("")
    # then both are forgotten
    assert cache.remembered("zhangsan") is FORGOTTEN and cache.remembered("nobody") is FORGOTTEN


# --- accounts: the API process on PostgreSQL -------------------------------------------------


@pytest.fixture
def served(postgres_url: str) -> Iterator[tuple[FastAPI, TestClient, Accounts]]:
    """The API on PostgreSQL with zhangsan's account, and the accounts as another process (the
    CLI) sees them: its own ledger, its own connections."""
    app = create_app(Settings(database_url=postgres_url, jwt_secret=KEY.decode()))
    with TestClient(app) as client:
        _register(app.state.ledger, "S001")
        other = AssessmentLedger(env=Settings(database_url=postgres_url).eventsourcing_env())
        try:
            accounts = Accounts(other)
            accounts.create("zhangsan", "S001", PASSWORD)
            yield app, client, accounts
        finally:
            other.close()


def _me(app: FastAPI, client: TestClient, accounts: Accounts) -> int:
    token = issue_token(accounts.get("zhangsan"), app.state.signing_key, 5)
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _remembering(app: FastAPI, client: TestClient, accounts: Accounts) -> AccountCache:
    """The API's cache once it listens and has answered one request with zhangsan's token."""
    cache: AccountCache = app.state.account_cache
    assert cache.wait_until_trusted(HEARD_WITHIN)
    assert _me(app, client, accounts) == 200
    assert cache.remembered("zhangsan") is not FORGOTTEN
    return cache


@pytest.mark.postgres
def test_the_api_on_postgresql_trusts_its_cache_once_it_listens(
    served: tuple[FastAPI, TestClient, Accounts],
) -> None:
    # given the API started on PostgreSQL
    app, client, accounts = served
    cache: AccountCache = app.state.account_cache
    # when its listener has connected
    assert cache.wait_until_trusted(HEARD_WITHIN)
    # then an account used once is remembered
    assert _me(app, client, accounts) == 200
    assert cache.remembered("zhangsan") == accounts.get("zhangsan")


@pytest.mark.postgres
def test_an_account_disabled_by_another_process_is_refused_once_the_change_is_heard(
    served: tuple[FastAPI, TestClient, Accounts],
) -> None:
    # given an account the API remembers
    app, client, accounts = served
    cache = _remembering(app, client, accounts)
    # when another process disables it
    accounts.set_disabled("zhangsan", True)
    # then the API hears of it and refuses the token from then on
    assert cache.wait_until_forgotten("zhangsan", HEARD_WITHIN)
    assert _me(app, client, accounts) == 401
    # and enabling it again is heard the same way
    accounts.set_disabled("zhangsan", False)
    assert cache.wait_until_forgotten("zhangsan", HEARD_WITHIN)
    assert _me(app, client, accounts) == 200


@pytest.mark.postgres
def test_a_change_made_by_hand_in_sql_is_heard_too(
    served: tuple[FastAPI, TestClient, Accounts], postgres_url: str
) -> None:
    # given an account the API remembers
    app, client, accounts = served
    cache = _remembering(app, client, accounts)
    # when an administrator disables it with SQL, not through the CLI
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        table = connection.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_accounts'"
        ).fetchone()
        assert table is not None
        connection.execute(
            sql.SQL("UPDATE {} SET disabled = true WHERE username = 'zhangsan'").format(
                sql.Identifier(table[0])
            )
        )
    # then the table's trigger tells the API, which refuses the token
    assert cache.wait_until_forgotten("zhangsan", HEARD_WITHIN)
    assert _me(app, client, accounts) == 401


@pytest.mark.postgres
def test_a_lost_listener_stops_the_cache_trusting_itself_until_it_listens_again(
    served: tuple[FastAPI, TestClient, Accounts], postgres_url: str
) -> None:
    # given the API listening, and remembering an account
    app, client, accounts = served
    cache = _remembering(app, client, accounts)
    # when the listener's connection is cut by the server
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        cut = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        ).fetchall()
    assert cut, "no listening connection found"
    # then nothing is remembered while it is gone (a request reads the table) ...
    assert cache.wait_until_forgotten("zhangsan", HEARD_WITHIN)
    assert _me(app, client, accounts) == 200
    # ... and it listens, and trusts, again
    assert cache.wait_until_trusted(HEARD_WITHIN)
