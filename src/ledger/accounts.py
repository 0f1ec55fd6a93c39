"""Login accounts: who may sign in to the API, each bound to a person of the organisation.

Credentials are not events (SPEC section 5): an account holds a user name, the person (staff
number) it acts as, an argon2id password hash (pwdlib) and whether it is disabled, in a table
of its own beside the events (PostgreSQL, SQLite) or in memory. What a person may do is not
here: it follows from the role grants and appointments recorded as events, checked by the
application on every command.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier, Literal
from pwdlib import PasswordHash

from ledger.errors import LedgerError, RecordNotFound

__all__ = ["MIN_PASSWORD_LENGTH", "Account", "AccountError", "Accounts"]

MIN_PASSWORD_LENGTH = 12
"""Passwords shorter than this are refused."""

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")


class AccountError(LedgerError):
    """An account command was refused; the message says why."""

    rule = "ACCOUNT"


@dataclass(frozen=True)
class Account:
    """One login account."""

    username: str
    person_id: str
    password_hash: str
    disabled: bool
    created_at: str


class _Table(Protocol):
    def insert(self, account: Account) -> None: ...
    def get(self, username: str) -> Account | None: ...
    def all(self) -> list[Account]: ...
    def update(self, account: Account) -> None: ...


class _MemoryTable:
    def __init__(self) -> None:
        self._rows: dict[str, Account] = {}
        self._lock = threading.Lock()

    def insert(self, account: Account) -> None:
        with self._lock:
            if account.username in self._rows:
                raise AccountError(f"account {account.username!r} already exists")
            self._rows[account.username] = account

    def get(self, username: str) -> Account | None:
        with self._lock:
            return self._rows.get(username)

    def all(self) -> list[Account]:
        with self._lock:
            return sorted(self._rows.values(), key=lambda a: a.username)

    def update(self, account: Account) -> None:
        with self._lock:
            self._rows[account.username] = account


_COLUMNS = "username, person_id, password_hash, disabled, created_at"


def _account(row: Any) -> Account:
    return Account(
        row["username"],
        row["person_id"],
        row["password_hash"],
        bool(row["disabled"]),
        str(row["created_at"]),
    )


class _SQLiteTable:
    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        with self._datastore.transaction(commit=True) as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS login_accounts (username TEXT PRIMARY KEY, "
                "person_id TEXT NOT NULL, password_hash TEXT NOT NULL, "
                "disabled INTEGER NOT NULL, created_at TEXT NOT NULL)"
            )

    def insert(self, account: Account) -> None:
        with self._datastore.transaction(commit=True) as c:
            c.execute("SELECT 1 FROM login_accounts WHERE username = ?", (account.username,))
            if c.fetchone() is not None:
                raise AccountError(f"account {account.username!r} already exists")
            c.execute(
                f"INSERT INTO login_accounts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                (
                    account.username,
                    account.person_id,
                    account.password_hash,
                    int(account.disabled),
                    account.created_at,
                ),
            )

    def get(self, username: str) -> Account | None:
        with self._datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_COLUMNS} FROM login_accounts WHERE username = ?", (username,))
            row = c.fetchone()
        return _account(row) if row is not None else None

    def all(self) -> list[Account]:
        with self._datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_COLUMNS} FROM login_accounts ORDER BY username")
            return [_account(row) for row in c.fetchall()]

    def update(self, account: Account) -> None:
        with self._datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE login_accounts SET password_hash = ?, disabled = ? WHERE username = ?",
                (account.password_hash, int(account.disabled), account.username),
            )


class _PostgresTable:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        prefix = recorder.events_table_name.removesuffix("_events")
        self._table = SQL("{schema}.{table}").format(
            schema=Identifier(self._datastore.schema), table=Identifier(f"{prefix}_accounts")
        )
        self.channel = f"{prefix}_accounts"
        with self._datastore.transaction(commit=True) as curs:
            # Processes starting together (the API, the worker, the CLI) take turns: two
            # concurrent CREATE OR REPLACE of one function fail ("tuple concurrently updated").
            curs.execute("SELECT pg_advisory_xact_lock(hashtext('ledger login accounts'))")
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {table} (username text PRIMARY KEY, "
                    "person_id text NOT NULL, password_hash text NOT NULL, "
                    "disabled boolean NOT NULL, created_at text NOT NULL)"
                ).format(table=self._table)
            )
            # Every change, however made (the CLI, or SQL by hand), tells the API processes
            # which account changed, so that they drop what they remember of it. The triggers
            # are created once: CREATE OR REPLACE TRIGGER locks the table against writes, which
            # a CLI command starting beside a serving API should not do each time.
            triggers = {
                f"{prefix}_accounts_changed": ("INSERT OR UPDATE OR DELETE", "ROW"),
                f"{prefix}_accounts_emptied": ("TRUNCATE", "STATEMENT"),
            }
            curs.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND t.tgname = ANY(%s)",
                (self._datastore.schema, f"{prefix}_accounts", list(triggers)),
            )
            row = curs.fetchone()
            if row is None or row["count"] < len(triggers):
                curs.execute(
                    SQL(
                        "CREATE OR REPLACE FUNCTION {schema}.ledger_account_changed() "
                        "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        "PERFORM pg_notify(TG_ARGV[0], COALESCE(NEW.username, OLD.username, '')); "
                        "RETURN NULL; END $$"
                    ).format(schema=Identifier(self._datastore.schema))
                )
                for trigger, (timing, level) in triggers.items():
                    curs.execute(
                        SQL(
                            "CREATE OR REPLACE TRIGGER {trigger} AFTER " + timing + " ON {table} "
                            "FOR EACH " + level + " EXECUTE FUNCTION "
                            "{schema}.ledger_account_changed({channel})"
                        ).format(
                            trigger=Identifier(trigger),
                            table=self._table,
                            schema=Identifier(self._datastore.schema),
                            channel=Literal(self.channel),
                        )
                    )
            self._select_one = (
                SQL("SELECT " + _COLUMNS + " FROM {table} WHERE username = %s")
                .format(table=self._table)
                .as_string(curs)
            )

    def insert(self, account: Account) -> None:
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "INSERT INTO {table} (" + _COLUMNS + ") VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (username) DO NOTHING"
                ).format(table=self._table),
                (
                    account.username,
                    account.person_id,
                    account.password_hash,
                    account.disabled,
                    account.created_at,
                ),
            )
            if curs.rowcount != 1:
                raise AccountError(f"account {account.username!r} already exists")

    def get(self, username: str) -> Account | None:
        # Every request with a token asks this: one statement on an autocommit connection (one
        # round trip, no BEGIN and ROLLBACK), its text rendered once and prepared by the server.
        with self._datastore.get_connection() as conn:
            row = conn.execute(self._select_one, (username,), prepare=True).fetchone()
        return _account(row) if row is not None else None

    def all(self) -> list[Account]:
        with self._datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT " + _COLUMNS + " FROM {table} ORDER BY username").format(
                    table=self._table
                )
            )
            return [_account(row) for row in curs.fetchall()]

    def update(self, account: Account) -> None:
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "UPDATE {table} SET password_hash = %s, disabled = %s WHERE username = %s"
                ).format(table=self._table),
                (account.password_hash, account.disabled, account.username),
            )


_MEMORY_LOCK = threading.Lock()


def _table_for(recorder: Any) -> _Table:
    if isinstance(recorder, PostgresApplicationRecorder):
        return _PostgresTable(recorder)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _SQLiteTable(recorder)
    if isinstance(recorder, POPOApplicationRecorder):
        # The in-memory store keeps its accounts with it, gone when it is.
        with _MEMORY_LOCK:
            table: _MemoryTable = recorder.__dict__.setdefault("_login_accounts", _MemoryTable())
            return table
    raise TypeError(f"no account table for {type(recorder).__name__}")


class Accounts:
    """The login accounts of a ledger's store."""

    def __init__(self, ledger: Any, hasher: PasswordHash | None = None) -> None:
        self._ledger = ledger
        self._table = _table_for(ledger.recorder)
        self._hasher = hasher or PasswordHash.recommended()
        self._dummy: str | None = None

    def create(self, username: str, person_id: str, password: str) -> Account:
        """Open an account for a registered person."""
        if not _USERNAME.fullmatch(username):
            raise AccountError(
                f"user name {username!r} must be 2-63 of a-z, 0-9, '.', '_', '-', "
                "starting with a letter or digit"
            )
        self._check_password(password)
        try:
            self._ledger.staff(person_id)
        except RecordNotFound:
            raise AccountError(f"{person_id} is not a registered person of the center") from None
        account = Account(
            username,
            person_id,
            self._hasher.hash(password),
            False,
            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        self._table.insert(account)
        return account

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")

    def get(self, username: str) -> Account:
        """An account by user name."""
        account = self._table.get(username)
        if account is None:
            raise AccountError(f"no account {username!r}")
        return account

    def all(self) -> list[Account]:
        """Every account, by user name."""
        return self._table.all()

    def set_password(self, username: str, password: str) -> None:
        """Replace an account's password."""
        self._check_password(password)
        account = self.get(username)
        self._table.update(replace(account, password_hash=self._hasher.hash(password)))

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable or re-enable an account (a disabled account cannot sign in or use a token)."""
        self._table.update(replace(self.get(username), disabled=disabled))

    def authenticate(self, username: str, password: str) -> Account | None:
        """The enabled account with this name and password, or None."""
        account = self._table.get(username)
        if account is None:
            # Check against a dummy hash, so a wrong name costs the same time as a wrong
            # password (no user enumeration by timing).
            if self._dummy is None:
                self._dummy = self._hasher.hash("not a password of anyone")
            self._hasher.verify(password, self._dummy)
            return None
        if not self._hasher.verify(password, account.password_hash) or account.disabled:
            return None
        return account

    @property
    def change_channel(self) -> str | None:
        """The PostgreSQL channel notified (with the user name) of every change to an account;
        None on the other stores, which notify nobody."""
        return self._table.channel if isinstance(self._table, _PostgresTable) else None

    def active(self, username: str) -> Account | None:
        """The account if it exists and is enabled (checked on every request with a token)."""
        account = self._table.get(username)
        return account if account is not None and not account.disabled else None
