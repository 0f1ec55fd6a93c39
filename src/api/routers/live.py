"""Live updates: a Server-Sent Events stream of the log for the center-wide dashboards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.auth import CurrentAccount
from api.deps import LedgerDep
from api.live import LogFeed
from api.problems import problem_responses
from api.routing import resource_router
from api.schemas import MAX_INT
from ledger.clock import local_date
from ledger.errors import RoleRequired
from ledger.values import Role

router = resource_router(
    prefix="/api/v1", tags=["live"], responses=problem_responses(401, 403, 422)
)

DASHBOARD_ROLES = (Role.SUPERVISION_CLERK, Role.LEADING_GROUP, Role.PARTY_WORKING_COMMITTEE)
"""Who reads the center-wide dashboards (SPEC section 5)."""


def dashboard_reader(account: CurrentAccount, ledger: LedgerDep) -> str:
    """The person, if they hold a center-wide reading role today (403 otherwise)."""
    today: date = local_date(ledger.clock())
    organisation = ledger.organisation()
    if organisation is None or not any(
        organisation.holds(account.person_id, role, today) for role in DASHBOARD_ROLES
    ):
        needed = " or ".join(role.value for role in DASHBOARD_ROLES)
        raise RoleRequired(needed, f"the live feed is for {needed}")
    return account.person_id


async def log_head(request: Request) -> int:
    """The log's head as the request arrives: where a stream asked for no position starts."""
    # A dependency, so it is read before the answer's headers go out: a client that records
    # an event once it sees them gets that event on the stream.
    feed: LogFeed = request.app.state.live
    return await feed.head_now()


@router.get(
    "/events/stream",
    response_class=EventSourceResponse,
    summary="实时事件流 / live stream of the log (SSE; resume with Last-Event-ID)",
)
async def stream_events(
    request: Request,
    reader: Annotated[str, Depends(dashboard_reader)],
    head: Annotated[int, Depends(log_head)],
    last_event_id: Annotated[
        str | None,
        Header(
            description=(
                "上次收到的事件编号 / the id of the last event received (its log position): the "
                "stream resumes after it; anything but a decimal number is ignored"
            ),
            examples=["2961"],
        ),
    ] = None,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_INT,
            description="从此位置之后 / events after this position",
            examples=[2961],
        ),
    ] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every event after `Last-Event-ID` (or `after`, or from now), then each new one: `id` is
    the log position, `event` the topic, `data` the envelope."""
    feed: LogFeed = request.app.state.live
    start = head if after is None else after
    # A browser echoes whatever id it last saw; only ASCII digits are a position ("²" is a
    # digit to str.isdigit but not to int).
    if last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        start = min(int(last_event_id), MAX_INT)
    async for envelope in feed.envelopes(start):
        yield ServerSentEvent(
            id=str(envelope.position), event=envelope.topic, data=envelope.as_data()
        )
