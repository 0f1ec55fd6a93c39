"""The API's request and response models, kept apart from the domain's events and records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ledger.clock import parse_as_of
from ledger.values import StaffCategory, UnitKind

MAX_INT = 2**53 - 1
"""The largest number a request may give: the largest integer a canonical (I-JSON) payload
holds exactly (and beyond any log position a store can reach)."""

StaffNumber = Annotated[str, Path(description="员工编号 / staff number", examples=["S001"])]


def _as_of(value: object) -> object:
    if isinstance(value, str):
        return parse_as_of(value, largest_position=MAX_INT)
    if isinstance(value, int) and not 0 <= value <= MAX_INT:
        raise ValueError(f"a log position is from 0 to {MAX_INT}")
    return value


AS_OF_DESCRIPTION = (
    "截至 / as known at a point of transaction time: a log position (300), a time "
    "(2025-04-10T17:30:00+08:00; without an offset, the center's time, Asia/Shanghai) or a day "
    "(2025-04-10: as known at the end of that day at the center); a time means the last log "
    "position recorded at or before it"
)
AsOf = Annotated[
    int | datetime,
    BeforeValidator(_as_of),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_INT},
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ]
        }
    ),
]
"""A log position, or a moment (UTC) that stands for the last position recorded at or before
it (`ledger.clock.parse_as_of`)."""
UnitCode = Annotated[
    str, Path(description="窗口或处室代码 / window or office code", examples=["W01"])
]


class PeriodDecisionBody(BaseModel):
    """期间的决定 / What a period's decision says (a bonus sheet's approval, a quarter's or a
    year's results, or their amendment after a reopening): its reference, the day it takes
    effect and the log position of the figures it is taken on."""

    model_config = ConfigDict(extra="forbid")

    decision_ref: str = Field(
        min_length=1, max_length=200, description="决定文号 / the decision", examples=["LG-2025-11"]
    )
    effective_on: date = Field(
        description="生效日期 / the day of the decision", examples=["2025-03-05"]
    )
    decided_at_position: int | None = Field(
        default=None,
        ge=1,
        le=MAX_INT,
        description="依据位置 / the log position of the figures decided on (default: the head)",
        examples=[1187],
    )


class Liveness(BaseModel):
    """存活 / The process answers."""

    status: Literal["ok"] = Field(description="进程存活 / the process is alive", examples=["ok"])


class Readiness(BaseModel):
    """就绪 / The process and its event store answer."""

    status: Literal["ready"] = Field(description="可以服务 / ready to serve", examples=["ready"])
    store: str = Field(
        description="事件存储 / the event store: memory, sqlite or postgres", examples=["postgres"]
    )
    head_position: int = Field(
        description="日志最新位置 / the newest log position, 0 for an empty log", examples=[1042]
    )


class HistoryOrder(StrEnum):
    """排序 / Which end of a history comes first: `oldest` 从旧到新 (oldest first, by log
    position) or `newest` 从新到旧 (newest first)."""

    OLDEST = "oldest"
    NEWEST = "newest"


class HistoryQuery(BaseModel):
    """Keyset paging over one record's events by log position."""

    model_config = ConfigDict(extra="forbid")

    order: HistoryOrder = Field(
        default=HistoryOrder.OLDEST,
        description="排序 / oldest or newest first",
        examples=["newest"],
    )
    after: int | None = Field(
        default=None,
        ge=0,
        le=MAX_INT,
        description="起始位置之后 / only events after this log position",
        examples=[120],
    )
    before: int | None = Field(
        default=None,
        ge=0,
        le=MAX_INT,
        description="截止位置之前 / only events before this log position",
        examples=[480],
    )
    limit: int = Field(
        default=50, ge=1, le=500, description="每页条数 / events per page", examples=[50]
    )
    as_of: AsOf | None = Field(
        default=None, description=AS_OF_DESCRIPTION, examples=[300, "2025-04-10"]
    )


class HistoryEvent(BaseModel):
    """一条事件 / One event of a record's history."""

    position: int = Field(description="日志位置 / log position", examples=[137])
    version: int = Field(description="记录版本 / version within the record's stream", examples=[3])
    event: str = Field(
        description="事件类型 / the event's topic", examples=["ledger.staff.DeductionRecorded.v1"]
    )
    recorded_at: datetime = Field(
        description="入库时间 / when the database recorded it (transaction time, UTC)",
        examples=["2025-03-10T01:30:00.123456Z"],
    )
    payload: dict[str, Any] = Field(
        description="事件内容 / the event's canonical payload",
        examples=[{"item_code": "ATT-01", "points_applied": "0.5", "occurred_on": "2025-03-03"}],
    )


class HistoryPage(BaseModel):
    """事件历史的一页 / A page of a record's history and the link to the next page."""

    items: list[HistoryEvent] = Field(description="事件 / the events of this page")
    next: str | None = Field(
        description="下一页 / URL of the next page, null on the last page",
        examples=["http://127.0.0.1:8000/api/v1/staff/S001/events?limit=50&after=137"],
    )


