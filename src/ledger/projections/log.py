"""Reading the event log as the policy's facts, page by page."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing
from types import MappingProxyType
from typing import Any, cast

import psycopg
from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Connection
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from ledger.policy import Fact, LedgerState
from ledger.policy.facts import FOLDED_TOPICS, POLICY_TOPICS
from ledger.projections.partition import ASSIGNED, LINK_TOPICS, OPENED, REGISTERED, Link

PAGE = 1000
"""Notifications per page for live catch-up."""

BULK_PAGE = 10_000
"""Notifications per page for a fold of the whole log (rebuild, as-of)."""

READ_AHEAD = 4
"""Pages a fold of the whole log on PostgreSQL reads ahead of the one it folds."""


UNREAD: Mapping[str, Any] = MappingProxyType({})
"""The payload a fold gives a fact whose payload the state does not read (`LedgerState.reads`):
about half the log (incident records, notifications, objections, the organisation), which the
fold then need not decode."""


def fact_of(notification: Notification, state: LedgerState | None = None) -> Fact:
    """A stored event as the policy's fact (with the `UNREAD` payload if it is to be applied to
    a state that does not read it)."""
    if state is not None and not state.reads(notification.topic):
        return Fact(
            str(notification.originator_id),
            notification.originator_version,
            notification.id,
            notification.topic,
            UNREAD,
        )
    return Fact.decode(
        notification.originator_id,
        notification.originator_version,
        notification.id,
        notification.topic,
        notification.state,
    )


def pages(
    recorder: ApplicationRecorder, after: int, up_to: int | None, page: int = PAGE
) -> Iterator[Sequence[Notification]]:
    """The notifications after a position (up to one, if given), a page at a time."""
    while up_to is None or after < up_to:
        notifications = recorder.select_notifications(
            after, page, stop=up_to, inclusive_of_start=False
        )
        if not notifications:
            return
        yield notifications
        after = notifications[-1].id


def fold_log(
    recorder: ApplicationRecorder,
    up_to: int,
    state: LedgerState | None = None,
    *,
    on_page: Callable[[int, int], None] | None = None,
) -> LedgerState:
    """Fold the log after the state's position up to a position into the state (a new one if
    none is given); `on_page(position, events)` after each page (events left out of the read
    count too: the calls add up to the events of the log)."""
    state = state if state is not None else LedgerState()
    if isinstance(recorder, PostgresApplicationRecorder):
        return _fold_postgres(recorder, up_to, state, on_page)
    for notifications in pages(recorder, state.position, up_to, BULK_PAGE):
        for notification in notifications:
            state.apply(fact_of(notification, state))
        if on_page is not None:
            on_page(notifications[-1].id, len(notifications))
    return state


def fold_streams(
    recorder: PostgresApplicationRecorder,
    last: int | None,
    streams: Sequence[str],
    *,
    on_page: Callable[[int, int], None] | None = None,
) -> LedgerState:
    """A state folded from the events of these streams and of the policy book alone, up to the
    last event of the log to fold (`log_extent`), on connections of its own (so a forked process
    may call it): the state of a `partition.Share`, whose figures are those of a fold of the
    whole log. It holds no rounds (the figures do not read them). `on_page(position, events)`
    after each page read."""
    datastore = recorder.datastore
    statement = SQL(
        "SELECT originator_id::text, originator_version, notification_id, topic, state "
        "FROM {schema}.{table} WHERE notification_id <= %s "
        "AND (originator_id = ANY(%s::{id_type}[]) OR topic LIKE %s) ORDER BY notification_id"
    ).format(**_names(recorder), id_type=SQL(datastore.originator_id_type))

    def connect() -> AbstractContextManager[Connection[Any]]:
        # Not the pool's: a forked process must not use the connections of its parent.
        pool = datastore.pool
        kwargs = pool.kwargs() if callable(pool.kwargs) else pool.kwargs or {}
        conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
        return psycopg.connect(conninfo, **kwargs)

    state = LedgerState()
    if last is not None:
        parameters = (last, list(streams), POLICY_TOPICS + "%")
        _fold_rows(_read_ahead(connect, statement, parameters), state, on_page)
        state.skip_to(last)
    return state


def log_extent(
    recorder: PostgresApplicationRecorder, after: int, up_to: int
) -> tuple[int | None, int]:
    """The position of the last event after a position up to another, and how many there
    are."""
    with recorder.datastore.get_connection() as conn:
        found = conn.execute(
            SQL(
                "SELECT max(notification_id) AS last, count(*) AS events FROM {schema}.{table} "
                "WHERE notification_id > %s AND notification_id <= %s"
            ).format(**_names(recorder)),
            (after, up_to),
        ).fetchone()
    return (found["last"], found["events"]) if found else (None, 0)


def read_links(recorder: PostgresApplicationRecorder, up_to: int) -> list[Link]:
    """The link events of the log up to a position (`partition.LINK_TOPICS`), in no order."""
    statement = SQL(
        "SELECT originator_id::text, topic, state FROM {schema}.{table} "
        "WHERE notification_id <= %s AND topic = ANY(%s)"
    ).format(**_names(recorder))
    scan = _scanner()
    with (
        recorder.datastore.get_connection() as conn,
        conn.cursor(binary=True, row_factory=tuple_row) as cursor,
    ):
        cursor.execute(statement, (up_to, list(LINK_TOPICS)))
        return [
            (
                stream_id,
                topic,
                None if topic == REGISTERED else scan(payload.decode(), 0)[0][_CODE_OF[topic]],
            )
            for stream_id, topic, payload in cursor
        ]


_CODE_OF = {ASSIGNED: "unit_code", OPENED: "code"}


def _names(recorder: PostgresApplicationRecorder) -> dict[str, Identifier]:
    return {
        "schema": Identifier(recorder.datastore.schema),
        "table": Identifier(recorder.events_table_name),
    }


def _scanner() -> Callable[[str, int], tuple[Any, int]]:
    """A JSON scanner for the stored payloads: they are compact canonical JSON objects, which
    the decoder's scanner reads without json.loads' encoding detection and whitespace
    handling."""
    return cast(Callable[[str, int], tuple[Any, int]], getattr(json.JSONDecoder(), "scan_once"))  # noqa: B009


def _fold_postgres(
    recorder: PostgresApplicationRecorder,
    up_to: int,
    state: LedgerState,
    on_page: Callable[[int, int], None] | None,
) -> LedgerState:
    """Fold the log after the state's position up to a position through one binary
    server-side cursor in log order (the library's pages are text-format dict rows, several
    times slower to read), its pages read ahead by a thread (`_read_ahead`). Only the events
    of `FOLDED_TOPICS` are read (a third of the log is incident records); the state's position
    then moves to the last event up to that position."""
    statement = SQL(
        "SELECT originator_id::text, originator_version, notification_id, topic, state "
        "FROM {schema}.{table} WHERE notification_id > %s AND notification_id <= %s "
        "AND topic LIKE ANY(%s) ORDER BY notification_id"
    ).format(**_names(recorder))
    families = [family + "%" for family in FOLDED_TOPICS]
    last, events = log_extent(recorder, state.position, up_to)
    parameters = (state.position, up_to, families)
    read = _fold_rows(
        _read_ahead(recorder.datastore.get_connection, statement, parameters), state, on_page
    )
    if last is not None and last > state.position:
        state.skip_to(last)
        if on_page is not None:
            on_page(last, events - read)  # the events left out
    return state


def _fold_rows(
    pages: Generator[list[tuple[Any, ...]], None, None],
    state: LedgerState,
    on_page: Callable[[int, int], None] | None,
) -> int:
    """Apply the pages of (stream id, version, position, topic, payload) rows to the state;
    the number of rows."""
    apply, reads, scan = state.apply, state.reads, _scanner()
    count = 0
    with closing(pages):
        for rows in pages:
            for stream_id, version, position, topic, payload in rows:
                decoded = scan(payload.decode(), 0)[0] if reads(topic) else UNREAD
                apply(Fact(stream_id, version, position, topic, decoded))
            count += len(rows)
            if on_page is not None:
                on_page(rows[-1][2], len(rows))
    return count


_DONE = object()


def _read_ahead(
    connect: Callable[[], AbstractContextManager[Connection[Any]]],
    statement: Composed,
    parameters: tuple[object, ...],
) -> Generator[list[tuple[Any, ...]], None, None]:
    """The pages of a binary server-side cursor, fetched by a thread up to READ_AHEAD pages
    ahead while the caller folds the one before: the server's reading and the driver's row
    building overlap the fold (30 % off a fold of the stress ledger here). A failure of the
    read is raised to the caller; a caller that stops early stops the read."""
    pages: queue.Queue[object] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def read() -> None:
        ended: object = _DONE
        try:
            with connect() as conn, conn.transaction():
                conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
                with conn.cursor(name="ledger_fold", binary=True, row_factory=tuple_row) as cursor:
                    cursor.itersize = BULK_PAGE
                    cursor.execute(statement, parameters)
                    while not stop.is_set() and (rows := cursor.fetchmany(BULK_PAGE)):
                        pages.put(rows)
        except BaseException as error:  # handed to the caller, which raises it
            ended = error
        finally:
            pages.put(ended)

    reader = threading.Thread(target=read, name="ledger-fold-read-ahead", daemon=True)
    reader.start()
    ended = False
    try:
        while True:
            page = pages.get()
            if page is _DONE:
                ended = True
                return
            if isinstance(page, BaseException):
                ended = True
                raise page
            yield cast(list[tuple[Any, ...]], page)
    finally:
        stop.set()
        # Take what the reader still puts (at most a page it was fetching) until it ends.
        while not ended:
            page = pages.get()
            ended = page is _DONE or isinstance(page, BaseException)
        reader.join()
