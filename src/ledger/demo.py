"""The demo: a realistic center-year of 2025, planned as dated commands and applied in batches.

`build_plan()` draws the whole year from seeded generators and fixed dates: the shipped
catalogue, the 2009 policy, the 2025 statutory calendar, the party branches, windows and offices
with their heads and leaders in charge (the leadership office's is the higher authority's
officer), the staff in all three categories, the leading group, the Party Working Committee and
the role grants; then the year itself — transfers and releases, about a thousand deductions on
working days with realistic frequencies, a few veto cases, notifications, objections raised
within their window and decided (revoked, amended or upheld) by the supervision office or, for
its own inspections' findings, the leading group — and the year's procedures (issue 5), dated on
working days with realistic lags:

- bonus sheets: each month's prepared by a supervision clerk on the fifth working day after it
  and, at the leading group's meeting on the eighth, its head-liability items decided (a mix of
  no, halved, cancelled and fixed reductions of the head's own bonus) and the sheet approved,
  after the clerk prepared it again where an objection or a late entry changed the figures;
  January-November and H1 approved, December and H2 prepared in January 2026 and awaiting the
  leading group;
- quarterly evaluations: Q1-Q3 in full — the functional offices' opinions, their compilation
  (Q3's late, after the National Day holiday), each branch's open mutual evaluation among its
  windows, recommendations of eligible staff and windows, the examination and the results;
  Q4 with its opinions in and the compilation pending;
- the 2025 annual assessment in January and February 2026 (the 2026 calendar is loaded in
  November): forms, evaluations and countersignatures, mutual-evaluation and recommendation
  forms, joint branch meetings, preliminary grades within the quota, excellent windows, and
  publicity, during which one objection is raised.

Every command carries the moment it is recorded (Asia/Shanghai working hours), and the plan is
sorted by that moment, so the clock never goes back. What depends on the figures — head-liability
items, eligible recommendations, the grade list, whether a sheet must be prepared again — is a
planned step resolved when the command runs (`Resolved`, `Expansion`, `Condition`), from the log
as saved, so the same plan gives the same events on every store.

`seed()` applies the plan through the application's bulk path (`AssessmentLedger.batch()`),
setting the injected clock before each command; a command reading figures starts a new batch
(`batches()`). `demo_state()` tells an empty store from a seeded one (or one holding something
else) without replaying the log.
"""

from __future__ import annotations

import importlib.metadata
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import chinese_calendar

from ledger.aggregates.annual_assessment import AnnualAssessment
from ledger.aggregates.bonus_sheet import HeadReduction
from ledger.aggregates.quarterly_evaluation import BallotMode, Rating
from ledger.aggregates.staff import ObjectionOutcome
from ledger.application import AssessmentLedger, Outcome
from ledger.application.bonus_sheets import sheet_content
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.errors import RecordNotFound
from ledger.policy import (
    LedgerState,
    annual_excellent_window,
    excellent_grade,
    excellent_individual,
    excellent_window,
)
from ledger.policy.grades import Grade, grade_scheme
from ledger.policy.parameters import MEASURES_2009
from ledger.projections.rounds import round_conflicts
from ledger.values import (
    OPERATOR,
    Actor,
    AppliesTo,
    CatalogueUnit,
    DeductionSource,
    LateEntryResolution,
    Period,
    PeriodKind,
    Role,
    StaffCategory,
    UnitKind,
    VetoCase,
    format_points,
)

DEMO_YEAR = 2025
SEED = 2025
CENTER = "常州市行政服务中心"
ORGANISED_ON = date(2025, 1, 1)
"""The organisation, staff and assignments are in force from the first day of the year."""
SETUP_DAY = date(2025, 1, 2)
"""The first working day of 2025: the operator records the set-up before the hall opens."""
DEDUCTION_INCIDENTS = 1000
REVOCATIONS = 30
AMENDMENTS = 20
NOTIFIED_SHARE = 0.35
BATCH_SIZE = 250
"""Commands decided and saved per transaction (a command reading figures may start a new one)."""
UPHELD_SHARE = 0.04
"""The share of the other notified deductions whose person objects in vain (the entry stands)."""

SI = DeductionSource.SUPERVISION_INSPECTION
ES = DeductionSource.E_SUPERVISION_SYSTEM
CP = DeductionSource.COMPLAINT
MD = DeductionSource.MEDIA
FO = DeductionSource.FUNCTIONAL_OFFICE
HA = DeductionSource.HIGHER_AUTHORITY
C = StaffCategory.CIVIL_SERVANT
R = StaffCategory.REFERENCE_MANAGED
P = StaffCategory.PUBLIC_INSTITUTION


# The statutory calendar


class CalendarUnavailable(ValueError):
    """The chinese-calendar package does not know the statutory calendar of a year."""


@dataclass(frozen=True)
class StatutoryYear:
    """One year's rest days on weekdays and make-up working days, and where they came from."""

    year: int
    holidays: tuple[date, ...]
    makeup_workdays: tuple[date, ...]
    source: str

    def is_working_day(self, day: date) -> bool:
        """Whether the day is a working day (make-up days included, holidays excluded)."""
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days(self) -> list[date]:
        """The year's working days in order."""
        first = date(self.year, 1, 1)
        days = (
            first + timedelta(days=n) for n in range((date(self.year, 12, 31) - first).days + 1)
        )
        return [day for day in days if self.is_working_day(day)]


def package_calendar(year: int) -> StatutoryYear:
    """The statutory calendar of a year from the chinese-calendar package, or
    CalendarUnavailable for a year the package does not cover (load it as data instead)."""
    version = importlib.metadata.version("chinese-calendar")
    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        holidays = chinese_calendar.get_holidays(first, last, include_weekends=False)
        weekend_days = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() >= 5
        ]
        makeup = [day for day in weekend_days if chinese_calendar.is_workday(day)]
    except NotImplementedError:
        raise CalendarUnavailable(
            f"chinese-calendar {version} does not know the statutory calendar of {year}"
        ) from None
    return StatutoryYear(
        year=year,
        holidays=tuple(sorted(holidays)),
        makeup_workdays=tuple(sorted(makeup)),
        source=f"chinese-calendar {version}",
    )


# The organisation of the center


@dataclass(frozen=True)
class UnitSpec:
    """A window or office of the demo center, with its size and who is in charge of it."""

    code: str
    name: str
    kind: UnitKind
    department: str
    branch: str
    size: int
    categories: tuple[StaffCategory, ...]
    leader: int
    """Which center leader (1-5, by staff number) is in charge of it; 0 for the leadership office,
    whose leader in charge is the higher authority's officer (the center's leaders are assessed by
    the authority above them, D-17)."""


UNLINKABLE_BRANCH = "B6"
"""The branch whose mutual evaluations use unlinkable ballots (SPEC section 5); the others vote
openly, so the demo shows both."""

BRANCHES = (
    ("B1", "机关党支部"),
    ("B2", "公安窗口党支部"),
    ("B3", "市场准入窗口党支部"),
    ("B4", "工程建设窗口党支部"),
    ("B5", "社会事务窗口党支部"),
    ("B6", "不动产登记联合党支部"),
)

OFFICE, WINDOW = UnitKind.OFFICE, UnitKind.WINDOW

UNITS = (
    UnitSpec("O01", "中心领导", OFFICE, CENTER, "B1", 5, (C,), 0),
    UnitSpec("O02", "综合处", OFFICE, CENTER, "B1", 8, (R, R, P), 1),
    UnitSpec("O03", "督查室", OFFICE, CENTER, "B1", 5, (R, R, P), 5),
    UnitSpec("O04", "业务处", OFFICE, CENTER, "B1", 7, (R, P), 2),
    UnitSpec("O05", "信息技术处", OFFICE, CENTER, "B1", 5, (R, P, P), 2),
    UnitSpec("O06", "项目服务处", OFFICE, CENTER, "B1", 6, (R, P), 4),
    UnitSpec("W01", "公安局出入境窗口", WINDOW, "常州市公安局", "B2", 5, (C,), 3),
    UnitSpec("W02", "公安局户政窗口", WINDOW, "常州市公安局", "B2", 5, (C, C, P), 3),
    UnitSpec("W03", "公安局交警窗口", WINDOW, "常州市公安局交通警察支队", "B2", 6, (C, C, P), 3),
    UnitSpec("W04", "公证处窗口", WINDOW, "常州市公证处", "B6", 3, (P,), 4),
    UnitSpec("W05", "市场监管局窗口", WINDOW, "常州市市场监督管理局", "B3", 10, (C, C, P), 2),
    UnitSpec("W06", "税务局窗口", WINDOW, "国家税务总局常州市税务局", "B3", 14, (C,), 2),
    UnitSpec("W07", "商务局窗口", WINDOW, "常州市商务局", "B3", 2, (C,), 2),
    UnitSpec("W08", "发展改革委窗口", WINDOW, "常州市发展和改革委员会", "B3", 2, (C,), 2),
    UnitSpec("W09", "住房城乡建设局窗口", WINDOW, "常州市住房和城乡建设局", "B4", 6, (C, R), 4),
    UnitSpec("W10", "自然资源和规划局窗口", WINDOW, "常州市自然资源和规划局", "B4", 6, (C, P), 4),
    UnitSpec("W11", "生态环境局窗口", WINDOW, "常州市生态环境局", "B4", 3, (C,), 4),
    UnitSpec("W12", "交通运输局窗口", WINDOW, "常州市交通运输局", "B4", 3, (C, R), 4),
    UnitSpec("W13", "水利局窗口", WINDOW, "常州市水利局", "B4", 1, (R,), 4),
    UnitSpec("W14", "人防办窗口", WINDOW, "常州市人民防空办公室", "B4", 1, (R,), 4),
    UnitSpec("W15", "气象局窗口", WINDOW, "常州市气象局", "B4", 1, (R,), 4),
    UnitSpec("W16", "城市管理局窗口", WINDOW, "常州市城市管理局", "B4", 2, (C,), 4),
    UnitSpec(
        "W17", "人力资源社会保障局窗口", WINDOW, "常州市人力资源和社会保障局", "B5", 10, (C, P), 3
    ),
    UnitSpec("W18", "医疗保障局窗口", WINDOW, "常州市医疗保障局", "B5", 8, (C, R), 3),
    UnitSpec("W19", "住房公积金窗口", WINDOW, "常州市住房公积金管理中心", "B5", 8, (R, P), 3),
    UnitSpec("W20", "卫生健康委窗口", WINDOW, "常州市卫生健康委员会", "B5", 3, (C,), 3),
    UnitSpec("W21", "教育局窗口", WINDOW, "常州市教育局", "B5", 2, (C,), 3),
    UnitSpec("W22", "民政局窗口", WINDOW, "常州市民政局", "B5", 2, (C,), 3),
    UnitSpec("W23", "文化广电和旅游局窗口", WINDOW, "常州市文化广电和旅游局", "B5", 1, (C,), 3),
    UnitSpec("W24", "不动产登记窗口", WINDOW, "常州市不动产登记交易中心", "B6", 14, (P, P, R), 4),
    UnitSpec("W25", "农业农村局窗口", WINDOW, "常州市农业农村局", "B6", 1, (C,), 4),
)
UNIT_SPECS = {unit.code: unit for unit in UNITS}
LEADERSHIP_OFFICE = "O01"
GENERAL_OFFICE = "O02"
SUPERVISION_OFFICE = "O03"
FUNCTIONAL_OFFICES = ("O02", "O04", "O05", "O06")
SUPERVISION_CLERKS = 3
"""The supervision office's head and its first two staff record the deductions."""
BRANCH_SECRETARY_UNITS = {
    "B1": "O02",
    "B2": "W03",
    "B3": "W06",
    "B4": "W09",
    "B5": "W17",
    "B6": "W24",
}
"""Each branch's secretary is the head of this unit."""
HIGHER_AUTHORITY = ("H0001", "常州市政务服务管理办公室")
"""The person of the higher authority who receives filings: registered so a role can be granted,
never assigned to a unit of the hall."""

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤"
)
_SINGLE_GIVEN_NAMES = "伟芳娜敏静磊军洋勇艳杰涛明超霞平刚鹏飞浩婷雪琳欣颖晨宇斌莉萍凯蕾瑶昊亮丹"
_DOUBLE_GIVEN_NAMES = (
    "秀英建国志强文华晓东海燕丽娟俊杰慧敏佳怡子涵梓轩思远晓峰海波雨萱春梅小龙"
    "嘉怡振华国平建华红梅玉兰文静晓燕永刚志刚卫东立新亚楠金凤晓明雅琴博文一鸣"
    "思琪雨晴天宇浩然诗涵欣然宏伟晓丽雪梅国强丽萍建军家豪"
)
GIVEN_NAMES: tuple[str, ...] = (
    *_SINGLE_GIVEN_NAMES,
    *(_DOUBLE_GIVEN_NAMES[i : i + 2] for i in range(0, len(_DOUBLE_GIVEN_NAMES), 2)),
)


