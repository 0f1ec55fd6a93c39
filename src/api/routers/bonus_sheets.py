"""Monthly and half-year bonus sheets (SPEC 4.3, R-26–R-31, D-08, D-09): read a sheet, prepare
it (the supervision clerk), decide a head-liability item and approve the sheet as the period's
decision (the leading group, If-Match on the sheet)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor
from api.deps import LedgerDep
from api.problems import problem_responses
from api.procedures import (
    CenterReader,
    SheetPeriod,
    StepResult,
    created,
    etag,
    if_matched,
    step_result,
)
from api.routing import resource_router
from api.schemas import PeriodDecisionBody
from ledger.aggregates.bonus_sheet import Approval, BonusSheet, HeadReduction
from ledger.values import Role

router = resource_router(
    prefix="/api/v1/bonus-sheets",
    tags=["bonus-sheets"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)

DebtorOf = Annotated[
    str,
    Path(
        max_length=40,
        description="员工编号 / the staff member whose bonus the item is about",
        examples=["S001"],
    ),
]


class SheetPreparation(BaseModel):
    """编制奖金表 / The day the clerk prepares the sheet (again) on the figures as recorded
    now."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"effective_on": "2025-04-02"}]}
    )

    effective_on: date = Field(
        description="生效日期 / the day of the preparation", examples=["2025-04-02"]
    )


class HeadLiabilityDecision(BaseModel):
    """负责人连带责任决定 / The leading group's discretionary reduction of the debtor's own
    bonus (R-30, D-08)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reduction": "halved",
                    "reason": "two halved bonuses in the window this month",
                    "decision_ref": "LG-2025-04-1",
                    "effective_on": "2025-04-03",
                }
            ]
        },
    )

    reduction: HeadReduction = Field(
        description="扣减 / none, halved, cancelled or amount", examples=["halved"]
    )
    amount: str | None = Field(
        default=None,
        max_length=20,
        description="金额 / the amount in yuan, with `amount`",
        examples=["200"],
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="理由 / why",
        examples=["two halved bonuses in the window this month"],
    )
    decision_ref: str = Field(
        min_length=1, max_length=200, description="决定文号 / decision", examples=["LG-2025-04-1"]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the decision", examples=["2025-04-03"]
    )


class SheetApproval(PeriodDecisionBody):
    """批准奖金表 / The leading group's approval: the period's decision."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision_ref": "LG-2025-04-2", "effective_on": "2025-04-03"}]
        },
    )


class SheetLineOut(BaseModel):
    """奖金表的一行 / One staff member's bonus for the period (R-26–R-29)."""

    staff_number: str = Field(description="员工编号 / the staff member", examples=["S001"])
    status: str = Field(description="奖金 / full, halved or cancelled", examples=["halved"])
    total: str = Field(description="扣分合计 / the period's deduction total", examples=["3.0"])
    rule: str = Field(description="规则 / the rule that decided it", examples=["R-26"])
    counted: list[str] = Field(
        description="计入 / the deductions counted (stream/version)",
        examples=[
            [
                "656fc132-5c71-586f-88e1-a7184c66ace2/3",
                "656fc132-5c71-586f-88e1-a7184c66ace2/4",
                "656fc132-5c71-586f-88e1-a7184c66ace2/5",
            ]
        ],
    )


class LiabilityItemOut(BaseModel):
    """负责人连带责任事项 / A head-liability item (R-30) and the leading group's decision on
    it, if any."""

    staff_number: str = Field(
        description="员工编号 / the staff member whose bonus was halved or cancelled",
        examples=["S001"],
    )
    stream: str = Field(description="奖金类型 / month or half_year", examples=["month"])
    status: str = Field(description="奖金 / halved or cancelled", examples=["cancelled"])
    crossing: str = Field(
        description="越线扣分 / the deduction that crossed the threshold (stream/version)",
        examples=["656fc132-5c71-586f-88e1-a7184c66ace2/4"],
    )
    crossing_on: date = Field(
        description="越线日期 / the incident date of the crossing deduction",
        examples=["2025-03-18"],
    )
    unit_code: str | None = Field(
        description="所在窗口 / the person's unit on that date (null: none)", examples=["W01"]
    )
    owed_by: str | None = Field(
        description="责任人 / who owes it (null: the post was vacant)", examples=["H001"]
    )
    owed_as: str = Field(description="身份 / head, leader_in_charge or vacant", examples=["head"])
    reduction: HeadReduction | None = Field(
        description="决定 / the decision (null: undecided)", examples=["halved"]
    )
    amount: str | None = Field(
        description="金额 / the amount in yuan when the reduction is `amount`", examples=[None]
    )
    decision_ref: str | None = Field(
        description="决定文号 / the decision's reference (null: undecided)",
        examples=["LG-2025-03-HL"],
    )
    decided_on: date | None = Field(
        description="决定日期 / the day it was decided (null: undecided)",
        examples=["2025-04-11"],
    )


class ApprovalOut(BaseModel):
    """奖金表的批准 / The sheet's approval."""

    decision_ref: str = Field(
        description="决定文号 / the period's decision", examples=["LG-2025-03"]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the decision", examples=["2025-04-11"]
    )
    decided_at_position: int = Field(
        description="依据位置 / the log position of the figures decided on", examples=[1255]
    )


