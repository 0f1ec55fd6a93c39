"""The annual assessment (SPEC 4.6, R-12–R-19, R-25; D-17, D-20–D-22), step by step, each by
its role: the staff member's self-summary, registration form, mutual-evaluation form and
signature (own records only); heads' and leaders in charge's evaluations and proposals and the
countersignatures; heads' recommendation forms; joint branch meetings; the leading group's
preliminary grades and excellent windows; publicity (the clerk) with objections (staff) and
their resolutions (the leading group); the Party Working Committee's approval; the results
(the leading group); notification and filings (the clerk); the higher authority's receipt.

If-Match is required where a step decides or approves the year's record (objection
resolutions, approval, results) or signs a record (the signature, on the staff record)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor
from api.deps import LedgerDep
from api.problems import problem_responses
from api.procedures import (
    MAX_INT,
    BranchCode,
    CenterReader,
    StepResult,
    Year,
    created,
    etag,
    if_matched,
    step_result,
)
from api.schemas import UnitCode
from ledger.aggregates.annual_assessment import AnnualAssessment, ObjectionOutcome
from ledger.aggregates.staff import Staff
from ledger.errors import RecordNotFound
from ledger.policy import Grade
from ledger.values import Role, StaffCategory

router = APIRouter(
    prefix="/api/v1/years/{year}",
    tags=["years"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)

Subject = Annotated[
    str, Path(max_length=40, description="员工编号 / the staff member", examples=["S001"])
]
ObjectionNumber = Annotated[
    int, Path(ge=1, le=MAX_INT, description="异议编号 / the objection's number", examples=[3])
]
StaffNumbers = list[str]


class Evaluator(StrEnum):
    """Who evaluates (R-13, D-17)."""

    WINDOW_HEAD = "window_head"
    OFFICE_HEAD = "office_head"
    LEADER_IN_CHARGE = "leader_in_charge"


class Countersigner(StrEnum):
    """Who countersigns (R-14, D-17)."""

    SUPERVISION_CLERK = "supervision_clerk"
    LEADER_IN_CHARGE = "leader_in_charge"
    LEADING_GROUP = "leading_group"


class Head(StrEnum):
    """Who fills a unit's excellent-staff recommendation form (R-15)."""

    WINDOW_HEAD = "window_head"
    OFFICE_HEAD = "office_head"


def _acting_as(description: str) -> str:
    return f"以何角色 / the role you act in ({description}; you must hold it that day)"