# How often each catalogue item occurs (relative weights) and where its findings come from

PERSON_ITEMS_WINDOW_STAFF = {
    "ATT-01": 140, "ATT-02": 25, "ATT-03": 60, "ATT-04": 45, "ATT-05": 5, "ATT-06": 15,
    "ATT-08": 30, "DSC-01": 70, "DSC-02": 40, "DSC-03": 6, "DSC-04": 25, "DSC-05": 90,
    "DSC-06": 8, "DSC-07": 3, "APP-01": 100, "APP-02": 60, "APP-03": 45, "APP-04": 25,
    "SRV-01": 20, "SRV-02": 10, "SRV-03": 12, "SRV-04": 15, "SRV-05": 4, "SRV-06": 6,
    "SRV-07": 25, "EFF-01": 5, "EFF-02": 6, "EFF-03": 8, "EFF-04": 20, "EFF-05": 8,
    "EFF-06": 20, "EFF-07": 6, "EFF-08": 2, "FEE-01": 1, "REC-01": 10, "REC-02": 1,
    "SUP-01": 15, "SUP-02": 1, "SUP-03": 50,
}  # fmt: skip
PERSON_ITEMS_OFFICE_STAFF = {
    "ATT-01": 30, "ATT-02": 6, "ATT-03": 15, "ATT-04": 6, "ATT-06": 5, "ATT-08": 15,
    "DSC-01": 8, "DSC-02": 4, "DSC-04": 4, "DSC-05": 10, "APP-01": 10, "APP-02": 6,
    "REC-01": 8, "EFF-06": 4,
}  # fmt: skip
WINDOW_ITEMS = {"ATT-07": 20, "APP-05": 40, "REC-04": 12, "DSC-08": 3, "REC-03": 1}
WINDOW_ITEM_SHARE = 0.08

SOURCES_BY_GROUP: Mapping[str, tuple[tuple[DeductionSource, int], ...]] = {
    "ATT": ((SI, 5), (ES, 4), (FO, 1)),
    "DSC": ((SI, 6), (ES, 4)),
    "APP": ((SI, 8), (ES, 2)),
    "SRV": ((CP, 6), (SI, 2), (ES, 2), (MD, 1)),
    "EFF": ((ES, 5), (FO, 3), (CP, 2)),
    "FEE": ((CP, 1), (HA, 1)),
    "REC": ((FO, 5), (SI, 3)),
    "SUP": ((SI, 1),),
}
SOURCES_BY_ITEM: Mapping[str, tuple[tuple[DeductionSource, int], ...]] = {
    "ATT-08": ((FO, 1), (SI, 1)),
    "SRV-07": ((ES, 1),),
    "EFF-04": ((ES, 1),),
    "EFF-06": ((ES, 1),),
    "EFF-07": ((FO, 1),),
    "EFF-08": ((FO, 1),),
    "SUP-02": ((HA, 1),),
    "SUP-03": ((ES, 1),),
}
EVIDENCE_LABELS = {
    SI: ("巡查记录及照片", "XC"),
    ES: ("电子监察系统截图", "ES"),
    CP: ("投诉受理单及调查笔录", "TS"),
    MD: ("媒体报道及核查记录", "MT"),
    FO: ("职能处室书面意见", "CS"),
    HA: ("上级通报", "SJ"),
}
RECORDING_DELAYS = ((0, 1), (1, 4), (2, 3), (3, 2), (4, 1))
"""Working days between the incident and its recording, with weights."""


@dataclass(frozen=True)
class VetoSpec:
    """One of the demo's veto cases: the case, the month it occurred in, and its verification."""

    case: VetoCase
    month: int
    source: DeductionSource
    verification: str


VETO_CASES = (
    VetoSpec(
        VetoCase.V7, 4, ES, "电子监察录像回放核实：工作时间浏览购物网站约25分钟，本人签字确认"
    ),
    VetoSpec(VetoCase.V3, 6, ES, "政务服务系统记录办件超出承诺时限3个工作日，经业务处核实"),
    VetoSpec(
        VetoCase.V5, 8, CP, "投诉经督查室调查核实：推诿不作为，当事人及窗口负责人谈话记录在卷"
    ),
    VetoSpec(VetoCase.V6, 9, CP, "调取大厅监控并听取当事人陈述：与服务对象争吵引发围观"),
    VetoSpec(VetoCase.V2, 11, MD, "地方电视台《民生热线》曝光服务态度问题，经督查室核实属实"),
)
VETO_REVISED = VetoCase.V6
"""The veto case the leading group revises on review: no adverse impact, recorded as SRV-05."""
OBJECTION_GROUNDS = (
    "当日已按规定请假，有请假审批单为证",
    "系统故障导致签到未成功，请求核实",
    "该事项系窗口AB角安排所致，非本人责任",
    "扣分依据的事实与实际不符，请求复核",
    "情节轻微且已当场整改，请求减轻扣分",
)
REVOCATION_REASONS = (
    "异议成立：当日已按规定请假，考勤记录有误",
    "异议成立：系统故障导致漏签，已由信息技术处核实",
    "复核认定不属本人责任",
    "证据不足，予以撤销",
    "经核实系窗口AB角安排所致，不予扣分",
)


# The procedures: what the offices, branches, heads and the leading group write

OPINIONS = (
    "服务规范，群众评价较好，未发现违反工作纪律情况",
    "业务熟练，办件及时，材料审核严谨",
    "本季度有迟到早退记录，需加强考勤纪律",
    "窗口协作良好，AB角落实到位",
    "个别办件超出承诺时限，需加强时限管理",
    "电子监察系统显示操作规范，无异常",
    "积极配合重点项目代办服务，工作主动",
)
SELF_SUMMARIES = (
    "认真履行岗位职责，严格遵守中心考勤和服务规范，全年办件无差错",
    "坚持首问负责和一次性告知，积极参与窗口AB角和延时服务",
    "加强业务学习，熟练掌握本窗口审批事项，配合完成中心重点工作",
)
EVALUATIONS = {
    "excellent": "政治素质好，业务能力强，全年扣分少，工作实绩突出，群众满意度高",
    "second": "能够认真履行岗位职责，遵守中心各项制度，较好完成年度工作任务",
    "third": "基本完成工作任务，但年内发生一票否决事项，工作作风有待改进",
}
HEAD_REDUCTIONS: Mapping[str, tuple[tuple[HeadReduction, str | None, str, int], ...]] = {
    "halved": (
        (HeadReduction.NONE, None, "负责人已及时批评教育并督促整改，本次不扣减负责人绩效", 5),
        (HeadReduction.HALVED, None, "负责人日常管理不到位，扣减其当期绩效奖金一半", 2),
        (HeadReduction.AMOUNT, "200", "负责人履行管理责任不力，扣减其绩效奖金200元", 3),
    ),
    "cancelled": (
        (HeadReduction.HALVED, None, "窗口人员当月扣分较多，负责人管理失职，扣减其绩效一半", 4),
        (HeadReduction.CANCELLED, None, "负责人对多次违纪未加制止，取消其当期绩效奖金", 1),
        (HeadReduction.AMOUNT, "500", "负责人管理责任较重，扣减其绩效奖金500元", 3),
    ),
}
"""The leading group's discretionary reductions of the head's own bonus (D-08), with weights."""
PUBLICITY_OBJECTION_TOPIC = "ledger.annual.PublicityObjectionRaised.v1"
PUBLICITY_OBJECTION = "该同志本年度曾有迟到记录，群众评价一般，建议复核其是否符合优秀条件"
STAFF_ENTRY_COMMANDS = frozenset(
    {"record_deduction", "amend_deduction", "decide_objection", "revoke_deduction"}
)
"""The commands that record or change a staff member's deduction: what a bonus sheet counts."""

READS_FIGURES = frozenset(
    {
        "resolve_late_entry",  # the round's open late entries are read from the saved log
        "decide_period",
        "prepare_bonus_sheet",
        "approve_bonus_sheet",
        "recommend",
        "examine_recommendations",
        "decide_quarter_results",
        "submit_recommendation_form",
        "hold_joint_branch_meeting",
        "fix_preliminary_grades",
        "decide_annual_excellent_windows",
    }
)
"""Commands that read the figures of the saved log (`policy_state()` sees no unsaved event)."""
LEAVES_FIGURES = frozenset(
    {
        "prepare_bonus_sheet",
        "decide_head_liability",
        "submit_opinion",
        "compile_opinions",
        "open_mutual_evaluation",
        "cast_ballot",
        "tally_mutual_evaluation",
        "recommend",
        "examine_recommendations",
        "submit_self_summary",
        "submit_registration_form",
        "evaluate",
        "countersign",
        "submit_mutual_evaluation_form",
        "submit_recommendation_form",
        "hold_joint_branch_meeting",
        "fix_preliminary_grades",
        "decide_annual_excellent_windows",
        "start_publicity",
        "raise_publicity_objection",
    }
)
"""Procedural steps that change no figure: a command reading figures after only these needs no
new batch."""


