"""The quarterly evaluation (月考季评, SPEC 4.5, R-08–R-11, D-15, D-16): functional offices'
opinions, the clerk's compilation, each branch's mutual evaluation among windows (open or
unlinkable ballots), its tally and recommendations, the leading group's preliminary examination
and its decision publishing the results (If-Match on the quarter's evaluation)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor
from api.deps import LedgerDep
from api.problems import problem_responses
from api.procedures import (
    BranchCode,
    CenterReader,
    QuarterKey,
    StepResult,
    created,
    etag,
    if_matched,
    step_result,
)
from api.routing import resource_router
from api.schemas import PeriodDecisionBody
from ledger.aggregates.quarterly_evaluation import (
    BallotMode,
    QuarterlyEvaluation,
    Rating,
    Selection,
)
from ledger.values import Role

router = resource_router(
    prefix="/api/v1/quarters/{period}",
    tags=["quarters"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)

Codes = list[str]


class OpinionSubmission(BaseModel):
    """职能处室书面意见 / A functional office's written opinion on a staff member or a unit
    (R-08)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "S001",
                    "opinion": "punctual and courteous",
                    "effective_on": "2025-03-28",
                }
            ]
        },
    )

    subject: str = Field(
        min_length=1, max_length=40, description="对象 / staff number or unit", examples=["S001"]
    )
    opinion: str = Field(
        min_length=1,
        max_length=4000,
        description="意见 / the written opinion",
        examples=["服务规范，群众评价较好，未发现违反工作纪律情况"],
    )
    effective_on: date = Field(
        description="生效日期 / the day it was submitted", examples=["2025-03-28"]
    )
    office: str | None = Field(
        default=None,
        max_length=40,
        description="处室 / the office acted for (only when you hold the grant for several)",
        examples=["O01"],
    )


class Dated(BaseModel):
    """只需日期的步骤 / A step that only needs its day."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"effective_on": "2025-04-02"}]}
    )

    effective_on: date = Field(
        description="生效日期 / the day of the step", examples=["2025-04-02"]
    )


class MutualEvaluationOpening(BaseModel):
    """开启窗口互评 / A branch's mutual evaluation among its windows, run open or unlinkable
    (SPEC 5)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"mode": "unlinkable", "effective_on": "2025-04-03"}]},
    )

    mode: BallotMode = Field(
        description="方式 / open (ballots name voters) or unlinkable", examples=["unlinkable"]
    )
    effective_on: date | None = Field(
        default=None, description="生效日期 / default: today", examples=["2025-04-03"]
    )


class Ballot(BaseModel):
    """互评选票 / A branch member's ratings of every other window of the branch (R-10)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ratings": {"W02": "excellent"}}]},
    )

    ratings: dict[str, Rating] = Field(
        description="评价 / window code → excellent, good, fair or poor (not your own window)",
        examples=[{"W02": "excellent", "W03": "good"}],
    )
    effective_on: date | None = Field(
        default=None, description="生效日期 / default: today", examples=["2025-04-07"]
    )


class Tally(BaseModel):
    """计票 / The branch secretary counts the ballots."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})

    effective_on: date | None = Field(
        default=None, description="生效日期 / default: today", examples=["2025-04-08"]
    )


class Recommendations(BaseModel):
    """支部推荐 / A branch's recommended excellent individuals and windows (R-10)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "excellent_individuals": ["S004"],
                    "excellent_windows": ["W01"],
                    "effective_on": "2025-04-15",
                }
            ]
        },
    )

    excellent_individuals: Codes = Field(
        max_length=500, description="优秀个人 / staff numbers", examples=[["S004"]]
    )
    excellent_windows: Codes = Field(
        max_length=500, description="优秀窗口 / window codes", examples=[["W01"]]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the recommendation", examples=["2025-04-09"]
    )


class Examination(BaseModel):
    """初审 / The leading group's preliminary examination: which recommendations it
    accepts."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "accepted_individuals": ["S004"],
                    "accepted_windows": ["W01", "W04"],
                    "effective_on": "2025-04-15",
                }
            ]
        },
    )

    accepted_individuals: Codes = Field(
        max_length=500, description="接受的个人 / staff numbers", examples=[["S004"]]
    )
    accepted_windows: Codes = Field(
        max_length=500, description="接受的窗口 / window codes", examples=[["W01", "W04"]]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the examination", examples=["2025-04-11"]
    )


