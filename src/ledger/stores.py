"""The event stores: our recorder subclasses for PostgreSQL, SQLite and memory.

Inside the transaction that inserts a command's events (the library's hooks, while its write
lock is held) each recorder stamps every event's `recorded_at` from the database clock, never
decreasing along the log, and writes the command's idempotency record. The integrity layer
extends the same hooks with Merkle leaves.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Identifier

from ledger.errors import IdempotencyKeyInFlight


@dataclass(frozen=True)
class IdempotencyRecord:
    """A command's idempotency key, request fingerprint and outcome, kept with its events."""

    actor_id: str
    key: str
    fingerprint: str
    command: str
    outcome: str
    position: int | None = None


@dataclass(frozen=True)
class LoggedEvent:
    """A stored event with its place in the log and the database time it was recorded."""

    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    recorded_at: datetime


class StaleRead(IntegrityError):
    """Raised when a record a command read from memory (its `read_set`: the catalogue, the
    organisation) changed before the command's events were written; nothing was written."""


READS_ARE_CURRENT = "records_read_are_current"
"""The PostgreSQL constraint whose violation means a stale read."""


def is_stale_read(error: BaseException) -> bool:
    """Whether a failed insert was refused because of a stale read (on any store)."""
    if isinstance(error, StaleRead):
        return True
    diagnostics = getattr(error.__cause__, "diag", None)
    constraint = getattr(diagnostics, "constraint_name", None) or ""
    return constraint.endswith(READS_ARE_CURRENT)


ReadSet = dict[UUID, int]
"""Stream id -> the version a command read (0: it read that the stream did not exist)."""


class LedgerRecorder(Protocol):
    """What the application reads beyond the library's recorder interface."""

    def idempotency_record(self, actor_id: str, key: str) -> IdempotencyRecord | None:
        """The stored record of a key, if a command with it was recorded."""

    def idempotency_lock(self, actor_id: str, key: str) -> Any:
        """A context manager holding the (actor, key) lock, or raising IdempotencyKeyInFlight."""

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before the moment, 0 if none."""

    def select_stream(
        self,
        originator_id: UUID,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[LoggedEvent]:
        """One stream's events with positions and times, keyset-paged by position."""

    def select_logged(self, positions: Sequence[int]) -> list[LoggedEvent]:
        """The events at the given positions (those that exist), in log order."""


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC)


