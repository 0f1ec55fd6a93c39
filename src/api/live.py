"""Live updates for dashboards (issue 6 item 5): Server-Sent Events from the notification log.

One background subscriber per process follows the log — the library's LISTEN/NOTIFY subscription
on PostgreSQL, polling on the embedded store (its recorder cannot subscribe) — and keeps the
latest envelopes in memory. Each open stream is an `async` generator that reads that memory and
waits on an asyncio condition, so open streams hold no thread of the pool the commands use; a
client resuming from further back than memory reaches is served from the store on a reader
thread of the feed's own. The SSE `id` is the log position, so `Last-Event-ID` resumes exactly.

Only envelopes are sent (position, record stream, version, topic, recorded_at): a dashboard
that needs the figures asks for them with `min_position` set to the event's id.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.application import AssessmentLedger

logger = logging.getLogger(__name__)

MEMORY = 10_000
"""Envelopes kept in memory for streams to read (older ones are read from the store)."""
POLL_SECONDS = 0.25
"""How often the embedded store is polled for new events."""
PAGE = 500


@dataclass(frozen=True)
class Envelope:
    """What a stream sends for one event."""

    position: int
    stream_id: str
    version: int
    topic: str

    def as_data(self) -> dict[str, Any]:
        """The SSE data object."""
        return {
            "position": self.position,
            "stream_id": self.stream_id,
            "version": self.version,
            "topic": self.topic,
        }


def _envelope(notification: Notification) -> Envelope:
    return Envelope(
        notification.id,
        str(notification.originator_id),
        notification.originator_version,
        notification.topic,
    )


class LogFeed:
    """The process's one follower of the log, and the streams' shared memory of it."""

    def __init__(self, ledger: AssessmentLedger) -> None:
        self._ledger = ledger
        self._recent: deque[Envelope] = deque(maxlen=MEMORY)
        self._head = ledger.head_position()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Condition | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscription: Any = None
        # Streams waiting for the head to move: with none, a new event wakes nobody (a wake is
        # a hop onto the event loop, which the requests being answered share).
        self._waiting = 0
        # Backfill reads of resuming clients: their own thread, never the commands' pool.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-reader")

    @property
    def head(self) -> int:
        """The last position the feed has seen."""
        return self._head

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start following the log; streams run on `loop`."""
        self._loop = loop
        self._changed = asyncio.Condition()
        self._thread = threading.Thread(target=self._follow, name="live-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following and wake every stream so it can end."""
        self._stopping.set()
        if self._subscription is not None:
            self._subscription.stop()
        if self._thread is not None:
            self._thread.join(5)
        self._reader.shutdown(wait=False, cancel_futures=True)
        self._wake()

    def _follow(self) -> None:
        recorder = self._ledger.recorder
        try:
            if isinstance(recorder, PostgresApplicationRecorder):
                with recorder.subscribe(gt=self._head) as subscription:
                    self._subscription = subscription
                    for notification in subscription:
                        self._seen([notification])
                        if self._stopping.is_set():
                            break
            else:
                while not self._stopping.wait(POLL_SECONDS):
                    while page := recorder.select_notifications(start=self._head + 1, limit=PAGE):
                        self._seen(page)
        except Exception:
            if not self._stopping.is_set():
                logger.exception("the live feed stopped following the log")

    def _seen(self, notifications: Sequence[Notification]) -> None:
        self._recent.extend(_envelope(n) for n in notifications)
        # The head first, then the count: a stream that starts waiting after the count was read
        # here checks the head after it counted itself, and finds it moved.
        self._head = notifications[-1].id
        if self._waiting:
            self._wake()

    def _wake(self) -> None:
        loop, changed = self._loop, self._changed
        if loop is None or changed is None or loop.is_closed():
            return

        async def notify() -> None:
            async with changed:
                changed.notify_all()

        asyncio.run_coroutine_threadsafe(notify(), loop)

    async def envelopes(self, after: int) -> AsyncIterator[Envelope]:
        """Every event after `after`, then each new one as it comes (FastAPI sends the
        keep-alive comments while this waits)."""
        assert self._changed is not None, "the feed is not started"
        changed = self._changed
        position = after
        while not self._stopping.is_set():
            batch = self._from_memory(position)
            if batch is None:  # older than memory: read the store on the feed's own thread
                loop = asyncio.get_running_loop()
                batch = await loop.run_in_executor(self._reader, self._from_store, position)
            for envelope in batch:
                yield envelope
                position = envelope.position
            if batch:
                continue
            self._waiting += 1
            try:
                async with changed:
                    await changed.wait_for(functools.partial(self._moved_past, position))
            finally:
                self._waiting -= 1

    def _moved_past(self, position: int) -> bool:
        return self._head > position or self._stopping.is_set()

    def _from_memory(self, after: int) -> list[Envelope] | None:
        recent = list(self._recent)
        if after >= self._head:
            return []
        if recent and recent[0].position <= after + 1:
            return [envelope for envelope in recent if envelope.position > after]
        if not recent and after >= self._head:
            return []
        return None

    def _from_store(self, after: int) -> list[Envelope]:
        page = self._ledger.recorder.select_notifications(start=after + 1, limit=PAGE)
        return [_envelope(n) for n in page]
