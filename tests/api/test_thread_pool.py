"""The API's worker threads (issue 6 items 1 and 8): plain endpoints run there, off the event
loop, with what anyio's pool promised them: results and errors handed back, the caller's
context, a bound on threads, and idle threads ended."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from api.thread_pool import ThreadPool

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


def test_a_call_runs_on_a_worker_thread_and_its_result_comes_back() -> None:
    # given a pool
    pool = ThreadPool()

    async def call() -> tuple[int, int]:
        loop_thread = threading.get_ident()
        # when a function is run on it
        worker_thread = await pool.run(threading.get_ident)
        return loop_thread, worker_thread

    loop_thread, worker_thread = asyncio.run(call())
    # then it ran on another thread than the event loop's, and its answer came back
    assert worker_thread != loop_thread


def test_arguments_reach_the_function() -> None:
    # given a pool
    pool = ThreadPool()
    # when a function is run with positional and keyword arguments
    result = asyncio.run(pool.run(divmod, 17, 5)), asyncio.run(pool.run(int, "ff", base=16))
    # then it got them
    assert result == ((3, 2), 255)


def test_an_error_raised_on_the_worker_is_raised_to_the_caller() -> None:
    # given a pool and a function that refuses
    pool = ThreadPool()

    def refuse() -> None:
        raise LookupError("no such staff member")

    # when it is run, then the caller sees the same error
    with pytest.raises(LookupError, match="no such staff member"):
        asyncio.run(pool.run(refuse))


def test_the_callers_context_variables_are_seen_on_the_worker() -> None:
    # given a context variable set by the caller
    pool = ThreadPool()

    async def call() -> str:
        request_id.set("req-42")
        return await pool.run(request_id.get)

    # when a function reads it on the worker, then it sees the caller's value
    assert asyncio.run(call()) == "req-42"


def test_calls_beyond_the_thread_bound_wait_their_turn_and_all_complete() -> None:
    # given a pool of two threads and five calls that each wait until three have started
    pool = ThreadPool(max_threads=2)
    started = threading.Semaphore(0)
    release = threading.Event()
    most_at_once = 0
    running = 0
    lock = threading.Lock()

    def work(number: int) -> int:
        nonlocal most_at_once, running
        with lock:
            running += 1
            most_at_once = max(most_at_once, running)
        started.release()
        release.wait(5)
        with lock:
            running -= 1
        return number

    async def calls() -> list[int]:
        tasks = [asyncio.ensure_future(pool.run(work, n)) for n in range(5)]
        # when the first two have started, the rest are let go
        await asyncio.get_running_loop().run_in_executor(None, _acquire_twice, started)
        release.set()
        return list(await asyncio.gather(*tasks))

    # then every call completed, never more than two at once, on at most two threads
    assert asyncio.run(calls()) == [0, 1, 2, 3, 4]
    assert most_at_once == 2
    assert pool.threads <= 2


def _acquire_twice(semaphore: threading.Semaphore) -> None:
    for _ in range(2):
        assert semaphore.acquire(timeout=5)


def test_an_idle_thread_ends_and_a_later_call_starts_another() -> None:
    # given a pool whose threads end after a short idle time, and one call run on it
    pool = ThreadPool(idle_seconds=0.05)
    first = asyncio.run(pool.run(threading.current_thread))
    # when that thread has been idle longer than that
    first.join(5)
    # then it ended, and a later call still runs, on a new thread
    assert not first.is_alive()
    assert pool.threads in (0, 1)
    assert asyncio.run(pool.run(lambda: 7)) == 7


def test_a_started_call_runs_to_its_end_when_its_caller_is_cancelled() -> None:
    # given a call that is running on a worker
    pool = ThreadPool()
    started = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def command() -> None:
        started.set()
        release.wait(5)
        finished.set()

    async def cancel_while_running() -> None:
        task = asyncio.ensure_future(pool.run(command))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        # when its caller is cancelled
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()

    asyncio.run(cancel_while_running())
    # then the call still ran to its end (a command is recorded whole or not at all)
    assert finished.wait(5)
