"""One-vote veto cases against a staff member (SPEC 4.4: V1–V8, R-32–R-35, D-13, D-14): read
them, record one (the supervision clerk) and revoke one (If-Match on the staff record). Their
notification and objections are in the objections router."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor, answer, appended, required_version
from api.deps import LedgerDep
from api.permissions import StaffReader
from api.problems import problem_responses
from api.procedures import MAX_INT, etag
from api.routers.deductions import (
    ActingAs,
    ActingAsQuery,
    CommandResult,
    Revocation,
    command_result,
)
from api.routing import resource_router
from api.schemas import StaffNumber
from ledger.aggregates.staff import Staff
from ledger.application import Outcome
from ledger.errors import RecordNotFound
from ledger.values import DeductionSource, Role, VetoCase

router = resource_router(
    prefix="/api/v1/staff/{staff_number}/veto-cases",
    tags=["veto-cases"],
    responses=problem_responses(401, 403, 404, 422),
)

CaseNumber = Annotated[
    int,
    Path(
        ge=1,
        le=MAX_INT,
        description="否决事项编号 / the veto case's number in the staff record",
        examples=[9],
    ),
]


class VetoCaseRecording(BaseModel):
    """待记录的一票否决事项 / A veto case to record, with its evidence and verification
    (V1–V8; R-03: one entry per incident, the veto case rather than points)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "case": "V5",
                    "occurred_on": "2025-03-05",
                    "incident_ref": "INC-2025-0305-C",
                    "evidence_ref": "complaint://2025/0412",
                    "verification": "complaint verified by the supervision office on 2025-03-07",
                    "source": "complaint",
                }
            ]
        },
    )

    case: VetoCase = Field(description="否决情形 / which case of V1–V8", examples=["V5"])
    occurred_on: date = Field(
        description="发生日期 / the day it occurred: its consequences fall in that year (D-13)",
        examples=["2025-03-05"],
    )
    incident_ref: str = Field(
        min_length=1,
        max_length=200,
        description="事件编号 / incident",
        examples=["INC-2025-0305-C"],
    )
    evidence_ref: str = Field(
        min_length=1,
        max_length=500,
        description="证据 / evidence",
        examples=["complaint://2025/0412"],
    )
    verification: str = Field(
        min_length=1,
        max_length=2000,
        description="核实情况 / how it was verified",
        examples=["投诉经督查室调查核实：推诿不作为，当事人及窗口负责人谈话记录在卷"],
    )
    source: DeductionSource = Field(
        description="来源 / where the case comes from", examples=["complaint"]
    )
    decision_ref: str | None = Field(
        default=None,
        max_length=200,
        description="决定 / a leading-group decision (R-03: a second entry for one incident)",
        examples=["LG-2025-05"],
    )


class VetoCaseEntry(BaseModel):
    """一票否决事项 / A veto case as it stands now."""

    number: int = Field(description="编号 / the case's number in the staff record", examples=[9])
    case: VetoCase = Field(description="否决情形 / which case of V1–V8", examples=["V5"])
    occurred_on: date = Field(description="发生日期 / the day it occurred", examples=["2025-03-05"])
    incident_ref: str = Field(description="事件编号 / incident", examples=["INC-2025-0305-C"])
    notified_on: date | None = Field(
        description="通知日期 / the day the staff member was told (R-40), null if not yet",
        examples=["2025-03-10"],
    )
    revoked: bool = Field(description="已撤销 / no longer counts", examples=[False])


class VetoCases(BaseModel):
    """员工的一票否决事项 / A staff member's veto cases, revoked ones included and marked."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S001"])
    items: list[VetoCaseEntry] = Field(description="否决事项 / the cases, by number")


def _entry(staff: Staff, number: int) -> VetoCaseEntry:
    veto = staff.vetoes[number]
    notice = staff.entry_notice(number)
    return VetoCaseEntry(
        number=veto.number,
        case=veto.case,
        occurred_on=veto.occurred_on,
        incident_ref=veto.incident_ref,
        notified_on=notice[1] if notice is not None else None,
        revoked=veto.revoked,
    )


@router.get(
    "", summary="一票否决事项 / a staff member's veto cases", responses=problem_responses(503)
)
def list_veto_cases(
    staff_number: StaffNumber, reader: StaffReader, ledger: LedgerDep, response: Response
) -> VetoCases:
    """The staff member's veto cases as they stand; the ETag is the staff record's version."""
    staff = ledger.staff(staff_number)
    etag(response, staff.version)
    return VetoCases(
        staff_number=staff_number, items=[_entry(staff, number) for number in sorted(staff.vetoes)]
    )


@router.get("/{number}", summary="一票否决事项 / one veto case", responses=problem_responses(503))
def read_veto_case(
    staff_number: StaffNumber,
    number: CaseNumber,
    reader: StaffReader,
    ledger: LedgerDep,
    response: Response,
) -> VetoCaseEntry:
    """One veto case as it stands; the ETag is the staff record's version (for If-Match)."""
    staff = ledger.staff(staff_number)
    if number not in staff.vetoes:
        raise RecordNotFound(f"{staff_number} has no veto case {number}")
    etag(response, staff.version)
    return _entry(staff, number)


@router.post(
    "",
    status_code=201,
    summary="记录一票否决事项 / record a veto case (clerk)",
    responses=problem_responses(400, 409),
)
def record_veto_case(
    staff_number: StaffNumber,
    body: VetoCaseRecording,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Record a veto case against the staff member; Location names the new case."""

    def attempt() -> Outcome:
        return ledger.record_veto_case(
            actor(account.person_id, Role.SUPERVISION_CLERK),
            staff_number,
            body.case,
            body.occurred_on,
            body.incident_ref,
            body.evidence_ref,
            body.verification,
            body.source,
            decision_ref=body.decision_ref,
            idempotency_key=idempotency_key,
        )

    outcome = appended(attempt)
    result = command_result(outcome, ledger.staff_stream(staff_number))
    answer(response, outcome, result.record_version)
    response.headers["Location"] = f"/api/v1/staff/{staff_number}/veto-cases/{outcome.number}"
    return result


@router.post(
    "/{number}/revocation",
    summary="撤销一票否决事项 / revoke a veto case (If-Match)",
    responses=problem_responses(400, 409, 412, 428),
)
def revoke_veto_case(
    staff_number: StaffNumber,
    number: CaseNumber,
    body: Revocation,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    acting_as: ActingAsQuery = ActingAs.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Revoke a veto case; the staff record must still be at the If-Match version."""
    version = required_version(if_match)
    with ledger.expecting(ledger.staff_stream(staff_number), version):
        outcome = ledger.revoke_veto_case(
            actor(account.person_id, Role(acting_as.value)),
            staff_number,
            number,
            body.effective_on,
            body.reason,
            decision_ref=body.decision_ref,
            idempotency_key=idempotency_key,
        )
    result = command_result(outcome, ledger.staff_stream(staff_number))
    answer(response, outcome, result.record_version)
    return result
