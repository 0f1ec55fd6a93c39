"""Staff members: the list a reader may see, one member's summary and their event history."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import LedgerDep
from api.paging import history_page
from api.permissions import UNIT_READERS, DirectoryReader, StaffReader
from api.problems import problem_responses
from api.routing import resource_router
from api.schemas import CurrentAssignment, HistoryPage, HistoryQuery, StaffNumber, StaffSummary
from ledger.aggregates.staff import Staff
from ledger.errors import RoleRequired
from ledger.policy.facts import StaffRecord
from ledger.values import StaffCategory

router = resource_router(
    prefix="/api/v1", tags=["staff"], responses=problem_responses(401, 403, 404, 422, 503)
)


class StaffQuery(BaseModel):
    """Which staff members, keyset-paged by staff number."""

    model_config = ConfigDict(extra="forbid")

    unit: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="单位 / only the people assigned to this window or office now",
        examples=["W01"],
    )
    after: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="起始编号之后 / only staff numbers after this one (the next page's cursor)",
        examples=["S0050"],
    )
    limit: int = Field(
        default=50, ge=1, le=500, description="每页人数 / staff members per page", examples=[50]
    )


class StaffListItem(BaseModel):
    """名单中的员工 / A staff member in a list: who they are and where they work now."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S0001"])
    name: str = Field(description="姓名 / name", examples=["张三"])
    category: StaffCategory = Field(
        description="人员类别 / registration-form category", examples=["civil_servant"]
    )
    home_unit: str = Field(description="派驻单位 / home unit (department)", examples=["Tax bureau"])
    assignment: CurrentAssignment | None = Field(
        description="当前所在窗口 / current assignment, null when unassigned"
    )


class StaffPage(BaseModel):
    """员工名单的一页 / A page of the staff members the reader may read, in staff-number
    order."""

    items: list[StaffListItem] = Field(description="员工 / the staff members of this page")
    next: str | None = Field(
        description="下一页 / URL of the next page, null on the last page",
        examples=["http://127.0.0.1:8000/api/v1/staff?limit=50&after=S0050"],
    )


def _current_unit(record: StaffRecord) -> str | None:
    """The unit of the person's open assignment (as `Staff.current_assignment`), if any."""
    if record.memberships and record.memberships[-1].end is None:
        return record.memberships[-1].unit_code
    return None


def _assignment(staff: Staff) -> CurrentAssignment | None:
    current = staff.current_assignment
    if current is None:
        return None
    return CurrentAssignment(unit_code=current.unit_code, since=current.start)


def _item(staff: Staff) -> StaffListItem:
    return StaffListItem(
        staff_number=staff.staff_number,
        name=staff.name,
        category=staff.category,
        home_unit=staff.home_unit,
        assignment=_assignment(staff),
    )


@router.get("/staff", summary="员工名单 / the staff members you may read")
def list_staff(
    directory: DirectoryReader,
    query: Annotated[StaffQuery, Query()],
    ledger: LedgerDep,
    request: Request,
    response: Response,
) -> StaffPage:
    """Every staff member for the center-wide roles; for a head, leader in charge or branch
    secretary, everyone ever assigned to their units (whom they read one by one). Paged by staff
    number: `next` and a Link header point on when more follow."""
    if query.unit is not None:
        ledger.unit(query.unit)  # RecordNotFound (404) for an unknown code
        if not directory.shows_unit(query.unit):
            raise RoleRequired(UNIT_READERS, f"you may not read unit {query.unit}'s people")
    with ledger.policy_state() as state:
        numbers = [
            number
            for number, record in sorted(state.staff.items())
            if (query.after is None or number > query.after)
            and (query.unit is None or _current_unit(record) == query.unit)
            and directory.shows_person({m.unit_code for m in record.memberships})
        ]
    # One more than asked for tells whether another page follows, as for histories.
    page = numbers[: query.limit]
    next_url = None
    if len(numbers) > query.limit:
        next_url = str(request.url.include_query_params(after=page[-1]))
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return StaffPage(items=[_item(ledger.staff(number)) for number in page], next=next_url)


@router.get("/staff/{staff_number}", summary="员工概况 / a staff member's summary")
def read_staff_member(
    staff_number: StaffNumber, reader: StaffReader, ledger: LedgerDep, response: Response
) -> StaffSummary:
    """A staff member as recorded now; the ETag is the version of their stream."""
    staff = ledger.staff(staff_number)
    response.headers["ETag"] = f'"{staff.version}"'
    return StaffSummary(
        staff_number=staff.staff_number,
        name=staff.name,
        category=staff.category,
        home_unit=staff.home_unit,
        assignment=_assignment(staff),
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
