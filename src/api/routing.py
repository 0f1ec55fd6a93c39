"""The route class every router of the API uses: a plain `def` endpoint runs in the thread pool
in one hop.

FastAPI runs a `def` endpoint in the thread pool and then, because the endpoint is not a
coroutine, hops to the pool a second time only to validate the answer against the response
model. Measured here, that second hop (there and back) is about 0.2 ms of a request's framework
cost of 0.5-0.75 ms (`bench/api.py`). This class hands FastAPI a coroutine that awaits the
endpoint in the pool, so the answer is validated on the event loop, as for an `async` endpoint.
The endpoints stay plain functions: the store is synchronous and they must never run on the
loop. The hop itself goes to the API's own pool (`api.thread_pool`), cheaper than anyio's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from api.thread_pool import shared_pool


def in_thread_pool(endpoint: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """A coroutine function with `endpoint`'s signature that runs it in the thread pool."""

    @functools.wraps(endpoint)  # FastAPI reads parameters and annotations through __wrapped__
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await shared_pool().run(endpoint, *args, **kwargs)

    return run


def _plain(endpoint: Callable[..., Any]) -> bool:
    """A plain function: no coroutine, and no generator (a stream FastAPI iterates itself)."""
    return not (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
    )


class OneHopRoute(APIRoute):
    """An APIRoute whose plain `def` endpoint, with its answer's validation, costs one hop to
    the thread pool instead of two."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if _plain(endpoint):
            endpoint = in_thread_pool(endpoint)
        super().__init__(path, endpoint, **kwargs)


def resource_router(**kwargs: Any) -> APIRouter:
    """An APIRouter for one resource of the API, with the route class every router uses."""
    return APIRouter(route_class=OneHopRoute, **kwargs)
