"""Windows and offices: the list a reader may see, one unit's summary, its members on a day and
its event history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import LedgerDep
from api.paging import history_page
from api.permissions import DirectoryReader, UnitReader
from api.problems import problem_responses
from api.routing import resource_router
from api.schemas import HistoryPage, HistoryQuery, UnitCode, UnitSummary
from ledger.aggregates.window import Window
from ledger.clock import local_date
from ledger.values import StaffCategory

router = resource_router(
    prefix="/api/v1", tags=["units"], responses=problem_responses(401, 403, 404, 422, 503)
)


class UnitList(BaseModel):
    """窗口与处室名单 / The windows and offices the reader may read, in code order."""

    items: list[UnitSummary] = Field(
        description="窗口与处室 / the units, each with its head and leader in charge today"
    )


class UnitMember(BaseModel):
    """当日成员 / A staff member assigned to the unit on the day."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S0001"])
    name: str = Field(description="姓名 / name", examples=["张三"])
    category: StaffCategory = Field(
        description="人员类别 / registration-form category", examples=["civil_servant"]
    )
    since: date = Field(
        description="起始日期 / the first day of the assignment in force that day",
        examples=["2025-01-02"],
    )


class UnitMembers(BaseModel):
    """某日的窗口成员 / Who belonged to a window or office on a day (D-04): its members by
    their own assignments; a head counts only if assigned to the unit as well."""

    code: str = Field(description="窗口或处室代码 / unit code", examples=["W01"])
    on: date = Field(description="日期 / the day", examples=["2025-03-31"])
    head: str | None = Field(
        description="负责人 / the head that day, null if none (a member only if listed below)",
        examples=["S0002"],
    )
    leader_in_charge: str | None = Field(
        description="分管领导 / the leader in charge that day, null if none", examples=["S0150"]
    )
    count: int = Field(
        description="人数 / how many were assigned that day (D-04's headcount n is this, at "
        "least 1)",
        examples=[4],
    )
    members: list[UnitMember] = Field(description="成员 / the members, by staff number")


def _summary(unit: Window, today: date) -> UnitSummary:
    """A unit as recorded now, with its head and leader in charge today."""
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


@router.get("/units", summary="窗口与处室名单 / the windows and offices you may read")
def list_units(directory: DirectoryReader, ledger: LedgerDep) -> UnitList:
    """Every unit for the center-wide roles; for a head, leader in charge or branch secretary
    the units they read (a center has a few dozen: one page)."""
    today = local_date(ledger.clock())
    with ledger.policy_state() as state:
        codes = sorted(code for code in state.units if directory.shows_unit(code))
    return UnitList(items=[_summary(ledger.unit(code), today) for code in codes])


@router.get("/units/{code}", summary="窗口或处室概况 / a window's or office's summary")
def read_unit(
    code: UnitCode, reader: UnitReader, ledger: LedgerDep, response: Response
) -> UnitSummary:
    """A window or office as recorded now; the ETag is the version of its stream."""
    unit = ledger.unit(code)
    response.headers["ETag"] = f'"{unit.version}"'
    return _summary(unit, local_date(ledger.clock()))


@router.get("/units/{code}/members", summary="窗口或处室成员 / who belonged to a unit on a day")
def list_unit_members(
    code: UnitCode,
    reader: UnitReader,
    ledger: LedgerDep,
    on: Annotated[
        date | None,
        Query(description="日期 / the day (default: today at the center)", examples=["2025-03-31"]),
    ] = None,
) -> UnitMembers:
    """The staff assigned to the unit on the day, by their own dated assignments (SPEC 5: the
    one source of truth for membership; D-04 counts them on a quarter's last day)."""
    unit = ledger.unit(code)
    day = on if on is not None else local_date(ledger.clock())
    with ledger.policy_state() as state:
        found = []
        for number in sorted(state.members_ever(code)):
            record = state.staff[number]
            membership = record.membership_on(day)
            if membership is not None and membership.unit_code == code:
                found.append((number, record.category, membership.start))
    members = [
        UnitMember(
            staff_number=number, name=ledger.staff(number).name, category=category, since=since
        )
        for number, category, since in found
    ]
    return UnitMembers(
        code=code,
        on=day,
        head=unit.head_on(day),
        leader_in_charge=unit.leader_in_charge_on(day),
        count=len(members),
        members=members,
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
