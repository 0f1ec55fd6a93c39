"""Assessment rounds (SPEC section 3, R-07, D-13; issue 5 item 7): open a period's round, read
where its procedure stands with its open late-entry conflicts (a head, leader in charge or
branch secretary: those about their units' people) and the decided figures beside the current
ones (center-wide), and resolve a late entry (the leading group, If-Match on the round)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentAccount
from api.commands import IdempotencyKey, IfMatch, actor
from api.deps import LedgerDep
from api.problems import problem_responses
from api.procedures import (
    MAX_INT,
    CenterReader,
    PeriodKey,
    ProcedureReader,
    StepResult,
    Visibility,
    created,
    etag,
    if_matched,
    step_result,
)
from api.routing import resource_router
from api.schemas import AS_OF_DESCRIPTION, AsOf
from ledger.aggregates.assessment_round import AssessmentRound, Decision
from ledger.errors import RuleViolation
from ledger.policy import canonical_record
from ledger.projections.rounds import (
    Conflict,
    RoundStatus,
    decided_figures,
    round_conflicts,
    round_status,
)
from ledger.values import LateEntryResolution, Period, Role

router = resource_router(
    prefix="/api/v1/rounds",
    tags=["rounds"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)


class RoundOpening(BaseModel):
    """开启考核轮次 / A period's round to open (R-07)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"period": "2025-Q1", "effective_on": "2025-03-10"}]},
    )

    period: str = Field(
        min_length=4,
        max_length=10,
        description="期间 / the period: 2025-03, 2025-Q1, 2025-H1 or 2025",
        examples=["2025-Q1"],
    )
    effective_on: date = Field(
        description="生效日期 / the day the round opens", examples=["2025-03-10"]
    )


class LateEntryResolutionRequest(BaseModel):
    """处理迟到记录 / How the leading group handles an entry recorded after its period was
    decided (D-13)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "entry_stream": "6f1c3b52-8a53-5d7e-9a3e-0c1d2e3f4a5b",
                    "entry_version": 12,
                    "resolution": "no_change",
                    "reason": "found after the decision; the decision stands",
                    "effective_on": "2025-04-20",
                }
            ]
        },
    )

    entry_stream: UUID = Field(
        description="记录流 / the stream of the late event (a conflict's)",
        examples=["656fc132-5c71-586f-88e1-a7184c66ace2"],
    )
    entry_version: int = Field(
        ge=1, le=MAX_INT, description="版本 / the late event's version in it", examples=[7]
    )
    resolution: LateEntryResolution = Field(
        description="处理 / no_change or reopen", examples=["no_change"]
    )
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="理由 / why",
        examples=["found after the decision; the decision stands"],
    )
    effective_on: date = Field(
        description="生效日期 / the day of the decision", examples=["2025-06-20"]
    )


class DecisionOut(BaseModel):
    """期间的决定 / A period's decision."""

    decision_ref: str = Field(description="决定文号 / the decision's reference", examples=["LG-7"])
    effective_on: date = Field(
        description="生效日期 / the day it took effect", examples=["2025-06-12"]
    )
    decided_at_position: int = Field(
        description="依据位置 / taken on the figures as of", examples=[1742]
    )


class ResolvedLateEntry(BaseModel):
    """已处理的迟到记录 / A late entry the leading group has resolved."""

    entry_stream: str = Field(
        description="记录流 / the late event's stream",
        examples=["656fc132-5c71-586f-88e1-a7184c66ace2"],
    )
    entry_version: int = Field(description="版本 / its version", examples=[7])
    resolution: LateEntryResolution = Field(
        description="处理 / how it was resolved", examples=["no_change"]
    )


class RoundOut(BaseModel):
    """考核轮次 / An assessment round as recorded now."""

    period: str = Field(description="期间 / the period", examples=["2025-Q1"])
    kind: str = Field(description="类型 / month, quarter, half_year or year", examples=["quarter"])
    opened_on: date = Field(description="开启日期 / the day it opened", examples=["2025-03-10"])
    decision: DecisionOut | None = Field(
        description="决定 / the period's decision in force, if taken: the first, or the last "
        "amended decision after a reopening (D-13)"
    )
    superseded_decisions: list[DecisionOut] = Field(
        description="已被取代的决定 / earlier decisions, each replaced by an amended decision "
        "after a reopening, oldest first"
    )
    reopened: bool = Field(
        description="已重新决定 / reopened: an amended decision is due (a late entry was "
        "resolved as a reopening since the decision in force)",
        examples=[False],
    )
    resolved_late_entries: list[ResolvedLateEntry] = Field(
        description="已处理的迟到记录 / the late entries resolved so far"
    )


