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
    """The roles of SPEC section 5; appointments imply some, the others are granted."""

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
    """The three registration-form categories of R-12."""

    CIVIL_SERVANT = "civil_servant"
    REFERENCE_MANAGED = "reference_managed"
    PUBLIC_INSTITUTION = "public_institution"


class UnitKind(StrEnum):
    """A department's counter in the hall, or one of the center's own offices."""

    WINDOW = "window"
    OFFICE = "office"


class DeductionSource(StrEnum):
    """Where a deduction or veto case came from: the closed list of R-01."""

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
    """The one-vote veto cases V1–V8 of SPEC 4.4."""

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
    """How the leading group handled an entry recorded after its period was decided."""

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