# The plan


@dataclass(frozen=True)
class EntryOf:
    """The number of the entry recorded for an incident: known once that command has run."""

    incident_ref: str


@dataclass(frozen=True)
class ObjectionOf:
    """The number of the objection raised to an incident's entry: known once it is raised."""

    incident_ref: str

    @property
    def key(self) -> str:
        """The key its number is kept under while seeding (the raising command's `entry`)."""
        return f"objection {self.incident_ref}"


class Resolved:
    """A planned value known only when its command runs, read from the store as seeded so far
    (the same on every store, so the plan still gives the same events everywhere)."""

    reads_figures = True
    """Whether it reads the figures of the saved log (its command then starts a new batch)."""

    def resolve(self, ledger: AssessmentLedger) -> Any:
        raise NotImplementedError


def _eligible(state: LedgerState, subject: str, kind: str, period: Period) -> bool:
    if period.kind is PeriodKind.QUARTER:
        if kind == "window":
            return excellent_window(state, subject, period).eligible
        return excellent_individual(state, subject, period).eligible
    if kind == "window":
        return annual_excellent_window(state, subject, period).eligible
    return excellent_grade(state, subject, period).eligible


@dataclass(frozen=True)
class Eligible(Resolved):
    """The first `limit` of `candidates` (in the planner's order of preference) eligible when the
    command runs: quarterly excellent individuals or windows (R-21, R-35; R-23, R-24), or the
    annual excellent grade or window (R-22, R-35; R-25)."""

    period_key: str
    kind: str
    """staff or window"""
    candidates: tuple[str, ...]
    limit: int

    def resolve(self, ledger: AssessmentLedger) -> tuple[str, ...]:
        period = Period.parse(self.period_key)
        with ledger.policy_state() as state:
            chosen = [c for c in self.candidates if _eligible(state, c, self.kind, period)]
        return tuple(chosen[: self.limit])


@dataclass(frozen=True)
class GradeIfChosen(Resolved):
    """Excellent if the head's choice of excellent staff (`choice`) picks the subject, else the
    planned grade."""

    choice: Eligible
    subject: str
    otherwise: Grade

    def resolve(self, ledger: AssessmentLedger) -> Grade:
        period = Period.parse(self.choice.period_key)
        with ledger.policy_state() as state:
            if not _eligible(state, self.subject, self.choice.kind, period):
                return self.otherwise
            ahead = [
                c
                for c in self.choice.candidates[: self.choice.candidates.index(self.subject)]
                if _eligible(state, c, self.choice.kind, period)
            ]
        return Grade.EXCELLENT if len(ahead) < self.choice.limit else self.otherwise


@dataclass(frozen=True)
class StillEligible(Resolved):
    """The preliminary examination: every branch's recommended staff or windows of the quarter
    that are still eligible."""

    period_key: str
    kind: str

    def resolve(self, ledger: AssessmentLedger) -> tuple[str, ...]:
        recommendations = ledger.quarterly_evaluation(self.period_key).recommendations.values()
        proposed = sorted(
            {
                subject
                for r in recommendations
                for subject in (r.individuals if self.kind == "staff" else r.windows)
            }
        )
        return Eligible(self.period_key, self.kind, tuple(proposed), len(proposed)).resolve(ledger)


@dataclass(frozen=True)
class FormsRecommended(Resolved):
    """What a branch's joint meeting recommends of its staff: those its units' heads recommended
    on their forms (R-15, R-16)."""

    year: int
    units: tuple[str, ...]
    reads_figures = False

    def resolve(self, ledger: AssessmentLedger) -> tuple[str, ...]:
        annual = ledger.annual_assessment(self.year)
        assert annual is not None
        return tuple(
            sorted({n for u in self.units for n in annual.recommendation_forms.get(u, ())})
        )


@dataclass(frozen=True)
class ChosenWindows(Resolved):
    """The leading group's annual excellent windows: up to `limit` of those the branches
    recommended, in the planner's order of preference (R-17)."""

    year: int
    preference: tuple[str, ...]
    limit: int
    reads_figures = False

    def resolve(self, ledger: AssessmentLedger) -> tuple[str, ...]:
        annual = ledger.annual_assessment(self.year)
        assert annual is not None
        recommended = {w for m in annual.meetings.values() for w in m.recommended_windows}
        return tuple(sorted([w for w in self.preference if w in recommended][: self.limit]))


@dataclass(frozen=True)
class PreliminaryGrades(Resolved):
    """The leading group's preliminary list (R-17): every countersigned proposal, excellent only
    for staff their branch recommended and, per category, for no more than the D-20 warning
    share of its graded staff, in order of the excellent marks their colleagues gave them."""

    year: int

    def resolve(self, ledger: AssessmentLedger) -> dict[str, Grade]:
        annual = ledger.annual_assessment(self.year)
        assert annual is not None
        roster = ledger.year_roster(self.year)
        with ledger.policy_state() as state:
            warning = state.policy.in_force(date(self.year, 12, 31)).excellent_quota_warning_percent
        recommended = {n for m in annual.meetings.values() for n in m.recommended_staff}
        marks = Counter(
            colleague
            for ratings in annual.mutual_forms.values()
            for colleague, grade in ratings.items()
            if grade is Grade.EXCELLENT
        )
        grades: dict[str, Grade] = {}
        for number, participant in roster.participants.items():
            grade = annual.proposals[number].proposed_grade
            if grade is Grade.EXCELLENT and number not in recommended:
                grade = grade_scheme(participant.category, self.year).grades[1]
            grades[number] = grade
        for category in StaffCategory:
            members = [n for n, p in roster.participants.items() if p.category is category]
            graded = sum(1 for n in members if grades[n] is not Grade.UNGRADED)
            room = int(Decimal(graded) * Decimal(str(warning)) / 100)
            excellent = sorted(
                (n for n in members if grades[n] is Grade.EXCELLENT),
                key=lambda n: (-marks[n], n),
            )
            for number in excellent[room:]:
                grades[number] = grade_scheme(category, self.year).grades[1]
        return grades


class Expansion:
    """A planned command applied once per argument set found when it runs (merged into its
    planned arguments)."""

    def expand(self, ledger: AssessmentLedger) -> list[dict[str, Any]]:
        raise NotImplementedError


@dataclass(frozen=True)
class EachLiabilityItem(Expansion):
    """The leading group's decision on every head-liability item of a prepared sheet (R-30,
    D-08), with a reduction of the debtor's own bonus drawn per item from a generator seeded
    with the period and the staff member (the same on every store): mostly none or halved for a
    halved bonus, halved, cancelled or an amount for a cancelled one."""

    period_key: str

    def expand(self, ledger: AssessmentLedger) -> list[dict[str, Any]]:
        sheet = ledger.bonus_sheet(self.period_key)
        decisions: list[dict[str, Any]] = []
        for item in sheet.preparation.content.head_liability:
            if item.staff_number in sheet.decisions:
                continue  # decided before a reopening: the decision stands (D-13)
            rng = random.Random(f"{SEED}/{self.period_key}/{item.staff_number}")
            choices = HEAD_REDUCTIONS[item.status]
            reduction, amount, reason = rng.choices(
                [c[:3] for c in choices], [c[3] for c in choices]
            )[0]
            if item.owed_by is None:
                reduction, amount, reason = HeadReduction.NONE, None, "负责人岗位空缺，无可扣减绩效"
            decisions.append(
                {
                    "staff_number": item.staff_number,
                    "reduction": reduction,
                    "amount": amount,
                    "reason": reason,
                }
            )
        return decisions


@dataclass(frozen=True)
class EachLateEntry(Expansion):
    """Every late entry of a decided period not yet resolved (D-13), as its round lists them."""

    period_key: str

    def expand(self, ledger: AssessmentLedger) -> list[dict[str, Any]]:
        return [
            {"entry_stream": UUID(conflict.stream_id), "entry_version": conflict.version}
            for conflict in round_conflicts(ledger, self.period_key)
        ]


@dataclass(frozen=True)
class PublicityObjection(Expansion):
    """A staff member's objection during publicity (R-18) to an excellent colleague of a window:
    the first publicised window staff member, raised by the first colleague of the same unit
    who is not on the list."""

    year: int

    def expand(self, ledger: AssessmentLedger) -> list[dict[str, Any]]:
        annual = ledger.annual_assessment(self.year)
        assert annual is not None and annual.publicity is not None
        roster = ledger.year_roster(self.year)
        listed = annual.publicity.excellent_staff
        subject = next(
            (n for n in listed if roster.participants[n].unit_code.startswith("W")), listed[0]
        )
        unit = roster.participants[subject].unit_code
        objector = next(
            n for n, p in roster.participants.items() if p.unit_code == unit and n not in listed
        )
        return [{"actor": Actor(objector, Role.STAFF), "subject": subject}]


class Condition:
    """Whether a planned command is applied, found when it would run."""

    def holds(self, ledger: AssessmentLedger) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class SheetOutdated(Condition):
    """The figures changed since the period's sheet was prepared (an objection decided, an entry
    recorded late): the supervision clerk prepares it again before the leading group meets."""

    period_key: str

    def holds(self, ledger: AssessmentLedger) -> bool:
        prepared = ledger.bonus_sheet(self.period_key).preparation.content
        with ledger.policy_state() as state:
            current = sheet_content(state, Period.parse(self.period_key))
        return not current.same_figures(prepared)


@dataclass(frozen=True)
class PlannedCommand:
    """One command of the demo: the moment it is recorded and the application call to make."""

    at: datetime
    command: str
    arguments: Mapping[str, Any]
    entry: str | None = None
    """The key under which the outcome's number is kept: the incident_ref of a record_* command
    (for `EntryOf`), `objection <incident_ref>` of raise_objection (for `ObjectionOf`)."""
    each: Expansion | None = None
    """Apply the command once per argument set this finds when it runs."""
    when: Condition | None = None
    """Apply the command only if this holds when it would run."""

    @property
    def reads_figures(self) -> bool:
        """Whether the command, or a value resolved for it, reads the figures of the saved log."""
        return (
            self.command in READS_FIGURES
            or self.when is not None
            or any(isinstance(v, Resolved) and v.reads_figures for v in self.arguments.values())
        )