class CurrentAssignment(BaseModel):
    """当前所在窗口 / The window or office a staff member belongs to now."""

    unit_code: str = Field(description="所在窗口或处室 / window or office code", examples=["W01"])
    since: date = Field(description="起始日期 / member since", examples=["2025-01-02"])


class StaffSummary(BaseModel):
    """员工概况 / A staff member as recorded now."""

    staff_number: str = Field(description="员工编号 / staff number", examples=["S001"])
    name: str = Field(description="姓名 / name", examples=["张三"])
    category: StaffCategory = Field(
        description="人员类别 / registration-form category", examples=["civil_servant"]
    )
    home_unit: str = Field(description="派驻单位 / home unit (department)", examples=["Tax bureau"])
    assignment: CurrentAssignment | None = Field(
        description="当前所在窗口 / current assignment, null when unassigned"
    )
    deductions_in_force: int = Field(
        description="有效扣分条数 / deductions recorded and not revoked", examples=[2]
    )
    veto_cases_in_force: int = Field(
        description="有效一票否决事项 / veto cases recorded and not revoked", examples=[0]
    )


class UnitSummary(BaseModel):
    """窗口或处室概况 / A window or office as recorded now."""

    code: str = Field(description="窗口或处室代码 / unit code", examples=["W01"])
    name: str = Field(description="名称 / name", examples=["Tax"])
    kind: UnitKind = Field(description="类型 / window or office", examples=["window"])
    department: str = Field(description="所属部门 / department", examples=["Tax bureau"])
    party_branch: str = Field(description="所属党支部 / party branch", examples=["B1"])
    today: date = Field(
        description="今日（上海时间） / today at the center: the date of head and leader below",
        examples=["2025-03-10"],
    )
    head: str | None = Field(description="负责人 / the head today, null if none", examples=["S002"])
    leader_in_charge: str | None = Field(
        description="分管领导 / the leader in charge today, null if none", examples=["L001"]
    )


class FiguresQuery(BaseModel):
    """Which figures, and how fresh."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(
        default=None,
        ge=2009,
        le=9999,
        description="年度 / only this year's periods",
        examples=[2025],
    )
    min_position: int | None = Field(
        default=None,
        ge=0,
        le=MAX_INT,
        description="至少新到 / read-your-writes: wait until the figures include this log position "
        "(at most the log's head: a position not yet written is refused, 422)",
        examples=[2961],
    )
    wait: float = Field(
        default=2.0,
        gt=0,
        le=30,
        description="最长等待秒数 / how long to wait for min_position before 503",
        examples=[2.0],
    )
    as_of: AsOf | None = Field(
        default=None, description=AS_OF_DESCRIPTION, examples=[300, "2025-04-10"]
    )


class FigureItem(BaseModel):
    """一项指标 / One figure: its record holds the rule, threshold and outcome, and its trace
    by event ids ("stream id/version"); the explanation gives each event's date, points and
    why it was left out."""

    period: str = Field(description="期间 / period key", examples=["2025-Q1"])
    figure: str = Field(description="指标 / figure name", examples=["excellent_individual"])
    policy_version: str = Field(
        description="政策版本 / policy version applied", examples=["measures-2009"]
    )
    record: dict[str, Any] = Field(
        description="指标记录 / the figure with the ids of the events it counted (and the "
        "amendments it counts them at) and left out (with the reason and the event that made "
        "it so)",
        examples=[
            {
                "kind": "excellent_individual",
                "subject": "S001",
                "period": "2025-Q1",
                "rule": "R-21",
                "threshold": "3.0",
                "policy_version": "measures-2009",
                "trace": {
                    "counted": ["656fc132-5c71-586f-88e1-a7184c66ace2/3"],
                    "amendments": [],
                    "left_out": [
                        {
                            "event": "656fc132-5c71-586f-88e1-a7184c66ace2/4",
                            "reason": "revoked",
                            "by": "656fc132-5c71-586f-88e1-a7184c66ace2/6",
                        }
                    ],
                },
                "eligible": True,
                "total": "0.5",
                "barred_by": [],
            }
        ],
    )


class FiguresPage(BaseModel):
    """对象的指标 / A subject's figures and the log position they reflect."""

    subject_kind: str = Field(description="对象 / staff or unit", examples=["staff"])
    subject: str = Field(
        description="员工编号或单位代码 / staff number or unit code", examples=["S0001"]
    )
    position: int = Field(
        description="位置 / the log position the figures reflect", examples=[2961]
    )
    items: list[FigureItem] = Field(description="指标 / the figures, by period and name")


class FigureExplanation(BaseModel):
    """指标说明 / Why a figure is what it is."""

    explanation: dict[str, Any] = Field(
        description="说明 / rule, threshold, policy version, events counted and left out",
        examples=[
            {
                "kind": "bonus",
                "subject": "S001",
                "period": "2025-03",
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
                            "occurred_on": "2025-03-03",
                            "points": "0.5",
                            "amended_by": [],
                        }
                    ],
                    "left_out": [],
                },
                "total": "0.5",
                "status": "full",
                "because": "S001, 2025-03: bonus full at 0.5 points (R-26, threshold 3.0, "
                "policy measures-2009); 1 events counted",
            }
        ],
    )