class StepOut(BaseModel):
    """程序步骤 / One step of a procedure as it stands."""

    key: str = Field(description="步骤 / a stable name", examples=["compile_opinions"])
    title: str = Field(
        description="说明 / what the step is",
        examples=["The supervision office compiles the opinions and sends them to the branches"],
    )
    rule: str = Field(description="规则 / the rule it implements", examples=["R-09"])
    role: Role = Field(description="角色 / who acts", examples=["supervision_clerk"])
    scope: str = Field(
        description="范围 / for whom or where (empty: center-wide)", examples=["branch B1"]
    )
    done: bool = Field(description="已完成 / whether it is done", examples=[False])
    done_on: date | None = Field(description="完成日期 / when it was done", examples=[None])
    due_on: date | None = Field(
        description="截止日期 / its deadline, where the rules set one", examples=["2025-04-03"]
    )
    late: bool = Field(description="逾期 / done after its deadline, or overdue", examples=[False])
    missing: list[str] = Field(
        description="缺少 / what is still missing, in words", examples=[["the compilation"]]
    )


class EventRefOut(BaseModel):
    """事件标识 / An event's identity: its stream and version."""

    stream_id: str = Field(
        description="记录流 / the event's stream",
        examples=["656fc132-5c71-586f-88e1-a7184c66ace2"],
    )
    version: int = Field(description="版本 / the event's version in it", examples=[3])


class ConflictOut(BaseModel):
    """迟到记录 / An entry, amendment or revocation recorded after its period was decided
    (D-13)."""

    stream_id: str = Field(
        description="记录流 / the late event's stream",
        examples=["656fc132-5c71-586f-88e1-a7184c66ace2"],
    )
    version: int = Field(
        description="版本 / the late event's version (what a resolution names)", examples=[7]
    )
    position: int = Field(description="日志位置 / its log position", examples=[1758])
    what: str = Field(
        description="类型 / deduction, window_deduction or veto", examples=["deduction"]
    )
    change: str = Field(description="变更 / recorded, amended or revoked", examples=["amended"])
    entry: EventRefOut = Field(description="条目 / the entry it records or changes")
    subject: str = Field(description="对象 / the staff number or window code", examples=["S001"])
    occurred_on: date = Field(description="发生日期 / the incident's date", examples=["2025-05-28"])
    item: str = Field(
        description="条目代码 / the catalogue item or the veto case (V1–V8)", examples=["SRV-03"]
    )
    decision_ref: str = Field(description="决定 / the period's decision", examples=["LG-2025-05"])
    decided_at_position: int = Field(
        description="依据位置 / the decision's position", examples=[1742]
    )
    why: str = Field(
        description="原因 / why it is late, in words",
        examples=[
            "deduction amended at position 1758, after the 2025-05 decision LG-2025-05 "
            "(effective 2025-06-12) taken on the figures as of position 1742; the incident of "
            "2025-05-28 belongs to 2025-05"
        ],
    )
    resolution: LateEntryResolution | None = Field(
        description="处理 / how it was resolved (null: not yet)", examples=[None]
    )


class ProcedureStatusOut(BaseModel):
    """程序进度 / Where a period's procedure stands: its steps, what is missing, who acts, by
    when; for a decided period, the late entries the leading group has still to resolve
    (D-13)."""

    procedure: str = Field(description="程序 / which procedure", examples=["the bonus sheet of"])
    period: str = Field(description="期间 / the period", examples=["2025-Q1"])
    decided: bool = Field(description="已决定 / whether the period is decided", examples=[False])
    current_step: str | None = Field(
        description="当前步骤 / the first step not done (resolve_late_entries: the leading group "
        "must resolve the conflicts below)",
        examples=["resolve_late_entries"],
    )
    steps: list[StepOut] = Field(
        description="步骤 / every step in order; while a conflict is open the last one is "
        "resolve_late_entries (rule D-13, role leading_group)"
    )
    conflicts: list[ConflictOut] = Field(
        description="未处理的迟到记录 / entries recorded after the decision and not yet resolved "
        "(SPEC section 3, D-13): the decision stands until the leading group records no change "
        "or a reopening (POST /api/v1/rounds/{period}/late-entry-resolutions)"
    )
    partial: bool = Field(
        description="部分 / true when what concerns people outside the reader's units is left out",
        examples=[False],
    )


