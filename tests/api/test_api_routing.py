"""The API's route class (issue 6 items 1 and 8): a plain `def` endpoint runs in the thread pool,
never on the event loop, and its answer is still validated against the response model, in one
hop to the pool instead of FastAPI's two."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.app import create_app
from api.routing import OneHopRoute, resource_router


class Where(BaseModel):
    thread: int


def _app() -> FastAPI:
    router = resource_router()

    @router.get("/plain")
    def plain() -> Where:
        return Where(thread=threading.get_ident())

    @router.get("/on-the-loop")
    async def on_the_loop() -> Where:
        return Where(thread=threading.get_ident())

    @router.get("/wrong")
    def wrong() -> Where:
        return {"thread": "not a number"}  # type: ignore[return-value]

    app = FastAPI()
    app.include_router(router)
    return app


def test_a_plain_endpoint_runs_in_the_thread_pool_not_on_the_event_loop() -> None:
    # given an app with a plain and an async endpoint on the route class
    with TestClient(_app()) as client:
        # when both are asked
        plain = client.get("/plain").json()["thread"]
        loop = client.get("/on-the-loop").json()["thread"]
    # then the plain one ran on another thread than the event loop's
    assert plain != loop


def test_a_plain_endpoints_answer_is_still_checked_against_its_model() -> None:
    # given a plain endpoint whose answer does not fit its response model
    with (
        TestClient(_app(), raise_server_exceptions=True) as client,
        # when it is asked, then FastAPI refuses the answer, as for any route
        pytest.raises(ResponseValidationError),
    ):
        client.get("/wrong")


def test_every_route_of_the_api_uses_the_route_class() -> None:
    # given the API
    app = create_app()
    # when its /api/v1 routes are listed
    routes = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and (context.path or "").startswith(("/api/v1", "/healthz", "/readyz"))
    ]
    # then each is a OneHopRoute (a router made without `resource_router` would show here)
    assert routes
    assert [route.path for route in routes if not isinstance(route, OneHopRoute)] == []
