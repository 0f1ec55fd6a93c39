"""The worker threads the plain `def` endpoints run on, one process-wide pool.

Starlette's `run_in_threadpool` (anyio's `to_thread.run_sync`) takes a capacity token, opens a
shielded cancel scope and checkpoints before it hands a call over. Measured here on a request
arriving after the process sat idle (`bench/api.py` at its fixed rate; a vCPU that halts
between requests wakes with cold caches), that hop there and back costs about 0.2 ms; this pool's
costs under 0.08 ms: a queue put, the call on a worker, and `call_soon_threadsafe` back to the
waiting loop. The semantics kept from anyio are the ones the endpoints rely on: a bounded number
of threads, created when needed and ended when idle; the caller's context variables; a call
that, once started, runs to its end even if its caller is cancelled (a command is recorded
whole or not at all; the idempotency key makes a retry safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")

MAX_THREADS = 40
"""As many threads as anyio's default limiter allows: calls beyond that wait their turn."""

IDLE_SECONDS = 10.0
"""A worker idle this long ends (anyio's figure too); the next busy moment starts another."""

_Call = tuple["asyncio.Future[Any]", contextvars.Context, Callable[[], Any]]


class ThreadPool:
    """Worker threads that run plain functions for coroutines on any event loop."""

    def __init__(self, max_threads: int = MAX_THREADS, idle_seconds: float = IDLE_SECONDS) -> None:
        self._max_threads = max_threads
        self._idle_seconds = idle_seconds
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Under the lock: the threads alive, those of them waiting for a call and not yet
        # promised one, and the calls queued with no thread promised to them.
        self._threads = 0
        self._idle = 0
        self._waiting_calls = 0

    @property
    def threads(self) -> int:
        """How many worker threads are alive."""
        return self._threads

    async def run(self, function: Callable[..., Result], /, *args: Any, **kwargs: Any) -> Result:
        """Run `function(*args, **kwargs)` on a worker thread and return what it returns."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        call = functools.partial(function, *args, **kwargs)
        with self._lock:
            if self._idle:
                self._idle -= 1
            elif self._threads < self._max_threads:
                self._threads += 1
                threading.Thread(target=self._work, name="endpoint-worker", daemon=True).start()
            else:
                self._waiting_calls += 1
        self._calls.put((future, contextvars.copy_context(), call))
        return await future

    def _work(self) -> None:
        while True:
            try:
                future, context, call = self._calls.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._idle:  # nobody has been promised this thread: it ends
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue  # a call was promised to this thread as it timed out: it is queued
            try:
                result = context.run(call)
            except BaseException as error:  # handed to the caller, whatever it is
                _deliver(future, _fail, error)
            else:
                _deliver(future, _succeed, result)
            del future, context, call  # nothing of a finished call is kept while waiting
            with self._lock:
                if self._waiting_calls:
                    self._waiting_calls -= 1  # this thread takes a queued call next
                else:
                    self._idle += 1


def _deliver(future: asyncio.Future[Any], settle: Callable[..., None], value: object) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        future.get_loop().call_soon_threadsafe(settle, future, value)


def _succeed(future: asyncio.Future[Any], result: object) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)


@functools.cache
def shared_pool() -> ThreadPool:
    """The process's one pool for endpoints and dependencies (made on first use, not import)."""
    return ThreadPool()
