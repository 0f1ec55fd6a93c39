"""Window-level deductions (R-02, R-23–R-25, D-03): read a window's entries, record, amend and
revoke them, as for a staff member's deductions. Recording appends to the window's record (the
server's expected version, retried once on a concurrent write); amending and revoking change an
existing entry and need If-Match on the window's record."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor, answer, appended, required_version
from api.deps import LedgerDep
from api.permissions import UnitReader
from api.problems import problem_responses
from api.procedures import MAX_INT, etag
from api.routers.deductions import (
    ActingAs,
    ActingAsQuery,
    Amendment,
    CommandResult,
    DeductionRecording,
    Revocation,
    command_result,
)
from api.routing import resource_router
from api.schemas import UnitCode
from ledger.aggregates.staff import Deduction
from ledger.application import Outcome
from ledger.errors import RecordNotFound
from ledger.values import DeductionSource, Role, format_points

router = resource_router(
    prefix="/api/v1/units/{code}/deductions",
    tags=["deductions"],
    responses=problem_responses(401, 403, 404, 422),
)

EntryNumber = Annotated[
    int,
    Path(
        ge=1,
        le=MAX_INT,
        description="扣分编号 / the entry's number in the window's record",
        examples=[7],
    ),
]


class WindowDeductionRecording(DeductionRecording):
    """待记录的窗口扣分 / A window-level deduction to record (R-02: an item that applies to a
    window; R-03: one entry per incident)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_code": "ATT-07",
                    "occurred_on": "2025-03-04",
                    "incident_ref": "INC-2025-0304-W01",
                    "evidence_ref": "video://hall/2025/03/04/W01",
                    "source": "e_supervision_system",
                }
            ]
        },
    )

    # As the staff member's recording, with an example item that applies to a window.
    item_code: str = Field(
        min_length=1,
        max_length=40,
        description="条目 / a catalogue item that applies to a window (R-02)",
        examples=["ATT-07"],
    )


class WindowDeduction(BaseModel):
    """窗口扣分条目 / A window-level deduction as it stands now (amendments applied)."""

    number: int = Field(description="扣分编号 / the entry's number in the record", examples=[7])
    item_code: str = Field(description="条目 / catalogue item", examples=["ATT-07"])
    catalogue_version: int = Field(
        description="目录版本 / the catalogue version in force on the incident date", examples=[1]
    )
    quantity: int = Field(description="数量 / how many times", examples=[1])
    points_applied: str = Field(description="扣分 / the points applied", examples=["2.0"])
    occurred_on: date = Field(
        description="发生日期 / the day the incident occurred (R-20)", examples=["2025-03-04"]
    )
    incident_ref: str = Field(description="事件编号 / incident", examples=["INC-2025-0304-W01"])
    source: DeductionSource = Field(
        description="来源 / where the entry comes from", examples=["e_supervision_system"]
    )
    revoked: bool = Field(description="已撤销 / no longer counts", examples=[False])


class WindowDeductions(BaseModel):
    """窗口的扣分 / A window's deductions, revoked ones included and marked."""

    code: str = Field(description="窗口代码 / unit code", examples=["W01"])
    items: list[WindowDeduction] = Field(description="扣分 / the entries, by number")


def _entry(deduction: Deduction) -> WindowDeduction:
    return WindowDeduction(
        number=deduction.number,
        item_code=deduction.item_code,
        catalogue_version=deduction.catalogue_version,
        quantity=deduction.quantity,
        points_applied=format_points(deduction.points_applied),
        occurred_on=deduction.occurred_on,
        incident_ref=deduction.incident_ref,
        source=deduction.source,
        revoked=deduction.revoked,
    )


@router.get("", summary="窗口扣分 / a window's deductions", responses=problem_responses(503))
def list_window_deductions(
    code: UnitCode, reader: UnitReader, ledger: LedgerDep, response: Response
) -> WindowDeductions:
    """The window's deductions as they stand; the ETag is the window's record version."""
    unit = ledger.unit(code)
    etag(response, unit.version)
    return WindowDeductions(
        code=code, items=[_entry(entry) for _, entry in sorted(unit.deductions.items())]
    )


@router.get(
    "/{number}",
    summary="窗口扣分条目 / one window-level deduction",
    responses=problem_responses(503),
)
def read_window_deduction(
    code: UnitCode, number: EntryNumber, reader: UnitReader, ledger: LedgerDep, response: Response
) -> WindowDeduction:
    """One entry as it stands; the ETag is the window's record version (for If-Match)."""
    unit = ledger.unit(code)
    deduction = unit.deductions.get(number)
    if deduction is None:
        raise RecordNotFound(f"{code} has no deduction {number}")
    etag(response, unit.version)
    return _entry(deduction)


@router.post(
    "",
    status_code=201,
    summary="记录窗口扣分 / record a window-level deduction",
    responses=problem_responses(400, 409),
)
def record_window_deduction(
    code: UnitCode,
    body: WindowDeductionRecording,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    acting_as: ActingAsQuery = ActingAs.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Record a deduction counted only towards the window (R-02); Location names the entry."""

    def attempt() -> Outcome:
        return ledger.record_window_deduction(
            actor(account.person_id, Role(acting_as.value)),
            code,
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
    result = command_result(outcome, ledger.unit_stream(code))
    answer(response, outcome, result.record_version)
    response.headers["Location"] = f"/api/v1/units/{code}/deductions/{outcome.number}"
    return result


@router.post(
    "/{number}/amendments",
    summary="更正窗口扣分 / amend a window-level entry (If-Match)",
    responses=problem_responses(400, 409, 412, 428),
)
def amend_window_deduction(
    code: UnitCode,
    number: EntryNumber,
    body: Amendment,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    acting_as: ActingAsQuery = ActingAs.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Amend an entry's points or quantity; the window must still be at the If-Match version."""
    version = required_version(if_match)
    with ledger.expecting(ledger.unit_stream(code), version):
        outcome = ledger.amend_window_deduction(
            actor(account.person_id, Role(acting_as.value)),
            code,
            number,
            body.effective_on,
            body.reason,
            quantity=body.quantity,
            points=body.points,
            decision_ref=body.decision_ref,
            idempotency_key=idempotency_key,
        )
    result = command_result(outcome, ledger.unit_stream(code))
    answer(response, outcome, result.record_version)
    return result


@router.post(
    "/{number}/revocation",
    summary="撤销窗口扣分 / revoke a window-level entry (If-Match)",
    responses=problem_responses(400, 409, 412, 428),
)
def revoke_window_deduction(
    code: UnitCode,
    number: EntryNumber,
    body: Revocation,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    acting_as: ActingAsQuery = ActingAs.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    """Revoke an entry; the window must still be at the If-Match version."""
    version = required_version(if_match)
    with ledger.expecting(ledger.unit_stream(code), version):
        outcome = ledger.revoke_window_deduction(
            actor(account.person_id, Role(acting_as.value)),
            code,
            number,
            body.effective_on,
            body.reason,
            decision_ref=body.decision_ref,
            idempotency_key=idempotency_key,
        )
    result = command_result(outcome, ledger.unit_stream(code))
    answer(response, outcome, result.record_version)
    return result
