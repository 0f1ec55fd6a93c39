"""Objections to entries (R-40, R-42) and the review and appeal of a grade (R-41), under a staff
member: the notices that open an objection window (the clerk), the staff member's objection,
its decision (the supervision clerk, or the leading group for entries from the supervision
office's own inspections; If-Match on the staff record), the staff member's review request and
appeal, and the assigned appeal reviewer's decisions and the appeal's extension (If-Match on the
grade's challenge record)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from fastapi import Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor
from api.deps import LedgerDep
from api.permissions import StaffReader
from api.problems import problem_responses
from api.procedures import MAX_INT, StepResult, Year, created, etag, if_matched, step_result
from api.routing import resource_router
from api.schemas import StaffNumber
from ledger.aggregates.grade_challenge import GradeChallenge, Stage
from ledger.aggregates.staff import ObjectionOutcome, Staff
from ledger.policy import Grade
from ledger.values import Role

router = resource_router(
    prefix="/api/v1/staff/{staff_number}",
    tags=["objections"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)

EntryNumber = Annotated[
    int,
    Path(
        ge=1,
        le=MAX_INT,
        description="条目编号 / the deduction's or veto case's number",
        examples=[3],
    ),
]
ObjectionNumber = Annotated[
    int, Path(ge=1, le=MAX_INT, description="异议编号 / the objection's number", examples=[9])
]


class Decider(StrEnum):
    """异议决定人 / Who decides an objection (R-40): the clerk, or the leading group for
    entries whose source is the supervision office's own inspection: `supervision_clerk`
    督查室工作人员 (the supervision clerk), `leading_group` 考核领导小组 (the leading group)."""

    SUPERVISION_CLERK = "supervision_clerk"
    LEADING_GROUP = "leading_group"


class Notice(BaseModel):
    """通知 / The day the staff member was told (R-40's objection clock starts)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"effective_on": "2025-03-10"}]}
    )

    effective_on: date = Field(
        description="通知日期 / the day they were told", examples=["2025-03-10"]
    )


class ObjectionRaising(BaseModel):
    """提出异议 / A staff member's objection to a notified deduction or veto case (R-40)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"entry": 3, "grounds": "I was on approved leave", "effective_on": "2025-03-11"}
            ]
        },
    )

    entry: int = Field(
        ge=1,
        le=MAX_INT,
        description="条目编号 / the deduction's or veto case's number",
        examples=[3],
    )
    grounds: str = Field(
        min_length=1,
        max_length=4000,
        description="理由 / the grounds",
        examples=["当日已按规定请假，有请假审批单为证"],
    )
    effective_on: date = Field(
        description="生效日期 / the day it was raised", examples=["2025-03-11"]
    )


class ObjectionDecision(BaseModel):
    """异议决定 / The decision on an objection: upheld, amended (new quantity or points) or
    revoked."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "revoked",
                    "reason": "the leave was approved",
                    "decision_ref": "SV-2025-17",
                    "effective_on": "2025-03-14",
                }
            ]
        },
    )

    outcome: ObjectionOutcome = Field(
        description="结果 / upheld, amended or revoked", examples=["revoked"]
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="理由 / why",
        examples=["异议成立：当日已按规定请假，考勤记录有误"],
    )
    decision_ref: str = Field(
        min_length=1, max_length=200, description="决定文号 / decision", examples=["SV-2025-17"]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the decision", examples=["2025-03-14"]
    )
    quantity: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="新数量 / amended (outcome amended only)",
        examples=[1],
    )
    points: Decimal | None = Field(
        default=None,
        description="新分值 / amended, steps of 0.5 (outcome amended only)",
        examples=["0.5"],
    )


class ChallengeRequest(BaseModel):
    """复核申请或申诉 / A review request or an appeal of an incompetent or unqualified grade
    (R-41)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"effective_on": "2026-03-12"}]}
    )

    effective_on: date = Field(
        description="生效日期 / the day it was lodged", examples=["2026-03-12"]
    )


class ChallengeDecision(BaseModel):
    """复核或申诉决定 / The assigned reviewer's decision: the grade upheld, or a better one
    (never worse)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision_ref": "REV-2026-1",
                    "reason": "the absences were leave",
                    "effective_on": "2026-03-30",
                    "grade": "basically_competent",
                }
            ]
        },
    )

    decision_ref: str = Field(
        min_length=1, max_length=200, description="决定文号 / decision", examples=["REV-2026-1"]
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="理由 / why",
        examples=["复核认定不属本人责任"],
    )
    effective_on: date = Field(
        description="生效日期 / the day of the decision", examples=["2026-03-30"]
    )
    grade: Grade | None = Field(
        default=None,
        description="等次 / a better grade (null: upheld)",
        examples=["basically_competent"],
    )