class Results(PeriodDecisionBody):
    """季度结果 / The leading group's decision publishing the quarter's results (R-11,
    D-15)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision_ref": "LG-2025-Q1", "effective_on": "2025-04-16"}]
        },
    )


class BallotReceipt(BaseModel):
    """选票回执 / That a ballot was accepted. An unlinkable ballot's receipt says nothing more:
    no log position, no version, no key and no echo of the ratings."""

    accepted: Literal[True] = Field(
        description="已接受 / the ballot is recorded or staged", examples=[True]
    )
    mode: BallotMode = Field(description="方式 / the evaluation's mode", examples=["unlinkable"])
    position: int | None = Field(
        description="日志位置 / the ballot event's position (open ballots only)", examples=[None]
    )
    replayed: bool = Field(
        description="重放 / an idempotent retry (nothing recorded again)", examples=[False]
    )


class OpinionOut(BaseModel):
    """已提交的意见 / An opinion submitted (its text is in the event)."""

    number: int = Field(
        description="编号 / the opinion's number (its event's version)", examples=[2]
    )
    office: str = Field(description="处室 / the office that wrote it", examples=["O01"])
    subject: str = Field(description="对象 / the staff number or unit", examples=["S001"])
    effective_on: date = Field(
        description="生效日期 / the day it was submitted", examples=["2025-03-27"]
    )


class CompilationOut(BaseModel):
    """意见汇总 / The compilation sent to the branches (R-09)."""

    effective_on: date = Field(
        description="生效日期 / the day it was sent", examples=["2025-04-02"]
    )
    due_on: date = Field(description="截止 / the D-16 deadline", examples=["2025-04-03"])
    late: bool = Field(description="逾期 / sent after the deadline (flagged)", examples=[False])
    opinions: list[int] = Field(
        description="意见 / the opinions compiled, by number", examples=[[2, 3, 4]]
    )
    sent_to: list[str] = Field(
        description="发送至 / the party branches it was sent to", examples=[["B1", "B2"]]
    )


class TallyCount(BaseModel):
    """计票结果 / The count of one rating for one window."""

    window: str = Field(description="窗口 / the window code", examples=["W01"])
    rating: str = Field(description="评价 / excellent, good, fair or poor", examples=["excellent"])
    count: int = Field(description="票数 / how many ballots gave it", examples=[5])


class MutualEvaluationOut(BaseModel):
    """支部窗口互评 / A branch's mutual evaluation."""

    branch: str = Field(description="党支部 / the party branch", examples=["B1"])
    mode: BallotMode = Field(description="方式 / open or unlinkable ballots", examples=["open"])
    windows: list[str] = Field(
        description="窗口 / the branch's windows rated", examples=[["W01", "W02", "W03"]]
    )
    opened_on: date = Field(description="开启日期 / the day it opened", examples=["2025-04-03"])
    voters: int = Field(description="投票人数 / how many members have voted", examples=[15])
    tallied_on: date | None = Field(
        description="计票日期 / the day of the tally, null before it", examples=["2025-04-08"]
    )
    ballot_count: int = Field(description="选票数 / the ballots counted", examples=[15])
    tallies: list[TallyCount] | None = Field(
        description="计票结果 / the counts per window and rating, null before the tally"
    )


class SelectionOut(BaseModel):
    """优秀个人与窗口 / Recommended, accepted or published excellent individuals and
    windows."""

    individuals: list[str] = Field(
        description="优秀个人 / staff numbers", examples=[["S0042", "S0079"]]
    )
    windows: list[str] = Field(description="优秀窗口 / window codes", examples=[["W02", "W07"]])
    effective_on: date = Field(
        description="生效日期 / the day of the step", examples=["2025-04-11"]
    )
    decision_ref: str | None = Field(
        default=None,
        description="决定文号 / the decision (the results only, else null)",
        examples=["LG-2025-Q1"],
    )


