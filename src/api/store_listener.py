"""The API process's one listener to PostgreSQL's notifications: new events (for the live feed)
and changed login accounts (for the account cache), on one connection held by one thread.

A listener that loses its connection says so (`on_lost`) before it reconnects, and says when it
hears again (`on_heard`), so that what depends on it can stop trusting what it remembers for the
time it could have missed a notification.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
"""How long the listener waits before it connects again after losing its connection."""
CHECK_SECONDS = 0.2
"""How often, at most, the listener looks up from waiting to see whether it should stop."""


@dataclass(frozen=True)
class Listening:
    """What one channel's notifications are for."""

    notified: Callable[[str], None]
    """Called with the payload of each notification, on the listener's thread."""
    on_heard: Callable[[], None] = lambda: None
    """Called once the channel is listened to (again): notifications from now on arrive."""
    on_lost: Callable[[], None] = lambda: None
    """Called when the connection is lost: notifications may have been missed."""


class StoreListener:
    """One thread listening to some channels of a PostgreSQL store."""

    def __init__(self, datastore: PostgresDatastore, channels: Mapping[str, Listening]) -> None:
        self._datastore = datastore
        self._channels = dict(channels)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="store-listener", daemon=True)

    def start(self) -> None:
        """Start listening (returns at once; `on_heard` says when notifications arrive)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and wait for the thread to end."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen_once()
            except Exception:
                if self._stopping.is_set():
                    return
                logger.exception("lost the store's notifications; listening again shortly")
            finally:
                for listening in self._channels.values():
                    listening.on_lost()
            self._stopping.wait(RETRY_SECONDS)

    def _listen_once(self) -> None:
        with self._datastore.get_connection() as connection:
            for channel in self._channels:
                connection.execute(SQL("LISTEN {channel}").format(channel=Identifier(channel)))
            try:
                for listening in self._channels.values():
                    listening.on_heard()
                while not self._stopping.is_set():
                    for notification in connection.notifies(timeout=CHECK_SECONDS):
                        self._channels[notification.channel].notified(notification.payload)
                        if self._stopping.is_set():
                            break
            finally:
                # The connection goes back to the pool: nobody should go on receiving these.
                if not connection.closed:
                    connection.execute("UNLISTEN *")