class Extension(BaseModel):
    """延长申诉期限 / The one extension of the appeal's decision clock."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "witnesses to hear", "effective_on": "2026-05-20"}]
        },
    )

    reason: str = Field(
        min_length=1, max_length=1000, description="理由 / why", examples=["witnesses to hear"]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the extension", examples=["2026-05-20"]
    )


class StageOut(BaseModel):
    """复核或申诉 / A review or an appeal as it stands."""

    lodged_on: date = Field(description="提出日期 / the day it was lodged", examples=["2026-03-10"])
    decision_due_on: date = Field(
        description="决定期限 / the day the decision is due (R-41)", examples=["2026-04-09"]
    )
    extended: bool = Field(description="已延长 / the appeal's clock was extended", examples=[False])
    decided_on: date | None = Field(
        description="决定日期 / the day it was decided, null while open", examples=[None]
    )
    outcome: str | None = Field(description="结果 / upheld or changed", examples=["upheld"])
    late: bool = Field(description="逾期 / decided after its due day", examples=[False])


class GradeChallengeOut(BaseModel):
    """等次的复核与申诉 / The review and appeal of a person's grade of a year."""

    staff_number: str = Field(description="员工编号 / the staff member", examples=["S001"])
    year: int = Field(description="考核年度 / the year of the grade", examples=[2025])
    grade: Grade = Field(description="原等次 / the grade as decided", examples=["incompetent"])
    standing_grade: Grade = Field(
        description="现等次 / the grade after the last change", examples=["basically_competent"]
    )
    notified_on: date = Field(
        description="通知日期 / the day the person was told of the grade (R-41's clocks start)",
        examples=["2026-03-02"],
    )
    review: StageOut | None = Field(description="复核 / the review, null if none was requested")
    appeal: StageOut | None = Field(description="申诉 / the appeal, null if none was lodged")


def stage_out(stage: Stage | None) -> StageOut | None:
    """A stage of a challenge as it stands, or None."""
    if stage is None:
        return None
    return StageOut(
        lodged_on=stage.lodged_on,
        decision_due_on=stage.decision_due_on,
        extended=stage.extended,
        decided_on=stage.decided_on,
        outcome=stage.outcome.value if stage.outcome is not None else None,
        late=stage.late,
    )


# Notices and objections