class AmendedResults(PeriodDecisionBody):
    """修正后的季度结果 / The leading group's amended results after a reopening (D-13): chosen
    among the examined recommendations and eligible now."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "individuals": [],
                    "windows": ["W01", "W04"],
                    "decision_ref": "LG-2025-Q1-A",
                    "effective_on": "2025-05-06",
                }
            ]
        },
    )

    individuals: Codes = Field(
        max_length=500, description="优秀个人 / staff numbers", examples=[["S004"]]
    )
    windows: Codes = Field(
        max_length=500, description="优秀窗口 / window codes", examples=[["W01", "W04"]]
    )


class QuarterlyEvaluationOut(BaseModel):
    """季度评价 / A quarter's evaluation as recorded now."""

    period: str = Field(description="季度 / the quarter", examples=["2025-Q1"])
    started_on: date = Field(
        description="开始日期 / the day of its first step", examples=["2025-03-27"]
    )
    opinions: list[OpinionOut] = Field(description="书面意见 / the offices' opinions")
    compilation: CompilationOut | None = Field(
        description="意见汇总 / the compilation, null before it"
    )
    mutual_evaluations: list[MutualEvaluationOut] = Field(
        description="窗口互评 / each branch's mutual evaluation"
    )
    recommendations: dict[str, SelectionOut] = Field(
        description="推荐 / by branch",
        examples=[
            {
                "B1": {
                    "individuals": ["S0042"],
                    "windows": ["W02"],
                    "effective_on": "2025-04-09",
                    "decision_ref": None,
                }
            }
        ],
    )
    examination: SelectionOut | None = Field(
        description="初审 / the leading group's examination, null before it"
    )
    results: SelectionOut | None = Field(
        description="结果 / the results in force, null before the decision: the published "
        "ones, or the last amended ones after a reopening (D-13)"
    )
    superseded_results: list[SelectionOut] = Field(
        description="已被取代的结果 / earlier results, each replaced by amended results after a "
        "reopening, oldest first"
    )


@router.get("", summary="季度评价 / a quarter's evaluation")
def read_quarterly_evaluation(
    period: QuarterKey, reader: CenterReader, ledger: LedgerDep, response: Response
) -> QuarterlyEvaluationOut:
    """Opinions, compilation, mutual evaluations, recommendations, examination and results;
    the ETag is the evaluation's version (If-Match of the examination and the results)."""
    evaluation = ledger.quarterly_evaluation(period)
    etag(response, evaluation.version)
    compilation = evaluation.compilation
    examination, results = evaluation.examination, evaluation.results
    return QuarterlyEvaluationOut(
        period=evaluation.period.key,
        started_on=evaluation.started_on,
        opinions=[
            OpinionOut(
                number=o.number, office=o.office, subject=o.subject, effective_on=o.effective_on
            )
            for o in evaluation.opinions
        ],
        compilation=CompilationOut(
            effective_on=compilation.effective_on,
            due_on=compilation.due_on,
            late=compilation.late,
            opinions=list(compilation.opinions),
            sent_to=list(compilation.sent_to),
        )
        if compilation
        else None,
        mutual_evaluations=[
            MutualEvaluationOut(
                branch=found.branch,
                mode=found.mode,
                windows=list(found.windows),
                opened_on=found.opened_on,
                voters=len(found.voters),
                tallied_on=found.tallied_on,
                ballot_count=found.ballot_count,
                tallies=[
                    TallyCount(window=window, rating=rating, count=count)
                    for window, rating, count in found.tallies
                ]
                if found.tallies is not None
                else None,
            )
            for _, found in sorted(evaluation.evaluations.items())
        ],
        recommendations={
            branch: SelectionOut(
                individuals=list(r.individuals),
                windows=list(r.windows),
                effective_on=r.effective_on,
            )
            for branch, r in sorted(evaluation.recommendations.items())
        },
        examination=SelectionOut(
            individuals=list(examination.individuals),
            windows=list(examination.windows),
            effective_on=examination.effective_on,
        )
        if examination
        else None,
        results=_decided(results) if results else None,
        superseded_results=[_decided(r) for r in evaluation.superseded_results],
    )


def _decided(results: Selection) -> SelectionOut:
    return SelectionOut(
        individuals=list(results.individuals),
        windows=list(results.windows),
        effective_on=results.effective_on,
        decision_ref=results.decision_ref,
    )


