"""The annual assessment (SPEC 4.6, R-12–R-19, R-25; D-17, D-20–D-22): the year's record for the
center-wide roles, its participants for procedure readers, its publicity for every staff
member; and step by step, each by its role: the staff member's self-summary, registration
form, mutual-evaluation form and signature (own records only); heads' and leaders in charge's
evaluations and proposals and the countersignatures; heads' recommendation forms; joint branch
meetings; the leading group's preliminary grades and excellent windows; publicity (the clerk)
with objections (staff) and their resolutions (the leading group); the Party Working
Committee's approval; the results (the leading group); notification and filings (the clerk);
the higher authority's receipt.

If-Match is required where a step decides or approves the year's record (objection
resolutions, approval, results) or signs a record (the signature, on the staff record)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor
from api.deps import LedgerDep
from api.permissions import RegisteredReader, reads_center
from api.problems import problem_responses
from api.procedures import (
    MAX_INT,
    BranchCode,
    CenterReader,
    ProcedureReader,
    StepResult,
    Year,
    created,
    etag,
    if_matched,
    step_result,
)
from api.routing import resource_router
from api.schemas import PeriodDecisionBody, UnitCode
from ledger.aggregates.annual_assessment import AnnualAssessment, ObjectionOutcome
from ledger.aggregates.staff import Staff
from ledger.clock import local_date
from ledger.errors import RecordNotFound
from ledger.policy import Grade
from ledger.values import Role, StaffCategory

router = resource_router(
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
    """评价人 / Who evaluates (R-13, D-17): `window_head` 窗口负责人 (a window's head, for its
    staff), `office_head` 处室负责人 (an office's head, for its staff), `leader_in_charge`
    分管领导 (the leader in charge, for a head)."""

    WINDOW_HEAD = "window_head"
    OFFICE_HEAD = "office_head"
    LEADER_IN_CHARGE = "leader_in_charge"


class Countersigner(StrEnum):
    """会签人 / Who countersigns (R-14, D-17): `supervision_clerk` 督查室 (window heads'
    proposals), `leader_in_charge` 分管领导 (office heads' proposals), `leading_group`
    考核领导小组 (the leaders in charge's proposals about heads)."""

    SUPERVISION_CLERK = "supervision_clerk"
    LEADER_IN_CHARGE = "leader_in_charge"
    LEADING_GROUP = "leading_group"


class Head(StrEnum):
    """推荐表填写人 / Who fills a unit's excellent-staff recommendation form (R-15):
    `window_head` 窗口负责人 (a window's head), `office_head` 处室负责人 (an office's head)."""

    WINDOW_HEAD = "window_head"
    OFFICE_HEAD = "office_head"


def _acting_as(description: str) -> str:
    return f"以何角色 / the role you act in ({description}; you must hold it that day)"


def _model(example: JsonDict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class Dated(BaseModel):
    """只需日期的步骤 / A step that only needs its day."""

    model_config = _model({"effective_on": "2026-02-12"})

    effective_on: date = Field(
        description="生效日期 / the day of the step", examples=["2026-02-12"]
    )


class SelfSummary(BaseModel):
    """个人总结 / A staff member's self-summary of the year (R-12)."""

    model_config = _model({"text": "我的年度总结 / my year", "effective_on": "2026-01-05"})

    text: str = Field(
        min_length=1,
        max_length=20000,
        description="个人总结 / the summary",
        examples=["我的年度总结 / my year"],
    )
    effective_on: date = Field(
        description="生效日期 / the day it was handed in", examples=["2026-01-05"]
    )


class RegistrationForm(BaseModel):
    """考核登记表 / A staff member's registration form, on their category's form (R-12)."""

    model_config = _model({"category": "civil_servant", "effective_on": "2026-01-05"})

    category: StaffCategory = Field(
        description="登记表类别 / the form's category", examples=["civil_servant"]
    )
    effective_on: date = Field(
        description="生效日期 / the day it was handed in", examples=["2026-01-05"]
    )


class Evaluation(BaseModel):
    """评价与建议等次 / A head's evaluation of a staff member of their unit, or a leader in
    charge's of a head, with the proposed grade from the subject's scheme (R-13, D-17)."""

    model_config = _model(
        {
            "subject": "S001",
            "evaluation": "does the job well",
            "proposed_grade": "excellent",
            "effective_on": "2026-01-07",
        }
    )

    subject: str = Field(
        min_length=1, max_length=40, description="被评价人 / the staff member", examples=["S001"]
    )
    evaluation: str = Field(
        min_length=1,
        max_length=4000,
        description="评价 / the evaluation",
        examples=["业务熟练，办件及时，材料审核严谨"],
    )
    proposed_grade: Grade = Field(
        description="建议等次 / the proposed grade", examples=["excellent"]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the evaluation", examples=["2026-01-07"]
    )


class MutualEvaluationForm(BaseModel):
    """年度互评表 / A grade for every colleague of the branch (R-15)."""

    model_config = _model({"ratings": {"S002": "competent"}, "effective_on": "2026-01-09"})

    ratings: dict[str, Grade] = Field(
        description="评价 / staff number → grade", examples=[{"S002": "competent"}]
    )
    effective_on: date = Field(
        description="生效日期 / the day it was handed in", examples=["2026-01-09"]
    )


class RecommendationForm(BaseModel):
    """优秀人员推荐表 / A head's excellent-staff recommendation form for their unit
    (R-15)."""

    model_config = _model({"recommended": ["S001"], "effective_on": "2026-01-09"})

    recommended: StaffNumbers = Field(
        max_length=500, description="推荐 / staff numbers", examples=[["S001"]]
    )
    effective_on: date = Field(
        description="生效日期 / the day it was handed in", examples=["2026-01-09"]
    )


class JointMeeting(BaseModel):
    """支部联席会议 / A party branch's joint meeting and what it recommends (R-16)."""

    model_config = _model(
        {
            "recommended_staff": ["S001"],
            "recommended_windows": ["W01"],
            "effective_on": "2026-01-13",
        }
    )

    recommended_staff: StaffNumbers = Field(
        max_length=500, description="推荐人员 / staff", examples=[["S001"]]
    )
    recommended_windows: list[str] = Field(
        max_length=500, description="推荐窗口 / windows", examples=[["W01"]]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the meeting", examples=["2026-01-13"]
    )


class PreliminaryGrades(BaseModel):
    """初定等次 / The leading group's preliminary grade of every participant (R-17, D-20)."""

    model_config = _model({"grades": {"S001": "excellent"}, "effective_on": "2026-01-15"})

    grades: dict[str, Grade] = Field(
        description="初定等次 / staff number → grade", examples=[{"S001": "excellent"}]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the list", examples=["2026-01-15"]
    )


class ExcellentWindows(BaseModel):
    """年度优秀窗口 / The year's excellent windows, among the branches' recommendations (R-17,
    R-25)."""

    model_config = _model({"windows": ["W01"], "effective_on": "2026-01-15"})

    windows: list[str] = Field(
        max_length=500, description="优秀窗口 / window codes", examples=[["W01"]]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the decision", examples=["2026-01-15"]
    )


class PublicityObjection(BaseModel):
    """公示异议 / A staff member's objection to a publicised excellent staff member or window
    (R-18)."""

    model_config = _model(
        {"subject": "S001", "text": "was absent in May", "effective_on": "2026-02-13"}
    )

    subject: str = Field(
        min_length=1, max_length=40, description="对象 / staff or window", examples=["S001"]
    )
    text: str = Field(
        min_length=1,
        max_length=4000,
        description="异议 / the objection",
        examples=["was absent in May"],
    )
    effective_on: date = Field(
        description="生效日期 / the day it was raised", examples=["2026-02-13"]
    )


class ObjectionResolution(BaseModel):
    """公示异议的处理 / The leading group's resolution of a publicity objection (R-18)."""

    model_config = _model(
        {"outcome": "dismissed", "reason": "the absence was leave", "effective_on": "2026-02-24"}
    )

    outcome: ObjectionOutcome = Field(
        description="结果 / upheld or dismissed", examples=["dismissed"]
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="理由 / why",
        examples=["the absence was leave"],
    )
    effective_on: date = Field(
        description="生效日期 / the day of the resolution", examples=["2026-02-24"]
    )
    new_grade: Grade | None = Field(
        default=None,
        description="新等次 / the new grade when upheld against a person",
        examples=["competent"],
    )


class YearResults(PeriodDecisionBody):
    """年度结果 / The year's results as approved: the year's period decision (R-19)."""

    model_config = _model({"decision_ref": "LG-2026-03", "effective_on": "2026-03-02"})


class AmendedYearResults(PeriodDecisionBody):
    """修正后的年度结果 / The year's amended results after a reopening (D-13): the grades that
    change, and the excellent windows kept (null: as decided)."""

    model_config = _model(
        {
            "grades": {"S001": "competent"},
            "excellent_windows": None,
            "decision_ref": "LG-2026-07",
            "effective_on": "2026-04-20",
        }
    )

    grades: dict[str, Grade] = Field(
        max_length=5000,
        description="改变的等次 / staff number → the amended grade (only those that change)",
        examples=[{"S001": "competent"}],
    )
    excellent_windows: list[str] | None = Field(
        default=None,
        max_length=500,
        description="优秀窗口 / the excellent windows kept (none added); null: as decided",
        examples=[["W01"]],
    )


class ResultNotification(BaseModel):
    """结果通知 / That the supervision office told a staff member their grade (R-19)."""

    model_config = _model({"staff_number": "S001", "effective_on": "2026-03-03"})

    staff_number: str = Field(
        min_length=1, max_length=40, description="员工编号 / who", examples=["S001"]
    )
    effective_on: date = Field(
        description="生效日期 / the day they were told", examples=["2026-03-03"]
    )


class Signature(BaseModel):
    """本人签署 / The staff member's signature and opinion on the registration form (R-19)."""

    model_config = _model({"opinion": "I agree", "agrees": True, "effective_on": "2026-03-04"})

    opinion: str = Field(
        min_length=1, max_length=4000, description="意见 / the opinion", examples=["同意 / I agree"]
    )
    agrees: bool = Field(description="同意 / whether they agree with the result", examples=[True])
    effective_on: date = Field(
        description="生效日期 / the day of the signature", examples=["2026-03-04"]
    )


class HomeUnitFiling(BaseModel):
    """归档派出单位 / That a signed registration form was filed with the home unit (R-19)."""

    model_config = _model(
        {
            "staff_number": "S001",
            "home_unit": "Tax bureau",
            "reference": "HU-S001",
            "effective_on": "2026-03-05",
        }
    )

    staff_number: str = Field(
        min_length=1, max_length=40, description="员工编号 / whose form", examples=["S001"]
    )
    home_unit: str = Field(
        min_length=1,
        max_length=200,
        description="派出单位 / the home unit",
        examples=["Tax bureau"],
    )
    reference: str = Field(
        min_length=1, max_length=500, description="文号 / what was sent", examples=["HU-S001"]
    )
    effective_on: date = Field(
        description="生效日期 / the day it was filed", examples=["2026-03-05"]
    )


class AuthorityFiling(BaseModel):
    """报上级备案 / That the year's results were filed with the higher authority, or its
    receipt (R-19)."""

    model_config = _model({"reference": "checkpoint 120/3q2b…", "effective_on": "2026-03-05"})

    reference: str = Field(
        min_length=1,
        max_length=500,
        description="文号 / what was sent",
        examples=["checkpoint 120/3q2b…"],
    )
    effective_on: date = Field(
        description="生效日期 / the day of the step", examples=["2026-03-05"]
    )


class ProposalOut(BaseModel):
    """评价建议 / An evaluation's proposed grade and its countersignature."""

    subject: str = Field(description="被评价人 / the staff member", examples=["S001"])
    unit_code: str = Field(description="考核单位 / the unit they are assessed in", examples=["W01"])
    evaluator: str = Field(description="评价人 / who evaluated them", examples=["H001"])
    evaluator_role: Role = Field(
        description="评价人身份 / the role the evaluator acted in", examples=["window_head"]
    )
    proposed_grade: Grade = Field(
        description="建议等次 / the proposed grade", examples=["competent"]
    )
    countersigner_role: Role = Field(
        description="会签人 / who countersigns it (R-14, D-17)", examples=["supervision_clerk"]
    )
    countersigned_by: str | None = Field(
        description="会签人编号 / who countersigned it, null until then", examples=["C001"]
    )
    countersigned_on: date | None = Field(
        description="会签日期 / the day of the countersignature, null until then",
        examples=["2026-01-16"],
    )
    effective_on: date = Field(
        description="生效日期 / the day of the evaluation", examples=["2026-01-12"]
    )


class MeetingOut(BaseModel):
    """支部联席会议 / A branch's joint meeting."""

    branch: str = Field(description="党支部 / the party branch", examples=["B1"])
    recommended_staff: list[str] = Field(
        description="推荐人员 / the staff it recommends", examples=[["S001"]]
    )
    recommended_windows: list[str] = Field(
        description="推荐窗口 / the windows it recommends", examples=[["W01"]]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the meeting", examples=["2026-01-26"]
    )


class PublicityOut(BaseModel):
    """公示 / The publicity of the excellent staff and windows (R-18, D-21)."""

    started_on: date = Field(description="公示开始 / the first day", examples=["2026-02-05"])
    due_on: date = Field(
        description="公示截止 / the last day objections are taken", examples=["2026-02-12"]
    )
    excellent_staff: list[str] = Field(
        description="优秀人员 / the staff proposed as excellent", examples=[["S001"]]
    )
    excellent_windows: list[str] = Field(
        description="优秀窗口 / the windows proposed as excellent", examples=[["W01"]]
    )


class ObjectionOut(BaseModel):
    """公示异议 / An objection raised during publicity."""

    number: int = Field(description="异议编号 / the objection's number", examples=[1])
    subject: str = Field(
        description="对象 / the staff member or window objected to", examples=["S001"]
    )
    raised_by: str = Field(description="提出人 / who raised it", examples=["S002"])
    raised_on: date = Field(description="提出日期 / the day it was raised", examples=["2026-02-09"])
    outcome: ObjectionOutcome | None = Field(
        description="结果 / upheld or dismissed, null while open", examples=["dismissed"]
    )
    resolved_on: date | None = Field(
        description="处理日期 / the day it was resolved, null while open", examples=["2026-02-24"]
    )


class SupersededFiling(BaseModel):
    """已被取代的备案 / A filing with the higher authority replaced by an amended filing."""

    reference: str = Field(description="备案文号 / its reference", examples=["FILING-2025-1"])
    filed_on: date = Field(description="备案日期 / the day it was filed", examples=["2026-03-05"])


class AnnualAssessmentOut(BaseModel):
    """年度考核 / A year's annual assessment as recorded now (its steps:
    GET /api/v1/rounds/{year}/status)."""

    year: int = Field(description="考核年度 / the year", examples=[2025])
    begun_on: date = Field(
        description="开始日期 / the day of its first step", examples=["2026-01-12"]
    )
    proposals: list[ProposalOut] = Field(
        description="评价建议 / the evaluations and proposed grades, by subject"
    )
    mutual_forms_from: list[str] = Field(
        description="已交互评表 / who handed in the form", examples=[["S001", "S002"]]
    )
    recommendation_forms: dict[str, list[str]] = Field(
        description="推荐表 / by unit", examples=[{"W01": ["S001"]}]
    )
    meetings: list[MeetingOut] = Field(description="支部联席会议 / the branches' joint meetings")
    grades: dict[str, Grade] = Field(
        description="等次 / the grades: preliminary, as changed by upheld objections, then as "
        "decided (and amended after a reopening)",
        examples=[{"S001": "excellent", "S002": "competent"}],
    )
    preliminary_on: date | None = Field(
        description="初定日期 / the day of the preliminary list, null before it",
        examples=["2026-02-03"],
    )
    excellent_windows: list[str] | None = Field(
        description="优秀窗口 / the year's excellent windows, null before the decision",
        examples=[["W01"]],
    )
    publicity: PublicityOut | None = Field(description="公示 / the publicity, null before it")
    objections: list[ObjectionOut] = Field(description="公示异议 / the objections, by number")
    approved_on: date | None = Field(
        description="批准日期 / the Party Working Committee's approval, null until then",
        examples=["2026-02-27"],
    )
    decided_on: date | None = Field(
        description="决定日期 / the day the results were decided, null until then",
        examples=["2026-03-02"],
    )
    amended_on: date | None = Field(
        description="修正日期 / the day of the last amended results after a reopening (D-13), "
        "null if none",
        examples=[None],
    )
    notified: dict[str, date] = Field(
        description="结果通知 / staff number → the day they were told",
        examples=[{"S001": "2026-03-03"}],
    )
    filed_with_home_unit: dict[str, date] = Field(
        description="归档派出单位 / staff number → the day the form was filed with the home unit",
        examples=[{"S001": "2026-03-05"}],
    )
    filing_reference: str | None = Field(
        description="备案文号 / what was filed with the higher authority, null until then",
        examples=["checkpoint 120/3q2b…"],
    )
    filed_on: date | None = Field(
        description="备案日期 / the day of the filing, null until then", examples=["2026-03-05"]
    )
    receipt_on: date | None = Field(
        description="回执日期 / the day the higher authority's receipt was recorded, null "
        "until then",
        examples=["2026-03-09"],
    )
    refiling_due: bool = Field(
        description="须重新备案 / the results were amended after they were filed: the amended "
        "filing is due",
        examples=[False],
    )
    superseded_filings: list[SupersededFiling] = Field(
        description="已被取代的备案 / earlier filings, each replaced by an amended filing"
    )


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
        amended_on=annual.amended_on,
        notified=dict(sorted(annual.notified.items())),
        filed_with_home_unit=dict(sorted(annual.filed_with_home_unit.items())),
        filing_reference=annual.filing_reference,
        filed_on=annual.filed_on,
        receipt_on=annual.receipt_on,
        refiling_due=annual.refiling_due,
        superseded_filings=[
            SupersededFiling(reference=reference, filed_on=filed_on)
            for reference, filed_on in annual.superseded_filings
        ],
    )


class ParticipantOut(BaseModel):
    """年度考核参加人员 / A staff member taking part in the year's assessment, where, and who
    evaluates and countersigns them (R-13, R-14, D-17)."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S0001"])
    category: StaffCategory = Field(
        description="人员类别 / category: their form and grade scheme (R-12)",
        examples=["civil_servant"],
    )
    unit_code: str = Field(
        description="考核单位 / the unit they are assessed in: their membership on 31 December, "
        "or their last one in the year",
        examples=["W01"],
    )
    branch: str = Field(description="党支部 / their unit's party branch", examples=["B1"])
    on: date = Field(
        description="基准日 / the reference day: 31 December, or the last day of their last "
        "membership in the year",
        examples=["2025-12-31"],
    )
    head: bool = Field(
        description="负责人 / whether they headed their unit on the reference day", examples=[False]
    )
    evaluator_role: Role = Field(
        description="评价人 / who evaluates them: the unit's head, or for a head the leader in "
        "charge (R-13, D-17)",
        examples=["window_head"],
    )
    countersigner_role: Role = Field(
        description="会签人 / who countersigns the proposal (R-14, D-17); a leader in charge is "
        "their unit's",
        examples=["supervision_clerk"],
    )


class ParticipantsOut(BaseModel):
    """年度考核参加人员名单 / Who takes part in a year's annual assessment, as the log stands
    now."""

    year: int = Field(description="考核年度 / the year", examples=[2025])
    participants: list[ParticipantOut] = Field(
        description="参加人员 / everyone assigned to a unit at some time in the year, by number"
    )
    partial: bool = Field(
        description="部分 / true when people outside the reader's units are left out",
        examples=[False],
    )


class PublicisedStaff(BaseModel):
    """公示的优秀人员 / A staff member publicised as proposed excellent (R-18)."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S0042"])
    name: str = Field(description="姓名 / name", examples=["张三"])
    unit_code: str | None = Field(
        description="考核单位 / the unit they are assessed in", examples=["W01"]
    )
    withdrawn: bool = Field(
        description="已撤销 / an upheld objection has since lowered the grade", examples=[False]
    )


class PublicisedWindow(BaseModel):
    """公示的优秀窗口 / A window publicised as the year's excellent window (R-18, R-25)."""

    code: str = Field(description="窗口代码 / unit code", examples=["W01"])
    name: str = Field(description="名称 / name", examples=["Tax"])
    withdrawn: bool = Field(
        description="已撤销 / an upheld objection has since withdrawn the title", examples=[False]
    )


class PublicityObjectionNotice(BaseModel):
    """公示异议 / An objection raised during publicity, as every staff member may see it."""

    number: int = Field(description="异议编号 / the objection's number", examples=[1])
    subject: str = Field(
        description="对象 / the staff member or window objected to", examples=["S0042"]
    )
    raised_on: date = Field(description="提出日期 / the day it was raised", examples=["2026-02-13"])
    raised_by: str | None = Field(
        description="提出人 / who raised it: shown to the supervision clerk, the leading group, "
        "the Party Working Committee and the objector; null for everyone else",
        examples=[None],
    )
    outcome: ObjectionOutcome | None = Field(
        description="结果 / upheld or dismissed by the leading group, null while open",
        examples=["dismissed"],
    )
    resolved_on: date | None = Field(
        description="处理日期 / the day it was resolved", examples=["2026-02-24"]
    )


class PublicityNotice(BaseModel):
    """公示 / The publicity of the year's proposed excellent staff and windows (R-18, D-21):
    during it anyone may object (POST .../publicity/objections)."""

    year: int = Field(description="考核年度 / the year", examples=[2025])
    started_on: date = Field(description="公示开始 / the first day", examples=["2026-02-12"])
    last_day: date = Field(
        description="公示截止 / the last day objections are taken (D-21: the policy's working "
        "days after the start)",
        examples=["2026-02-26"],
    )
    running: bool = Field(
        description="公示中 / whether today is within the publicity", examples=[True]
    )
    approved_on: date | None = Field(
        description="批准日期 / the Party Working Committee's approval (D-22), null until then",
        examples=[None],
    )
    excellent_staff: list[PublicisedStaff] = Field(
        description="优秀人员 / the staff proposed as excellent"
    )
    excellent_windows: list[PublicisedWindow] = Field(
        description="优秀窗口 / the windows proposed as excellent"
    )
    objections_raised: int = Field(description="异议数 / objections raised", examples=[1])
    objections_open: int = Field(description="未处理异议数 / objections not resolved", examples=[0])
    objections: list[PublicityObjectionNotice] = Field(
        description="异议 / the objections, by number"
    )


@router.get("/participants", summary="年度考核参加人员 / who takes part in the year")
def list_year_participants(
    year: Year, reader: ProcedureReader, ledger: LedgerDep
) -> ParticipantsOut:
    """Everyone assigned to a unit at some time in the year, with the unit they are assessed
    in, their evaluator and countersigner. A head, leader in charge or branch secretary sees
    their units' people (`partial`)."""
    roster = ledger.year_roster(year)
    participants = [
        ParticipantOut(
            staff_number=number,
            category=participant.category,
            unit_code=participant.unit_code,
            branch=roster.branch_of(number),
            on=participant.on,
            head=roster.is_head(number),
            evaluator_role=roster.evaluator_role(number),
            countersigner_role=roster.countersigner(number)[0],
        )
        for number, participant in roster.participants.items()
        if reader.shows(number)
    ]
    return ParticipantsOut(
        year=year,
        participants=participants,
        partial=len(participants) != len(roster.participants),
    )


@router.get("/publicity", summary="公示 / the publicity of the excellent list (any staff member)")
def read_publicity(year: Year, reader: RegisteredReader, ledger: LedgerDep) -> PublicityNotice:
    """Who is proposed as excellent, from when until when, and the objections' outcomes; who
    objected only for the center-wide roles and the objector. 404 until publicity starts."""
    annual = ledger.annual_assessment(year)
    publicity = annual.publicity if annual is not None else None
    if annual is None or publicity is None:
        raise RecordNotFound(f"the publicity of the {year} excellent list has not started")
    today = local_date(ledger.clock())
    # The objectors are named only to those who decide on objections and to the objector.
    named = reads_center(ledger, reader, today)
    units = {number: p.unit_code for number, p in ledger.year_roster(year).participants.items()}
    windows_now = set(annual.excellent_windows or ())
    objections = [
        PublicityObjectionNotice(
            number=o.number,
            subject=o.subject,
            raised_on=o.raised_on,
            raised_by=o.raised_by if named or o.raised_by == reader else None,
            outcome=o.outcome,
            resolved_on=o.resolved_on,
        )
        for _, o in sorted(annual.objections.items())
    ]
    return PublicityNotice(
        year=year,
        started_on=publicity.started_on,
        last_day=publicity.due_on,
        running=publicity.started_on <= today <= publicity.due_on,
        approved_on=annual.approved_on,
        excellent_staff=[
            PublicisedStaff(
                staff_number=number,
                name=ledger.staff(number).name,
                unit_code=units.get(number),
                withdrawn=annual.grades.get(number) != Grade.EXCELLENT,
            )
            for number in publicity.excellent_staff
        ],
        excellent_windows=[
            PublicisedWindow(
                code=code, name=ledger.unit(code).name, withdrawn=code not in windows_now
            )
            for code in publicity.excellent_windows
        ],
        objections_raised=len(objections),
        objections_open=len(annual.open_objections),
        objections=objections,
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
        Evaluator,
        Query(
            description=_acting_as("the unit's head; for a head, the leader"),
            examples=["window_head"],
        ),
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
        Query(
            description=_acting_as("clerk for window heads' proposals, else leader in charge"),
            examples=["supervision_clerk"],
        ),
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
    acting_as: Annotated[
        Head, Query(description=_acting_as("the unit's head"), examples=["window_head"])
    ] = Head.WINDOW_HEAD,
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


@router.post(
    "/results/amendment",
    summary="修正年度结果 / amend the results after a reopening (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def amend_year_results(
    year: Year,
    body: AmendedYearResults,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """After the leading group reopened the year for a late entry (D-13), record the amended
    results and the year's amended decision in one transaction; whoever's grade changed is told,
    signs and is filed with the home unit again, and filed results are filed again."""
    record = AnnualAssessment.create_id(year)
    with if_matched(ledger, record, if_match, f"the {year} annual assessment"):
        outcome = ledger.amend_year_results(
            actor(account.person_id, Role.LEADING_GROUP),
            year,
            body.grades,
            body.excellent_windows,
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
