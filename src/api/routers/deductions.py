"""Deductions against a staff member (R-01, R-03, R-20, R-40, R-42): read them as they stand,
record, notify, amend and revoke. Recording appends to the record (the server's expected
version, retried once on a concurrent write); amending and revoking change an existing entry and
need If-Match."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor, answer, appended, required_version
from api.deps import LedgerDep
from api.permissions import StaffReader
from api.problems import problem_responses
from api.routing import resource_router
from api.schemas import MAX_INT, StaffNumber
from ledger.aggregates.staff import Deduction, ObjectionOutcome, Staff
from ledger.application import AssessmentLedger, Outcome
from ledger.errors import RecordNotFound, RuleViolation
from ledger.policy.facts import Change, Entry
from ledger.values import DeductionSource, Role, format_points

router = resource_router(
    prefix="/api/v1/staff/{staff_number}/deductions",
    tags=["deductions"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)

EntryNumber = Annotated[
    int,
    Path(ge=1, le=MAX_INT, description="扣分编号 / the entry's number in the record", examples=[3]),
]


class ActingAs(StrEnum):
    """以何角色 / The roles these commands may be made in (SPEC section 5):
    `supervision_clerk` 督查室工作人员 (the supervision clerk), `leading_group` 考核领导小组 (the
    leading group, e.g. to give points other than the catalogue's)."""

    SUPERVISION_CLERK = "supervision_clerk"
    LEADING_GROUP = "leading_group"


ActingAsQuery = Annotated[
    ActingAs,
    Query(
        description="以何角色 / the role you act in (you must hold it that day)",
        examples=["supervision_clerk"],
    ),
]


class DeductionRecording(BaseModel):
    """待记录的扣分 / A deduction to record (R-01: a catalogue item; R-03: one entry per
    incident)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_code": "ATT-01",
                    "occurred_on": "2025-03-03",
                    "incident_ref": "INC-2025-0301",
                    "evidence_ref": "photo://2025/03/03/1.jpg",
                    "source": "supervision_inspection",
                }
            ]
        },
    )

    item_code: str = Field(
        min_length=1, max_length=40, description="条目 / catalogue item", examples=["ATT-01"]
    )
    occurred_on: date = Field(
        description="发生日期 / the day the incident occurred (R-20)", examples=["2025-03-03"]
    )
    incident_ref: str = Field(
        min_length=1, max_length=200, description="事件编号 / incident", examples=["INC-2025-0301"]
    )
    evidence_ref: str = Field(
        min_length=1,
        max_length=500,
        description="证据 / evidence",
        examples=["photo://2025/03/03/1.jpg"],
    )
    source: DeductionSource = Field(
        description="来源 / where the entry comes from", examples=["supervision_inspection"]
    )
    quantity: int = Field(
        default=1, ge=1, le=1000, description="数量 / how many times", examples=[1]
    )
    points: Decimal | None = Field(
        default=None,
        description="分值 / points within the item's range, in steps of 0.5",
        examples=["0.5"],
    )
    override_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="改分理由 / why the points differ from the catalogue's (the leading group "
        "only, R-01)",
        examples=["情节轻微，考核领导小组决定减半扣分"],
    )
    decision_ref: str | None = Field(
        default=None,
        max_length=200,
        description="决定 / a leading-group decision (R-03)",
        examples=["LG-2025-04"],
    )


class Amendment(BaseModel):
    """扣分更正 / New points or quantity for an entry, with the reason and the decision it
    implements."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_on": "2025-03-07",
                    "reason": "absent the whole day, not half of it",
                    "quantity": 2,
                    "decision_ref": "SV-2025-12",
                }
            ]
        },
    )

    effective_on: date = Field(
        description="生效日期 / the day the amendment takes effect", examples=["2025-03-07"]
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="理由 / why (R-42)",
        examples=["absent the whole day, not half of it"],
    )
    quantity: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="新数量 / the new quantity, if it changes",
        examples=[2],
    )
    points: Decimal | None = Field(
        default=None,
        description="新分值 / the new points, in steps of 0.5, if they change",
        examples=["1.0"],
    )
    decision_ref: str | None = Field(
        default=None,
        max_length=200,
        description="决定 / the decision it implements",
        examples=["SV-2025-12"],
    )


