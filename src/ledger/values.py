"""Value types shared by the records: enums stored by value, actors, points, periods.

Pure standard library, so the standalone verifier can decode payloads with it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

MEASURES_IN_FORCE_FROM = date(2009, 2, 1)
"""The Measures apply from this date; no incident before it can be recorded (SPEC 4.8)."""

POINT_STEP = Decimal("0.5")


class Role(StrEnum):
    """角色 / The roles of SPEC section 5; appointments imply some, the others are granted:
    `operator` 运维 (the bootstrap actor: the command line on the server),
    `supervision_clerk` 督查室工作人员 (a supervision office clerk), `functional_office`
    职能处室 (a functional office), `branch_secretary` 党支部书记 (a party branch secretary),
    `window_head` 窗口负责人 (a window head), `office_head` 处室负责人 (an office head),
    `leader_in_charge` 分管领导 (a leader in charge), `leading_group` 考核领导小组 (the
    assessment leading group), `party_working_committee` 党工委 (the Party Working
    Committee), `staff` 工作人员 (a staff member, for their own records), `appeal_reviewer`
    复核申诉承办人 (the reviewer assigned to a review or appeal), `higher_authority` 上级机关
    (the higher authority)."""

    OPERATOR = "operator"
    SUPERVISION_CLERK = "supervision_clerk"
    FUNCTIONAL_OFFICE = "functional_office"
    BRANCH_SECRETARY = "branch_secretary"
    WINDOW_HEAD = "window_head"
    OFFICE_HEAD = "office_head"
    LEADER_IN_CHARGE = "leader_in_charge"
    LEADING_GROUP = "leading_group"
    PARTY_WORKING_COMMITTEE = "party_working_committee"
    STAFF = "staff"
    APPEAL_REVIEWER = "appeal_reviewer"
    HIGHER_AUTHORITY = "higher_authority"


GRANTABLE_ROLES = frozenset(
    {
        Role.SUPERVISION_CLERK,
        Role.FUNCTIONAL_OFFICE,
        Role.APPEAL_REVIEWER,
        Role.HIGHER_AUTHORITY,
    }
)
"""Roles given by an explicit grant; the others follow from appointments or registration."""


class StaffCategory(StrEnum):
    """人员类别 / The three registration-form categories of R-12: `civil_servant` 公务员
    (civil servants), `reference_managed` 参照公务员法管理人员 (staff managed with reference to
    the Civil Servant Law), `public_institution` 事业单位工作人员 (public-institution staff)."""

    CIVIL_SERVANT = "civil_servant"
    REFERENCE_MANAGED = "reference_managed"
    PUBLIC_INSTITUTION = "public_institution"


class UnitKind(StrEnum):
    """单位类型 / A department's counter in the hall, or one of the center's own offices:
    `window` 窗口 (a department's window), `office` 处室 (an office of the center)."""

    WINDOW = "window"
    OFFICE = "office"


class DeductionSource(StrEnum):
    """来源 / Where a deduction or veto case came from: the closed list of R-01:
    `supervision_inspection` 督查室巡查 (the supervision office's own inspection),
    `e_supervision_system` 电子监察系统 (the electronic supervision system), `complaint`
    群众投诉 (a complaint), `media` 媒体曝光 (the news media), `functional_office` 职能处室 (a
    functional office), `higher_authority` 上级通报 (the higher authority)."""

    SUPERVISION_INSPECTION = "supervision_inspection"
    E_SUPERVISION_SYSTEM = "e_supervision_system"
    COMPLAINT = "complaint"
    MEDIA = "media"
    FUNCTIONAL_OFFICE = "functional_office"
    HIGHER_AUTHORITY = "higher_authority"


class CatalogueUnit(StrEnum):
    """What one unit of quantity means for a catalogue item."""

    INCIDENT = "incident"
    HALF_DAY = "half_day"


class AppliesTo(StrEnum):
    """Whether a catalogue item is charged to a person or to a window (R-02)."""

    PERSON = "person"
    WINDOW = "window"


class VetoCase(StrEnum):
    """一票否决情形 / The one-vote veto cases V1–V8 of SPEC 4.4: V1 党纪政纪处分 (a Party
    or government disciplinary sanction), V2 媒体曝光或电子监察发现违规 (a violation exposed by
    the media or the e-supervision system), V3 办件超时 (a case processed beyond its time
    limit), V4 重点项目未登记备案或未交服务卡 (a key project not filed, or its service card not
    handed in), V5 不作为、乱作为或违反职业道德经查实 (a verified complaint of inaction,
    misconduct or breach of ethics), V6 与服务对象争吵造成不良影响 (a quarrel with a service
    recipient with an adverse impact), V7 工作时间聊天、购物、游戏等 (online chat, shopping,
    games and the like in working hours), V8 乱收费被投诉查实 (unauthorised fees, verified on
    a complaint)."""

    V1 = "V1"
    V2 = "V2"
    V3 = "V3"
    V4 = "V4"
    V5 = "V5"
    V6 = "V6"
    V7 = "V7"
    V8 = "V8"


class PeriodKind(StrEnum):
    """The periods that have a decision (SPEC section 3)."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


class LateEntryResolution(StrEnum):
    """迟到记录的处理 / How the leading group handled an entry recorded after its period was
    decided (D-13): `no_change` 维持原决定 (the decision stands), `reopen` 重新决定 (the
    period is reopened for a new decision)."""

    NO_CHANGE = "no_change"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Actor:
    """Who acts, and in which role; every event records both."""

    person_id: str
    role: Role


OPERATOR = Actor(person_id="operator", role=Role.OPERATOR)
"""The bootstrap actor: the CLI on the server, before any grant exists (SPEC section 5)."""


def parse_points(value: str | int | Decimal) -> Decimal:
    """Return points as an exact Decimal in steps of 0.5, or raise ValueError."""
    try:
        points = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"points {value!r} are not a decimal number") from None
    if not points.is_finite():
        raise ValueError(f"points {value!r} are not a multiple of 0.5")
    try:
        remainder = points % POINT_STEP
    except InvalidOperation:
        # The remainder overflows the decimal context (e.g. 1e400): no sane number of points.
        raise ValueError(f"points {value!r} are out of range") from None
    if remainder != 0:
        raise ValueError(f"points {value!r} are not a multiple of 0.5")
    return points


def format_points(points: Decimal) -> str:
    """Points in their canonical form: a decimal string with exactly one decimal place."""
    text = f"{points:.1f}"
    if Decimal(text) != points:
        raise ValueError(f"points {points} cannot be written with one decimal place")
    return text


_PERIOD_PATTERNS = {
    PeriodKind.MONTH: re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    PeriodKind.QUARTER: re.compile(r"^(\d{4})-Q([1-4])$"),
    PeriodKind.HALF_YEAR: re.compile(r"^(\d{4})-H([12])$"),
    PeriodKind.YEAR: re.compile(r"^(\d{4})$"),
}


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter, half-year or year, named like 2025-03, 2025-Q1, 2025-H1, 2025."""

    kind: PeriodKind
    key: str

    def __hash__(self) -> int:
        # The key names the kind too (2025-03, 2025-Q1, 2025-H1, 2025): hashing it alone keeps
        # equal periods equal, and costs less than the generated hash of both fields (the rules
        # look periods up millions of times in a rebuild).
        return hash(self.key)

    @classmethod
    def parse(cls, key: str) -> Period:
        """Read a period key; raise ValueError naming the accepted forms."""
        for kind, pattern in _PERIOD_PATTERNS.items():
            if pattern.match(key) and int(key[:4]) >= 1:
                return cls(kind, key)
        raise ValueError(
            f"period {key!r} is not a month (2025-03), quarter (2025-Q1), "
            "half-year (2025-H1) or year (2025)"
        )

    @property
    def first_day(self) -> date:
        """The first day of the period."""
        year = int(self.key[:4])
        if self.kind is PeriodKind.MONTH:
            return date(year, int(self.key[5:7]), 1)
        if self.kind is PeriodKind.QUARTER:
            return date(year, 3 * int(self.key[6]) - 2, 1)
        if self.kind is PeriodKind.HALF_YEAR:
            return date(year, 6 * int(self.key[6]) - 5, 1)
        return date(year, 1, 1)

    @property
    def last_day(self) -> date:
        """The last day of the period."""
        year = int(self.key[:4])
        if self.kind is PeriodKind.MONTH:
            month = int(self.key[5:7])
        elif self.kind is PeriodKind.QUARTER:
            month = 3 * int(self.key[6])
        elif self.kind is PeriodKind.HALF_YEAR:
            month = 6 * int(self.key[6])
        else:
            month = 12
        # monthrange, not "the day before next month": December 9999 has no next month.
        return date(year, month, calendar.monthrange(year, month)[1])

    def contains(self, day: date) -> bool:
        """Whether the day falls in the period."""
        return self.first_day <= day <= self.last_day