class FigureBesideOut(BaseModel):
    """决定时与当前的指标 / One figure of the decided period as decided and as it stands
    now."""

    kind: str = Field(description="指标 / the figure's kind", examples=["bonus"])
    subject: str = Field(description="对象 / the staff number or unit code", examples=["S001"])
    period: str = Field(description="期间 / the period", examples=["2025-05"])
    decided: dict[str, Any] | None = Field(
        description="决定时 / as decided (canonical record)",
        examples=[
            {
                "kind": "bonus",
                "subject": "S001",
                "period": "2025-05",
                "rule": "R-26",
                "threshold": "3.0",
                "policy_version": "measures-2009",
                "trace": {
                    "counted": [
                        {
                            "ref": {
                                "stream_id": "656fc132-5c71-586f-88e1-a7184c66ace2",
                                "version": 3,
                            },
                            "what": "deduction",
                            "subject": "S001",
                            "occurred_on": "2025-05-28",
                            "points": "1.0",
                            "amended_by": [],
                        }
                    ],
                    "left_out": [],
                },
                "total": "1.0",
                "status": "full",
            }
        ],
    )
    current: dict[str, Any] | None = Field(
        description="当前 / as it stands now",
        examples=[
            {
                "kind": "bonus",
                "subject": "S001",
                "period": "2025-05",
                "rule": "R-26",
                "threshold": "3.0",
                "policy_version": "measures-2009",
                "trace": {
                    "counted": [
                        {
                            "ref": {
                                "stream_id": "656fc132-5c71-586f-88e1-a7184c66ace2",
                                "version": 3,
                            },
                            "what": "deduction",
                            "subject": "S001",
                            "occurred_on": "2025-05-28",
                            "points": "0.5",
                            "amended_by": [
                                {"stream_id": "656fc132-5c71-586f-88e1-a7184c66ace2", "version": 7}
                            ],
                        }
                    ],
                    "left_out": [],
                },
                "total": "0.5",
                "status": "full",
            }
        ],
    )
    changed: bool = Field(
        description="已变 / whether it differs now from what was decided", examples=[True]
    )


class DecidedFiguresOut(BaseModel):
    """决定时与当前的指标 / The decided period's figures for what its late entries touch, as
    decided and now."""

    period: str = Field(description="期间 / the decided period", examples=["2025-05"])
    decision_ref: str | None = Field(
        description="决定 / the decision (null: not decided)", examples=["LG-2025-05"]
    )
    decided_at_position: int | None = Field(
        description="依据位置 / the decision's position", examples=[1742]
    )
    position: int = Field(
        description="当前位置 / the position the current figures are at", examples=[4462]
    )
    late: list[ConflictOut] = Field(description="迟到记录 / every late entry, resolved or not")
    figures: list[FigureBesideOut] = Field(description="指标 / the figures, both ways")


def status_out(found: RoundStatus, visibility: Visibility) -> ProcedureStatusOut:
    """A procedure's status and open conflicts as the reader may see them."""
    status = found.status
    current = status.current
    steps = []
    conflicts = [_conflict(c) for c in found.conflicts if visibility.shows(c.subject)]
    partial = len(conflicts) != len(found.conflicts)
    for step in status.steps:
        if not (visibility.shows(step.scope) and visibility.shows(step.title)):
            partial = True
            continue
        missing = [line for line in step.missing if visibility.shows(line)]
        partial = partial or len(missing) != len(step.missing)
        steps.append(
            StepOut(
                key=step.key,
                title=step.title,
                rule=step.rule,
                role=step.role,
                scope=step.scope,
                done=step.done,
                done_on=step.done_on,
                due_on=step.due_on,
                late=step.late,
                missing=missing,
            )
        )
    return ProcedureStatusOut(
        procedure=status.procedure,
        period=status.period_key,
        decided=status.decided,
        current_step=current.key if current is not None else None,
        steps=steps,
        conflicts=conflicts,
        partial=partial,
    )


def _conflict(conflict: Conflict) -> ConflictOut:
    return ConflictOut(
        stream_id=conflict.stream_id,
        version=conflict.version,
        position=conflict.position,
        what=conflict.what,
        change=conflict.change,
        entry=EventRefOut(stream_id=conflict.entry.stream_id, version=conflict.entry.version),
        subject=conflict.subject,
        occurred_on=conflict.occurred_on,
        item=conflict.item,
        decision_ref=conflict.decision_ref,
        decided_at_position=conflict.decided_at_position,
        why=conflict.why,
        resolution=LateEntryResolution(conflict.resolution) if conflict.resolution else None,
    )


def _period(period_key: str) -> Period:
    """The period a key names, or the R-20 refusal (also for a period whose end the calendar
    cannot name: `Period.last_day` of December 9999 raises ValueError)."""
    try:
        period = Period.parse(period_key)
        period.last_day  # noqa: B018 - computed only to refuse what it cannot compute
    except ValueError as error:
        raise RuleViolation("R-20", str(error), fields={"period": period_key}) from None
    return period