@router.post(
    "/opinions", status_code=201, summary="提交书面意见 / submit an opinion (functional office)"
)
def submit_opinion(
    period: QuarterKey,
    body: OpinionSubmission,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the office's opinion; `number` is the opinion's, Location the evaluation."""
    outcome = ledger.submit_opinion(
        actor(account.person_id, Role.FUNCTIONAL_OFFICE),
        period,
        body.subject,
        body.opinion,
        body.effective_on,
        office=body.office,
        idempotency_key=idempotency_key,
    )
    created(response, f"/api/v1/quarters/{period}")
    return step_result(response, outcome, QuarterlyEvaluation.create_id(period))


@router.post("/compilation", summary="汇总意见 / compile and send the opinions (clerk)")
def compile_opinions(
    period: QuarterKey,
    body: Dated,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record the compilation sent to the branches; after the D-16 deadline it is flagged late."""
    outcome = ledger.compile_opinions(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        period,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, QuarterlyEvaluation.create_id(period))


@router.post(
    "/branches/{branch}/mutual-evaluation",
    summary="开启互评 / open the branch's mutual evaluation (branch secretary)",
)
def open_mutual_evaluation(
    period: QuarterKey,
    branch: BranchCode,
    body: MutualEvaluationOpening,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Open the mutual evaluation among the branch's windows, open or unlinkable."""
    outcome = ledger.open_mutual_evaluation(
        actor(account.person_id, Role.BRANCH_SECRETARY),
        period,
        branch,
        body.mode,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, QuarterlyEvaluation.create_id(period))


@router.post(
    "/branches/{branch}/ballots",
    summary="投票 / cast a ballot (a member of the branch)",
)
def cast_ballot(
    period: QuarterKey,
    branch: BranchCode,
    body: Ballot,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> BallotReceipt:
    """Rate every other window of the branch. An unlinkable ballot is staged without its voter
    and its receipt carries nothing that could link it back (no position, ETag or echo)."""
    outcome = ledger.cast_ballot(
        actor(account.person_id, Role.STAFF),
        period,
        branch,
        {code: rating.value for code, rating in body.ratings.items()},
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    response.headers["Cache-Control"] = "no-store"
    mode = ledger.quarterly_evaluation(period).evaluation_of(branch).mode
    if mode is BallotMode.UNLINKABLE:
        return BallotReceipt(accepted=True, mode=mode, position=None, replayed=outcome.replayed)
    result = step_result(response, outcome, QuarterlyEvaluation.create_id(period))
    return BallotReceipt(
        accepted=True, mode=mode, position=result.position, replayed=result.replayed
    )


@router.post("/branches/{branch}/tally", summary="计票 / tally the ballots (branch secretary)")
def tally_mutual_evaluation(
    period: QuarterKey,
    branch: BranchCode,
    body: Tally,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Count per window and rating; unlinkable ballots are committed, shuffled, in the same
    transaction."""
    outcome = ledger.tally_mutual_evaluation(
        actor(account.person_id, Role.BRANCH_SECRETARY),
        period,
        branch,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, QuarterlyEvaluation.create_id(period))


@router.post(
    "/branches/{branch}/recommendations",
    summary="推荐 / the branch's recommendations (branch secretary)",
)
def recommend(
    period: QuarterKey,
    branch: BranchCode,
    body: Recommendations,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Recommend excellent individuals and windows; an ineligible one is refused naming the rule
    and the events (R-21, R-23, R-24, R-35)."""
    outcome = ledger.recommend(
        actor(account.person_id, Role.BRANCH_SECRETARY),
        period,
        branch,
        body.excellent_individuals,
        body.excellent_windows,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    return step_result(response, outcome, QuarterlyEvaluation.create_id(period))


@router.post(
    "/examination",
    summary="初审 / preliminary examination (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def examine_recommendations(
    period: QuarterKey,
    body: Examination,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Accept some of every branch's recommendations; the evaluation must be at If-Match."""
    record = QuarterlyEvaluation.create_id(period)
    with if_matched(ledger, record, if_match, f"the quarterly evaluation of {period}"):
        outcome = ledger.examine_recommendations(
            actor(account.person_id, Role.LEADING_GROUP),
            period,
            body.accepted_individuals,
            body.accepted_windows,
            body.effective_on,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post(
    "/results",
    summary="决定并公布结果 / decide and publish the results (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def decide_quarter_results(
    period: QuarterKey,
    body: Results,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Publish the examined titles and record the quarter's period decision."""
    record = QuarterlyEvaluation.create_id(period)
    with if_matched(ledger, record, if_match, f"the quarterly evaluation of {period}"):
        outcome = ledger.decide_quarter_results(
            actor(account.person_id, Role.LEADING_GROUP),
            period,
            body.decision_ref,
            body.effective_on,
            body.decided_at_position,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)


@router.post(
    "/results/amendment",
    summary="修正结果 / amend the results after a reopening (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def amend_quarter_results(
    period: QuarterKey,
    body: AmendedResults,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """After the leading group reopened the quarter for a late entry (D-13), publish the
    amended titles and record the quarter's amended decision, which replaces the one in force."""
    record = QuarterlyEvaluation.create_id(period)
    with if_matched(ledger, record, if_match, f"the quarterly evaluation of {period}"):
        outcome = ledger.amend_quarter_results(
            actor(account.person_id, Role.LEADING_GROUP),
            period,
            body.individuals,
            body.windows,
            body.decision_ref,
            body.effective_on,
            body.decided_at_position,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)