class Revocation(BaseModel):
    """撤销扣分 / An entry withdrawn, with the reason and the decision it implements."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_on": "2025-03-07",
                    "reason": "recorded in error",
                    "decision_ref": "SV-2025-13",
                }
            ]
        },
    )

    effective_on: date = Field(
        description="生效日期 / the day the revocation takes effect", examples=["2025-03-07"]
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="理由 / why (R-42)",
        examples=["recorded in error"],
    )
    decision_ref: str | None = Field(
        default=None,
        max_length=200,
        description="决定 / the decision it implements",
        examples=["SV-2025-13"],
    )


class Notification(BaseModel):
    """扣分通知 / The day the staff member was told of the entry (starts the R-40 objection
    clock)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"effective_on": "2025-03-10"}]}
    )

    effective_on: date = Field(
        description="通知日期 / the day the staff member was told", examples=["2025-03-10"]
    )


class EntryChange(BaseModel):
    """更正或撤销 / An amendment or the revocation of an entry: a new event naming its
    decision (R-42)."""

    effective_on: date = Field(
        description="生效日期 / the day it took effect", examples=["2025-03-07"]
    )
    reason: str = Field(
        description="理由 / why, as recorded with it (what an appeal reviewer reads)",
        examples=["打卡记录证实当日已请假 / the attendance record shows leave that day"],
    )
    decision_ref: str | None = Field(
        description="决定 / the decision it implements", examples=["SV-2025-12"]
    )
    points: str | None = Field(
        description="新分值 / an amendment's new points (null: unchanged, or a revocation)",
        examples=["1.0"],
    )
    quantity: int | None = Field(
        description="新数量 / an amendment's new quantity (null: unchanged, or a revocation)",
        examples=[1],
    )


class EntryObjection(BaseModel):
    """对扣分的异议 / An objection the staff member raised against the entry (R-40)."""

    number: int = Field(description="异议编号 / the objection's number", examples=[9])
    notice: int = Field(
        description="通知次序 / which notice it answers (1: the entry's own notification, then "
        "one per notified amendment)",
        examples=[1],
    )
    raised_on: date = Field(description="提出日期 / the day it was raised", examples=["2025-03-11"])
    outcome: ObjectionOutcome | None = Field(
        description="结果 / upheld, amended or revoked; null while undecided", examples=["amended"]
    )
    decided_on: date | None = Field(
        description="决定日期 / the day it was decided", examples=["2025-03-14"]
    )


class StaffDeduction(BaseModel):
    """员工扣分条目 / A deduction on a staff member as it stands now: amendments applied, a
    revoked entry marked, its notices and the objections to it."""

    number: int = Field(description="扣分编号 / the entry's number in the record", examples=[3])
    item_code: str = Field(description="条目 / catalogue item", examples=["ATT-01"])
    catalogue_version: int = Field(
        description="目录版本 / the catalogue version in force on the incident date", examples=[1]
    )
    quantity: int = Field(description="数量 / how many times, as amended", examples=[1])
    points_applied: str = Field(
        description="扣分 / the points applied, as amended", examples=["0.5"]
    )
    occurred_on: date = Field(
        description="发生日期 / the day the incident occurred (R-20)", examples=["2025-03-03"]
    )
    incident_ref: str = Field(description="事件编号 / incident", examples=["INC-2025-0301"])
    source: DeductionSource = Field(
        description="来源 / where the entry comes from (who decides an objection, R-40)",
        examples=["supervision_inspection"],
    )
    notified_on: date | None = Field(
        description="通知日期 / the day the staff member was told of the entry, null if not yet",
        examples=["2025-03-10"],
    )
    last_notice_on: date | None = Field(
        description="最近通知 / the day of the latest notice (the entry's or an amendment's)",
        examples=["2025-03-10"],
    )
    objection_due_on: date | None = Field(
        description="异议截止 / the last day to object to the latest notice (R-40: the policy's "
        "working days); null if not notified, revoked, or the calendar is not loaded",
        examples=["2025-03-17"],
    )
    amendments: list[EntryChange] = Field(description="更正 / its amendments, in order")
    revoked: bool = Field(description="已撤销 / no longer counts", examples=[False])
    revocation: EntryChange | None = Field(description="撤销 / its revocation, if revoked")
    objections: list[EntryObjection] = Field(description="异议 / objections to it, by number")


