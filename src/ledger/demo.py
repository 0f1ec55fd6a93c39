"""The demo: a realistic center-year of 2025, planned as dated commands and applied in batches.

`build_plan()` draws the whole year from `random.Random(2025)` and fixed dates: the shipped
catalogue, the 2009 policy, the 2025 statutory calendar, the party branches, windows and offices
with their heads and leaders in charge, the staff in all three categories, the leading group,
the Party Working Committee and the role grants; then the year itself — transfers and releases,
about a thousand deductions on working days with realistic frequencies, a few veto cases,
notifications, amendments and revocations after objections, and the month, quarter and
half-year rounds with the leading group's decisions. Every command carries the moment it is
recorded (Asia/Shanghai working hours), and the plan is sorted by that moment, so the clock
never goes back.

`seed()` applies the plan through the application's bulk path (`AssessmentLedger.batch()`),
setting the injected clock before each command: the same plan gives the same stream ids and
byte-identical payloads on every store. `demo_state()` tells an empty store from a seeded one
(or one holding something else) without replaying the log.
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

import chinese_calendar

from ledger.aggregates.incident import Incident
from ledger.application import AssessmentLedger, Outcome
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.errors import RecordNotFound
from ledger.policy.parameters import MEASURES_2009
from ledger.values import (
    OPERATOR,
    Actor,
    AppliesTo,
    CatalogueUnit,
    DeductionSource,
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
"""Commands decided and saved per transaction (a decision always starts a new batch)."""

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
    """Which center leader (1-5, by staff number) is in charge of it."""


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
    UnitSpec("O01", "中心领导", OFFICE, CENTER, "B1", 5, (C,), 1),
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
REVOCATION_REASONS = (
    "异议成立：当日已按规定请假，考勤记录有误",
    "异议成立：系统故障导致漏签，已由信息技术处核实",
    "复核认定不属本人责任",
    "证据不足，予以撤销",
    "经核实系窗口AB角安排所致，不予扣分",
)


# The plan


@dataclass(frozen=True)
class EntryOf:
    """The number of the entry recorded for an incident: known once that command has run."""

    incident_ref: str


@dataclass(frozen=True)
class PlannedCommand:
    """One command of the demo: the moment it is recorded and the application call to make."""

    at: datetime
    command: str
    arguments: Mapping[str, Any]
    entry: str | None = None
    """The incident_ref whose entry number this command returns (record_* commands)."""


@dataclass(frozen=True)
class DemoPlan:
    """The demo's commands in recording order, with what identifies the seeded store."""

    commands: tuple[PlannedCommand, ...]
    marker: tuple[str, str]
    """The first staff member's number and name: a store holding them holds this demo."""
    witness: str
    """The incident_ref of the plan's last command: a store holding it holds the whole demo."""

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
    """Builds the demo's commands; one instance per plan, one random generator for everything."""

    def __init__(self, calendar: StatutoryYear) -> None:
        self.rng = random.Random(SEED)
        self.calendar = calendar
        self.days = calendar.working_days()
        self.day_index = {day: index for index, day in enumerate(self.days)}
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

    def add(self, at: datetime, command: str, entry: str | None = None, **arguments: Any) -> None:
        planned = PlannedCommand(at, command, arguments, entry)
        self.commands.append((at, len(self.commands), planned))

    def setup(self, command: str, **arguments: Any) -> None:
        """A set-up command, recorded on the first working day from 08:00, three seconds apart."""
        at = _at(SETUP_DAY, 8, 0) + timedelta(seconds=self._setup_second)
        self._setup_second += 3
        self.add(at, command, **arguments)

    def working_day_after(self, day: date, working_days: int) -> date:
        """The working day `working_days` after a working day, kept within the year."""
        return self.days[min(self.day_index[day] + working_days, len(self.days) - 1)]

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
        leaders = [f"S{n:04d}" for n in range(1, 6)]
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
                person_id=leaders[unit.leader - 1],
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
        self.setup(
            "grant_role",
            actor=OPERATOR,
            person_id=number,
            role=Role.HIGHER_AUTHORITY,
            effective_on=ORGANISED_ON,
        )

    # The year: rounds and decisions

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
        decided: list[tuple[str, date, int]] = []
        for month in range(1, 12):
            following = next(day for day in self.days if day.month == month + 1)
            decided.append((f"{DEMO_YEAR}-{month:02d}", self.working_day_after(following, 5), 30))
        for quarter in range(1, 4):
            following = next(day for day in self.days if day.month == 3 * quarter + 1)
            decided.append((f"{DEMO_YEAR}-Q{quarter}", self.working_day_after(following, 11), 0))
            if quarter == 2:
                decided.append((f"{DEMO_YEAR}-H1", self.working_day_after(following, 11), 10))
        for key, day, minute in decided:
            self.add(
                _at(day, 16, minute),
                "decide_period",
                actor=self.director,
                period_key=key,
                decision_ref=f"LG-{key}",
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
        common = {
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
                continue
            decided_on = self.working_day_after(notified_on, self.rng.randint(3, 6))
            arguments: dict[str, Any] = {
                "staff_number": entry.staff_number,
                "deduction": EntryOf(entry.incident_ref),
                "effective_on": decided_on,
            }
            if entry.incident_ref in revoked:
                command = "revoke_deduction"
                decider = self.objection_decider(entry.source)
                arguments["reason"] = self.rng.choice(REVOCATION_REASONS)
            elif entry.quantity >= 2:
                command = "amend_deduction"
                decider = self.objection_decider(entry.source)
                arguments["reason"] = f"异议部分成立：核实旷工{entry.quantity - 1}个半天"
                arguments["quantity"] = entry.quantity - 1
            else:
                # Points other than the catalogue's need the leading group.
                command = "amend_deduction"
                decider = self.discipline_secretary
                arguments["reason"] = "异议部分成立：情节轻微，考核领导小组决定减半扣分"
                arguments["points"] = format_points(_halved(entry.points))
            prefix = "LG-YY" if decider.role is Role.LEADING_GROUP else "DC-YY"
            arguments["decision_ref"] = f"{prefix}-{entry.incident_ref}"
            at = _at(decided_on, 16, 30, self.rng.randrange(60))
            self.add(at, command, actor=decider, **arguments)

    def plan(self) -> DemoPlan:
        self.plan_reference_data()
        self.plan_organisation()
        self.plan_rounds()
        self.plan_movements()
        self.plan_deductions()
        self.plan_veto_cases()
        self.plan_follow_ups()
        ordered = tuple(planned for _, _, planned in sorted(self.commands, key=_order))
        last = ordered[-1]
        if last.entry is None:  # demo_state() recognises a complete seeding by its incident
            raise RuntimeError("the demo plan must end with a recorded incident")
        first = self.people["S0001"]
        return DemoPlan(ordered, (first.number, first.name), str(last.arguments["incident_ref"]))


def _order(item: tuple[datetime, int, PlannedCommand]) -> tuple[datetime, int]:
    return item[0], item[1]


def _halved(points: Decimal) -> Decimal:
    """Half the points, rounded down to the 0.5 step, at least 0.5."""
    halves = int(points / Decimal("0.5")) // 2
    return max(Decimal("0.5"), Decimal(halves) * Decimal("0.5"))


def build_plan(calendar: StatutoryYear | None = None) -> DemoPlan:
    """The demo's commands for 2025, the same on every call."""
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
    if Incident.create_id(plan.witness) in ledger.repository:
        return DemoState.SEEDED
    return DemoState.PARTIAL


def count_events(ledger: AssessmentLedger, page: int = 2000) -> int:
    """The number of events in the store (positions have gaps on PostgreSQL)."""
    count, start = 0, 1
    while notifications := ledger.recorder.select_notifications(start=start, limit=page):
        count += len(notifications)
        start = notifications[-1].id + 1
    return count


def batches(plan: DemoPlan, size: int = BATCH_SIZE) -> Iterator[Sequence[PlannedCommand]]:
    """The plan cut into transactions of at most `size` commands; a period decision opens a new
    batch, so it is decided on the figures as of every command recorded before it."""
    chunk: list[PlannedCommand] = []
    for planned in plan.commands:
        if chunk and (len(chunk) >= size or planned.command == "decide_period"):
            yield chunk
            chunk = []
        chunk.append(planned)
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
    entries: dict[str, int] = {}

    def resolved(value: object) -> object:
        return entries[value.incident_ref] if isinstance(value, EntryOf) else value

    for chunk in batches(plan, batch_size):
        with ledger.batch():
            for planned in chunk:
                clock.set(planned.at)
                arguments = {name: resolved(value) for name, value in planned.arguments.items()}
                outcome: Outcome = getattr(ledger, planned.command)(**arguments)
                if planned.entry is not None:
                    assert outcome.number is not None
                    entries[planned.entry] = outcome.number
        if on_progress is not None:
            on_progress(len(chunk))
    return ledger.head_position()