@router.post(
    "/veto-cases/{number}/notification",
    summary="通知一票否决事项 / record that the staff member was told of a veto case (clerk)",
)
def notify_veto_case(
    staff_number: StaffNumber,
    number: EntryNumber,
    body: Notice,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the notice of a veto case (the objection window opens)."""
    outcome = ledger.notify_veto_case(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        staff_number,
        number,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, Staff.create_id(staff_number))


@router.post(
    "/deductions/{number}/amendment-notification",
    summary="通知扣分更正 / record that the staff member was told of an amendment (clerk)",
)
def notify_amendment(
    staff_number: StaffNumber,
    number: EntryNumber,
    body: Notice,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the notice of a deduction's latest amendment (a new objection window)."""
    outcome = ledger.notify_amendment(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        staff_number,
        number,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, Staff.create_id(staff_number))


@router.post(
    "/objections", status_code=201, summary="提出异议 / object to an entry (the staff member)"
)
def raise_objection(
    staff_number: StaffNumber,
    body: ObjectionRaising,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Object to one of your own notified entries within its window; `number` is the
    objection's, and Location names it."""
    outcome = ledger.raise_objection(
        actor(account.person_id, Role.STAFF),
        staff_number,
        body.entry,
        body.grounds,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    created(response, f"/api/v1/staff/{staff_number}/objections/{outcome.number}")
    return step_result(response, outcome, Staff.create_id(staff_number))


@router.post(
    "/objections/{number}/decision",
    summary="决定异议 / decide an objection (clerk or leading group by source, If-Match)",
    responses=problem_responses(412, 428),
)
def decide_objection(
    staff_number: StaffNumber,
    number: ObjectionNumber,
    body: ObjectionDecision,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    acting_as: Annotated[
        Decider,
        Query(
            description="以何角色 / leading_group for supervision_inspection entries, otherwise "
            "supervision_clerk (you must hold it that day)",
            examples=["supervision_clerk"],
        ),
    ] = Decider.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Decide the objection; an amended or revoked outcome changes the entry in the same
    transaction, naming the decision (R-42). The staff record must be at If-Match."""
    record = Staff.create_id(staff_number)
    with if_matched(ledger, record, if_match, f"staff member {staff_number}"):
        outcome = ledger.decide_objection(
            actor(account.person_id, Role(acting_as.value)),
            staff_number,
            number,
            body.outcome,
            body.reason,
            body.decision_ref,
            body.effective_on,
            quantity=body.quantity,
            points=body.points,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


# Reviews and appeals of a grade


@router.get("/grade-challenges/{year}", summary="等次复核与申诉 / the review and appeal of a grade")
def read_grade_challenge(
    staff_number: StaffNumber,
    year: Year,
    reader: StaffReader,
    ledger: LedgerDep,
    response: Response,
) -> GradeChallengeOut:
    """The challenge as it stands; the ETag is its version (If-Match of the decisions)."""
    challenge = ledger.grade_challenge(staff_number, year)
    etag(response, challenge.version)
    return GradeChallengeOut(
        staff_number=challenge.staff_number,
        year=challenge.year,
        grade=challenge.grade,
        standing_grade=challenge.standing_grade,
        notified_on=challenge.notified_on,
        review=stage_out(challenge.review),
        appeal=stage_out(challenge.appeal),
    )


def _location(response: Response, staff_number: str, year: int) -> None:
    created(response, f"/api/v1/staff/{staff_number}/grade-challenges/{year}")


@router.post(
    "/grade-challenges/{year}/review",
    status_code=201,
    summary="申请复核 / request a review of your grade (the staff member)",
)
def request_review(
    staff_number: StaffNumber,
    year: Year,
    body: ChallengeRequest,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Request the review of an incompetent or unqualified grade within the category's days."""
    outcome = ledger.request_review(
        actor(account.person_id, Role.STAFF),
        staff_number,
        year,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    _location(response, staff_number, year)
    return step_result(response, outcome, GradeChallenge.create_id(staff_number, year))


@router.post(
    "/grade-challenges/{year}/review/decision",
    summary="复核决定 / decide the review (the assigned appeal reviewer, If-Match)",
    responses=problem_responses(412, 428),
)
def decide_review(
    staff_number: StaffNumber,
    year: Year,
    body: ChallengeDecision,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Uphold the grade or give a better one; late decisions are flagged."""
    record = GradeChallenge.create_id(staff_number, year)
    with if_matched(ledger, record, if_match, f"the challenge of {staff_number}'s {year} grade"):
        outcome = ledger.decide_review(
            actor(account.person_id, Role.APPEAL_REVIEWER),
            staff_number,
            year,
            body.decision_ref,
            body.reason,
            body.effective_on,
            grade=body.grade,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post(
    "/grade-challenges/{year}/appeal",
    status_code=201,
    summary="提出申诉 / lodge an appeal (the staff member)",
)
def lodge_appeal(
    staff_number: StaffNumber,
    year: Year,
    body: ChallengeRequest,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Appeal within the category's days of the review's decision, or directly."""
    outcome = ledger.lodge_appeal(
        actor(account.person_id, Role.STAFF),
        staff_number,
        year,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    _location(response, staff_number, year)
    return step_result(response, outcome, GradeChallenge.create_id(staff_number, year))


@router.post(
    "/grade-challenges/{year}/appeal/extension",
    summary="延长申诉期限 / extend the appeal's decision clock once (appeal reviewer, If-Match)",
    responses=problem_responses(412, 428),
)
def extend_appeal(
    staff_number: StaffNumber,
    year: Year,
    body: Extension,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Extend the appeal's decision clock by the category's extension, once."""
    record = GradeChallenge.create_id(staff_number, year)
    with if_matched(ledger, record, if_match, f"the challenge of {staff_number}'s {year} grade"):
        outcome = ledger.extend_appeal(
            actor(account.person_id, Role.APPEAL_REVIEWER),
            staff_number,
            year,
            body.reason,
            body.effective_on,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post(
    "/grade-challenges/{year}/appeal/decision",
    summary="申诉决定 / decide the appeal (the assigned appeal reviewer, If-Match)",
    responses=problem_responses(412, 428),
)
def decide_appeal(
    staff_number: StaffNumber,
    year: Year,
    body: ChallengeDecision,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Uphold the standing grade or give a better one; late decisions are flagged."""
    record = GradeChallenge.create_id(staff_number, year)
    with if_matched(ledger, record, if_match, f"the challenge of {staff_number}'s {year} grade"):
        outcome = ledger.decide_appeal(
            actor(account.person_id, Role.APPEAL_REVIEWER),
            staff_number,
            year,
            body.decision_ref,
            body.reason,
            body.effective_on,
            grade=body.grade,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)