class _ProcessLocalKeys:
    """Fail-fast locks on (actor, key) within one process, for the stores without a server."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held: set[tuple[str, str]] = set()

    @contextmanager
    def hold(self, actor_id: str, key: str) -> Iterator[None]:
        with self._guard:
            if (actor_id, key) in self._held:
                raise IdempotencyKeyInFlight(
                    f"a request with idempotency key {key!r} is still running"
                )
            self._held.add((actor_id, key))
        try:
            yield
        finally:
            with self._guard:
                self._held.discard((actor_id, key))


_SQLITE_FILE_KEYS: dict[str, _ProcessLocalKeys] = {}
_SQLITE_FILE_KEYS_GUARD = threading.Lock()


def _sqlite_keys(datastore: SQLiteDatastore) -> _ProcessLocalKeys:
    """The (actor, key) locks of one SQLite database, shared by every application object of the
    process that opens the same file; an in-memory database has its own."""
    pool = datastore.pool
    if pool.is_sqlite_memory_mode:
        return _ProcessLocalKeys()
    path = os.path.realpath(pool.db_name)
    with _SQLITE_FILE_KEYS_GUARD:
        return _SQLITE_FILE_KEYS.setdefault(path, _ProcessLocalKeys())


# PostgreSQL


def _rendered(statement: Any) -> Any:
    """A composed statement as the bytes it stands for (identifiers quoted without a server)."""
    assert isinstance(statement, Composable)
    return statement.as_string(None).encode()


class LedgerPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL recorder that stamps `recorded_at` and keeps idempotency records in the
    events' transaction."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # The database-function insert path skips every hook below.
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS is not supported by the ledger")
        prefix = events_table_name.removesuffix("_events")
        schema = Identifier(datastore.schema)
        self.recorded_table = Identifier(f"{prefix}_recorded")
        self.idempotency_table = Identifier(f"{prefix}_idempotency")
        events = Identifier(events_table_name)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    "notification_id bigint PRIMARY KEY, "
                    "recorded_at timestamptz NOT NULL)"
                ).format(schema=schema, table=self.recorded_table),
                SQL("CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} (recorded_at)").format(
                    index=Identifier(f"{prefix}_recorded_at_idx"),
                    schema=schema,
                    table=self.recorded_table,
                ),
                # Never holds a row: a command's insert of one fails its CHECK when a record the
                # command read from memory has changed, which aborts the whole transaction.
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} (record_id uuid, "
                    "CONSTRAINT {constraint} CHECK (false))"
                ).format(
                    schema=schema,
                    table=Identifier(f"{prefix}_stale_reads"),
                    constraint=Identifier(f"{prefix}_{READS_ARE_CURRENT}"),
                ),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    "actor_id text NOT NULL, "
                    "key text NOT NULL, "
                    "fingerprint text NOT NULL, "
                    "command text NOT NULL, "
                    "outcome text NOT NULL, "
                    "position bigint, "
                    "created_at timestamptz NOT NULL DEFAULT clock_timestamp(), "
                    "PRIMARY KEY (actor_id, key))"
                ).format(schema=schema, table=self.idempotency_table),
            ]
        )
        # The events' INSERT itself stamps them: one statement, so no event is ever stored
        # without its recorded_at. clock_timestamp(), not now(): now() is the transaction's
        # start, taken before the table lock, so a transaction that waited for the lock would
        # stamp an earlier time than the one it waited for. GREATEST keeps the log's times from
        # going back if the clock does. The outer statement is an INSERT … RETURNING the events'
        # notification ids in order, as the library expects of its own statement.
        self.insert_events_statement = (
            SQL("WITH inserted AS (")
            + self.insert_events_statement
            + SQL(
                ") INSERT INTO {schema}.{table} (notification_id, recorded_at) "
                "SELECT inserted.notification_id, stamp.now FROM inserted, "
                "(SELECT GREATEST(clock_timestamp(), "
                "COALESCE(MAX(recorded_at), '-infinity'::timestamptz)) AS now "
                "FROM {schema}.{table}) AS stamp "
                "ORDER BY inserted.notification_id RETURNING notification_id"
            ).format(schema=schema, table=self.recorded_table)
        )
        self.sql_check_reads = SQL(
            "INSERT INTO {schema}.{stale} (record_id) "
            "SELECT e.originator_id FROM {schema}.{events} e "
            "JOIN unnest(%s::uuid[], %s::bigint[]) AS r(id, version) "
            "ON e.originator_id = r.id AND e.originator_version > r.version LIMIT 1"
        ).format(schema=schema, stale=Identifier(f"{prefix}_stale_reads"), events=events)
        self.sql_abort_transaction = SQL(
            "DO $$ BEGIN RAISE EXCEPTION 'ledger: the recorder failed inside the insert "
            "transaction; nothing was recorded'; END $$"
        )
        self.sql_insert_idempotency = SQL(
            "INSERT INTO {schema}.{table} "
            "(actor_id, key, fingerprint, command, outcome, position) "
            "VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(schema=schema, table=self.idempotency_table)
        self.sql_select_idempotency = SQL(
            "SELECT actor_id, key, fingerprint, command, outcome, position "
            "FROM {schema}.{table} WHERE actor_id = %s AND key = %s"
        ).format(schema=schema, table=self.idempotency_table)
        self.sql_position_at = SQL(
            "SELECT COALESCE(MAX(notification_id), 0) AS position FROM {schema}.{table} "
            "WHERE recorded_at <= %s"
        ).format(schema=schema, table=self.recorded_table)
        self.sql_select_logged = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
            "r.recorded_at FROM {schema}.{events} e "
            "JOIN {schema}.{recorded} r USING (notification_id) "
        ).format(schema=schema, events=events, recorded=self.recorded_table)

        # psycopg renders a composed statement to bytes on every execution; the statements of
        # the insert transaction are rendered once here instead.
        self.insert_events_statement = _rendered(self.insert_events_statement)
        self.lock_table_statements = [_rendered(s) for s in self.lock_table_statements]
        self.sql_check_reads = _rendered(self.sql_check_reads)
        self.sql_insert_idempotency = _rendered(self.sql_insert_idempotency)

    def _insert_stored_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        read_set: ReadSet | None = kwargs.get("read_set")
        if read_set:
            # After the library's LOCK TABLE: no writer can change a record between this check
            # and the COMMIT. Queued on a second cursor (the first one's result is the INSERT's
            # notification ids) and answered by the library's own sync: no extra round trip. It
            # fails in the server, so the transaction aborts (see _fetch_ids_after_insert_events).
            with curs.connection.cursor() as check:
                check.execute(
                    self.sql_check_reads, (list(read_set), list(read_set.values())), prepare=True
                )

    def _fetch_ids_after_insert_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        try:
            self._write_beside_events(curs, list(notification_ids or ()), kwargs)
        except BaseException:
            # The library catches an error raised here inside its transaction block and re-raises
            # it only after the COMMIT, which would keep the events without what belongs beside
            # them. An error raised by the server makes the COMMIT fail instead: nothing is kept.
            curs.execute(self.sql_abort_transaction)
            raise
        return notification_ids

    def _write_beside_events(
        self, curs: Any, notification_ids: list[int], options: dict[str, Any]
    ) -> None:
        """Queue the idempotency record in the events' transaction."""
        # Queued in the library's pipeline, so it travels with the COMMIT: no extra round trip.
        # prepare=True from the first use (psycopg's phantom prepared statements, see the notes).
        record: IdempotencyRecord | None = options.get("idempotency")
        if record is not None:
            curs.execute(
                self.sql_insert_idempotency,
                (
                    record.actor_id,
                    record.key,
                    record.fingerprint,
                    record.command,
                    record.outcome,
                    max(notification_ids),
                ),
                prepare=True,
            )

    def idempotency_record(self, actor_id: str, key: str) -> IdempotencyRecord | None:
        """The stored record of a key, if any."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_idempotency, (actor_id, key))
            row: DictRow | None = curs.fetchone()
        return IdempotencyRecord(**row) if row else None

    @contextmanager
    def idempotency_lock(self, actor_id: str, key: str) -> Iterator[None]:
        """Hold a session advisory lock on (actor, key) for the command, or fail fast."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS locked",
                (f"{actor_id}\x1f{key}",),
            )
            row = curs.fetchone()
            if not (row and row["locked"]):
                raise IdempotencyKeyInFlight(
                    f"a request with idempotency key {key!r} is still running"
                )
            try:
                yield
            finally:
                curs.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
                    (f"{actor_id}\x1f{key}",),
                )

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before the moment, 0 if none."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_position_at, (moment,))
            row = curs.fetchone()
        return int(row["position"]) if row else 0

    def select_stream(
        self,
        originator_id: UUID,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[LoggedEvent]:
        """One stream's events with positions and times, keyset-paged by position."""
        statement = self.sql_select_logged + SQL("WHERE e.originator_id = %s")
        params: list[Any] = [originator_id]
        if after is not None:
            statement += SQL(" AND e.notification_id > %s")
            params.append(after)
        if before is not None:
            statement += SQL(" AND e.notification_id < %s")
            params.append(before)
        statement += SQL(
            " ORDER BY e.notification_id DESC" if newest_first else " ORDER BY e.notification_id"
        )
        statement += SQL(" LIMIT %s")
        params.append(limit)
        return self._select_logged(statement, params)

    def select_logged(self, positions: Sequence[int]) -> list[LoggedEvent]:
        """The events at the given positions, in log order."""
        statement = self.sql_select_logged + SQL(
            "WHERE e.notification_id = ANY(%s) ORDER BY e.notification_id"
        )
        return self._select_logged(statement, [list(positions)])

    def _select_logged(self, statement: Any, params: list[Any]) -> list[LoggedEvent]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return [
                LoggedEvent(
                    position=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                    recorded_at=_utc(row["recorded_at"]),
                )
                for row in curs.fetchall()
            ]


class LedgerPostgresFactory(PostgresFactory):
    """Selects our PostgreSQL recorder: `PERSISTENCE_MODULE=ledger.stores:LedgerPostgresFactory`."""

    application_recorder_class = LedgerPostgresApplicationRecorder


# SQLite

_SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


class LedgerSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLite recorder that stamps `recorded_at` and keeps idempotency records in the events'
    transaction (one application per file: the library's table names are fixed)."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self._keys = _sqlite_keys(datastore)

    def construct_create_table_statements(self) -> list[str]:
        """The library's events table, and our recorded-at and idempotency tables."""
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS recorded_at ("
            "notification_id INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS recorded_at_time ON recorded_at (recorded_at)",
            "CREATE TABLE IF NOT EXISTS idempotency ("
            "actor_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
            "command TEXT NOT NULL, outcome TEXT NOT NULL, position INTEGER, "
            f"created_at TEXT NOT NULL DEFAULT ({_SQLITE_NOW}), "
            "PRIMARY KEY (actor_id, key))",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        if not notification_ids:
            return notification_ids
        read_set: ReadSet | None = kwargs.get("read_set")
        if read_set:
            # After the INSERT this transaction holds the write lock: the check stays true until
            # the COMMIT, and raising here rolls the events back.
            changed = " OR ".join(
                ["(originator_id = ? AND originator_version > ?)"] * len(read_set)
            )
            c.execute(
                f"SELECT count(*) AS changed FROM stored_events WHERE {changed}",
                [
                    value
                    for record_id, version in read_set.items()
                    for value in (record_id.hex, version)
                ],
            )
            if c.fetchone()["changed"]:
                raise StaleRead("a record the command read has changed since")
        # After the events INSERT the transaction holds the write lock, so the last stamp read
        # here is the log's last; the fixed-width text compares in time order.
        c.execute(
            f"SELECT max({_SQLITE_NOW}, "
            "coalesce((SELECT max(recorded_at) FROM recorded_at), '')) AS now"
        )
        now = c.fetchone()["now"]
        c.executemany(
            "INSERT INTO recorded_at (notification_id, recorded_at) VALUES (?, ?)",
            [(position, now) for position in notification_ids],
        )
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record is not None:
            c.execute(
                "INSERT INTO idempotency (actor_id, key, fingerprint, command, outcome, position) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.actor_id,
                    record.key,
                    record.fingerprint,
                    record.command,
                    record.outcome,
                    max(notification_ids),
                ),
            )
        return notification_ids

    def idempotency_record(self, actor_id: str, key: str) -> IdempotencyRecord | None:
        """The stored record of a key, if any."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT actor_id, key, fingerprint, command, outcome, position "
                "FROM idempotency WHERE actor_id = ? AND key = ?",
                (actor_id, key),
            )
            row = c.fetchone()
        return IdempotencyRecord(**dict(row)) if row else None

    def idempotency_lock(self, actor_id: str, key: str) -> Any:
        """Fail fast within the process; across processes the key's primary key is the backstop."""
        return self._keys.hold(actor_id, key)

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before the moment, 0 if none."""
        stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT coalesce(max(notification_id), 0) AS position FROM recorded_at "
                "WHERE recorded_at <= ?",
                (stamp,),
            )
            return int(c.fetchone()["position"])

    _SELECT_LOGGED = (
        "SELECT e.rowid AS notification_id, e.originator_id, e.originator_version, e.topic, "
        "e.state, r.recorded_at FROM stored_events e "
        "JOIN recorded_at r ON r.notification_id = e.rowid "
    )

    def select_stream(
        self,
        originator_id: UUID,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[LoggedEvent]:
        """One stream's events with positions and times, keyset-paged by position."""
        statement = self._SELECT_LOGGED + "WHERE e.originator_id = ?"
        params: list[Any] = [originator_id.hex]
        if after is not None:
            statement += " AND e.rowid > ?"
            params.append(after)
        if before is not None:
            statement += " AND e.rowid < ?"
            params.append(before)
        statement += " ORDER BY e.rowid DESC" if newest_first else " ORDER BY e.rowid"
        statement += " LIMIT ?"
        params.append(limit)
        return self._select_logged(statement, params)

    def select_logged(self, positions: Sequence[int]) -> list[LoggedEvent]:
        """The events at the given positions, in log order."""
        marks = ",".join("?" * len(positions))
        statement = self._SELECT_LOGGED + f"WHERE e.rowid IN ({marks}) ORDER BY e.rowid"
        return self._select_logged(statement, list(positions))

    def _select_logged(self, statement: str, params: list[Any]) -> list[LoggedEvent]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [
                LoggedEvent(
                    position=row["notification_id"],
                    originator_id=UUID(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                    recorded_at=_utc(row["recorded_at"]),
                )
                for row in c.fetchall()
            ]


SQLITE_STATEMENT_CACHE = 128


class LedgerSQLiteConnectionPool(SQLiteConnectionPool):
    """The library's SQLite pool, with a statement cache that holds every statement of an insert
    transaction (the library asks for `cached_statements=True`, a cache of one statement, so each
    of our statements beside the events' INSERT would be compiled again in every transaction)."""

    def _create_connection(self) -> SQLiteConnection:
        try:
            connection = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # autocommit: the library issues BEGIN itself
                cached_statements=SQLITE_STATEMENT_CACHE,
                timeout=self.lock_timeout or 5,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            connection.execute("PRAGMA journal_mode=WAL")
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


class LedgerSQLiteFactory(SQLiteFactory):
    """Selects our SQLite recorder: `PERSISTENCE_MODULE=ledger.stores:LedgerSQLiteFactory`."""

    application_recorder_class = LedgerSQLiteApplicationRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        library_pool = self.datastore.pool
        self.datastore.pool = LedgerSQLiteConnectionPool(
            db_name=library_pool.db_name, lock_timeout=library_pool.lock_timeout
        )
        library_pool.close()


# Memory


class LedgerPOPOApplicationRecorder(POPOApplicationRecorder):
    """In-memory recorder with the same behaviour, for fast tests; its clock is the process's."""

    def __init__(self) -> None:
        super().__init__()
        self._recorded_at: list[datetime] = []
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._keys = _ProcessLocalKeys()

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        with self._database_lock:
            if record is not None and (record.actor_id, record.key) in self._idempotency:
                raise IntegrityError(f"idempotency key {record.key!r} already recorded")
            read_set: ReadSet | None = kwargs.get("read_set")
            for record_id, version in (read_set or {}).items():
                if max(self._stored_events_index.get(str(record_id), {}), default=0) > version:
                    raise StaleRead("a record the command read has changed since")
            notification_ids = super()._insert_events(stored_events, **kwargs)
            if not notification_ids:
                return notification_ids
            now = datetime.now(UTC)
            if self._recorded_at:
                now = max(now, self._recorded_at[-1])
            self._recorded_at.extend(now for _ in notification_ids)
            if record is not None:
                self._idempotency[(record.actor_id, record.key)] = IdempotencyRecord(
                    record.actor_id,
                    record.key,
                    record.fingerprint,
                    record.command,
                    record.outcome,
                    max(notification_ids),
                )
            return notification_ids

    def idempotency_record(self, actor_id: str, key: str) -> IdempotencyRecord | None:
        """The stored record of a key, if any."""
        with self._database_lock:
            return self._idempotency.get((actor_id, key))

    def idempotency_lock(self, actor_id: str, key: str) -> Any:
        """Fail fast within the process (the only one that sees this store)."""
        return self._keys.hold(actor_id, key)

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before the moment, 0 if none."""
        with self._database_lock:
            position = 0
            for index, recorded_at in enumerate(self._recorded_at, start=1):
                if recorded_at > moment:
                    break
                position = index
            return position

    def _logged(self, position: int) -> LoggedEvent:
        stored = self._stored_events[position - 1]
        return LoggedEvent(
            position=position,
            originator_id=UUID(str(stored.originator_id)),
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=stored.state,
            recorded_at=self._recorded_at[position - 1],
        )

    def select_stream(
        self,
        originator_id: UUID,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[LoggedEvent]:
        """One stream's events with positions and times, keyset-paged by position."""
        with self._database_lock:
            positions = sorted(
                index + 1 for index in self._stored_events_index[str(originator_id)].values()
            )
            if after is not None:
                positions = [p for p in positions if p > after]
            if before is not None:
                positions = [p for p in positions if p < before]
            if newest_first:
                positions.reverse()
            return [self._logged(p) for p in positions[:limit]]

    def select_logged(self, positions: Sequence[int]) -> list[LoggedEvent]:
        """The events at the given positions, in log order."""
        with self._database_lock:
            count = len(self._stored_events)
            return [self._logged(p) for p in sorted(set(positions)) if 1 <= p <= count]


class LedgerPOPOFactory(POPOFactory):
    """Selects our in-memory recorder: `PERSISTENCE_MODULE=ledger.stores:LedgerPOPOFactory`."""

    def application_recorder(self) -> LedgerPOPOApplicationRecorder:
        """Our recorder (the library's factory names its own class inline)."""
        return LedgerPOPOApplicationRecorder()