class StaffDeductions(BaseModel):
    """员工的扣分 / A staff member's deductions, revoked ones included and marked."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S0001"])
    items: list[StaffDeduction] = Field(description="扣分 / the entries, by number")


class CommandResult(BaseModel):
    """命令记录的结果 / What a command recorded."""

    position: int = Field(
        description="日志位置 / the log position it wrote (read-your-writes)", examples=[3120]
    )
    number: int | None = Field(
        default=None, description="编号 / the entry's number, if new", examples=[4]
    )
    record_version: int = Field(
        description="记录版本 / the record's version now (its ETag)", examples=[9]
    )
    replayed: bool = Field(
        description="重放 / true when an idempotent retry replayed it", examples=[False]
    )


def command_result(outcome: Outcome, record: UUID) -> CommandResult:
    """The answer of a command that changed `record` (a staff member's or a window's)."""
    version = next(v for changed, v in outcome.records if changed == str(record))
    return CommandResult(
        position=outcome.position,
        number=outcome.number,
        record_version=version,
        replayed=outcome.replayed,
    )


def _result(ledger: AssessmentLedger, staff_number: str, outcome: Outcome) -> CommandResult:
    return command_result(outcome, ledger.staff_stream(staff_number))


def _change(change: Change) -> EntryChange:
    return EntryChange(
        effective_on=change.effective_on,
        reason=change.reason,
        decision_ref=change.decision_ref,
        points=format_points(change.points) if change.points is not None else None,
        quantity=change.quantity,
    )


def _objection_due(ledger: AssessmentLedger, notified_on: date, days: int) -> date | None:
    """The last day of R-40's objection window, or None when the calendar is not loaded."""
    try:
        return ledger.working_days_after(notified_on, days).due_on
    except RuleViolation:
        return None


def _entries(ledger: AssessmentLedger, staff: Staff, numbers: list[int]) -> list[StaffDeduction]:
    """The entries as they stand, with their changes and objection windows from the log."""
    with ledger.policy_state() as state:
        record = state.staff.get(staff.staff_number)
        logged: dict[int, Entry] = dict(record.deductions) if record is not None else {}
        policy = state.policy
    found = []
    for number in numbers:
        deduction: Deduction = staff.deductions[number]
        entry = logged.get(number)
        notice = staff.entry_notice(number)
        due = None
        if notice is not None and not deduction.revoked:
            days = policy.in_force(notice[1]).objection_working_days
            due = _objection_due(ledger, notice[1], days)
        found.append(
            StaffDeduction(
                number=number,
                item_code=deduction.item_code,
                catalogue_version=deduction.catalogue_version,
                quantity=deduction.quantity,
                points_applied=format_points(deduction.points_applied),
                occurred_on=deduction.occurred_on,
                incident_ref=deduction.incident_ref,
                source=deduction.source,
                notified_on=deduction.notified_on,
                last_notice_on=notice[1] if notice is not None else None,
                objection_due_on=due,
                amendments=[_change(c) for c in entry.amendments] if entry is not None else [],
                revoked=deduction.revoked,
                revocation=(
                    _change(entry.revocation)
                    if entry is not None and entry.revocation is not None
                    else None
                ),
                objections=[
                    EntryObjection(
                        number=o.number,
                        notice=o.notice,
                        raised_on=o.raised_on,
                        outcome=o.outcome,
                        decided_on=o.decided_on,
                    )
                    for _, o in sorted(staff.objection_book.objections.items())
                    if o.entry == number
                ],
            )
        )
    return found


