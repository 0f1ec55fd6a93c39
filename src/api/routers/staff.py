"""Staff members: their summary and their event history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import LedgerDep
from api.paging import history_page
from api.permissions import StaffReader
from api.problems import problem_responses
from api.schemas import CurrentAssignment, HistoryPage, HistoryQuery, StaffNumber, StaffSummary

router = APIRouter(
    prefix="/api/v1", tags=["staff"], responses=problem_responses(401, 403, 404, 422, 503)
)


@router.get("/staff/{staff_number}", summary="员工概况 / a staff member's summary")
def read_staff_member(
    staff_number: StaffNumber, reader: StaffReader, ledger: LedgerDep, response: Response
) -> StaffSummary:
    """A staff member as recorded now; the ETag is the version of their stream."""
    staff = ledger.staff(staff_number)
    response.headers["ETag"] = f'"{staff.version}"'
    current = staff.current_assignment
    return StaffSummary(
        staff_number=staff.staff_number,
        name=staff.name,
        category=staff.category,
        home_unit=staff.home_unit,
        assignment=(
            CurrentAssignment(unit_code=current.unit_code, since=current.start)
            if current is not None
            else None
        ),
        deductions_in_force=sum(not entry.revoked for entry in staff.deductions.values()),
        veto_cases_in_force=sum(not entry.revoked for entry in staff.vetoes.values()),
    )


@router.get("/staff/{staff_number}/events", summary="员工事件历史 / a staff member's history")
def list_staff_events(
    staff_number: StaffNumber,
    reader: StaffReader,
    query: Annotated[HistoryQuery, Query()],
    ledger: LedgerDep,
    request: Request,
    response: Response,
) -> HistoryPage:
    """A staff member's events, oldest or newest first, paged by log position."""
    ledger.staff(staff_number)  # raises RecordNotFound (404) for an unregistered number
    return history_page(ledger, ledger.staff_stream(staff_number), query, request, response)
