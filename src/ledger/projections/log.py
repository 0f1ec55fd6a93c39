"""Reading the event log as the policy's facts, page by page."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from types import MappingProxyType
from typing import Any, cast

from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from ledger.policy import Fact, LedgerState
from ledger.policy.facts import FOLDED_TOPICS

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
    datastore = recorder.datastore
    names = {
        "schema": Identifier(datastore.schema),
        "table": Identifier(recorder.events_table_name),
    }
    statement = SQL(
        "SELECT originator_id::text, originator_version, notification_id, topic, state "
        "FROM {schema}.{table} WHERE notification_id > %s AND notification_id <= %s "
        "AND topic LIKE ANY(%s) ORDER BY notification_id"
    ).format(**names)
    families = [family + "%" for family in FOLDED_TOPICS]
    with datastore.get_connection() as conn:
        found = conn.execute(
            SQL(
                "SELECT max(notification_id) AS last, count(*) AS events FROM {schema}.{table} "
                "WHERE notification_id > %s AND notification_id <= %s"
            ).format(**names),
            (state.position, up_to),
        ).fetchone()
    last, events = (found["last"], found["events"]) if found else (None, 0)
    apply, reads = state.apply, state.reads
    # The payloads are compact canonical JSON objects: the decoder's scanner reads them without
    # json.loads' encoding detection and whitespace handling.
    scan: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009
    with closing(_read_ahead(datastore, statement, (state.position, up_to, families))) as read:
        for rows in read:
            for stream_id, version, position, topic, payload in rows:
                decoded = scan(payload.decode(), 0)[0] if reads(topic) else UNREAD
                apply(Fact(stream_id, version, position, topic, decoded))
            events -= len(rows)
            if on_page is not None:
                on_page(rows[-1][2], len(rows))
    if last is not None and last > state.position:
        state.skip_to(last)
        if on_page is not None:
            on_page(last, events)  # the events left out
    return state


_DONE = object()


def _read_ahead(
    datastore: PostgresDatastore, statement: Composed, parameters: tuple[object, ...]
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
            with datastore.get_connection() as conn, conn.transaction():
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
