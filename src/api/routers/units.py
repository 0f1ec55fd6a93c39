"""Windows and offices: their summary and their event history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import LedgerDep
from api.paging import history_page
from api.permissions import UnitReader
from api.problems import problem_responses
from api.schemas import HistoryPage, HistoryQuery, UnitCode, UnitSummary
from ledger.clock import local_date

router = APIRouter(
    prefix="/api/v1", tags=["units"], responses=problem_responses(401, 403, 404, 422, 503)
)


@router.get("/units/{code}", summary="窗口或处室概况 / a window's or office's summary")
def read_unit(
    code: UnitCode, reader: UnitReader, ledger: LedgerDep, response: Response
) -> UnitSummary:
    """A window or office as recorded now; the ETag is the version of its stream."""
    unit = ledger.unit(code)
    response.headers["ETag"] = f'"{unit.version}"'
    today = local_date(ledger.clock())
    return UnitSummary(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        department=unit.department,
        party_branch=unit.party_branch,
        today=today,
        head=unit.head_on(today),
        leader_in_charge=unit.leader_in_charge_on(today),
    )


@router.get("/units/{code}/events", summary="窗口或处室事件历史 / a unit's history")
def list_unit_events(
    code: UnitCode,
    reader: UnitReader,
    query: Annotated[HistoryQuery, Query()],
    ledger: LedgerDep,
    request: Request,
    response: Response,
) -> HistoryPage:
    """A window's or office's events, oldest or newest first, paged by log position."""
    ledger.unit(code)  # raises RecordNotFound (404) for an unknown code
    return history_page(ledger, ledger.unit_stream(code), query, request, response)