class BonusSheetOut(BaseModel):
    """奖金表 / A period's bonus sheet as recorded now."""

    period: str = Field(description="期间 / a month or a half-year", examples=["2025-03"])
    prepared_on: date = Field(
        description="编制日期 / the last preparation's day", examples=["2025-04-08"]
    )
    prepared_at_position: int = Field(
        description="依据位置 / the figures' log position", examples=[1187]
    )
    policy_version: str = Field(
        description="政策版本 / the policy version in force", examples=["measures-2009"]
    )
    lines: list[SheetLineOut] = Field(description="各人奖金 / one line per staff member")
    criticism_notice: list[str] | None = Field(
        description="通报批评 / the month's notice (R-31); null for a half-year",
        examples=[["S001"]],
    )
    head_liability: list[LiabilityItemOut] = Field(
        description="负责人连带责任 / the head-liability items (R-30)"
    )
    approval: ApprovalOut | None = Field(
        description="批准 / the leading group's approval in force, null until the period is "
        "decided; after a reopening (D-13), the approval of the sheet prepared again"
    )
    superseded_approvals: list[ApprovalOut] = Field(
        description="已被取代的批准 / earlier approvals, each replaced by the approval after a "
        "reopening, oldest first"
    )


@router.get("/{period}", summary="奖金表 / a bonus sheet")
def read_bonus_sheet(
    period: SheetPeriod, reader: CenterReader, ledger: LedgerDep, response: Response
) -> BonusSheetOut:
    """The sheet with every line, the notice and the head-liability items; ETag its version."""
    sheet = ledger.bonus_sheet(period)
    etag(response, sheet.version)
    content = sheet.preparation.content
    items = []
    for item in content.head_liability:
        decision = sheet.decisions.get(item.staff_number)
        items.append(
            LiabilityItemOut(
                staff_number=item.staff_number,
                stream=item.stream,
                status=item.status,
                crossing=item.crossing,
                crossing_on=date.fromisoformat(item.crossing_on),
                unit_code=item.unit_code,
                owed_by=item.owed_by,
                owed_as=item.owed_as,
                reduction=decision.reduction if decision else None,
                amount=decision.amount if decision else None,
                decision_ref=decision.decision_ref if decision else None,
                decided_on=decision.effective_on if decision else None,
            )
        )
    approval = sheet.approval
    return BonusSheetOut(
        period=sheet.period.key,
        prepared_on=sheet.preparation.effective_on,
        prepared_at_position=content.prepared_at_position,
        policy_version=content.policy_version,
        lines=[
            SheetLineOut(
                staff_number=line.staff_number,
                status=line.status,
                total=line.total,
                rule=line.rule,
                counted=list(line.counted),
            )
            for line in content.lines
        ],
        criticism_notice=(
            list(content.criticism_notice) if content.criticism_notice is not None else None
        ),
        head_liability=items,
        approval=_approval_out(approval) if approval is not None else None,
        superseded_approvals=[_approval_out(a) for a in sheet.superseded_approvals],
    )


def _approval_out(approval: Approval) -> ApprovalOut:
    return ApprovalOut(
        decision_ref=approval.decision_ref,
        effective_on=approval.effective_on,
        decided_at_position=approval.decided_at_position,
    )


@router.post(
    "/{period}/preparations",
    status_code=201,
    summary="编制奖金表 / prepare the sheet (clerk)",
)
def prepare_bonus_sheet(
    period: SheetPeriod,
    body: SheetPreparation,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Prepare the sheet on the figures as recorded now, or again (superseding the earlier
    preparation) until it is approved, or after a reopening (D-13); Location names the sheet."""
    outcome = ledger.prepare_bonus_sheet(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        period,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    created(response, f"/api/v1/bonus-sheets/{period}")
    return step_result(response, outcome, BonusSheet.create_id(period))


@router.post(
    "/{period}/head-liability/{staff_number}/decision",
    summary="决定负责人连带责任 / decide a head-liability item (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def decide_head_liability(
    period: SheetPeriod,
    staff_number: DebtorOf,
    body: HeadLiabilityDecision,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the reduction of the debtor's own bonus for the item about `staff_number`."""
    record = BonusSheet.create_id(period)
    with if_matched(ledger, record, if_match, f"bonus sheet {period}"):
        outcome = ledger.decide_head_liability(
            actor(account.person_id, Role.LEADING_GROUP),
            period,
            staff_number,
            body.reduction,
            body.reason,
            body.decision_ref,
            body.effective_on,
            amount=body.amount,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post(
    "/{period}/approval",
    summary="批准奖金表 / approve the sheet: the period's decision (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def approve_bonus_sheet(
    period: SheetPeriod,
    body: SheetApproval,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Approve the sheet (refused while stale or with an item undecided); records the period's
    decision on the round in the same transaction. After a reopening (D-13), approving the sheet
    prepared again records the amended decision, which replaces the one in force."""
    record = BonusSheet.create_id(period)
    with if_matched(ledger, record, if_match, f"bonus sheet {period}"):
        outcome = ledger.approve_bonus_sheet(
            actor(account.person_id, Role.LEADING_GROUP),
            period,
            body.decision_ref,
            body.effective_on,
            body.decided_at_position,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)
