"""Annual grades (SPEC 4.6, R-12, R-17, D-20) and the clocks of a challenge to them (R-41).

Grade schemes are policy per staff category with effective dates: civil servants and staff
managed with reference to the Civil Servant Law grade excellent / competent / basically
competent / incompetent (since 2007); public-institution staff excellent / qualified /
unqualified until 2014, then excellent / qualified / basically qualified / unqualified. A grade
may also be withheld (ungraded) where national rules say so.

The excellent quota (R-17, D-20): with n staff of a category graded that year, more than the
warning percentage of n excellent warns, more than max(1, floor(limit percentage x n)) is refused.

The challenge clocks (R-41) are calendar days: review requested within 30 days of learning of
an incompetent or unqualified grade and decided within 30; appeal within 15 days of the review
decision or within 30 directly, decided within 60, extendable once by 30. Public-institution
staff follow local rules, by default review within 10 days and a decision within 10.

Pure: standard library and `ledger.values` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from ledger.values import StaffCategory

__all__ = [
    "CHALLENGEABLE",
    "ChallengeClocks",
    "Grade",
    "GradeScheme",
    "QuotaCheck",
    "challenge_clocks",
    "grade_scheme",
    "quota_check",
]


class Grade(StrEnum):
    """考核等次 / Every annual grade of every scheme: `excellent` 优秀, `competent` 称职,
    `basically_competent` 基本称职 and `incompetent` 不称职 (civil servants and
    reference-managed staff); `qualified` 合格, `basically_qualified` 基本合格 and
    `unqualified` 不合格 (public-institution staff); `ungraded` 不定等次 (withheld where
    national rules say so)."""

    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASICALLY_COMPETENT = "basically_competent"
    INCOMPETENT = "incompetent"
    QUALIFIED = "qualified"
    BASICALLY_QUALIFIED = "basically_qualified"
    UNQUALIFIED = "unqualified"
    UNGRADED = "ungraded"
    """Withheld where national rules say so (e.g. too short a time in post)."""


CHALLENGEABLE = frozenset({Grade.INCOMPETENT, Grade.UNQUALIFIED})
"""The grades a staff member may have reviewed and appealed (R-41)."""


@dataclass(frozen=True)
class GradeScheme:
    """The grades a category is given in a year, best first; `ungraded` is always allowed."""

    name: str
    effective_from: date
    grades: tuple[Grade, ...]

    def allows(self, grade: Grade) -> bool:
        """Whether the grade belongs to the scheme (or is withheld)."""
        return grade is Grade.UNGRADED or grade in self.grades

    def rank(self, grade: Grade) -> int:
        """The grade's place, 0 for the best; a withheld grade ranks last."""
        return self.grades.index(grade) if grade in self.grades else len(self.grades)

    def describe(self) -> str:
        """The scheme in words."""
        return f"{self.name}: " + " / ".join(grade.value for grade in self.grades)


_CIVIL_SERVICE = GradeScheme(
    "civil service (since 2007)",
    date(2007, 1, 1),
    (Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, Grade.INCOMPETENT),
)
_PUBLIC_INSTITUTION_UNTIL_2014 = GradeScheme(
    "public institution (until 2014)",
    date(2000, 1, 1),
    (Grade.EXCELLENT, Grade.QUALIFIED, Grade.UNQUALIFIED),
)
_PUBLIC_INSTITUTION_SINCE_2014 = GradeScheme(
    "public institution (since 2014)",
    date(2014, 1, 1),
    (Grade.EXCELLENT, Grade.QUALIFIED, Grade.BASICALLY_QUALIFIED, Grade.UNQUALIFIED),
)

_SCHEMES: dict[StaffCategory, tuple[GradeScheme, ...]] = {
    StaffCategory.CIVIL_SERVANT: (_CIVIL_SERVICE,),
    StaffCategory.REFERENCE_MANAGED: (_CIVIL_SERVICE,),
    StaffCategory.PUBLIC_INSTITUTION: (
        _PUBLIC_INSTITUTION_UNTIL_2014,
        _PUBLIC_INSTITUTION_SINCE_2014,
    ),
}


def grade_scheme(category: StaffCategory, year: int) -> GradeScheme:
    """The scheme in force for a category's grades of a year (the one in force on 31 December)."""
    last_day = date(year, 12, 31)
    in_force = [s for s in _SCHEMES[category] if s.effective_from <= last_day]
    if not in_force:
        raise ValueError(f"no grade scheme of {category.value} staff is in force in {year}")
    return in_force[-1]


@dataclass(frozen=True)
class QuotaCheck:
    """The excellent quota of one category in one year (R-17, D-20)."""

    category: StaffCategory
    graded: int
    """n: the staff of the category graded that year."""
    excellent: int
    warn_above: Decimal
    """More excellent than this warns (the warning percentage of n)."""
    limit: int
    """More excellent than this is refused: max(1, floor(limit percentage x n))."""

    @property
    def warns(self) -> bool:
        """Whether the count is above the warning level."""
        return Decimal(self.excellent) > self.warn_above

    @property
    def refused(self) -> bool:
        """Whether the count is above the limit."""
        return self.excellent > self.limit

    def describe(self) -> str:
        """The arithmetic in words."""
        return (
            f"{self.category.value}: {self.excellent} excellent of {self.graded} graded; "
            f"warning above {self.warn_above}, limit {self.limit}"
        )


def quota_check(
    category: StaffCategory,
    graded: int,
    excellent: int,
    warning_percent: Decimal,
    limit_percent: Decimal,
) -> QuotaCheck:
    """The quota arithmetic of D-20 for `excellent` of `graded` staff of a category."""
    if graded < 0 or excellent < 0 or excellent > graded:
        raise ValueError(f"{excellent} excellent of {graded} graded is not a count")
    warn_above = warning_percent * graded / 100
    limit = max(1, int((limit_percent * graded / 100).to_integral_value(rounding=ROUND_FLOOR)))
    return QuotaCheck(category, graded, excellent, warn_above, limit)


@dataclass(frozen=True)
class ChallengeClocks:
    """The calendar-day clocks of a review and an appeal of a grade (R-41)."""

    review_request_days: int
    review_decision_days: int
    appeal_after_review_days: int
    appeal_direct_days: int
    appeal_decision_days: int
    appeal_extension_days: int


_CIVIL_SERVICE_CLOCKS = ChallengeClocks(30, 30, 15, 30, 60, 30)
_PUBLIC_INSTITUTION_CLOCKS = ChallengeClocks(10, 10, 15, 30, 60, 30)


def challenge_clocks(category: StaffCategory) -> ChallengeClocks:
    """The clocks of a category (Civil Servant Law arts. 95-96; local rules for public
    institutions, by default 10 and 10 days for the review)."""
    if category is StaffCategory.PUBLIC_INSTITUTION:
        return _PUBLIC_INSTITUTION_CLOCKS
    return _CIVIL_SERVICE_CLOCKS
