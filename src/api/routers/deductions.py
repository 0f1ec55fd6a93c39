"""Deductions against a staff member (R-01, R-03, R-20, R-40, R-42): record, notify, amend and
revoke. Recording appends to the record (the server's expected version, retried once on a
concurrent write); amending and revoking change an existing entry and need If-Match."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor, answer, required_version
from api.deps import LedgerDep
from api.problems import problem_responses
from api.schemas import StaffNumber
from ledger.application import AssessmentLedger, Outcome
from ledger.errors import ConcurrentWrite
from ledger.values import DeductionSource, Role

router = APIRouter(
    prefix="/api/v1/staff/{staff_number}/deductions",
    tags=["deductions"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)

EntryNumber = Annotated[
    int, Path(ge=1, description="扣分编号 / the entry's number in the record", examples=[3])
]


class ActingAs(StrEnum):
    """The roles these commands may be made in (SPEC section 5)."""

    SUPERVISION_CLERK = "supervision_clerk"
    LEADING_GROUP = "leading_group"


ActingAsQuery = Annotated[
    ActingAs,
    Query(description="以何角色 / the role you act in (you must hold it that day)"),
]


class DeductionRecording(BaseModel):
    """A deduction to record (R-01: a catalogue item; R-03: one entry per incident)."""

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

    item_code: str = Field(min_length=1, max_length=40, description="条目 / catalogue item")
    occurred_on: date = Field(description="发生日期 / the day the incident occurred (R-20)")
    incident_ref: str = Field(min_length=1, max_length=200, description="事件编号 / incident")
    evidence_ref: str = Field(min_length=1, max_length=500, description="证据 / evidence")
    source: DeductionSource = Field(description="来源 / where the entry comes from")
    quantity: int = Field(default=1, ge=1, le=1000, description="数量 / how many times")
    points: Decimal | None = Field(
        default=None, description="分值 / points within the item's range, in steps of 0.5"
    )
    override_reason: str | None = Field(default=None, max_length=1000)
    decision_ref: str | None = Field(
        default=None, max_length=200, description="决定 / a leading-group decision (R-03)"
    )


class Amendment(BaseModel):
    """New points or quantity for an entry, with the reason and the decision it implements."""

    model_config = ConfigDict(extra="forbid")

    effective_on: date = Field(description="生效日期 / the day the amendment takes effect")
    reason: str = Field(min_length=1, max_length=1000)
    quantity: int | None = Field(default=None, ge=1, le=1000)
    points: Decimal | None = None
    decision_ref: str | None = Field(default=None, max_length=200)


class Revocation(BaseModel):
    """An entry withdrawn, with the reason and the decision it implements."""

    model_config = ConfigDict(extra="forbid")

    effective_on: date
    reason: str = Field(min_length=1, max_length=1000)
    decision_ref: str | None = Field(default=None, max_length=200)


class Notification(BaseModel):
    """The day the staff member was told of the entry (starts the R-40 objection clock)."""

    model_config = ConfigDict(extra="forbid")

    effective_on: date


class CommandResult(BaseModel):
    """What a command recorded."""

    position: int = Field(description="日志位置 / the log position it wrote (read-your-writes)")
    number: int | None = Field(default=None, description="编号 / the entry's number, if new")
    record_version: int = Field(description="记录版本 / the staff record's version now (ETag)")
    replayed: bool = Field(description="重放 / true when an idempotent retry replayed it")


def _result(ledger: AssessmentLedger, staff_number: str, outcome: Outcome) -> CommandResult:
    stream = str(ledger.staff_stream(staff_number))
    version = next(v for record, v in outcome.records if record == stream)
    return CommandResult(
        position=outcome.position,
        number=outcome.number,
        record_version=version,
        replayed=outcome.replayed,
    )


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

    try:
        outcome = attempt()
    except ConcurrentWrite:
        # Recording only appends: decided again on the record as it now is, once.
        outcome = attempt()
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
