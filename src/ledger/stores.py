"""The event stores: our recorder subclasses for PostgreSQL, SQLite and memory.

Inside the transaction that inserts a command's events (the library's hooks, while its write
lock is held) each recorder stamps every event's `recorded_at` from the database clock, never
decreasing along the log, and writes the command's idempotency record, and the Merkle log
(SPEC 7.1): one leaf row per event (dense leaf index from 0 in log order, position, leaf hash,
salt, previous leaf hash of the stream, the recorded_at used, the payload commitment) and the
one-row tree (size, root, compact range) updated once per transaction, so the current root is
one row read. Leaf bytes: `ledger.integrity.leaf`; the audit: `ledger.integrity.store_audit`.

PostgreSQL, per transaction, beyond the library's statements: one prefetch SELECT (tree row and
the previous leaf hash of each stream that had events) queued after the LOCK TABLE on its own
cursor and answered by the library's sync; the events' INSERT returns the recorded_at stamps
with the ids; one multi-row leaf INSERT and one tree UPDATE queued after the sync, travelling
with the COMMIT. No extra round trip. SQLite: after the events' INSERT (write lock held), one
tree SELECT, one SELECT per stream that had events before, one executemany leaf INSERT, one
UPDATE. Memory: the same in the process.

A store created before the leaves existed is re-created, not back-filled: its tree starts empty
at the first new event, and `ledger verify-store` reports the older events as `leaf_missing`.
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

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    ProgrammingError,
    StoredEvent,
)
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
from ledger.integrity.checkpoints import SignCheckpoint, StoredCheckpoint, StoredStreamHeads
from ledger.integrity.leaf import LeafRow, build_leaves, format_recorded_at
from ledger.integrity.merkle import EMPTY_ROOT, CompactRange
from ledger.integrity.store_audit import AuditedEvent, TreeState
from ledger.integrity.stream_heads import StreamHead, StreamHeadsLeaf, StreamHeadsTree


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


@dataclass(frozen=True)
class StagedBallot:
    """An unlinkable ballot as staged until its branch's tally (SPEC section 5): a random key,
    the quarter and branch it belongs to, and its ratings as canonical JSON. No actor, time or
    order is kept, so a staged row cannot be linked to its voter."""

    key: str
    period_key: str
    branch: str
    ratings: str


@dataclass(frozen=True)
class TakenBallots:
    """The staged ballots a tally commits to their ballot box: removed in its transaction."""

    period_key: str
    branch: str
    keys: tuple[str, ...]


STAGE_BALLOTS = "stage_ballots"
"""The save option (a sequence of StagedBallot) that stages ballots in the events' transaction,
in the order given (sorted by their random keys: the order says nothing of the casting)."""
TAKE_BALLOTS = "take_ballots"
"""The save option (a sequence of TakenBallots) that removes staged ballots in the events'
transaction, after staging those of the same save."""


def _staged(options: dict[str, Any]) -> list[StagedBallot]:
    """The ballots a save stages, in random-key order."""
    staged: Sequence[StagedBallot] = options.get(STAGE_BALLOTS, ())
    return sorted(staged, key=lambda ballot: ballot.key)


def _taken(options: dict[str, Any]) -> Sequence[TakenBallots]:
    """The staged ballots a save removes."""
    taken: Sequence[TakenBallots] = options.get(TAKE_BALLOTS, ())
    return taken


def _first_versions(stored_events: Sequence[StoredEvent]) -> dict[UUID, int]:
    """Each stream's first version in a transaction, for the streams that had events before."""
    first: dict[UUID, int] = {}
    for stored in stored_events:
        stream = _uuid(stored.originator_id)
        if stream not in first:
            first[stream] = stored.originator_version
    return {stream: version for stream, version in first.items() if version > 1}


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _advance(frontier: CompactRange, rows: list[LeafRow]) -> TreeState:
    frontier.extend(row.leaf_hash for row in rows)
    return TreeState(frontier.size, frontier.root(), frontier.to_bytes())


def _stream_heads_step(
    size: int, frontier: bytes, heads: list[StreamHead], recorded_at: str, sign: SignCheckpoint
) -> tuple[StoredStreamHeads, TreeState, StoredCheckpoint]:
    """The stream-heads leaf after `size` leaves, the tree that ends with it, and its signed
    checkpoint (SPEC 7.2): what every store writes in `record_checkpoint`."""
    leaf = StreamHeadsLeaf.of(size, StreamHeadsTree(heads), recorded_at)
    digest = leaf.leaf_hash()
    compact = CompactRange.from_bytes(size, frontier)
    compact.append(digest)
    state = TreeState(compact.size, compact.root(), compact.to_bytes())
    checkpoint = StoredCheckpoint(state.size, state.root, sign(state.size, state.root))
    return StoredStreamHeads(size, leaf, digest), state, checkpoint


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

    def staged_ballots(self, period_key: str, branch: str) -> list[StagedBallot]:
        """The ballots staged for a branch's unlinkable evaluation, in random-key order."""


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

