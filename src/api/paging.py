"""Keyset paging of a record's history by log position, with the next page as a Link."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response

from api.schemas import HistoryEvent, HistoryOrder, HistoryPage, HistoryQuery
from ledger.application import AssessmentLedger


def history_page(
    ledger: AssessmentLedger,
    stream: UUID,
    query: HistoryQuery,
    request: Request,
    response: Response,
) -> HistoryPage:
    """One page of a stream's events; `next` and a Link header point on when more follow."""
    newest_first = query.order is HistoryOrder.NEWEST
    # One event more than asked for tells whether another page follows, without an empty last page.
    found = ledger.history(
        stream,
        after=query.after,
        before=query.before,
        limit=query.limit + 1,
        newest_first=newest_first,
        as_of=query.as_of,
    )
    items = found[: query.limit]
    next_url = None
    if len(found) > query.limit:
        last = items[-1].position
        cursor = {"before": last} if newest_first else {"after": last}
        next_url = str(request.url.include_query_params(**cursor))
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return HistoryPage(
        items=[
            HistoryEvent(
                position=item.position,
                version=item.version,
                event=item.event,
                recorded_at=item.recorded_at,
                payload=item.payload,
            )
            for item in items
        ],
        next=next_url,
    )