@dataclass(frozen=True)
class DemoPlan:
    """The demo's commands in recording order, with what identifies the seeded store."""

    commands: tuple[PlannedCommand, ...]
    marker: tuple[str, str]
    """The first staff member's number and name: a store holding them holds this demo."""
    witness: tuple[UUID, str]
    """The stream the plan's last command writes to and the topic of that event: a store whose
    stream ends with it holds the whole demo."""

    def count(self, command: str) -> int:
        """How many commands of a kind the plan holds."""
        return sum(1 for planned in self.commands if planned.command == command)

    def staff_by_category(self) -> Counter[StaffCategory]:
        """The registered staff of the hall per category (the higher authority left out)."""
        return Counter(
            planned.arguments["category"]
            for planned in self.commands
            if planned.command == "register_staff"
            and planned.arguments["staff_number"] != HIGHER_AUTHORITY[0]
        )

    def units_by_kind(self) -> Counter[UnitKind]:
        """The opened units per kind."""
        return Counter(
            planned.arguments["kind"] for planned in self.commands if planned.command == "open_unit"
        )


@dataclass
class _Person:
    number: str
    name: str
    category: StaffCategory
    unit: str
    propensity: float
    # (unit, first day, day it ended or None), in date order
    tenures: list[tuple[str, date, date | None]] = field(default_factory=list)

    def unit_on(self, day: date) -> str | None:
        for unit, start, end in self.tenures:
            if start <= day and (end is None or day < end):
                return unit
        return None


@dataclass
class _Recorded:
    """A person deduction as planned, for the follow-ups (notification, objection)."""

    incident_ref: str
    staff_number: str
    item_code: str
    points: Decimal
    quantity: int
    source: DeductionSource
    recorded_on: date


def _at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CENTER_TIMEZONE)