SMALL_TRANSACTION = 8
"""Up to this many events a transaction's leaves are inserted with scalar parameters."""


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
        self.leaves_table = Identifier(f"{prefix}_leaves")
        self.tree_table = Identifier(f"{prefix}_tree")
        self.stream_heads_table = Identifier(f"{prefix}_stream_heads")
        self.checkpoints_table = Identifier(f"{prefix}_checkpoints")
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
                # The Merkle log: one leaf per event, dense index in log order (section 7.1).
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    "leaf_index bigint PRIMARY KEY, "
                    "position bigint NOT NULL UNIQUE, "
                    "leaf_hash bytea NOT NULL, "
                    "salt bytea NOT NULL, "
                    "prev_stream_leaf_hash bytea, "
                    "recorded_at timestamptz NOT NULL, "
                    "payload_commitment bytea NOT NULL)"
                ).format(schema=schema, table=self.leaves_table),
                # The stream-heads leaves, each written just before a checkpoint (section 7.2).
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    "leaf_index bigint PRIMARY KEY, "
                    "stream_count bigint NOT NULL, "
                    "stream_heads_root bytea NOT NULL, "
                    "recorded_at timestamptz NOT NULL, "
                    "leaf_hash bytea NOT NULL)"
                ).format(schema=schema, table=self.stream_heads_table),
                # The signed checkpoints (public notes; the key is never in the database).
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    "size bigint PRIMARY KEY, root bytea NOT NULL, note text NOT NULL)"
                ).format(schema=schema, table=self.checkpoints_table),
                # One row: the tree's size, root and compact range after the last transaction.
                SQL(
                    "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                    "id smallint PRIMARY KEY CHECK (id = 1), "
                    "size bigint NOT NULL, root bytea NOT NULL, frontier bytea NOT NULL)"
                ).format(schema=schema, table=self.tree_table),
                SQL(
                    "INSERT INTO {schema}.{table} (id, size, root, frontier) "
                    "VALUES (1, 0, decode({empty}, 'hex'), ''::bytea) ON CONFLICT DO NOTHING"
                ).format(schema=schema, table=self.tree_table, empty=EMPTY_ROOT.hex()),
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
                "ORDER BY inserted.notification_id RETURNING notification_id, recorded_at"
            ).format(schema=schema, table=self.recorded_table)
        )
        self.sql_check_reads = SQL(
            "INSERT INTO {schema}.{stale} (record_id) "
            "SELECT e.originator_id FROM {schema}.{events} e "
            "JOIN unnest(%s::uuid[], %s::bigint[]) AS r(id, version) "
            "ON e.originator_id = r.id AND e.originator_version > r.version LIMIT 1"
        ).format(schema=schema, stale=Identifier(f"{prefix}_stale_reads"), events=events)
        # Read after the table lock, with the INSERT (see _insert_stored_events): the tree row
        # and the last leaf hash before this transaction of each stream that had events.
        self.sql_prefetch_tree = SQL(
            "SELECT t.size, t.frontier, ARRAY(SELECT (SELECT l.leaf_hash FROM {schema}.{leaves} l "
            "WHERE l.position = (SELECT e.notification_id FROM {schema}.{events} e "
            "WHERE e.originator_id = r.id AND e.originator_version < r.version "
            "ORDER BY e.originator_version DESC LIMIT 1)) "
            "FROM unnest(%s::uuid[], %s::bigint[]) WITH ORDINALITY AS r(id, version, n) "
            "ORDER BY r.n) AS previous FROM {schema}.{tree} t WHERE t.id = 1"
        ).format(schema=schema, leaves=self.leaves_table, events=events, tree=self.tree_table)
        self.sql_insert_leaves = SQL(
            "INSERT INTO {schema}.{leaves} "
            "(leaf_index, position, leaf_hash, salt, prev_stream_leaf_hash, recorded_at, "
            "payload_commitment) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[], %s::bytea[], "
            "%s::bytea[], %s::timestamptz[], %s::bytea[])"
        ).format(schema=schema, leaves=self.leaves_table)
        # The size guard cannot fail under the table lock; if it ever did, the CHECK (id = 1)
        # makes the server abort the transaction rather than leave the row behind.
        self.sql_update_tree = SQL(
            "UPDATE {schema}.{tree} SET size = %s, root = %s, frontier = %s, "
            "id = CASE WHEN size = %s THEN 1 ELSE 0 END WHERE id = 1"
        ).format(schema=schema, tree=self.tree_table)
        self.sql_select_tree = SQL(
            "SELECT size, root, frontier FROM {schema}.{tree} WHERE id = 1"
        ).format(schema=schema, tree=self.tree_table)
        self.sql_select_leaves = SQL(
            "SELECT leaf_index, position, leaf_hash, salt, prev_stream_leaf_hash, recorded_at, "
            "payload_commitment "
            "FROM {schema}.{leaves} "
        ).format(schema=schema, leaves=self.leaves_table)
        self.sql_audit_events = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
            "r.recorded_at FROM {schema}.{events} e "
            "LEFT JOIN {schema}.{recorded} r USING (notification_id) ORDER BY e.notification_id"
        ).format(schema=schema, events=events, recorded=self.recorded_table)
        self._prefetched = threading.local()
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
        self.sql_stream_heads_at = SQL(
            "SELECT DISTINCT ON (e.originator_id) e.originator_id, e.originator_version, "
            "l.leaf_hash FROM {schema}.{leaves} l "
            "JOIN {schema}.{events} e ON e.notification_id = l.position "
            "WHERE l.leaf_index < %s ORDER BY e.originator_id, e.originator_version DESC"
        ).format(schema=schema, leaves=self.leaves_table, events=events)
        self.sql_leaf_hashes = SQL(
            "SELECT leaf_hash FROM (SELECT leaf_index, leaf_hash FROM {schema}.{leaves} "
            "WHERE leaf_index < %s UNION ALL SELECT leaf_index, leaf_hash FROM {schema}.{heads} "
            "WHERE leaf_index < %s) AS log ORDER BY leaf_index"
        ).format(schema=schema, leaves=self.leaves_table, heads=self.stream_heads_table)
        self.sql_select_checkpoints = SQL(
            "SELECT size, root, note FROM {schema}.{table} ORDER BY size"
        ).format(schema=schema, table=self.checkpoints_table)
        self.sql_last_checkpoint = SQL(
            "SELECT size, root, note FROM {schema}.{table} ORDER BY size DESC LIMIT 1"
        ).format(schema=schema, table=self.checkpoints_table)
        self.sql_insert_checkpoint = SQL(
            "INSERT INTO {schema}.{table} (size, root, note) VALUES (%s, %s, %s)"
        ).format(schema=schema, table=self.checkpoints_table)
        self.sql_update_checkpoint = SQL(
            "UPDATE {schema}.{table} SET note = %s WHERE size = %s"
        ).format(schema=schema, table=self.checkpoints_table)
        self.sql_insert_stream_heads = SQL(
            "INSERT INTO {schema}.{table} "
            "(leaf_index, stream_count, stream_heads_root, recorded_at, leaf_hash) "
            "VALUES (%s, %s, %s, %s, %s)"
        ).format(schema=schema, table=self.stream_heads_table)
        self.sql_select_stream_heads = SQL(
            "SELECT leaf_index, stream_count, stream_heads_root, recorded_at, leaf_hash "
            "FROM {schema}.{table} ORDER BY leaf_index"
        ).format(schema=schema, table=self.stream_heads_table)
        self.sql_log_now = SQL(
            "SELECT GREATEST(clock_timestamp(), COALESCE(MAX(recorded_at), "
            "'-infinity'::timestamptz)) AS now FROM {schema}.{table}"
        ).format(schema=schema, table=self.recorded_table)

        # psycopg renders a composed statement to bytes on every execution; the statements of
        # the insert transaction are rendered once here instead.
        self.insert_events_statement = _rendered(self.insert_events_statement)
        self.lock_table_statements = [_rendered(s) for s in self.lock_table_statements]
        self.sql_insert_idempotency = _rendered(self.sql_insert_idempotency)
        # A data-modifying WITH runs whether or not the query reads it.
        self.sql_check_reads_and_prefetch_tree = (
            b"WITH stale AS ("
            + _rendered(self.sql_check_reads)
            + b") "
            + _rendered(self.sql_prefetch_tree)
        )
        self.sql_prefetch_tree = _rendered(self.sql_prefetch_tree)
        self.sql_insert_leaves = _rendered(self.sql_insert_leaves)
        self.sql_update_tree = _rendered(self.sql_update_tree)
        self.sql_insert_leaves_head = _rendered(
            SQL(
                "INSERT INTO {schema}.{leaves} (leaf_index, position, leaf_hash, salt, "
                "prev_stream_leaf_hash, recorded_at, payload_commitment)"
            ).format(schema=schema, leaves=self.leaves_table)
        )
        self._leaf_inserts: dict[int, bytes] = {}
        self._init_staged_ballots(schema, prefix)

    def _init_staged_ballots(self, schema: Identifier, prefix: str) -> None:
        """The staging table of unlinkable ballots (SPEC section 5) and its statements."""
        table = Identifier(f"{prefix}_staged_ballots")
        # No actor, time or order column: the random key is the only identity a row has.
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "ballot_key text PRIMARY KEY, period_key text NOT NULL, "
                "branch text NOT NULL, ratings text NOT NULL)"
            ).format(schema=schema, table=table)
        )
        self.sql_stage_ballot = SQL(
            "INSERT INTO {schema}.{table} (ballot_key, period_key, branch, ratings) "
            "VALUES (%s, %s, %s, %s)"
        ).format(schema=schema, table=table)
        self.sql_take_ballots = SQL(
            "DELETE FROM {schema}.{table} "
            "WHERE period_key = %s AND branch = %s AND ballot_key = ANY(%s)"
        ).format(schema=schema, table=table)
        self.sql_staged_ballots = SQL(
            "SELECT ballot_key, period_key, branch, ratings FROM {schema}.{table} "
            "WHERE period_key = %s AND branch = %s ORDER BY ballot_key"
        ).format(schema=schema, table=table)

    def _insert_stored_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # The tree row and the streams' previous leaf hashes, read after the LOCK TABLE on a
        # cursor of its own, answered by the library's sync with the INSERT: no extra round trip.
        # A failed earlier attempt (retry) leaves its cursor here: replaced.
        first = _first_versions(stored_events)
        prefetch = curs.connection.cursor()
        read_set: ReadSet | None = kwargs.get("read_set")
        if read_set:
            # The same statement checks the command's read set: after the LOCK TABLE no writer
            # can change a record between this check and the COMMIT, and a stale read fails in
            # the server, so the transaction aborts (see _fetch_ids_after_insert_events).
            prefetch.execute(
                self.sql_check_reads_and_prefetch_tree,
                (list(read_set), list(read_set.values()), list(first), list(first.values())),
                prepare=True,
            )
        else:
            prefetch.execute(
                self.sql_prefetch_tree, (list(first), list(first.values())), prepare=True
            )
        self._prefetched.value = (prefetch, list(first))

    def _fetch_ids_after_insert_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        prefetch, streams = self._prefetched.__dict__.pop("value", (None, []))
        try:
            # The library's own fetch, reading the recorded_at stamps returned beside the ids.
            assert curs.statusmessage and curs.statusmessage.startswith("INSERT")
            rows = curs.fetchall()
            notification_ids = [row["notification_id"] for row in rows]
            if len(notification_ids) != len(stored_events):
                raise ProgrammingError(
                    f"got {len(notification_ids)} notification ids for {len(stored_events)} events"
                )
            if prefetch is None:
                raise ProgrammingError("the tree row was not read in the insert transaction")
            tree = prefetch.fetchone()
            prefetch.close()
            if tree is None:
                raise ProgrammingError("the Merkle tree row is missing (re-create the store)")
            self._write_leaves(
                curs,
                stored_events,
                notification_ids,
                [row["recorded_at"] for row in rows],
                tree,
                dict(zip(streams, tree["previous"], strict=True)),
            )
            self._write_beside_events(curs, notification_ids, kwargs)
        except BaseException:
            # The library catches an error raised here inside its transaction block and re-raises
            # it only after the COMMIT, which would keep the events without what belongs beside
            # them. An error raised by the server makes the COMMIT fail instead: nothing is kept.
            curs.execute(self.sql_abort_transaction)
            raise
        return notification_ids

    def _write_leaves(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        notification_ids: list[int],
        stamps: list[datetime],
        tree: DictRow,
        previous: dict[UUID, bytes | None],
    ) -> None:
        """Queue the transaction's leaves (one multi-row INSERT) and the new tree row."""
        size = int(tree["size"])
        rows = build_leaves(
            size,
            [
                (position, _uuid(s.originator_id), s.originator_version, s.topic, s.state)
                for position, s in zip(notification_ids, stored_events, strict=True)
            ],
            [format_recorded_at(stamp) for stamp in stamps],
            {stream: bytes(h) if h is not None else None for stream, h in previous.items()},
        )
        state = _advance(CompactRange.from_bytes(size, bytes(tree["frontier"])), rows)
        if len(rows) <= SMALL_TRANSACTION:
            # Scalar parameters: psycopg dumps seven arrays far slower than a few values, and
            # most transactions hold one command's two or three events.
            curs.execute(
                self._insert_leaves_values(len(rows)),
                [
                    value
                    for row, position, stamp in zip(rows, notification_ids, stamps, strict=True)
                    for value in (
                        row.leaf_index,
                        position,
                        row.leaf_hash,
                        row.salt,
                        row.prev_stream_leaf_hash,
                        stamp,
                        row.payload_commitment,
                    )
                ],
                prepare=True,
            )
        else:
            curs.execute(
                self.sql_insert_leaves,
                (
                    [row.leaf_index for row in rows],
                    notification_ids,
                    [row.leaf_hash for row in rows],
                    [row.salt for row in rows],
                    [row.prev_stream_leaf_hash for row in rows],
                    stamps,
                    [row.payload_commitment for row in rows],
                ),
                prepare=True,
            )
        curs.execute(
            self.sql_update_tree, (state.size, state.root, state.frontier, size), prepare=True
        )

    def _insert_leaves_values(self, count: int) -> bytes:
        """The leaf INSERT with `count` rows of scalar parameters (rendered once per count)."""
        statement = self._leaf_inserts.get(count)
        if statement is None:
            row = "(%s, %s, %s, %s, %s, %s::timestamptz, %s)"
            statement = (
                self.sql_insert_leaves_head + b" VALUES " + ", ".join([row] * count).encode()
            )
            self._leaf_inserts[count] = statement
        return statement

    def current_root(self) -> bytes:
        """The root of the tree over every leaf (one row read)."""
        return self.tree_state().root

    def tree_size(self) -> int:
        """The number of leaves."""
        return self.tree_state().size

    def tree_state(self) -> TreeState:
        """The stored tree row."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_tree)
            row = curs.fetchone()
        if row is None:
            raise ProgrammingError("the Merkle tree row is missing (re-create the store)")
        return TreeState(int(row["size"]), bytes(row["root"]), bytes(row["frontier"]))

    def leaf(self, index: int) -> LeafRow | None:
        """The leaf at an index, if there is one."""
        rows = self._leaf_rows(SQL("WHERE leaf_index = %s"), [index])
        return rows[0] if rows else None

    def leaves(self) -> list[LeafRow]:
        """Every leaf, by index."""
        return self._leaf_rows(SQL("ORDER BY leaf_index"), [])

    def _leaf_rows(self, tail: Any, params: list[Any]) -> list[LeafRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_leaves + tail, params)
            return [
                LeafRow(
                    int(row["leaf_index"]),
                    int(row["position"]),
                    bytes(row["leaf_hash"]),
                    bytes(row["salt"]),
                    None
                    if row["prev_stream_leaf_hash"] is None
                    else bytes(row["prev_stream_leaf_hash"]),
                    format_recorded_at(row["recorded_at"]),
                    bytes(row["payload_commitment"]),
                )
                for row in curs.fetchall()
            ]

    def record_checkpoint(self, sign: SignCheckpoint) -> StoredCheckpoint:
        """Under the events' table lock: the stream-heads leaf, the tree, the signed checkpoint
        (`ledger.integrity.checkpoints`); the last checkpoint if it is the log's end."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.lock_table_statements:
                curs.execute(statement)
            curs.execute(self.sql_select_tree)
            tree = curs.fetchone()
            if tree is None:
                raise ProgrammingError("the Merkle tree row is missing (re-create the store)")
            size = int(tree["size"])
            curs.execute(self.sql_last_checkpoint)
            last = curs.fetchone()
            if last is not None and int(last["size"]) == size:
                return StoredCheckpoint(size, bytes(last["root"]), last["note"])
            curs.execute(self.sql_stream_heads_at, (size,))
            heads = [
                StreamHead(
                    _uuid(row["originator_id"]),
                    int(row["originator_version"]),
                    bytes(row["leaf_hash"]),
                )
                for row in curs.fetchall()
            ]
            curs.execute(self.sql_log_now)
            stamp_row = curs.fetchone()
            assert stamp_row is not None  # an aggregate always returns a row
            now = stamp_row["now"]
            leaf, state, checkpoint = _stream_heads_step(
                size, bytes(tree["frontier"]), heads, format_recorded_at(now), sign
            )
            curs.execute(
                self.sql_insert_stream_heads,
                (size, leaf.leaf.stream_count, leaf.leaf.stream_heads_root, now, leaf.leaf_hash),
            )
            curs.execute(self.sql_update_tree, (state.size, state.root, state.frontier, size))
            curs.execute(
                self.sql_insert_checkpoint, (checkpoint.size, checkpoint.root, checkpoint.note)
            )
        return checkpoint

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every kept checkpoint, oldest first."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_checkpoints)
            return [
                StoredCheckpoint(int(row["size"]), bytes(row["root"]), row["note"])
                for row in curs.fetchall()
            ]

    def replace_checkpoint_note(self, size: int, note: str) -> None:
        """Keep a new note text (more signatures) for the checkpoint of this size."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql_update_checkpoint, (note, size))
            if curs.rowcount != 1:
                raise ProgrammingError(f"no checkpoint of size {size} is kept")

    def stream_heads_leaves(self) -> list[StoredStreamHeads]:
        """Every stream-heads leaf, by index."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_stream_heads)
            return [
                StoredStreamHeads(
                    int(row["leaf_index"]),
                    StreamHeadsLeaf(
                        int(row["leaf_index"]),
                        int(row["stream_count"]),
                        bytes(row["stream_heads_root"]),
                        format_recorded_at(row["recorded_at"]),
                    ),
                    bytes(row["leaf_hash"]),
                )
                for row in curs.fetchall()
            ]

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The hashes of the first `size` leaves (event and stream-heads leaves)."""
        with self.datastore.get_connection() as conn, conn.cursor(binary=True) as curs:
            curs.execute(self.sql_leaf_hashes, (size, size))
            hashes = [bytes(row["leaf_hash"]) for row in curs.fetchall()]
        if len(hashes) != size:
            raise ProgrammingError(f"the log has {len(hashes)} of the {size} leaves asked for")
        return hashes

    def stream_heads_at(self, tree_size: int) -> list[StreamHead]:
        """Every stream's head among the first `tree_size` leaves."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_stream_heads_at, (tree_size,))
            return [
                StreamHead(
                    _uuid(row["originator_id"]),
                    int(row["originator_version"]),
                    bytes(row["leaf_hash"]),
                )
                for row in curs.fetchall()
            ]

    def audit_events(self) -> list[AuditedEvent]:
        """Every stored event row with its recorded_at stamp (if it has one), in log order."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_audit_events)
            return [
                AuditedEvent(
                    int(row["notification_id"]),
                    _uuid(row["originator_id"]),
                    int(row["originator_version"]),
                    row["topic"],
                    bytes(row["state"]),
                    None if row["recorded_at"] is None else format_recorded_at(row["recorded_at"]),
                )
                for row in curs.fetchall()
            ]

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
        self._stage_and_take_ballots(curs, options)

    def _stage_and_take_ballots(self, curs: Any, options: dict[str, Any]) -> None:
        """Queue the ballots a save stages, then the removal of those a tally takes."""
        for staged in _staged(options):
            curs.execute(
                self.sql_stage_ballot,
                (staged.key, staged.period_key, staged.branch, staged.ratings),
            )
        for taken in _taken(options):
            curs.execute(self.sql_take_ballots, (taken.period_key, taken.branch, list(taken.keys)))

    def staged_ballots(self, period_key: str, branch: str) -> list[StagedBallot]:
        """The ballots staged for a branch's unlinkable evaluation, in random-key order."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_staged_ballots, (period_key, branch))
            return [
                StagedBallot(row["ballot_key"], row["period_key"], row["branch"], row["ratings"])
                for row in curs.fetchall()
            ]

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
            # The Merkle log (see the PostgreSQL recorder); recorded_at as the leaf holds it.
            "CREATE TABLE IF NOT EXISTS stored_leaves ("
            "leaf_index INTEGER PRIMARY KEY, position INTEGER NOT NULL UNIQUE, "
            "leaf_hash BLOB NOT NULL, salt BLOB NOT NULL, prev_stream_leaf_hash BLOB, "
            "recorded_at TEXT NOT NULL, payload_commitment BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS stream_heads ("
            "leaf_index INTEGER PRIMARY KEY, stream_count INTEGER NOT NULL, "
            "stream_heads_root BLOB NOT NULL, recorded_at TEXT NOT NULL, leaf_hash BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS checkpoints ("
            "size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS merkle_tree ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, "
            "root BLOB NOT NULL, frontier BLOB NOT NULL)",
            "INSERT OR IGNORE INTO merkle_tree (id, size, root, frontier) "
            f"VALUES (1, 0, X'{EMPTY_ROOT.hex()}', X'')",
            # Unlinkable ballots until their tally (SPEC section 5): no actor, time or order
            # column, and WITHOUT ROWID so not even SQLite's rowid records the order of staging.
            "CREATE TABLE IF NOT EXISTS staged_ballots ("
            "ballot_key TEXT PRIMARY KEY, period_key TEXT NOT NULL, "
            "branch TEXT NOT NULL, ratings TEXT NOT NULL) WITHOUT ROWID",
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
        self._write_leaves(c, stored_events, list(notification_ids), now)
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
        self._stage_and_take_ballots(c, kwargs)
        return notification_ids

    @staticmethod
    def _stage_and_take_ballots(c: SQLiteCursor, options: dict[str, Any]) -> None:
        """Stage the ballots a save stages, then remove those a tally takes (the events'
        transaction holds the write lock)."""
        c.executemany(
            "INSERT INTO staged_ballots (ballot_key, period_key, branch, ratings) "
            "VALUES (?, ?, ?, ?)",
            [(b.key, b.period_key, b.branch, b.ratings) for b in _staged(options)],
        )
        c.executemany(
            "DELETE FROM staged_ballots WHERE period_key = ? AND branch = ? AND ballot_key = ?",
            [(t.period_key, t.branch, key) for t in _taken(options) for key in t.keys],
        )

    def staged_ballots(self, period_key: str, branch: str) -> list[StagedBallot]:
        """The ballots staged for a branch's unlinkable evaluation, in random-key order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT ballot_key, period_key, branch, ratings FROM staged_ballots "
                "WHERE period_key = ? AND branch = ? ORDER BY ballot_key",
                (period_key, branch),
            )
            return [
                StagedBallot(row["ballot_key"], row["period_key"], row["branch"], row["ratings"])
                for row in c.fetchall()
            ]

    def _write_leaves(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        notification_ids: list[int],
        now: str,
    ) -> None:
        """The transaction's leaves and the new tree row (the write lock is held: after the
        events INSERT, so the tree row read here is the log's last)."""
        c.execute("SELECT size, frontier FROM merkle_tree WHERE id = 1")
        tree = c.fetchone()
        if tree is None:
            raise ProgrammingError("the Merkle tree row is missing (re-create the store)")
        previous: dict[UUID, bytes | None] = {}
        for stream, version in _first_versions(stored_events).items():
            c.execute(
                "SELECT leaf_hash FROM stored_leaves WHERE position = (SELECT rowid "
                "FROM stored_events WHERE originator_id = ? AND originator_version < ? "
                "ORDER BY originator_version DESC LIMIT 1)",
                (stream.hex, version),
            )
            found = c.fetchone()
            previous[stream] = None if found is None else bytes(found["leaf_hash"])
        size = int(tree["size"])
        stamp = format_recorded_at(_utc(now))
        rows = build_leaves(
            size,
            [
                (position, _uuid(s.originator_id), s.originator_version, s.topic, s.state)
                for position, s in zip(notification_ids, stored_events, strict=True)
            ],
            [stamp] * len(notification_ids),
            previous,
        )
        state = _advance(CompactRange.from_bytes(size, bytes(tree["frontier"])), rows)
        c.executemany(
            "INSERT INTO stored_leaves (leaf_index, position, leaf_hash, salt, "
            "prev_stream_leaf_hash, recorded_at, payload_commitment) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.leaf_index,
                    r.position,
                    r.leaf_hash,
                    r.salt,
                    r.prev_stream_leaf_hash,
                    stamp,
                    r.payload_commitment,
                )
                for r in rows
            ],
        )
        c.execute(
            "UPDATE merkle_tree SET size = ?, root = ?, frontier = ? WHERE id = 1",
            (state.size, state.root, state.frontier),
        )

    def current_root(self) -> bytes:
        """The root of the tree over every leaf (one row read)."""
        return self.tree_state().root

    def tree_size(self) -> int:
        """The number of leaves."""
        return self.tree_state().size

    def tree_state(self) -> TreeState:
        """The stored tree row."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT size, root, frontier FROM merkle_tree WHERE id = 1")
            row = c.fetchone()
        if row is None:
            raise ProgrammingError("the Merkle tree row is missing (re-create the store)")
        return TreeState(int(row["size"]), bytes(row["root"]), bytes(row["frontier"]))

    _SELECT_LEAVES = (
        "SELECT leaf_index, position, leaf_hash, salt, prev_stream_leaf_hash, recorded_at, "
        "payload_commitment "
        "FROM stored_leaves "
    )

    def leaf(self, index: int) -> LeafRow | None:
        """The leaf at an index, if there is one."""
        rows = self._leaf_rows(self._SELECT_LEAVES + "WHERE leaf_index = ?", [index])
        return rows[0] if rows else None

    def leaves(self) -> list[LeafRow]:
        """Every leaf, by index."""
        return self._leaf_rows(self._SELECT_LEAVES + "ORDER BY leaf_index", [])

    def _leaf_rows(self, statement: str, params: list[Any]) -> list[LeafRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [
                LeafRow(
                    int(row["leaf_index"]),
                    int(row["position"]),
                    bytes(row["leaf_hash"]),
                    bytes(row["salt"]),
                    None
                    if row["prev_stream_leaf_hash"] is None
                    else bytes(row["prev_stream_leaf_hash"]),
                    row["recorded_at"],
                    bytes(row["payload_commitment"]),
                )
                for row in c.fetchall()
            ]

    _SELECT_HEADS = (
        "SELECT e.originator_id, max(e.originator_version) AS originator_version, l.leaf_hash "
        "FROM stored_leaves l JOIN stored_events e ON e.rowid = l.position "
        "WHERE l.leaf_index < ? GROUP BY e.originator_id"
    )

    def record_checkpoint(self, sign: SignCheckpoint) -> StoredCheckpoint:
        """In one write transaction: the stream-heads leaf, the tree, the signed checkpoint
        (`ledger.integrity.checkpoints`); the last checkpoint if it is the log's end."""
        with self.datastore.transaction(commit=True) as c:
            # A write first, so the transaction holds the write lock before it reads the tree.
            c.execute("UPDATE merkle_tree SET id = id WHERE id = 1")
            c.execute("SELECT size, frontier FROM merkle_tree WHERE id = 1")
            tree = c.fetchone()
            if tree is None:
                raise ProgrammingError("the Merkle tree row is missing (re-create the store)")
            size = int(tree["size"])
            c.execute("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1")
            last = c.fetchone()
            if last is not None and int(last["size"]) == size:
                return StoredCheckpoint(size, bytes(last["root"]), last["note"])
            # SQLite takes the bare columns of a max() aggregate from the row that has the max.
            c.execute(self._SELECT_HEADS, (size,))
            heads = [
                StreamHead(
                    UUID(row["originator_id"]),
                    int(row["originator_version"]),
                    bytes(row["leaf_hash"]),
                )
                for row in c.fetchall()
            ]
            c.execute(
                f"SELECT max({_SQLITE_NOW}, "
                "coalesce((SELECT max(recorded_at) FROM recorded_at), '')) AS now"
            )
            stamp = format_recorded_at(_utc(c.fetchone()["now"]))
            leaf, state, checkpoint = _stream_heads_step(
                size, bytes(tree["frontier"]), heads, stamp, sign
            )
            c.execute(
                "INSERT INTO stream_heads (leaf_index, stream_count, stream_heads_root, "
                "recorded_at, leaf_hash) VALUES (?, ?, ?, ?, ?)",
                (size, leaf.leaf.stream_count, leaf.leaf.stream_heads_root, stamp, leaf.leaf_hash),
            )
            c.execute(
                "UPDATE merkle_tree SET size = ?, root = ?, frontier = ? WHERE id = 1",
                (state.size, state.root, state.frontier),
            )
            c.execute(
                "INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)",
                (checkpoint.size, checkpoint.root, checkpoint.note),
            )
        return checkpoint

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every kept checkpoint, oldest first."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT size, root, note FROM checkpoints ORDER BY size")
            return [
                StoredCheckpoint(int(row["size"]), bytes(row["root"]), row["note"])
                for row in c.fetchall()
            ]

    def replace_checkpoint_note(self, size: int, note: str) -> None:
        """Keep a new note text (more signatures) for the checkpoint of this size."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("SELECT size FROM checkpoints WHERE size = ?", (size,))
            if c.fetchone() is None:
                raise ProgrammingError(f"no checkpoint of size {size} is kept")
            c.execute("UPDATE checkpoints SET note = ? WHERE size = ?", (note, size))

    def stream_heads_leaves(self) -> list[StoredStreamHeads]:
        """Every stream-heads leaf, by index."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT leaf_index, stream_count, stream_heads_root, recorded_at, leaf_hash "
                "FROM stream_heads ORDER BY leaf_index"
            )
            return [
                StoredStreamHeads(
                    int(row["leaf_index"]),
                    StreamHeadsLeaf(
                        int(row["leaf_index"]),
                        int(row["stream_count"]),
                        bytes(row["stream_heads_root"]),
                        row["recorded_at"],
                    ),
                    bytes(row["leaf_hash"]),
                )
                for row in c.fetchall()
            ]

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The hashes of the first `size` leaves (event and stream-heads leaves)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT leaf_hash FROM (SELECT leaf_index, leaf_hash FROM stored_leaves "
                "WHERE leaf_index < ? UNION ALL SELECT leaf_index, leaf_hash FROM stream_heads "
                "WHERE leaf_index < ?) ORDER BY leaf_index",
                (size, size),
            )
            hashes = [bytes(row["leaf_hash"]) for row in c.fetchall()]
        if len(hashes) != size:
            raise ProgrammingError(f"the log has {len(hashes)} of the {size} leaves asked for")
        return hashes

    def stream_heads_at(self, tree_size: int) -> list[StreamHead]:
        """Every stream's head among the first `tree_size` leaves."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._SELECT_HEADS, (tree_size,))
            return [
                StreamHead(
                    UUID(row["originator_id"]),
                    int(row["originator_version"]),
                    bytes(row["leaf_hash"]),
                )
                for row in c.fetchall()
            ]

    def audit_events(self) -> list[AuditedEvent]:
        """Every stored event row with its recorded_at stamp (if it has one), in log order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT e.rowid AS notification_id, e.originator_id, e.originator_version, "
                "e.topic, e.state, r.recorded_at FROM stored_events e "
                "LEFT JOIN recorded_at r ON r.notification_id = e.rowid ORDER BY e.rowid"
            )
            return [
                AuditedEvent(
                    int(row["notification_id"]),
                    UUID(row["originator_id"]),
                    int(row["originator_version"]),
                    row["topic"],
                    bytes(row["state"]),
                    None
                    if row["recorded_at"] is None
                    else format_recorded_at(_utc(row["recorded_at"])),
                )
                for row in c.fetchall()
            ]

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
        self._leaves: list[LeafRow] = []
        self._leaf_at: dict[int, LeafRow] = {}
        self._stream_heads: dict[UUID, bytes | None] = {}
        self._frontier = CompactRange()
        self._leaf_hashes: list[bytes] = []
        self._heads_leaves: list[StoredStreamHeads] = []
        self._checkpoints: list[StoredCheckpoint] = []
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._keys = _ProcessLocalKeys()
        self._staged_ballots: dict[str, StagedBallot] = {}

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
            heads = dict(self._stream_heads)
            rows = build_leaves(
                self._frontier.size,
                [
                    (position, _uuid(s.originator_id), s.originator_version, s.topic, s.state)
                    for position, s in zip(notification_ids, stored_events, strict=True)
                ],
                [format_recorded_at(now)] * len(notification_ids),
                heads,
            )
            self._leaves.extend(rows)
            self._leaf_at.update((row.leaf_index, row) for row in rows)
            self._stream_heads = heads
            self._frontier.extend(row.leaf_hash for row in rows)
            self._leaf_hashes.extend(row.leaf_hash for row in rows)
            if record is not None:
                self._idempotency[(record.actor_id, record.key)] = IdempotencyRecord(
                    record.actor_id,
                    record.key,
                    record.fingerprint,
                    record.command,
                    record.outcome,
                    max(notification_ids),
                )
            self._stage_and_take_ballots(kwargs)
            return notification_ids

    def _stage_and_take_ballots(self, options: dict[str, Any]) -> None:
        """Stage the ballots a save stages, then remove those a tally takes (called with the
        store's lock held, after the events are in)."""
        for staged in _staged(options):
            self._staged_ballots[staged.key] = staged
        for taken in _taken(options):
            for key in taken.keys:
                found = self._staged_ballots.get(key)
                if found and (found.period_key, found.branch) == (taken.period_key, taken.branch):
                    del self._staged_ballots[key]

    def staged_ballots(self, period_key: str, branch: str) -> list[StagedBallot]:
        """The ballots staged for a branch's unlinkable evaluation, in random-key order."""
        with self._database_lock:
            return sorted(
                (
                    staged
                    for staged in self._staged_ballots.values()
                    if (staged.period_key, staged.branch) == (period_key, branch)
                ),
                key=lambda staged: staged.key,
            )

    def current_root(self) -> bytes:
        """The root of the tree over every leaf."""
        return self.tree_state().root

    def tree_size(self) -> int:
        """The number of leaves."""
        return self.tree_state().size

    def tree_state(self) -> TreeState:
        """The kept tree: size, root and compact range."""
        with self._database_lock:
            frontier = self._frontier
            return TreeState(frontier.size, frontier.root(), frontier.to_bytes())

    def leaf(self, index: int) -> LeafRow | None:
        """The leaf at an index, if there is one."""
        with self._database_lock:
            return self._leaf_at.get(index)

    def leaves(self) -> list[LeafRow]:
        """Every leaf, by index."""
        with self._database_lock:
            return list(self._leaves)

    def record_checkpoint(self, sign: SignCheckpoint) -> StoredCheckpoint:
        """Under the store's lock: the stream-heads leaf, the tree, the signed checkpoint
        (`ledger.integrity.checkpoints`); the last checkpoint if it is the log's end."""
        with self._database_lock:
            size = self._frontier.size
            if self._checkpoints and self._checkpoints[-1].size == size:
                return self._checkpoints[-1]
            now = datetime.now(UTC)
            if self._recorded_at:
                now = max(now, self._recorded_at[-1])
            leaf, state, checkpoint = _stream_heads_step(
                size,
                self._frontier.to_bytes(),
                self.stream_heads_at(size),
                format_recorded_at(now),
                sign,
            )
            self._heads_leaves.append(leaf)
            self._frontier.append(leaf.leaf_hash)
            self._leaf_hashes.append(leaf.leaf_hash)
            self._checkpoints.append(checkpoint)
            assert self._frontier.root() == state.root
            return checkpoint

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every kept checkpoint, oldest first."""
        with self._database_lock:
            return list(self._checkpoints)

    def replace_checkpoint_note(self, size: int, note: str) -> None:
        """Keep a new note text (more signatures) for the checkpoint of this size."""
        with self._database_lock:
            for number, kept in enumerate(self._checkpoints):
                if kept.size == size:
                    self._checkpoints[number] = StoredCheckpoint(size, kept.root, note)
                    return
        raise ProgrammingError(f"no checkpoint of size {size} is kept")

    def stream_heads_leaves(self) -> list[StoredStreamHeads]:
        """Every stream-heads leaf, by index."""
        with self._database_lock:
            return list(self._heads_leaves)

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The hashes of the first `size` leaves (event and stream-heads leaves)."""
        with self._database_lock:
            if size > len(self._leaf_hashes):
                raise ProgrammingError(
                    f"the log has {len(self._leaf_hashes)} of the {size} leaves asked for"
                )
            return self._leaf_hashes[:size]

    def stream_heads_at(self, tree_size: int) -> list[StreamHead]:
        """Every stream's head among the first `tree_size` leaves."""
        with self._database_lock:
            heads: dict[UUID, StreamHead] = {}
            for row in self._leaves:
                if row.leaf_index >= tree_size:
                    break
                stored = self._stored_events[row.position - 1]
                stream = _uuid(stored.originator_id)
                heads[stream] = StreamHead(stream, stored.originator_version, row.leaf_hash)
            return list(heads.values())

    def audit_events(self) -> list[AuditedEvent]:
        """Every stored event with its recorded_at stamp, in log order."""
        with self._database_lock:
            return [
                AuditedEvent(
                    position,
                    _uuid(stored.originator_id),
                    stored.originator_version,
                    stored.topic,
                    stored.state,
                    format_recorded_at(self._recorded_at[position - 1]),
                )
                for position, stored in enumerate(self._stored_events, start=1)
            ]

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