@router.get("", summary="员工扣分 / a staff member's deductions", responses=problem_responses(503))
def list_staff_deductions(
    staff_number: StaffNumber, reader: StaffReader, ledger: LedgerDep, response: Response
) -> StaffDeductions:
    """The staff member's deductions as they stand; the ETag is the staff record's version."""
    staff = ledger.staff(staff_number)
    response.headers["ETag"] = f'"{staff.version}"'
    return StaffDeductions(
        staff_number=staff_number, items=_entries(ledger, staff, sorted(staff.deductions))
    )


@router.get("/{number}", summary="员工扣分条目 / one deduction", responses=problem_responses(503))
def read_staff_deduction(
    staff_number: StaffNumber,
    number: EntryNumber,
    reader: StaffReader,
    ledger: LedgerDep,
    response: Response,
) -> StaffDeduction:
    """One entry as it stands; the ETag is the staff record's version (for If-Match)."""
    staff = ledger.staff(staff_number)
    if number not in staff.deductions:
        raise RecordNotFound(f"{staff_number} has no deduction {number}")
    response.headers["ETag"] = f'"{staff.version}"'
    (entry,) = _entries(ledger, staff, [number])
    return entry


@router.post(
    "",
    status_code=201,
    summary="记录扣分 / record a deduction",
)
def record_deduction(
    staff_number: StaffNumber,
    body: DeductionRecording,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    acting_as: ActingAsQuery = ActingAs.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Record a deduction; the answer's Location names the new entry."""

    def attempt() -> Outcome:
        return ledger.record_deduction(
            actor(account.person_id, Role(acting_as.value)),
            staff_number,
            body.item_code,
            body.occurred_on,
            body.incident_ref,
            body.evidence_ref,
            body.source,
            quantity=body.quantity,
            points=body.points,
            override_reason=body.override_reason,
            decision_ref=body.decision_ref,
            idempotency_key=idempotency_key,
        )

    outcome = appended(attempt)
    result = _result(ledger, staff_number, outcome)
    answer(response, outcome, result.record_version)
    response.headers["Location"] = f"/api/v1/staff/{staff_number}/deductions/{outcome.number}"
    return result


@router.post(
    "/{number}/notification",
    summary="通知扣分 / record that the staff member was told (R-40)",
)
def notify_deduction(
    staff_number: StaffNumber,
    number: EntryNumber,
    body: Notification,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Record the day the staff member was told of the entry."""
    outcome = ledger.notify_deduction(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        staff_number,
        number,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    result = _result(ledger, staff_number, outcome)
    answer(response, outcome, result.record_version)
    return result


@router.post(
    "/{number}/amendments",
    summary="更正扣分 / amend an entry (If-Match)",
    responses=problem_responses(412, 428),
)
def amend_deduction(
    staff_number: StaffNumber,
    number: EntryNumber,
    body: Amendment,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    acting_as: ActingAsQuery = ActingAs.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Amend an entry's points or quantity; the record must still be at the If-Match version."""
    version = required_version(if_match)
    with ledger.expecting(ledger.staff_stream(staff_number), version):
        outcome = ledger.amend_deduction(
            actor(account.person_id, Role(acting_as.value)),
            staff_number,
            number,
            body.effective_on,
            body.reason,
            quantity=body.quantity,
            points=body.points,
            decision_ref=body.decision_ref,
            idempotency_key=idempotency_key,
        )
    result = _result(ledger, staff_number, outcome)
    answer(response, outcome, result.record_version)
    return result


@router.post(
    "/{number}/revocation",
    summary="撤销扣分 / revoke an entry (If-Match)",
    responses=problem_responses(412, 428),
)
def revoke_deduction(
    staff_number: StaffNumber,
    number: EntryNumber,
    body: Revocation,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    acting_as: ActingAsQuery = ActingAs.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Revoke an entry; the record must still be at the If-Match version."""
    version = required_version(if_match)
    with ledger.expecting(ledger.staff_stream(staff_number), version):
        outcome = ledger.revoke_deduction(
            actor(account.person_id, Role(acting_as.value)),
            staff_number,
            number,
            body.effective_on,
            body.reason,
            decision_ref=body.decision_ref,
            idempotency_key=idempotency_key,
        )
    result = _result(ledger, staff_number, outcome)
    answer(response, outcome, result.record_version)
    return result