@router.post("", status_code=201, summary="开启考核轮次 / open a period's round (clerk)")
def open_round(
    body: RoundOpening,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Open the round of a month, quarter, half-year or year; Location names it."""
    key = _period(body.period).key
    outcome = ledger.open_round(
        actor(account.person_id, Role.SUPERVISION_CLERK),
        body.period,
        body.effective_on,
        idempotency_key=idempotency_key,
    )
    created(response, f"/api/v1/rounds/{key}")
    return step_result(response, outcome, AssessmentRound.create_id(key))


@router.get("/{period}", summary="考核轮次 / a round as recorded")
def read_round(
    period: PeriodKey, reader: ProcedureReader, ledger: LedgerDep, response: Response
) -> RoundOut:
    """The round's opening, decision and resolved late entries; the ETag is its version."""
    assessment_round = ledger.round(_period(period).key)
    etag(response, assessment_round.version)
    decision = assessment_round.decision
    return RoundOut(
        period=assessment_round.period.key,
        kind=assessment_round.period.kind.value,
        opened_on=assessment_round.opened_on,
        decision=_decision_out(decision) if decision is not None else None,
        superseded_decisions=[_decision_out(d) for d in assessment_round.superseded],
        reopened=assessment_round.reopened,
        resolved_late_entries=[
            ResolvedLateEntry(entry_stream=stream, entry_version=version, resolution=resolution)
            for (stream, version), resolution in sorted(
                assessment_round.resolved_late_entries.items()
            )
        ],
    )


def _decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        decision_ref=decision.decision_ref,
        effective_on=decision.effective_on,
        decided_at_position=decision.decided_at_position,
    )


@router.get("/{period}/status", summary="程序进度 / where the period's procedure stands")
def read_round_status(
    period: PeriodKey, reader: ProcedureReader, ledger: LedgerDep
) -> ProcedureStatusOut:
    """Each step: done or not (when), who acts, what is missing and by when, and the open
    late-entry conflicts of a decided period. A head, leader in charge or branch secretary sees
    what concerns their units' people (`partial`)."""
    return status_out(round_status(ledger, _period(period).key), reader)


@router.get("/{period}/conflicts", summary="迟到记录冲突 / late entries not yet resolved")
def list_round_conflicts(
    period: PeriodKey,
    reader: ProcedureReader,
    ledger: LedgerDep,
    as_of: Annotated[
        AsOf | None, Query(description=AS_OF_DESCRIPTION, examples=[300, "2025-04-10"])
    ] = None,
) -> list[ConflictOut]:
    """Entries recorded after the period was decided and not yet resolved (D-13), in log
    order; empty while the period is not decided. A head, leader in charge or branch secretary
    gets those about their units' people only, as in the status."""
    key = _period(period).key
    ledger.round(key)  # RecordNotFound (404) for a round never opened
    return [
        _conflict(conflict)
        for conflict in round_conflicts(ledger, key, as_of)
        if reader.shows(conflict.subject)
    ]


@router.get(
    "/{period}/decided-figures",
    summary="决定时与当前指标 / the decided figures beside the current ones",
)
def read_decided_figures(
    period: PeriodKey, reader: CenterReader, ledger: LedgerDep
) -> DecidedFiguresOut:
    """For what the period's late entries touch: each figure as decided and as it stands."""
    key = _period(period).key
    ledger.round(key)
    found = decided_figures(ledger, key)
    return DecidedFiguresOut(
        period=found.period,
        decision_ref=found.decision_ref,
        decided_at_position=found.decided_at_position,
        position=found.position,
        late=[_conflict(conflict) for conflict in found.late],
        figures=[
            FigureBesideOut(
                kind=beside.key[0],
                subject=beside.key[1],
                period=beside.key[2],
                decided=canonical_record(beside.decided) if beside.decided else None,
                current=canonical_record(beside.current) if beside.current else None,
                changed=beside.changed,
            )
            for beside in found.figures
        ],
    )


@router.post(
    "/{period}/late-entry-resolutions",
    summary="处理迟到记录 / resolve a late entry (leading group, If-Match)",
    responses=problem_responses(412, 428),
)
def resolve_late_entry(
    period: PeriodKey,
    body: LateEntryResolutionRequest,
    account: CurrentAccount,
    ledger: LedgerDep,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> StepResult:
    """Record whether the decision stands or the period is reopened; the round must still be
    at the If-Match version."""
    key = _period(period).key
    record = AssessmentRound.create_id(key)
    with if_matched(ledger, record, if_match, f"round {key}"):
        outcome = ledger.resolve_late_entry(
            actor(account.person_id, Role.LEADING_GROUP),
            key,
            body.entry_stream,
            body.entry_version,
            body.resolution,
            body.reason,
            body.effective_on,
            idempotency_key=idempotency_key,
        )
    return step_result(response, outcome, record)
