"""Live updates for dashboards (issue 6 item 5): Server-Sent Events from the notification log.

One background subscriber per process follows the log — told of new events by the process's
listener to PostgreSQL's notifications (LISTEN/NOTIFY, `api.store_listener`), polling on the
embedded store (which notifies nobody) — and keeps the latest envelopes in memory. It reads the
log only while a stream is open, so a process with no dashboard attached pays nothing per event.
Each open stream is an `async` generator that reads that memory and waits on an asyncio
condition, so open streams hold no thread of the pool the commands use; a client resuming from
further back than memory reaches is served from the store on a reader thread of the feed's own.
The SSE `id` is the log position, so `Last-Event-ID` resumes exactly.

Only envelopes are sent (position, record stream, version, topic, recorded_at): a dashboard
that needs the figures asks for them with `min_position` set to the event's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from api.store_listener import Listening
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
    """The process's one follower of the log, and the streams' shared memory of it.

    It reads the log only while a stream is open. With none, a new event costs a flag (the
    memory is behind), not a read of the store in the process answering the commands; the first
    stream to open catches up.
    """

    def __init__(self, ledger: AssessmentLedger) -> None:
        self._ledger = ledger
        self._recent: deque[Envelope] = deque(maxlen=MEMORY)
        self._head = ledger.head_position()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Condition | None = None
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None
        # Open streams and, of those, the ones waiting for the head to move (both changed on the
        # event loop only). With none waiting, a new event wakes nobody: a wake is a hop onto
        # the event loop, which the requests being answered share.
        self._streams = 0
        self._waiting = 0
        # Events were written while no stream was open, and not read: the memory is behind.
        self._behind = False
        # Every read of the log happens on this one thread, so catching up never races itself,
        # and never on the commands' pool.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-reader")

    def listening(self) -> Listening:
        """What the store's listener should do with the events channel (PostgreSQL)."""
        # After a lost connection, hearing again is a moment to catch up on what was missed.
        return Listening(notified=lambda _payload: self.moved(), on_heard=self.moved)

    def start(self, loop: asyncio.AbstractEventLoop, *, poll: bool) -> None:
        """Serve streams on `loop`; with `poll`, look for new events every POLL_SECONDS (the
        embedded stores, which notify nobody), else wait to be told by `moved`."""
        self._loop = loop
        self._changed = asyncio.Condition()
        if poll:
            self._poller = threading.Thread(target=self._poll, name="live-poller", daemon=True)
            self._poller.start()

    def stop(self) -> None:
        """Stop following and wake every stream so it can end."""
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(5)
        self._reader.shutdown(wait=False, cancel_futures=True)
        self._wake()

    def moved(self) -> None:
        """New events may have been written (called from the listener's or poller's thread)."""
        if self._streams == 0:
            self._behind = True
            return
        with contextlib.suppress(RuntimeError):  # shut down: the process is stopping
            self._reader.submit(self._catch_up)

    def _poll(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            self.moved()

    def _catch_up(self) -> None:
        """Read what was written since the head (on the reader thread)."""
        try:
            if self._streams == 0:
                self._behind = True
            elif self._behind:
                # What was written while nobody listened is left in the store: streams that
                # need it read it from there. The memory starts again at the head.
                self._behind = False
                self._recent.clear()
                self._head = max(self._head, self._ledger.head_position())
                self._wake_waiting()
            else:
                recorder = self._ledger.recorder
                while page := recorder.select_notifications(start=self._head + 1, limit=PAGE):
                    self._seen(page)
        except Exception:
            if not self._stopping.is_set():
                logger.exception("the live feed could not read the log")

    def _seen(self, notifications: Sequence[Notification]) -> None:
        self._recent.extend(_envelope(n) for n in notifications)
        # The head first, then the count: a stream that starts waiting after the count was read
        # here checks the head after it counted itself, and finds it moved.
        self._head = notifications[-1].id
        self._wake_waiting()

    def _wake_waiting(self) -> None:
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

    async def head_now(self) -> int:
        """The log's head as it is now, read from the store (on the reader thread)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, self._ledger.head_position)

    async def envelopes(self, after: int) -> AsyncIterator[Envelope]:
        """Every event after `after`, then each new one as it comes (FastAPI sends the
        keep-alive comments while this waits)."""
        assert self._changed is not None, "the feed is not started"
        changed = self._changed
        loop = asyncio.get_running_loop()
        self._streams += 1
        try:
            await loop.run_in_executor(self._reader, self._catch_up)
            position = after
            while not self._stopping.is_set():
                batch = self._from_memory(position)
                if batch is None:  # older than memory: read the store on the reader thread
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
        finally:
            self._streams -= 1

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
