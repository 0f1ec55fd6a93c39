"""A staff member's own result of a year's annual assessment (R-12, R-17–R-19, R-41): the forms
they handed in, their grade as it stands (preliminary, then final), when they were told it,
their signature, the review and appeal of an incompetent or unqualified grade, and whether and
by when one may still be lodged. Read by the person and by those who read that person."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from api.deps import LedgerDep
from api.permissions import StaffReader
from api.problems import problem_responses
from api.procedures import Year
from api.routers.objections import StageOut, stage_out
from api.routing import resource_router
from api.schemas import StaffNumber
from ledger.aggregates.grade_challenge import GradeChallenge
from ledger.application import MAX_PAGE, AssessmentLedger
from ledger.clock import local_date
from ledger.errors import RecordNotFound, RuleViolation
from ledger.policy import CHALLENGEABLE, Grade
from ledger.policy.grades import challenge_clocks

router = resource_router(
    prefix="/api/v1/staff/{staff_number}/years",
    tags=["years"],
    responses=problem_responses(401, 403, 404, 422, 503),
)

SIGNED = "ledger.staff.RegistrationFormSigned.v1"


class GradeStanding(StrEnum):
    """等次进度 / How far the grade has come (R-17, R-19): `none` 未定 (no preliminary grade
    yet), `preliminary` 初定 (on the leading group's preliminary list; publicity objections may
    still change it), `final` 已决定 (the year's results are decided)."""

    NONE = "none"
    """No preliminary grade yet."""
    PRELIMINARY = "preliminary"
    """On the leading group's preliminary list (publicity objections may still change it)."""
    FINAL = "final"
    """The year's results are decided."""


class SignatureOut(BaseModel):
    """本人签署 / The person's signature and opinion on the registration form (R-19)."""

    signed_on: date = Field(description="签署日期 / the day they signed", examples=["2026-03-04"])
    agrees: bool = Field(description="同意 / whether they agree with the result", examples=[True])
    opinion: str = Field(description="意见 / the opinion they wrote", examples=["同意 / I agree"])


class ChallengeOut(BaseModel):
    """复核与申诉 / The review and appeal of the grade so far (R-41): they do not suspend the
    result and cannot make it worse."""

    standing_grade: Grade = Field(
        description="现等次 / the grade after the last decision of a review or appeal",
        examples=["incompetent"],
    )
    review: StageOut | None = Field(description="复核 / the review, null if none was requested")
    appeal: StageOut | None = Field(description="申诉 / the appeal, null if none was lodged")


class ChallengeClock(BaseModel):
    """复核申诉期限 / What the person may still lodge against the grade, and by when (R-41:
    calendar days, by staff category; POST .../grade-challenges/{year}/review or /appeal)."""

    challengeable: bool = Field(
        description="可复核 / whether the grade may be challenged: incompetent or unqualified, "
        "decided and notified",
        examples=[True],
    )
    may_request_review: bool = Field(
        description="可申请复核 / whether a review may be requested today", examples=[True]
    )
    review_request_due_on: date | None = Field(
        description="复核申请截止 / the last day to request a review; null when none can be "
        "requested any more (one was, or an appeal was lodged directly) or the calendar of "
        "that day is not loaded",
        examples=["2026-04-02"],
    )
    may_lodge_appeal: bool = Field(
        description="可提出申诉 / whether an appeal may be lodged today (directly, or after the "
        "review's decision)",
        examples=[True],
    )
    appeal_due_on: date | None = Field(
        description="申诉截止 / the last day to appeal; null when none can be lodged now (one "
        "was, or a review awaits its decision) or the calendar of that day is not loaded",
        examples=["2026-04-02"],
    )


class AnnualResult(BaseModel):
    """年度考核结果 / A staff member's result of a year's annual assessment, as recorded
    now."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S0001"])
    year: int = Field(description="考核年度 / the year", examples=[2025])
    participant: bool = Field(
        description="参加考核 / whether they take part: assigned to a unit at some time in the "
        "year",
        examples=[True],
    )
    unit_code: str | None = Field(
        description="考核单位 / the unit they are assessed in, null if they take no part",
        examples=["W01"],
    )
    self_summary_on: date | None = Field(
        description="个人总结 / the day they handed in the self-summary (R-12)",
        examples=["2026-01-05"],
    )
    registration_form_on: date | None = Field(
        description="登记表 / the day they handed in the registration form (R-12)",
        examples=["2026-01-05"],
    )
    grade: Grade | None = Field(
        description="等次 / the grade: the leading group's preliminary one (R-17, as changed by "
        "upheld publicity objections), then the decided one; null before the preliminary list",
        examples=["competent"],
    )
    grade_standing: GradeStanding = Field(
        description="等次状态 / none, preliminary or final", examples=["final"]
    )
    results_decided_on: date | None = Field(
        description="结果决定日期 / the day the year's results were decided (R-19)",
        examples=["2026-03-02"],
    )
    notified_on: date | None = Field(
        description="通知日期 / the day they were told their grade (R-19; R-41's clocks start)",
        examples=["2026-03-03"],
    )
    signature: SignatureOut | None = Field(
        description="签署 / their signature on the registration form, null until they sign"
    )
    challenge: ChallengeOut | None = Field(
        description="复核与申诉 / the review and appeal of the grade, null if none was lodged"
    )
    clock: ChallengeClock = Field(description="期限 / whether and by when they may challenge it")


def _due(ledger: AssessmentLedger, start: date, days: int) -> date | None:
    """The last day of a clock of calendar days, or None when the calendar is not loaded."""
    try:
        return ledger.calendar_days_after(start, days).due_on
    except RuleViolation:
        return None


def _clock(
    ledger: AssessmentLedger,
    staff_number: str,
    grade: Grade | None,
    notified_on: date | None,
    challenge: GradeChallenge | None,
) -> ChallengeClock:
    """R-41's clocks as the application counts them for a request made today."""
    if grade not in CHALLENGEABLE or notified_on is None:
        return ChallengeClock(
            challengeable=False,
            may_request_review=False,
            review_request_due_on=None,
            may_lodge_appeal=False,
            appeal_due_on=None,
        )
    today = local_date(ledger.clock())
    clocks = challenge_clocks(ledger.staff(staff_number).category)
    review = challenge.review if challenge is not None else None
    appeal = challenge.appeal if challenge is not None else None
    review_due = None
    if review is None and appeal is None:
        review_due = _due(ledger, notified_on, clocks.review_request_days)
    appeal_due = None
    if appeal is None and review is None:
        appeal_due = _due(ledger, notified_on, clocks.appeal_direct_days)
    elif appeal is None and review is not None and review.decided_on is not None:
        appeal_due = _due(ledger, review.decided_on, clocks.appeal_after_review_days)
    return ChallengeClock(
        challengeable=True,
        may_request_review=review_due is not None and today <= review_due,
        review_request_due_on=review_due,
        may_lodge_appeal=appeal_due is not None and today <= appeal_due,
        appeal_due_on=appeal_due,
    )


def _opinion(ledger: AssessmentLedger, staff_number: str, year: int) -> str:
    """The opinion the person wrote when signing the year's form (the record keeps only the day
    and whether they agree), from their stream, newest first."""
    stream = ledger.staff_stream(staff_number)
    before = None
    while True:
        page = ledger.history(stream, before=before, limit=MAX_PAGE, newest_first=True)
        for item in page:
            if item.event == SIGNED and item.payload.get("year") == year:
                return str(item.payload["opinion"])
        if len(page) < MAX_PAGE:
            return ""
        before = page[-1].position


def _challenge(ledger: AssessmentLedger, staff_number: str, year: int) -> GradeChallenge | None:
    try:
        return ledger.grade_challenge(staff_number, year)
    except RecordNotFound:
        return None


@router.get("/{year}", summary="年度考核结果 / a staff member's annual result")
def read_annual_result(
    staff_number: StaffNumber, year: Year, reader: StaffReader, ledger: LedgerDep
) -> AnnualResult:
    """Their forms, grade (preliminary, then final), notification, signature and challenge, and
    whether and by when a review or appeal may still be lodged; 404 until the year's
    assessment has begun."""
    annual = ledger.annual_assessment(year)
    if annual is None:
        raise RecordNotFound(f"nothing of the {year} annual assessment is recorded")
    participant = ledger.year_roster(year).participants.get(staff_number)
    forms = ledger.staff(staff_number).annual_forms(year)
    grade = annual.grades.get(staff_number)
    standing = GradeStanding.NONE
    if grade is not None:
        standing = GradeStanding.FINAL if annual.decided_on else GradeStanding.PRELIMINARY
    notified_on = annual.notified.get(staff_number)
    challenge = _challenge(ledger, staff_number, year)
    signature = None
    if forms.signed_on is not None:
        signature = SignatureOut(
            signed_on=forms.signed_on,
            agrees=bool(forms.agrees),
            opinion=_opinion(ledger, staff_number, year),
        )
    decided_grade = grade if annual.decided_on is not None else None
    return AnnualResult(
        staff_number=staff_number,
        year=year,
        participant=participant is not None,
        unit_code=participant.unit_code if participant is not None else None,
        self_summary_on=forms.self_summary_on,
        registration_form_on=forms.registration_form_on,
        grade=grade,
        grade_standing=standing,
        results_decided_on=annual.decided_on,
        notified_on=notified_on,
        signature=signature,
        challenge=ChallengeOut(
            standing_grade=challenge.standing_grade,
            review=stage_out(challenge.review),
            appeal=stage_out(challenge.appeal),
        )
        if challenge is not None
        else None,
        clock=_clock(ledger, staff_number, decided_grade, notified_on, challenge),
    )