def _model(example: JsonDict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class Dated(BaseModel):
    """A step that only needs its day."""

    model_config = _model({"effective_on": "2026-02-12"})

    effective_on: date = Field(description="生效日期 / the day of the step")


class SelfSummary(BaseModel):
    """A staff member's self-summary of the year (R-12)."""

    model_config = _model({"text": "我的年度总结 / my year", "effective_on": "2026-01-05"})

    text: str = Field(min_length=1, max_length=20000, description="个人总结 / the summary")
    effective_on: date = Field(description="生效日期 / the day it was handed in")


class RegistrationForm(BaseModel):
    """A staff member's registration form, on their category's form (R-12)."""

    model_config = _model({"category": "civil_servant", "effective_on": "2026-01-05"})

    category: StaffCategory = Field(description="登记表类别 / the form's category")
    effective_on: date = Field(description="生效日期 / the day it was handed in")


class Evaluation(BaseModel):
    """A head's evaluation of a staff member of their unit, or a leader in charge's of a head,
    with the proposed grade from the subject's scheme (R-13, D-17)."""

    model_config = _model(
        {
            "subject": "S001",
            "evaluation": "does the job well",
            "proposed_grade": "excellent",
            "effective_on": "2026-01-07",
        }
    )

    subject: str = Field(min_length=1, max_length=40, description="被评价人 / the staff member")
    evaluation: str = Field(min_length=1, max_length=4000, description="评价 / the evaluation")
    proposed_grade: Grade = Field(description="建议等次 / the proposed grade")
    effective_on: date = Field(description="生效日期 / the day of the evaluation")


class MutualEvaluationForm(BaseModel):
    """A grade for every colleague of the branch (R-15)."""

    model_config = _model({"ratings": {"S002": "competent"}, "effective_on": "2026-01-09"})

    ratings: dict[str, Grade] = Field(description="评价 / staff number → grade")
    effective_on: date = Field(description="生效日期 / the day it was handed in")


class RecommendationForm(BaseModel):
    """A head's excellent-staff recommendation form for their unit (R-15)."""

    model_config = _model({"recommended": ["S001"], "effective_on": "2026-01-09"})

    recommended: StaffNumbers = Field(max_length=500, description="推荐 / staff numbers")
    effective_on: date = Field(description="生效日期 / the day it was handed in")


class JointMeeting(BaseModel):
    """A party branch's joint meeting and what it recommends (R-16)."""

    model_config = _model(
        {
            "recommended_staff": ["S001"],
            "recommended_windows": ["W01"],
            "effective_on": "2026-01-13",
        }
    )

    recommended_staff: StaffNumbers = Field(max_length=500, description="推荐人员 / staff")
    recommended_windows: list[str] = Field(max_length=500, description="推荐窗口 / windows")
    effective_on: date = Field(description="生效日期 / the day of the meeting")


class PreliminaryGrades(BaseModel):
    """The leading group's preliminary grade of every participant (R-17, D-20)."""

    model_config = _model({"grades": {"S001": "excellent"}, "effective_on": "2026-01-15"})

    grades: dict[str, Grade] = Field(description="初定等次 / staff number → grade")
    effective_on: date = Field(description="生效日期 / the day of the list")


class ExcellentWindows(BaseModel):
    """The year's excellent windows, among the branches' recommendations (R-17, R-25)."""

    model_config = _model({"windows": ["W01"], "effective_on": "2026-01-15"})

    windows: list[str] = Field(max_length=500, description="优秀窗口 / window codes")
    effective_on: date = Field(description="生效日期 / the day of the decision")


class PublicityObjection(BaseModel):
    """A staff member's objection to a publicised excellent staff member or window (R-18)."""

    model_config = _model(
        {"subject": "S001", "text": "was absent in May", "effective_on": "2026-02-13"}
    )

    subject: str = Field(min_length=1, max_length=40, description="对象 / staff or window")
    text: str = Field(min_length=1, max_length=4000, description="异议 / the objection")
    effective_on: date = Field(description="生效日期 / the day it was raised")


class ObjectionResolution(BaseModel):
    """The leading group's resolution of a publicity objection (R-18)."""

    model_config = _model(
        {"outcome": "dismissed", "reason": "the absence was leave", "effective_on": "2026-02-24"}
    )

    outcome: ObjectionOutcome = Field(description="结果 / upheld or dismissed")
    reason: str = Field(min_length=1, max_length=1000, description="理由 / why")
    effective_on: date = Field(description="生效日期 / the day of the resolution")
    new_grade: Grade | None = Field(
        default=None, description="新等次 / the new grade when upheld against a person"
    )


class YearResults(BaseModel):
    """The year's results as approved: the year's period decision (R-19)."""

    model_config = _model({"decision_ref": "LG-2026-03", "effective_on": "2026-03-02"})

    decision_ref: str = Field(min_length=1, max_length=200, description="决定文号 / decision")
    effective_on: date = Field(description="生效日期 / the day of the decision")
    decided_at_position: int | None = Field(
        default=None,
        ge=1,
        le=MAX_INT,
        description="依据位置 / the figures' log position (default: head)",
    )


class ResultNotification(BaseModel):
    """That the supervision office told a staff member their grade (R-19)."""

    model_config = _model({"staff_number": "S001", "effective_on": "2026-03-03"})

    staff_number: str = Field(min_length=1, max_length=40, description="员工编号 / who")
    effective_on: date = Field(description="生效日期 / the day they were told")


class Signature(BaseModel):
    """The staff member's signature and opinion on the registration form (R-19)."""

    model_config = _model({"opinion": "I agree", "agrees": True, "effective_on": "2026-03-04"})

    opinion: str = Field(min_length=1, max_length=4000, description="意见 / the opinion")
    agrees: bool = Field(description="同意 / whether they agree with the result")
    effective_on: date = Field(description="生效日期 / the day of the signature")


class HomeUnitFiling(BaseModel):
    """That a signed registration form was filed with the home unit (R-19)."""

    model_config = _model(
        {
            "staff_number": "S001",
            "home_unit": "Tax bureau",
            "reference": "HU-S001",
            "effective_on": "2026-03-05",
        }
    )

    staff_number: str = Field(min_length=1, max_length=40, description="员工编号 / whose form")
    home_unit: str = Field(min_length=1, max_length=200, description="派出单位 / the home unit")
    reference: str = Field(min_length=1, max_length=500, description="文号 / what was sent")
    effective_on: date = Field(description="生效日期 / the day it was filed")


class AuthorityFiling(BaseModel):
    """That the year's results were filed with the higher authority, or its receipt (R-19)."""

    model_config = _model({"reference": "checkpoint 120/3q2b…", "effective_on": "2026-03-05"})

    reference: str = Field(min_length=1, max_length=500, description="文号 / what was sent")
    effective_on: date = Field(description="生效日期 / the day of the step")


class ProposalOut(BaseModel):
    """An evaluation's proposed grade and its countersignature."""

    subject: str
    unit_code: str
    evaluator: str
    evaluator_role: Role
    proposed_grade: Grade
    countersigner_role: Role
    countersigned_by: str | None
    countersigned_on: date | None
    effective_on: date


class MeetingOut(BaseModel):
    """A branch's joint meeting."""

    branch: str
    recommended_staff: list[str]
    recommended_windows: list[str]
    effective_on: date


class PublicityOut(BaseModel):
    """The publicity of the excellent staff and windows (R-18, D-21)."""

    started_on: date
    due_on: date
    excellent_staff: list[str]
    excellent_windows: list[str]


class ObjectionOut(BaseModel):
    """An objection raised during publicity."""

    number: int
    subject: str
    raised_by: str
    raised_on: date
    outcome: ObjectionOutcome | None
    resolved_on: date | None


class AnnualAssessmentOut(BaseModel):
    """A year's annual assessment as recorded now (its steps: GET /api/v1/rounds/{year}/status)."""

    year: int = Field(examples=[2025])
    begun_on: date
    proposals: list[ProposalOut]
    mutual_forms_from: list[str] = Field(description="已交互评表 / who handed in the form")
    recommendation_forms: dict[str, list[str]] = Field(description="推荐表 / by unit")
    meetings: list[MeetingOut]
    grades: dict[str, Grade] = Field(description="初定等次 / the preliminary grades")
    preliminary_on: date | None
    excellent_windows: list[str] | None
    publicity: PublicityOut | None
    objections: list[ObjectionOut]
    approved_on: date | None
    decided_on: date | None
    notified: dict[str, date]
    filed_with_home_unit: dict[str, date]
    filing_reference: str | None
    filed_on: date | None
    receipt_on: date | None


@router.get("", summary="年度考核 / a year's annual assessment")
def read_annual_assessment(
    year: Year, reader: CenterReader, ledger: LedgerDep, response: Response
) -> AnnualAssessmentOut:
    """Every step's record; the ETag is its version (If-Match of the deciding steps)."""
    annual = ledger.annual_assessment(year)
    if annual is None:
        raise RecordNotFound(f"nothing of the {year} annual assessment is recorded")
    etag(response, annual.version)
    publicity = annual.publicity
    return AnnualAssessmentOut(
        year=annual.year,
        begun_on=annual.begun_on,
        proposals=[
            ProposalOut(
                subject=p.subject,
                unit_code=p.unit_code,
                evaluator=p.evaluator,
                evaluator_role=p.evaluator_role,
                proposed_grade=p.proposed_grade,
                countersigner_role=p.countersigner_role,
                countersigned_by=p.countersigned_by,
                countersigned_on=p.countersigned_on,
                effective_on=p.effective_on,
            )
            for _, p in sorted(annual.proposals.items())
        ],
        mutual_forms_from=sorted(annual.mutual_forms),
        recommendation_forms={
            code: list(chosen) for code, chosen in sorted(annual.recommendation_forms.items())
        },
        meetings=[
            MeetingOut(
                branch=m.branch,
                recommended_staff=list(m.recommended_staff),
                recommended_windows=list(m.recommended_windows),
                effective_on=m.effective_on,
            )
            for _, m in sorted(annual.meetings.items())
        ],
        grades=dict(sorted(annual.grades.items())),
        preliminary_on=annual.preliminary_on,
        excellent_windows=(
            list(annual.excellent_windows) if annual.excellent_windows is not None else None
        ),
        publicity=PublicityOut(
            started_on=publicity.started_on,
            due_on=publicity.due_on,
            excellent_staff=list(publicity.excellent_staff),
            excellent_windows=list(publicity.excellent_windows),
        )
        if publicity
        else None,
        objections=[
            ObjectionOut(
                number=o.number,
                subject=o.subject,
                raised_by=o.raised_by,
                raised_on=o.raised_on,
                outcome=o.outcome,
                resolved_on=o.resolved_on,
            )
            for _, o in sorted(annual.objections.items())
        ],
        approved_on=annual.approved_on,
        decided_on=annual.decided_on,
        notified=dict(sorted(annual.notified.items())),
        filed_with_home_unit=dict(sorted(annual.filed_with_home_unit.items())),
        filing_reference=annual.filing_reference,
        filed_on=annual.filed_on,
        receipt_on=annual.receipt_on,
    )


# The staff member's own steps: the actor is the token's person, acting over
# their own records, so nobody can hand in another's form.


@router.post("/self-summary", summary="个人总结 / hand in your self-summary (staff)")
def submit_self_summary(
    year: Year,
    body: SelfSummary,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the signed-in staff member's self-summary; the ETag is their record's version."""
    outcome = ledger.submit_self_summary(
        actor(account.person_id, Role.STAFF),
        year,
        body.text,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, Staff.create_id(account.person_id))


@router.post("/registration-form", summary="登记表 / hand in your registration form (staff)")
def submit_registration_form(
    year: Year,
    body: RegistrationForm,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the signed-in staff member's registration form on their category's form."""
    outcome = ledger.submit_registration_form(
        actor(account.person_id, Role.STAFF),
        year,
        body.category,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, Staff.create_id(account.person_id))


@router.post(
    "/mutual-evaluation-forms",
    status_code=201,
    summary="互评表 / hand in your mutual-evaluation form (staff)",
)
def submit_mutual_evaluation_form(
    year: Year,
    body: MutualEvaluationForm,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the signed-in staff member's grades for every colleague of the branch."""
    outcome = ledger.submit_mutual_evaluation_form(
        actor(account.person_id, Role.STAFF),
        year,
        dict(body.ratings),
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    created(response, f"/api/v1/years/{year}")
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/signature",
    summary="签署意见 / sign the registration form (staff, If-Match on your record)",
    responses=problem_responses(412, 428),
)
def sign_result(
    year: Year,
    body: Signature,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Sign with an opinion, after being notified; If-Match is your staff record's ETag
    (GET /api/v1/staff/{number})."""
    record = Staff.create_id(account.person_id)
    with if_matched(ledger, record, if_match, f"staff member {account.person_id}"):
        outcome = ledger.sign_result(
            actor(account.person_id, Role.STAFF),
            year,
            body.opinion,
            body.agrees,
            body.effective_on,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


# Heads and leaders in charge (R-13–R-15, D-17)


@router.post(
    "/evaluations",
    status_code=201,
    summary="评价并建议等次 / evaluate and propose a grade (head or leader in charge)",
)
def evaluate(
    year: Year,
    body: Evaluation,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    acting_as: Annotated[
        Evaluator, Query(description=_acting_as("the unit's head; for a head, the leader"))
    ] = Evaluator.WINDOW_HEAD,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the evaluation of a staff member of your unit (or of a head, as their leader in
    charge) with the proposed grade from their scheme."""
    outcome = ledger.evaluate(
        actor(account.person_id, Role(acting_as.value)),
        year,
        body.subject,
        body.evaluation,
        body.proposed_grade,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    created(response, f"/api/v1/years/{year}")
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/evaluations/{subject}/countersignature",
    summary="会签 / countersign a proposal (clerk, leader in charge or leading group)",
)
def countersign(
    year: Year,
    subject: Subject,
    body: Dated,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    acting_as: Annotated[
        Countersigner,
        Query(description=_acting_as("clerk for window heads' proposals, else leader in charge")),
    ] = Countersigner.SUPERVISION_CLERK,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Countersign the proposal about `subject` (R-14, D-17)."""
    outcome = ledger.countersign(
        actor(account.person_id, Role(acting_as.value)),
        year,
        subject,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/units/{code}/recommendation-form",
    summary="优秀人员推荐表 / the unit's excellent-staff recommendation form (head)",
)
def submit_recommendation_form(
    year: Year,
    code: UnitCode,
    body: RecommendationForm,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    acting_as: Annotated[Head, Query(description=_acting_as("the unit's head"))] = (
        Head.WINDOW_HEAD
    ),
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the head's recommendation form for their unit."""
    outcome = ledger.submit_recommendation_form(
        actor(account.person_id, Role(acting_as.value)),
        year,
        code,
        body.recommended,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/branches/{branch}/joint-meeting",
    summary="支部联席会议 / the branch's joint meeting (branch secretary)",
)
def hold_joint_branch_meeting(
    year: Year,
    branch: BranchCode,
    body: JointMeeting,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the meeting and the staff and windows it recommends (R-16)."""
    outcome = ledger.hold_joint_branch_meeting(
        actor(account.person_id, Role.BRANCH_SECRETARY),
        year,
        branch,
        body.recommended_staff,
        body.recommended_windows,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


# The leading group, the clerk, the committee and the higher authority


@router.post("/preliminary-grades", summary="初定等次 / fix the preliminary grades (leading group)")
def fix_preliminary_grades(
    year: Year,
    body: PreliminaryGrades,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Every participant's grade; excellent needs eligibility and respects the quota (D-20)."""
    outcome = ledger.fix_preliminary_grades(
        actor(account.person_id, Role.LEADING_GROUP),
        year,
        dict(body.grades),
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/excellent-windows", summary="年度优秀窗口 / decide the excellent windows (leading group)"
)
def decide_annual_excellent_windows(
    year: Year,
    body: ExcellentWindows,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Choose among the branches' recommendations; a disqualified window is refused (R-25)."""
    outcome = ledger.decide_annual_excellent_windows(
        actor(account.person_id, Role.LEADING_GROUP),
        year,
        body.windows,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post("/publicity", summary="公示 / start the publicity (clerk)")
def start_publicity(
    year: Year,
    body: Dated,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Publicise the excellent staff and windows for the policy's working days (D-21)."""
    outcome = ledger.start_publicity(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        year,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/publicity/objections",
    status_code=201,
    summary="公示异议 / object during publicity (staff)",
)
def raise_publicity_objection(
    year: Year,
    body: PublicityObjection,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record an objection to a publicised staff member or window; `number` is its number."""
    outcome = ledger.raise_publicity_objection(
        actor(account.person_id, Role.STAFF),
        year,
        body.subject,
        body.text,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    created(response, f"/api/v1/years/{year}")
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/publicity/objections/{number}/resolution",
    summary="处理公示异议 / resolve an objection (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def resolve_publicity_objection(
    year: Year,
    number: ObjectionNumber,
    body: ObjectionResolution,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Dismiss the objection, or uphold it (with a new grade for a person)."""
    record = AnnualAssessment.create_id(year)
    with if_matched(ledger, record, if_match, f"the {year} annual assessment"):
        outcome = ledger.resolve_publicity_objection(
            actor(account.person_id, Role.LEADING_GROUP),
            year,
            number,
            body.outcome,
            body.reason,
            body.effective_on,
            new_grade=body.new_grade,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post(
    "/approval",
    summary="批准优秀名单 / approve the excellent list (Party Working Committee, If-Match)",
    responses=problem_responses(412, 428),
)
def approve_excellent_list(
    year: Year,
    body: Dated,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Approve the list once publicity has run and every objection is resolved (D-22)."""
    record = AnnualAssessment.create_id(year)
    with if_matched(ledger, record, if_match, f"the {year} annual assessment"):
        outcome = ledger.approve_excellent_list(
            actor(account.person_id, Role.PARTY_WORKING_COMMITTEE),
            year,
            body.effective_on,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post(
    "/results",
    summary="决定年度结果 / decide the year's results (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def decide_year_results(
    year: Year,
    body: YearResults,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the results as approved and the year's period decision, in one transaction."""
    record = AnnualAssessment.create_id(year)
    with if_matched(ledger, record, if_match, f"the {year} annual assessment"):
        outcome = ledger.decide_year_results(
            actor(account.person_id, Role.LEADING_GROUP),
            year,
            body.decision_ref,
            body.effective_on,
            body.decided_at_position,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post("/notifications", summary="通知结果 / notify a staff member (clerk)")
def notify_result(
    year: Year,
    body: ResultNotification,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the day the staff member was told their grade (R-41's clocks start)."""
    outcome = ledger.notify_result(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        year,
        body.staff_number,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post("/home-unit-filings", summary="归档派出单位 / file with the home unit (clerk)")
def file_with_home_unit(
    year: Year,
    body: HomeUnitFiling,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record that a signed registration form was filed with the person's home unit."""
    outcome = ledger.file_with_home_unit(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        year,
        body.staff_number,
        body.home_unit,
        body.reference,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/higher-authority-filing", summary="报上级备案 / file with the higher authority (clerk)"
)
def file_with_higher_authority(
    year: Year,
    body: AuthorityFiling,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record what was filed (grades, titles, quota figures; see GET /api/v1/filings/{year})."""
    outcome = ledger.file_with_higher_authority(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        year,
        body.reference,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))


@router.post(
    "/higher-authority-filing/receipt",
    summary="确认收到备案 / record the filing's receipt (higher authority)",
)
def record_filing_receipt(
    year: Year,
    body: AuthorityFiling,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the higher authority's receipt of the year's filing."""
    outcome = ledger.record_filing_receipt(
        actor(account.person_id, Role.HIGHER_AUTHORITY),
        year,
        body.reference,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, AnnualAssessment.create_id(year))
