"""Annual grade schemes per staff category (R-12), the excellent quota (R-17, D-20) and the
challenge clocks (R-41)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.policy.grades import (
    CHALLENGEABLE,
    Grade,
    challenge_clocks,
    grade_scheme,
    quota_check,
)
from ledger.values import StaffCategory

C, R, P = (
    StaffCategory.CIVIL_SERVANT,
    StaffCategory.REFERENCE_MANAGED,
    StaffCategory.PUBLIC_INSTITUTION,
)


def test_r12_civil_servants_and_reference_managed_share_the_four_grade_scheme() -> None:
    for category in (C, R):
        scheme = grade_scheme(category, 2025)
        assert scheme.grades == (
            Grade.EXCELLENT,
            Grade.COMPETENT,
            Grade.BASICALLY_COMPETENT,
            Grade.INCOMPETENT,
        )


def test_r12_public_institution_staff_had_three_grades_until_2014_and_four_since() -> None:
    assert grade_scheme(P, 2013).grades == (Grade.EXCELLENT, Grade.QUALIFIED, Grade.UNQUALIFIED)
    assert Grade.BASICALLY_QUALIFIED in grade_scheme(P, 2014).grades


def test_r12_a_grade_of_another_scheme_is_not_allowed_but_ungraded_always_is() -> None:
    scheme = grade_scheme(P, 2025)
    assert not scheme.allows(Grade.COMPETENT)
    assert scheme.allows(Grade.UNGRADED)


def test_r41_only_incompetent_and_unqualified_grades_can_be_challenged() -> None:
    assert {Grade.INCOMPETENT, Grade.UNQUALIFIED} == CHALLENGEABLE


@pytest.mark.parametrize(
    ("graded", "excellent", "warns", "refused"),
    [
        (20, 3, False, False),  # 15 % of 20 is 3: not above it
        (20, 4, True, False),  # above 15 %, at the limit floor(20 % x 20) = 4
        (20, 5, True, True),  # above the limit
        (4, 1, True, False),  # a small category: the limit is max(1, floor(0.8)) = 1
        (4, 2, True, True),
        (0, 0, False, False),
    ],
)
def test_d20_the_excellent_quota_warns_above_15_percent_and_refuses_above_20(
    graded: int, excellent: int, warns: bool, refused: bool
) -> None:
    check = quota_check(C, graded, excellent, Decimal("15"), Decimal("20"))
    assert (check.warns, check.refused) == (warns, refused)


def test_d20_the_quota_is_configurable() -> None:
    check = quota_check(C, 20, 5, Decimal("20"), Decimal("25"))
    assert (check.warns, check.refused, check.limit) == (True, False, 5)


def test_r41_civil_servants_review_within_30_days_and_appeal_within_15_or_30() -> None:
    clocks = challenge_clocks(C)
    assert (clocks.review_request_days, clocks.review_decision_days) == (30, 30)
    assert (clocks.appeal_after_review_days, clocks.appeal_direct_days) == (15, 30)
    assert (clocks.appeal_decision_days, clocks.appeal_extension_days) == (60, 30)


def test_r41_public_institution_staff_follow_the_local_ten_day_review_by_default() -> None:
    clocks = challenge_clocks(P)
    assert (clocks.review_request_days, clocks.review_decision_days) == (10, 10)