class _Planner:
    """Builds the demo's commands; one instance per plan, one random generator for the year's
    records and another for its procedures (so that adding to the procedures leaves the
    records as they were)."""

    def __init__(self, calendar: StatutoryYear, next_calendar: StatutoryYear | None = None) -> None:
        self.rng = random.Random(SEED)
        self.prng = random.Random(f"{SEED}/procedures")
        self.calendar = calendar
        self.next_calendar = next_calendar or package_calendar(calendar.year + 1)
        self.days = calendar.working_days()
        self.day_index = {day: index for index, day in enumerate(self.days)}
        self.all_days = self.days + self.next_calendar.working_days()
        self.all_index = {day: index for index, day in enumerate(self.all_days)}
        self.vetoed: set[str] = set()
        """Staff with a veto case that stands (not revoked on review)."""
        self.window_marks: Counter[str] = Counter()
        """The excellent marks each window had in the year's quarterly mutual evaluations."""
        self.commands: list[tuple[datetime, int, PlannedCommand]] = []
        self.people: dict[str, _Person] = {}
        self.heads: dict[str, str] = {}
        self.clerks: list[Actor] = []
        self.director = Actor("S0001", Role.LEADING_GROUP)
        self.discipline_secretary = Actor("S0005", Role.LEADING_GROUP)
        self.catalogue = {item.code: item for item in shipped_catalogue()}
        self.incidents_per_day: Counter[date] = Counter()
        self.recorded: list[_Recorded] = []
        self.names: set[str] = set()
        self._setup_second = 0

    # Helpers

    def add(
        self,
        at: datetime,
        command: str,
        keeps: str | None = None,
        *,
        each: Expansion | None = None,
        when: Condition | None = None,
        **arguments: Any,
    ) -> None:
        planned = PlannedCommand(at, command, arguments, keeps, each, when)
        self.commands.append((at, len(self.commands), planned))

    def setup(self, command: str, **arguments: Any) -> None:
        """A set-up command, recorded on the first working day from 08:00, three seconds apart."""
        at = _at(SETUP_DAY, 8, 0) + timedelta(seconds=self._setup_second)
        self._setup_second += 3
        self.add(at, command, **arguments)

    def working_day_after(self, day: date, working_days: int) -> date:
        """The working day `working_days` after a working day, kept within the year."""
        return self.days[min(self.day_index[day] + working_days, len(self.days) - 1)]

    def later_working_day(self, day: date, working_days: int) -> date:
        """The working day `working_days` after a working day, into the next year if need be."""
        return self.all_days[self.all_index[day] + working_days]

    def first_working_day(self, year: int, month: int) -> date:
        return next(day for day in self.all_days if (day.year, day.month) == (year, month))

    @property
    def leaders(self) -> list[str]:
        """The center's five leaders (director, deputies, discipline inspection secretary)."""
        return [f"S{n:04d}" for n in range(1, 6)]

    def leader_of(self, unit_code: str) -> str:
        """The unit's leader in charge."""
        spec = UNIT_SPECS[unit_code]
        return self.leaders[spec.leader - 1] if spec.leader else HIGHER_AUTHORITY[0]

    def working_moment(self, day: date, *, afternoon: bool = False) -> datetime:
        """A moment in the center's working hours (09:00-11:30, 14:00-17:00) of a day."""
        if afternoon or self.rng.random() < 0.45:
            minute = 14 * 60 + self.rng.randrange(180)
        else:
            minute = 9 * 60 + self.rng.randrange(150)
        return _at(day, minute // 60, minute % 60, self.rng.randrange(60))

    def unique_name(self) -> str:
        """A plausible name nobody else in the center has; common surnames more often."""
        weights = [1 / (rank + 8) for rank in range(len(SURNAMES))]
        while True:
            name = self.rng.choices(SURNAMES, weights)[0] + self.rng.choice(GIVEN_NAMES)
            if name not in self.names:
                self.names.add(name)
                return name

    def _propensity(self) -> float:
        """How prone a person is to deductions: most rarely, a few often."""
        return min(3.0, self.rng.gammavariate(1.5, 0.7))

    def incident_ref(self, day: date) -> str:
        self.incidents_per_day[day] += 1
        return f"{day.year}-{day:%m%d}-{self.incidents_per_day[day]:03d}"

    def clerk(self) -> Actor:
        return self.rng.choice(self.clerks)

    def members_on(self, day: date, *, windows_only: bool = False) -> list[_Person]:
        return [
            person
            for person in self.people.values()
            if (unit := person.unit_on(day)) is not None
            and (not windows_only or unit.startswith("W"))
        ]

    # Set-up: reference data and organisation

    def plan_reference_data(self) -> None:
        self.setup(
            "publish_catalogue",
            actor=OPERATOR,
            items=list(self.catalogue.values()),
            effective_from=MEASURES_2009.effective_from,
            reason="stand-in for Annex 1 of the Measures (catalogue.csv shipped with the ledger)",
        )
        self.setup(
            "adopt_policy",
            actor=OPERATOR,
            version=MEASURES_2009.version,
            effective_from=MEASURES_2009.effective_from,
            parameters=MEASURES_2009.as_record(),
        )
        self.setup(
            "load_calendar_year",
            actor=OPERATOR,
            year=self.calendar.year,
            holidays=self.calendar.holidays,
            makeup_workdays=self.calendar.makeup_workdays,
            source=self.calendar.source,
        )

    def plan_organisation(self) -> None:
        for code, name in BRANCHES:
            self.setup(
                "form_party_branch", actor=OPERATOR, code=code, name=name, effective_on=ORGANISED_ON
            )
        for unit in UNITS:
            self.setup(
                "open_unit",
                actor=OPERATOR,
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                department=unit.department,
                party_branch=unit.branch,
                effective_on=ORGANISED_ON,
            )
        for unit in UNITS:
            for index in range(unit.size):
                number = f"S{len(self.people) + 1:04d}"
                recorders = unit.code == SUPERVISION_OFFICE and index < SUPERVISION_CLERKS
                if unit.code == LEADERSHIP_OFFICE or recorders:
                    propensity = 0.0
                elif unit.kind is UnitKind.OFFICE:
                    propensity = 0.3 * self._propensity()
                else:
                    propensity = self._propensity() * (0.6 if index == 0 else 1.0)
                person = _Person(
                    number,
                    self.unique_name(),
                    self.rng.choice(unit.categories),
                    unit.code,
                    propensity,
                    [(unit.code, ORGANISED_ON, None)],
                )
                self.people[number] = person
                if index == 0:
                    self.heads[unit.code] = number
                self.setup(
                    "register_staff",
                    actor=OPERATOR,
                    staff_number=number,
                    name=person.name,
                    category=person.category,
                    home_unit=unit.department,
                    effective_on=ORGANISED_ON,
                )
                self.setup(
                    "assign_staff",
                    actor=OPERATOR,
                    staff_number=number,
                    unit_code=unit.code,
                    effective_on=ORGANISED_ON,
                )
        number, home = HIGHER_AUTHORITY
        self.setup(
            "register_staff",
            actor=OPERATOR,
            staff_number=number,
            name=self.unique_name(),
            category=C,
            home_unit=home,
            effective_on=ORGANISED_ON,
        )
        leaders = self.leaders
        for unit in UNITS:
            self.setup(
                "appoint_head",
                actor=OPERATOR,
                unit_code=unit.code,
                person_id=self.heads[unit.code],
                effective_on=ORGANISED_ON,
            )
            self.setup(
                "appoint_leader_in_charge",
                actor=OPERATOR,
                unit_code=unit.code,
                person_id=self.leader_of(unit.code),
                effective_on=ORGANISED_ON,
            )
        for branch, unit_code in BRANCH_SECRETARY_UNITS.items():
            self.setup(
                "appoint_branch_secretary",
                actor=OPERATOR,
                branch_code=branch,
                person_id=self.heads[unit_code],
                effective_on=ORGANISED_ON,
            )
        leading_group = [*leaders, self.heads[SUPERVISION_OFFICE], self.heads[GENERAL_OFFICE]]
        for person_id in leading_group:
            self.setup(
                "appoint_leading_group_member",
                actor=OPERATOR,
                person_id=person_id,
                effective_on=ORGANISED_ON,
            )
        for person_id in leaders:
            self.setup(
                "appoint_committee_member",
                actor=OPERATOR,
                person_id=person_id,
                effective_on=ORGANISED_ON,
            )
        supervision = [p for p in self.people.values() if p.unit == SUPERVISION_OFFICE]
        for person in supervision[:SUPERVISION_CLERKS]:
            self.clerks.append(Actor(person.number, Role.SUPERVISION_CLERK))
            self.setup(
                "grant_role",
                actor=OPERATOR,
                person_id=person.number,
                role=Role.SUPERVISION_CLERK,
                effective_on=ORGANISED_ON,
            )
        for office in FUNCTIONAL_OFFICES:
            self.setup(
                "grant_role",
                actor=OPERATOR,
                person_id=self.heads[office],
                role=Role.FUNCTIONAL_OFFICE,
                scope=office,
                effective_on=ORGANISED_ON,
            )
        self.setup(
            "grant_role",
            actor=OPERATOR,
            person_id=HIGHER_AUTHORITY[0],
            role=Role.HIGHER_AUTHORITY,
            effective_on=ORGANISED_ON,
        )

    # The year: rounds (their procedures are planned with `plan_procedures`)

    def plan_rounds(self) -> None:
        opener = self.clerks[0]
        first_of_month = [
            next(day for day in self.days if day.month == month) for month in range(1, 13)
        ]
        for month, day in enumerate(first_of_month, start=1):
            keys = [f"{DEMO_YEAR}-{month:02d}"]
            if month % 3 == 1:
                keys.append(f"{DEMO_YEAR}-Q{month // 3 + 1}")
            if month in (1, 7):
                keys.append(f"{DEMO_YEAR}-H{month // 6 + 1}")
            if month == 1:
                keys.append(str(DEMO_YEAR))
            for offset, key in enumerate(keys):
                self.add(
                    _at(day, 8, 30, 10 * offset),
                    "open_round",
                    actor=opener,
                    period_key=key,
                    effective_on=day,
                )

    # The year: transfers, releases and new staff

    def plan_movements(self) -> None:
        window_sizes = Counter(p.unit for p in self.people.values())
        candidates_days = [d for d in self.days if date(2025, 2, 10) <= d <= date(2025, 11, 28)]
        moved: set[str] = set()
        for day in sorted(self.rng.sample(candidates_days, 12)):
            movable = [
                p
                for p in self.people.values()
                if p.unit.startswith("W")
                and p.number not in moved
                and self.heads[p.unit] != p.number
                and window_sizes[p.unit] >= 3
                and p.tenures[-1][2] is None
            ]
            person = self.rng.choice(movable)
            targets = sorted(
                code
                for code, size in window_sizes.items()
                if code.startswith("W") and code != person.unit and size >= 2
            )
            target = self.rng.choice(targets)
            window_sizes[person.unit] -= 1
            window_sizes[target] += 1
            moved.add(person.number)
            person.tenures[-1] = (person.unit, person.tenures[-1][1], day)
            person.tenures.append((target, day, None))
            person.unit = target
            self.add(
                _at(day, 8, 45),
                "transfer_staff",
                actor=OPERATOR,
                staff_number=person.number,
                unit_code=target,
                effective_on=day,
            )
        # Two staff return to their departments; newcomers take their places the same day.
        for day, unit in ((date(2025, 7, 1), "W06"), (date(2025, 10, 13), "W24")):
            leaving = self.rng.choice(
                [
                    p
                    for p in self.people.values()
                    if p.unit == unit and p.number not in moved and self.heads[unit] != p.number
                ]
            )
            moved.add(leaving.number)
            leaving.tenures[-1] = (unit, leaving.tenures[-1][1], day)
            self.add(
                _at(day, 8, 40),
                "release_staff",
                actor=OPERATOR,
                staff_number=leaving.number,
                effective_on=day,
            )
            spec = next(u for u in UNITS if u.code == unit)
            number = f"S{len(self.people) + 1:04d}"
            newcomer = _Person(
                number,
                self.unique_name(),
                self.rng.choice(spec.categories),
                unit,
                self._propensity(),
                [(unit, day, None)],
            )
            self.people[number] = newcomer
            self.add(
                _at(day, 8, 41),
                "register_staff",
                actor=OPERATOR,
                staff_number=number,
                name=newcomer.name,
                category=newcomer.category,
                home_unit=spec.department,
                effective_on=day,
            )
            self.add(
                _at(day, 8, 42),
                "assign_staff",
                actor=OPERATOR,
                staff_number=number,
                unit_code=unit,
                effective_on=day,
            )

    # The year: deductions and veto cases

    def source_for(self, item_code: str) -> DeductionSource:
        choices = SOURCES_BY_ITEM.get(item_code) or SOURCES_BY_GROUP[item_code[:3]]
        return self.rng.choices([s for s, _ in choices], [w for _, w in choices])[0]

    @staticmethod
    def evidence(source: DeductionSource, incident_ref: str) -> str:
        label, prefix = EVIDENCE_LABELS[source]
        return f"{label} {prefix}-{incident_ref}"

    def recording_moment(self, occurred_on: date) -> datetime:
        delays = self.rng.choices(
            [d for d, _ in RECORDING_DELAYS], [w for _, w in RECORDING_DELAYS]
        )
        recorded_on = self.working_day_after(occurred_on, delays[0])
        return self.working_moment(recorded_on, afternoon=recorded_on == occurred_on)

    def plan_deductions(self) -> None:
        incident_days = sorted(
            self.rng.choice(self.days[1:]) for _ in range(DEDUCTION_INCIDENTS)
        )  # from 2 January: the hall is closed on New Year's Day
        windows = [u for u in UNITS if u.kind is UnitKind.WINDOW]
        for day in incident_days:
            if self.rng.random() < WINDOW_ITEM_SHARE:
                unit = self.rng.choices(windows, [1 + u.size / 4 for u in windows])[0]
                item_code = self.rng.choices(list(WINDOW_ITEMS), list(WINDOW_ITEMS.values()))[0]
                self.record(day, item_code, unit_code=unit.code)
                continue
            members = [p for p in self.members_on(day) if p.propensity > 0]
            person = self.rng.choices(members, [p.propensity for p in members])[0]
            unit_on_day = person.unit_on(day)
            assert unit_on_day is not None
            items = (
                PERSON_ITEMS_WINDOW_STAFF
                if unit_on_day.startswith("W")
                else PERSON_ITEMS_OFFICE_STAFF
            )
            item_code = self.rng.choices(list(items), list(items.values()))[0]
            self.record(day, item_code, staff=person)

    def record(
        self,
        day: date,
        item_code: str,
        *,
        staff: _Person | None = None,
        unit_code: str | None = None,
    ) -> None:
        item = self.catalogue[item_code]
        assert item.applies_to is (AppliesTo.PERSON if staff else AppliesTo.WINDOW), item_code
        quantity = 1
        if item.unit is CatalogueUnit.HALF_DAY:
            quantity = self.rng.choice((1, 2, 2, 3))
        source = self.source_for(item_code)
        ref = self.incident_ref(day)
        at = self.recording_moment(day)
        common: dict[str, Any] = {
            "actor": self.clerk(),
            "item_code": item_code,
            "occurred_on": day,
            "incident_ref": ref,
            "evidence_ref": self.evidence(source, ref),
            "source": source,
            "quantity": quantity,
        }
        if staff is None:
            self.add(at, "record_window_deduction", ref, unit_code=unit_code, **common)
            return
        self.add(at, "record_deduction", ref, staff_number=staff.number, **common)
        self.recorded.append(
            _Recorded(ref, staff.number, item_code, item.points, quantity, source, at.date())
        )

    def plan_veto_cases(self) -> None:
        vetoed: set[str] = set()
        for spec in VETO_CASES:
            day = self.rng.choice([d for d in self.days if d.month == spec.month])
            person = self.rng.choice(
                [
                    p
                    for p in self.members_on(day, windows_only=True)
                    if p.number not in vetoed and self.heads.get(p.unit) != p.number
                ]
            )
            vetoed.add(person.number)
            ref = self.incident_ref(day)
            recorded_on = self.working_day_after(day, self.rng.randint(3, 6))
            evidence = self.evidence(spec.source, ref)
            self.add(
                self.working_moment(recorded_on),
                "record_veto_case",
                ref,
                actor=self.clerk(),
                staff_number=person.number,
                case=spec.case,
                occurred_on=day,
                incident_ref=ref,
                evidence_ref=evidence,
                verification=spec.verification,
                source=spec.source,
            )
            if spec.case is not VETO_REVISED:
                self.vetoed.add(person.number)
                continue
            # On review the leading group finds no adverse impact: the veto case is revoked and
            # the same incident recorded as SRV-05, citing that decision.
            revised_on = self.working_day_after(recorded_on, 8)
            decision = f"LG-YY-{ref}"
            self.add(
                _at(revised_on, 15, 0),
                "revoke_veto_case",
                actor=self.discipline_secretary,
                staff_number=person.number,
                veto=EntryOf(ref),
                effective_on=revised_on,
                reason="复核认定未造成不良影响，不构成V6情形，改按SRV-05扣分",
                decision_ref=decision,
            )
            self.add(
                _at(revised_on, 15, 5),
                "record_deduction",
                f"{ref}/SRV-05",
                actor=self.clerk(),
                staff_number=person.number,
                item_code="SRV-05",
                occurred_on=day,
                incident_ref=ref,
                evidence_ref=evidence,
                source=spec.source,
                decision_ref=decision,
            )

    # The year: notifications, amendments and revocations after objections

    def objection_decider(self, source: DeductionSource) -> Actor:
        """The leading group decides objections to the supervision office's own findings (R-40)."""
        return self.discipline_secretary if source is SI else self.clerk()

    def plan_follow_ups(self) -> None:
        """Notifications; objections raised by the staff member within the R-40 window and
        decided by the supervision office (the leading group for its own inspections' findings):
        revoked, amended or upheld; and reductions of points the leading group decides itself."""
        last_day = self.days[-1]
        eligible = [r for r in self.recorded if r.recorded_on <= date(2025, 11, 28)]
        revoked = {r.incident_ref for r in self.rng.sample(eligible, REVOCATIONS)}
        chosen = set(revoked)
        amendable = [
            r
            for r in eligible
            if r.incident_ref not in chosen
            and (r.points >= 1 if r.quantity == 1 else r.quantity >= 2)
        ]
        amended = self.rng.sample(amendable, AMENDMENTS)
        chosen |= {r.incident_ref for r in amended}
        for entry in self.recorded:
            objected = entry.incident_ref in chosen
            if not objected and self.rng.random() >= NOTIFIED_SHARE:
                continue
            notified_on = self.working_day_after(entry.recorded_on, self.rng.randint(1, 2))
            if notified_on >= last_day:
                continue
            clerk = self.clerk()
            self.add(
                _at(notified_on, 8, 50, self.rng.randrange(60)),
                "notify_deduction",
                actor=clerk,
                staff_number=entry.staff_number,
                deduction=EntryOf(entry.incident_ref),
                effective_on=notified_on,
            )
            if not objected:
                if entry.recorded_on <= date(2025, 12, 5) and self.prng.random() < UPHELD_SHARE:
                    self.plan_upheld_objection(entry, notified_on)
                continue
            decided_on = self.working_day_after(notified_on, self.rng.randint(3, 6))
            arguments: dict[str, Any] = {
                "staff_number": entry.staff_number,
                "effective_on": decided_on,
            }
            outcome = ObjectionOutcome.AMENDED
            if entry.incident_ref in revoked:
                outcome = ObjectionOutcome.REVOKED
                decider = self.objection_decider(entry.source)
                arguments["reason"] = self.rng.choice(REVOCATION_REASONS)
            elif entry.quantity >= 2:
                decider = self.objection_decider(entry.source)
                arguments["reason"] = f"异议部分成立：核实旷工{entry.quantity - 1}个半天"
                arguments["quantity"] = entry.quantity - 1
            else:
                # Points other than the catalogue's need the leading group.
                decider = self.discipline_secretary
                arguments["points"] = format_points(_halved(entry.points))
                arguments["reason"] = "异议部分成立：情节轻微，考核领导小组决定减半扣分"
            prefix = "LG-YY" if decider.role is Role.LEADING_GROUP else "DC-YY"
            arguments["decision_ref"] = f"{prefix}-{entry.incident_ref}"
            at = _at(decided_on, 16, 30, self.rng.randrange(60))
            if decider.role is not self.objection_decider_role(entry.source):
                # The supervision office decides objections to these findings but may not
                # change points: the leading group reduces them on its own decision.
                arguments["reason"] = "情节轻微，考核领导小组决定减半扣分"
                self.add(
                    at,
                    "amend_deduction",
                    actor=decider,
                    deduction=EntryOf(entry.incident_ref),
                    **arguments,
                )
                continue
            self.plan_objection(entry, notified_on, decided_on)
            self.add(
                at,
                "decide_objection",
                actor=decider,
                objection=ObjectionOf(entry.incident_ref),
                outcome=outcome,
                **arguments,
            )

    @staticmethod
    def objection_decider_role(source: DeductionSource) -> Role:
        return Role.LEADING_GROUP if source is SI else Role.SUPERVISION_CLERK

    def plan_objection(self, entry: _Recorded, notified_on: date, decided_on: date) -> None:
        """The staff member objects one or two working days after the notification (R-40)."""
        raised_on = self.working_day_after(notified_on, self.prng.randint(1, 2))
        assert notified_on < raised_on < decided_on
        self.add(
            _at(raised_on, 10, self.prng.randrange(60), self.prng.randrange(60)),
            "raise_objection",
            f"objection {entry.incident_ref}",
            actor=Actor(entry.staff_number, Role.STAFF),
            staff_number=entry.staff_number,
            entry=EntryOf(entry.incident_ref),
            grounds=self.prng.choice(OBJECTION_GROUNDS),
            effective_on=raised_on,
        )

    def plan_upheld_objection(self, entry: _Recorded, notified_on: date) -> None:
        """An objection the decider does not accept: the deduction stands (R-40, upheld)."""
        decided_on = self.working_day_after(notified_on, self.prng.randint(3, 5))
        self.plan_objection(entry, notified_on, decided_on)
        role = self.objection_decider_role(entry.source)
        decider = (
            self.discipline_secretary
            if role is Role.LEADING_GROUP
            else self.clerks[self.prng.randrange(len(self.clerks))]
        )
        prefix = "LG-YY" if role is Role.LEADING_GROUP else "DC-YY"
        self.add(
            _at(decided_on, 16, 40, self.prng.randrange(60)),
            "decide_objection",
            actor=decider,
            staff_number=entry.staff_number,
            objection=ObjectionOf(entry.incident_ref),
            outcome=ObjectionOutcome.UPHELD,
            reason="经核实，扣分事实清楚、依据充分，异议不成立，维持原扣分",
            decision_ref=f"{prefix}-{entry.incident_ref}",
            effective_on=decided_on,
        )

    # The year's procedures (issue 5): bonus sheets, quarterly evaluations, the annual assessment

    def moment(self, day: date, *, earliest: int = 9 * 60) -> datetime:
        """A moment of the procedures' generator in working hours, not before `earliest` (minutes
        after midnight)."""
        if self.prng.random() < 0.45:
            minute = 14 * 60 + self.prng.randrange(180)
        else:
            minute = earliest + self.prng.randrange(11 * 60 + 30 - earliest)
        return _at(day, minute // 60, minute % 60, self.prng.randrange(60))

    def plan_procedures(self) -> None:
        # The State Council publishes the next year's holidays in November: the operator loads
        # them, so deadlines that run into January can be counted.
        loaded_on = date(DEMO_YEAR, 11, 10)
        self.add(
            _at(loaded_on, 8, 20),
            "load_calendar_year",
            actor=OPERATOR,
            year=self.next_calendar.year,
            holidays=self.next_calendar.holidays,
            makeup_workdays=self.next_calendar.makeup_workdays,
            source=self.next_calendar.source,
        )
        self.plan_bonus_sheets()
        self.plan_reopening()
        self.plan_quarters()
        self.plan_annual_assessment()

    def plan_bonus_sheets(self) -> None:
        """Each month's sheet prepared on the fifth working day after it, and approved at the
        leading group's meeting on the eighth, after deciding every head-liability item (and
        after the clerk prepared it again if the figures changed meanwhile); H1 with June.
        December and H2 are prepared in January and await the leading group."""
        clerk = self.clerks[1]
        for month in range(1, 13):
            key = f"{DEMO_YEAR}-{month:02d}"
            following = self.first_working_day(DEMO_YEAR + month // 12, month % 12 + 1)
            prepared_on = self.later_working_day(following, 4)
            keys = [key]
            if month in (6, 12):
                keys.append(f"{DEMO_YEAR}-H{month // 6}")
            for offset, period_key in enumerate(keys):
                self.add(
                    _at(prepared_on, 10, 10 * offset, 0),
                    "prepare_bonus_sheet",
                    actor=clerk,
                    period_key=period_key,
                    effective_on=prepared_on,
                )
            if month == 12:
                continue
            meets_on = self.later_working_day(following, 7)
            for offset, period_key in enumerate(keys):
                again = _at(meets_on, 15, 20 + offset)
                if self.entries_changed(Period.parse(period_key), _at(prepared_on, 10, 0), again):
                    self.add(
                        again,
                        "prepare_bonus_sheet",
                        when=SheetOutdated(period_key),
                        actor=clerk,
                        period_key=period_key,
                        effective_on=meets_on,
                    )
                self.plan_sheet_decision(
                    period_key,
                    f"LG-{period_key}",
                    _at(meets_on, 15, 30 + offset),
                    _at(meets_on, 16, 5 * offset),
                )

    def plan_reopening(self) -> None:
        """One decided month reopened (SPEC section 3, D-13): the first month an entry reaches
        after its sheet was approved (an objection decided late, say). Three working days
        later the leading group resolves the month's late entries as `reopen`, the clerk
        prepares the sheet again, and the leading group decides any new head-liability item and
        approves the amended sheet (LG-<month>-A), which supersedes the first approval."""
        approved = {
            planned.arguments["period_key"]: at
            for at, _, planned in self.commands
            if planned.command == "approve_bonus_sheet"
            and Period.parse(planned.arguments["period_key"]).kind is PeriodKind.MONTH
        }
        late = sorted(
            (at, f"{day:%Y-%m}")
            for at, _, planned in self.commands
            if planned.command in STAFF_ENTRY_COMMANDS
            and (day := _incident_day(planned)) is not None
            and at > approved.get(f"{day:%Y-%m}", at)
        )
        if not late:
            return
        found_at, key = late[0]
        meets_on = self.later_working_day(found_at.date(), 3)
        start, end = _at(meets_on, 14, 30), _at(meets_on, 15, 10)
        if self.entries_changed(Period.parse(key), start - timedelta(hours=1), end):
            raise RuntimeError(f"an entry of {key} is planned during its reopening")
        self.add(
            start,
            "resolve_late_entry",
            each=EachLateEntry(key),
            actor=self.director,
            period_key=key,
            resolution=LateEntryResolution.REOPEN,
            reason="迟到的扣分改变了当月奖金 / a late change alters the month's bonuses",
            effective_on=meets_on,
        )
        self.add(
            _at(meets_on, 14, 50),
            "prepare_bonus_sheet",
            actor=self.clerks[1],
            period_key=key,
            effective_on=meets_on,
        )
        self.plan_sheet_decision(key, f"LG-{key}-A", _at(meets_on, 15, 0), end)

    def plan_sheet_decision(
        self, period_key: str, decision_ref: str, deciding: datetime, approving: datetime
    ) -> None:
        """The leading group's meeting on a prepared sheet: each head-liability item not yet
        decided (D-08), then the approval (the period's decision)."""
        meets_on = deciding.date()
        self.add(
            deciding,
            "decide_head_liability",
            each=EachLiabilityItem(period_key),
            actor=self.director,
            period_key=period_key,
            decision_ref=f"{decision_ref}-HL",
            effective_on=meets_on,
        )
        self.add(
            approving,
            "approve_bonus_sheet",
            actor=self.director,
            period_key=period_key,
            decision_ref=decision_ref,
            effective_on=meets_on,
        )

    def entries_changed(self, period: Period, start: datetime, end: datetime) -> bool:
        """Whether an entry about an incident of the period is planned to be recorded, amended
        or revoked between two moments (the sheet may then need preparing again)."""
        for at, _, planned in self.commands:
            if not start < at < end:
                continue
            day = _incident_day(planned)
            if day is not None and period.contains(day):
                return True
        return False

    def plan_quarters(self) -> None:
        """Q1-Q3 in full: the functional offices' opinions, their compilation (Q3's after the
        D-16 deadline, which fell on a make-up Saturday after the National Day holiday), each
        branch's open mutual evaluation among its windows, its recommendations, the leading
        group's examination and decision. Q4: the opinions are in, the compilation is not."""
        compiled_after = {1: 1, 2: 2, 3: 3}
        offices = [Actor(self.heads[code], Role.FUNCTIONAL_OFFICE) for code in FUNCTIONAL_OFFICES]
        for quarter in range(1, 5):
            key = f"{DEMO_YEAR}-Q{quarter}"
            period = Period.parse(key)
            in_quarter = [d for d in self.days if period.first_day <= d <= period.last_day]
            if quarter < 4:
                following = self.first_working_day(DEMO_YEAR, 3 * quarter + 1)
                opinion_days = [*in_quarter[-4:], following]
            else:
                opinion_days = in_quarter[-6:]
            for office in offices:
                members = sorted(
                    p.number for p in self.members_on(period.last_day, windows_only=True)
                )
                windows = [u.code for u in UNITS if u.kind is UnitKind.WINDOW]
                subjects = self.prng.sample(members, 2) + self.prng.sample(
                    windows, self.prng.randint(0, 2)
                )
                for subject in subjects:
                    day = self.prng.choice(opinion_days)
                    self.add(
                        self.moment(day),
                        "submit_opinion",
                        actor=office,
                        period_key=key,
                        subject=subject,
                        opinion=self.prng.choice(OPINIONS),
                        effective_on=day,
                    )
            if quarter == 4:
                continue
            compiled_on = self.later_working_day(following, compiled_after[quarter])
            self.add(
                _at(compiled_on, 11, 0),
                "compile_opinions",
                actor=self.clerks[0],
                period_key=key,
                effective_on=compiled_on,
            )
            self.plan_mutual_evaluations(key, period, compiled_on)
            decided_on = self.later_working_day(compiled_on, 6)
            self.add(
                _at(decided_on, 14, 30),
                "examine_recommendations",
                actor=self.director,
                period_key=key,
                accepted_individuals=StillEligible(key, "staff"),
                accepted_windows=StillEligible(key, "window"),
                effective_on=decided_on,
            )
            self.add(
                _at(decided_on, 15, 30),
                "decide_quarter_results",
                actor=self.director,
                period_key=key,
                decision_ref=f"LG-{key}",
                effective_on=decided_on,
            )

    def window_quality(self, code: str, day: date) -> float:
        """How well a window is thought of (0-1): the fewer deductions its people tend to
        attract, the better."""
        members = [p for p in self.people.values() if p.unit_on(day) == code]
        if not members:
            return 0.5
        return max(0.0, 1 - sum(p.propensity for p in members) / len(members) / 2)

    def rating(self, quality: float) -> Rating:
        weights = (0.1 + 0.5 * quality, 0.55, 0.05 + 0.3 * (1 - quality), 0.06 * (1 - quality))
        return self.prng.choices(list(Rating), weights)[0]

    def plan_mutual_evaluations(self, key: str, period: Period, compiled_on: date) -> None:
        opened_on = self.later_working_day(compiled_on, 1)
        voting_days = (opened_on, self.later_working_day(compiled_on, 2))
        tallied_on = self.later_working_day(compiled_on, 3)
        recommended_on = self.later_working_day(compiled_on, 4)
        for index, (branch, _) in enumerate(BRANCHES):
            units = [u.code for u in UNITS if u.branch == branch]
            windows = [u.code for u in UNITS if u.branch == branch and u.kind is UnitKind.WINDOW]
            if not windows:
                continue  # the offices' branch has no windows to evaluate
            secretary = Actor(self.heads[BRANCH_SECRETARY_UNITS[branch]], Role.BRANCH_SECRETARY)
            self.add(
                _at(opened_on, 9, 5 * index),
                "open_mutual_evaluation",
                actor=secretary,
                period_key=key,
                branch=branch,
                mode=BallotMode.UNLINKABLE if branch == UNLINKABLE_BRANCH else BallotMode.OPEN,
                effective_on=opened_on,
            )
            quality = {code: self.window_quality(code, period.last_day) for code in windows}
            marks: Counter[str] = Counter()
            for person in sorted(self.people.values(), key=lambda p: p.number):
                day = self.prng.choice(voting_days)
                own = person.unit_on(day)
                if own not in units or self.prng.random() < 0.05:
                    continue  # not of the branch that day, or away
                ratings = {code: self.rating(quality[code]) for code in windows if code != own}
                marks.update(code for code, mark in ratings.items() if mark is Rating.EXCELLENT)
                self.add(
                    self.moment(day, earliest=9 * 60 + 40),
                    "cast_ballot",
                    actor=Actor(person.number, Role.STAFF),
                    period_key=key,
                    branch=branch,
                    ratings=ratings,
                    effective_on=day,
                )
            self.window_marks.update(marks)
            self.add(
                _at(tallied_on, 16, 5 * index),
                "tally_mutual_evaluation",
                actor=secretary,
                period_key=key,
                branch=branch,
                effective_on=tallied_on,
            )
            members = [p for p in self.people.values() if p.unit_on(period.last_day) in windows]
            ordered = sorted(
                members, key=lambda p: (p.propensity + 0.4 * self.prng.random(), p.number)
            )
            preferred = sorted(windows, key=lambda code: (-marks[code], code))
            self.add(
                _at(recommended_on, 10, 10 * index),
                "recommend",
                actor=secretary,
                period_key=key,
                branch=branch,
                excellent_individuals=Eligible(
                    key, "staff", tuple(p.number for p in ordered), max(1, round(len(members) / 12))
                ),
                excellent_windows=Eligible(
                    key, "window", tuple(preferred), 2 if len(windows) >= 6 else 1
                ),
                effective_on=recommended_on,
            )

    def annual_mark(self, person: _Person) -> Grade:
        """A colleague's mark on the annual mutual-evaluation form, on their scheme."""
        grades = grade_scheme(person.category, DEMO_YEAR).grades
        if person.number in self.vetoed:
            return self.prng.choice(grades[1:3])
        excellent = 0.05 + 0.35 * max(0.0, 1 - person.propensity / 1.5)
        return self.prng.choices(grades[:3], (excellent, 0.97 - excellent, 0.03))[0]

    def plan_annual_assessment(self) -> None:
        """The 2025 assessment in January and February 2026, up to publicity: forms (R-12),
        evaluations and proposed grades (R-13, D-17), countersignatures (R-14), mutual-evaluation
        and recommendation forms (R-15), joint branch meetings (R-16), the preliminary grades
        within the quota and the excellent windows (R-17, D-20, R-25), publicity (R-18, D-21) and
        one objection raised during it."""
        year = DEMO_YEAR
        days = self.next_calendar.working_days()  # 4 January 2026 is a make-up working day
        people = sorted(self.people.values(), key=lambda p: p.number)
        unit_of = {p.number: p.tenures[-1][0] for p in people}
        branch_of = {n: UNIT_SPECS[u].branch for n, u in unit_of.items()}
        for person in people:
            day = days[1 + self.prng.randrange(5)]
            at = self.moment(day)
            staff = Actor(person.number, Role.STAFF)
            self.add(
                at,
                "submit_self_summary",
                actor=staff,
                year=year,
                text=self.prng.choice(SELF_SUMMARIES),
                effective_on=day,
            )
            self.add(
                at + timedelta(minutes=3),
                "submit_registration_form",
                actor=staff,
                year=year,
                category=person.category,
                effective_on=day,
            )
        # Each head chooses the unit's excellent staff among those eligible.
        choices: dict[str, Eligible] = {}
        for spec in UNITS:
            assessed = [p for p in people if unit_of[p.number] == spec.code]
            pool = [
                p
                for p in assessed
                if p.number != self.heads[spec.code] and p.number not in self.vetoed
            ]
            if spec.code == LEADERSHIP_OFFICE or len(assessed) < 3 or not pool:
                continue
            ordered = sorted(
                pool, key=lambda p: (p.propensity + 0.3 * self.prng.random(), p.number)
            )
            limit = max(1, round(0.15 * len(assessed)))
            choices[spec.code] = Eligible(
                str(year), "staff", tuple(p.number for p in ordered), limit
            )
        for person in people:
            number, unit = person.number, unit_of[person.number]
            spec, head = UNIT_SPECS[unit], self.heads[unit]
            grades = grade_scheme(person.category, year).grades
            grade: Grade | GradeIfChosen = grades[1]
            text = EVALUATIONS["second"]
            if number in self.vetoed:
                grade, text = grades[2], EVALUATIONS["third"]
            elif unit in choices and number in choices[unit].candidates:
                grade = GradeIfChosen(choices[unit], number, grades[1])
            if number == head:
                evaluator = Actor(self.leader_of(unit), Role.LEADER_IN_CHARGE)
            else:
                role = Role.WINDOW_HEAD if spec.kind is UnitKind.WINDOW else Role.OFFICE_HEAD
                evaluator = Actor(head, role)
            day = days[6 + self.prng.randrange(3)]
            self.add(
                self.moment(day),
                "evaluate",
                actor=evaluator,
                year=year,
                subject=number,
                evaluation=text,
                proposed_grade=grade,
                effective_on=day,
            )
            if evaluator.role is Role.OFFICE_HEAD:
                signer = Actor(self.leader_of(unit), Role.LEADER_IN_CHARGE)
            elif spec.kind is UnitKind.WINDOW:
                signer = self.clerks[self.prng.randrange(len(self.clerks))]
            else:  # an office head's proposal, by the leader in charge (D-17)
                lead = next(
                    a
                    for a in (self.director, self.discipline_secretary)
                    if a.person_id not in (evaluator.person_id, number)
                )
                signer = lead
            day = days[9 + self.prng.randrange(2)]
            self.add(
                self.moment(day),
                "countersign",
                actor=signer,
                year=year,
                subject=number,
                effective_on=day,
            )
        for person in people:
            day = days[11 + self.prng.randrange(3)]
            branch = branch_of[person.number]
            ratings = {
                colleague.number: self.annual_mark(colleague)
                for colleague in people
                if colleague is not person and branch_of[colleague.number] == branch
            }
            self.add(
                self.moment(day),
                "submit_mutual_evaluation_form",
                actor=Actor(person.number, Role.STAFF),
                year=year,
                ratings=ratings,
                effective_on=day,
            )
        for spec in UNITS:
            role = Role.WINDOW_HEAD if spec.kind is UnitKind.WINDOW else Role.OFFICE_HEAD
            day = days[13 + self.prng.randrange(2)]
            self.add(
                self.moment(day),
                "submit_recommendation_form",
                actor=Actor(self.heads[spec.code], role),
                year=year,
                unit_code=spec.code,
                recommended=choices.get(spec.code, ()),
                effective_on=day,
            )
        preferred = sorted(
            (u.code for u in UNITS if u.kind is UnitKind.WINDOW),
            key=lambda code: (-self.window_marks[code], code),
        )
        for index, (branch, _) in enumerate(BRANCHES):
            units = tuple(u.code for u in UNITS if u.branch == branch)
            windows = tuple(code for code in preferred if UNIT_SPECS[code].branch == branch)
            day = days[16 + index // 2]
            self.add(
                _at(day, 9 if index % 2 == 0 else 15, 0),
                "hold_joint_branch_meeting",
                actor=Actor(self.heads[BRANCH_SECRETARY_UNITS[branch]], Role.BRANCH_SECRETARY),
                year=year,
                branch=branch,
                recommended_staff=FormsRecommended(year, units),
                recommended_windows=(
                    Eligible(str(year), "window", windows, 2 if len(windows) >= 6 else 1)
                    if windows
                    else ()
                ),
                effective_on=day,
            )
        decided_on = days[22]
        self.add(
            _at(decided_on, 15, 0),
            "fix_preliminary_grades",
            actor=self.director,
            year=year,
            grades=PreliminaryGrades(year),
            effective_on=decided_on,
        )
        self.add(
            _at(decided_on, 15, 30),
            "decide_annual_excellent_windows",
            actor=self.director,
            year=year,
            windows=ChosenWindows(year, tuple(preferred), 4),
            effective_on=decided_on,
        )
        publicised_on = days[24]
        self.add(
            _at(publicised_on, 9, 0),
            "start_publicity",
            actor=self.clerks[0],
            year=year,
            effective_on=publicised_on,
        )
        objected_on = days[26]
        self.add(
            _at(objected_on, 10, 17, 42),
            "raise_publicity_objection",
            each=PublicityObjection(year),
            year=year,
            text=PUBLICITY_OBJECTION,
            effective_on=objected_on,
        )

    def plan(self, *, procedures: bool = True) -> DemoPlan:
        """The year's commands in recording order; without `procedures`, the records only (no
        round is decided: the stress benchmark's centers share the period keys)."""
        self.plan_reference_data()
        self.plan_organisation()
        self.plan_rounds()
        self.plan_movements()
        self.plan_deductions()
        self.plan_veto_cases()
        self.plan_follow_ups()
        if procedures:
            self.plan_procedures()
        ordered = tuple(planned for _, _, planned in sorted(self.commands, key=_order))
        first = self.people["S0001"]
        if not procedures:
            return DemoPlan(ordered, (first.number, first.name), (UUID(int=0), ""))
        if ordered[-1].command != "raise_publicity_objection":
            # demo_state() recognises a complete seeding by the event of the last command
            raise RuntimeError("the demo plan must end with the publicity objection")
        witness = (AnnualAssessment.create_id(DEMO_YEAR), PUBLICITY_OBJECTION_TOPIC)
        return DemoPlan(ordered, (first.number, first.name), witness)


def _incident_day(planned: PlannedCommand) -> date | None:
    """The incident date of the entry a planned command records or changes, if any."""
    if planned.command in ("notify_deduction", "raise_objection") or (
        planned.arguments.get("outcome") is ObjectionOutcome.UPHELD
    ):
        return None  # the entry stays as it was
    occurred_on = planned.arguments.get("occurred_on")
    if isinstance(occurred_on, date):
        return occurred_on
    for value in planned.arguments.values():
        if isinstance(value, (EntryOf, ObjectionOf)):
            year, day = value.incident_ref.split("-")[:2]
            return date(int(year), int(day[:2]), int(day[2:4]))
    return None


def _order(item: tuple[datetime, int, PlannedCommand]) -> tuple[datetime, int]:
    return item[0], item[1]


def _halved(points: Decimal) -> Decimal:
    """Half the points, rounded down to the 0.5 step, at least 0.5."""
    halves = int(points / Decimal("0.5")) // 2
    return max(Decimal("0.5"), Decimal(halves) * Decimal("0.5"))


def build_plan(calendar: StatutoryYear | None = None) -> DemoPlan:
    """The demo's commands for 2025 (and its assessment in early 2026), the same on every
    call."""
    return _Planner(calendar or package_calendar(DEMO_YEAR)).plan()


# Applying the plan


DEMO_PASSWORD = "demo-password-2025"
"""The password of the demo's login accounts (demo data only; never for a real store)."""


def demo_logins(plan: DemoPlan) -> list[tuple[str, str, str]]:
    """The demo's login accounts: (user name, person, what they may do), one per kind of user."""

    def first(command: str, **matching: object) -> str:
        return next(
            str(planned.arguments["person_id"])
            for planned in plan.commands
            if planned.command == command
            and all(planned.arguments.get(name) == value for name, value in matching.items())
        )

    director = first("appoint_leading_group_member")
    clerk = first("grant_role", role=Role.SUPERVISION_CLERK)
    window = next(
        planned.arguments["code"]
        for planned in plan.commands
        if planned.command == "open_unit" and planned.arguments["kind"] is UnitKind.WINDOW
    )
    head = first("appoint_head", unit_code=window)
    member = next(
        str(planned.arguments["staff_number"])
        for planned in plan.commands
        if planned.command == "assign_staff"
        and planned.arguments["unit_code"] == window
        and planned.arguments["staff_number"] != head
    )
    return [
        ("director", director, "leading group: reads everything, decides periods"),
        ("clerk", clerk, "supervision clerk: records deductions, reads everything"),
        ("head", head, f"head of window {window}: reads the window and its people"),
        ("staff", member, f"staff member of window {window}: reads their own records"),
    ]


class DemoState(Enum):
    """What a store holds with respect to the demo."""

    EMPTY = "empty"
    SEEDED = "seeded"
    PARTIAL = "partial"
    """The demo's first records, but not its last: a seeding was interrupted."""
    FOREIGN = "foreign"
    """Records that are not the demo's."""


def demo_state(ledger: AssessmentLedger, plan: DemoPlan) -> DemoState:
    """Whether the store is empty, holds the demo (whole or partly) or holds other records; reads
    the head position and at most two short streams."""
    if ledger.head_position() == 0:
        return DemoState.EMPTY
    number, name = plan.marker
    try:
        if ledger.staff(number).name != name:
            return DemoState.FOREIGN
    except RecordNotFound:
        return DemoState.FOREIGN
    stream, topic = plan.witness
    last = ledger.recorder.select_events(stream, desc=True, limit=1)
    if last and last[0].topic == topic:
        return DemoState.SEEDED
    return DemoState.PARTIAL


def event_topics(ledger: AssessmentLedger, page: int = 2000) -> Counter[str]:
    """How many events of each topic the store holds."""
    topics: Counter[str] = Counter()
    start = 1
    while notifications := ledger.recorder.select_notifications(start=start, limit=page):
        topics.update(notification.topic for notification in notifications)
        start = notifications[-1].id + 1
    return topics


def count_events(ledger: AssessmentLedger, page: int = 2000) -> int:
    """The number of events in the store (positions have gaps on PostgreSQL)."""
    return sum(event_topics(ledger, page).values())


def _span(keys: Sequence[str]) -> str:
    return f"{keys[0]} to {keys[-1]}" if len(keys) > 2 else ", ".join(keys)


def procedure_summary(ledger: AssessmentLedger, plan: DemoPlan, topics: Counter[str]) -> list[str]:
    """What the year's procedures did, for the `ledger demo` summary: the bonus sheets approved
    and prepared, the quarters decided and where the others stand, the objections, and the
    annual assessment's stage."""

    statuses = {
        key: ledger.procedure_status(key)
        for key in [
            *(f"{DEMO_YEAR}-{month:02d}" for month in range(1, 13)),
            f"{DEMO_YEAR}-H1",
            f"{DEMO_YEAR}-H2",
            *(f"{DEMO_YEAR}-Q{quarter}" for quarter in range(1, 5)),
            str(DEMO_YEAR),
        ]
    }

    def where(key: str) -> str:
        status = statuses[key]
        current = status.current
        return "decided" if status.decided else f"at '{current.title}'" if current else "done"

    sheets = [key for key in statuses if "Q" not in key and key != str(DEMO_YEAR)]
    approved = [key for key in sheets if statuses[key].decided]
    prepared = [key for key in sheets if key not in approved]
    quarters = [key for key in statuses if "Q" in key]
    decided = [key for key in quarters if statuses[key].decided]
    late = [
        key
        for key in decided
        if any(s.key == "compile_opinions" and s.late for s in statuses[key].steps)
    ]
    outcomes = Counter(
        str(planned.arguments["outcome"])
        for planned in plan.commands
        if planned.command == "decide_objection"
    )
    annual = ledger.annual_assessment(DEMO_YEAR)
    excellent = len(annual.excellent_staff) if annual else 0
    windows = len(annual.excellent_windows or ()) if annual else 0
    objections = len(annual.objections) if annual else 0
    return [
        f"  objections  {plan.count('raise_objection')} to deductions, decided: "
        + ", ".join(f"{outcomes[o.value]} {o.value}" for o in ObjectionOutcome),
        f"  sheets      {len(approved)} approved ({_span(approved[:-1])}, {approved[-1]}); "
        f"{topics['ledger.bonus_sheet.HeadLiabilityDecided.v1']} head-liability decisions; "
        + "; ".join(f"{key} {where(key)}" for key in prepared),
        f"  quarters    {_span(decided)} decided ({', '.join(late) or 'none'} compiled late; "
        f"{topics['ledger.quarterly.BallotCast.v1']} open ballots, "
        f"{topics['ledger.ballot_box.BallotCommitted.v1']} unlinkable); "
        + "; ".join(f"{key} {where(key)}" for key in quarters if key not in decided),
        f"  year {DEMO_YEAR}   {where(str(DEMO_YEAR))}: "
        f"{topics['ledger.annual.StaffEvaluated.v1']} evaluated, {excellent} excellent and "
        f"{windows} excellent windows publicised, {objections} objection",
    ]


def batches(plan: DemoPlan, size: int = BATCH_SIZE) -> Iterator[Sequence[PlannedCommand]]:
    """The plan cut into transactions of at most `size` commands. A command that reads figures
    (a sheet, a recommendation, a grade list; READS_FIGURES or a value resolved from them) opens
    a new batch unless the batch so far holds only procedural steps that change no figure
    (LEAVES_FIGURES): it is then decided on the figures as of every command before it."""
    chunk: list[PlannedCommand] = []
    changed = False
    for planned in plan.commands:
        if chunk and (len(chunk) >= size or (changed and planned.reads_figures)):
            yield chunk
            chunk, changed = [], False
        chunk.append(planned)
        changed = changed or planned.command not in LEAVES_FIGURES
    if chunk:
        yield chunk


def seed(
    ledger: AssessmentLedger,
    clock: SettableClock,
    plan: DemoPlan,
    *,
    batch_size: int = BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Apply the plan in batches, the clock set to each command's moment; return the head
    position. The ledger must have been built with `clock`."""
    if ledger.clock is not clock:
        raise ValueError("the ledger must read the clock the demo sets")
    numbers: dict[str, int] = {}
    # The tally shuffles unlinkable ballots after sorting them by their contents, so a seeded
    # shuffle links no ballot to its voter; it keeps the demo's log the same on every run.
    system_shuffle = ledger.ballot_random
    ledger.ballot_random = random.Random(f"{SEED}/ballots")
    try:
        _apply(ledger, clock, plan, numbers, batch_size, on_progress)
    finally:
        ledger.ballot_random = system_shuffle
    return ledger.head_position()


def _apply(
    ledger: AssessmentLedger,
    clock: SettableClock,
    plan: DemoPlan,
    numbers: dict[str, int],
    batch_size: int,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Apply the plan's commands in batches (see `seed`)."""

    def resolved(value: object) -> object:
        if isinstance(value, EntryOf):
            return numbers[value.incident_ref]
        if isinstance(value, ObjectionOf):
            return numbers[value.key]
        if isinstance(value, Resolved):
            return value.resolve(ledger)
        return value

    for chunk in batches(plan, batch_size):
        with ledger.batch():
            for planned in chunk:
                clock.set(planned.at)
                if planned.when is not None and not planned.when.holds(ledger):
                    continue
                arguments = {name: resolved(value) for name, value in planned.arguments.items()}
                calls = (
                    [arguments]
                    if planned.each is None
                    else [{**arguments, **more} for more in planned.each.expand(ledger)]
                )
                for call in calls:
                    outcome: Outcome = getattr(ledger, planned.command)(**call)
                    if planned.entry is not None:
                        assert outcome.number is not None
                        numbers[planned.entry] = outcome.number
        if on_progress is not None:
            on_progress(len(chunk))
