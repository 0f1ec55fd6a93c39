"""Per staff member and period: deduction totals (R-20), thresholds (D-01), eligibility by
points (R-21, R-22), monthly and half-year bonuses (R-26–R-29), the criticism notice (R-31,
D-09) and gross totals (D-07)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from policy_support import deduct, deduct_window, number_of, state_of

from builders import STAFF
from ledger.application import AssessmentLedger
from ledger.policy import (
    BonusStatus,
    Fact,
    FactError,
    Reason,
    bonus,
    criticism_notice,
    criticism_notices,
    deduction_total,
    excellent_grade,
    excellent_individual,
    fold,
    other_period,
)
from ledger.values import OPERATOR, Period

MARCH = Period.parse("2025-03")
Q1 = Period.parse("2025-Q1")
H1 = Period.parse("2025-H1")
YEAR = Period.parse("2025")


def spread(ledger: AssessmentLedger, points: str, months: tuple[int, ...]) -> None:
    """Record `points` as one deduction on the 10th of the first month and the rest as whole
    points on the 10th of the following months (each at most 5)."""
    remaining = Decimal(points)
    for month in months:
        share = min(remaining, Decimal(5))
        if share > 0:
            deduct(ledger, date(2025, month, 10), str(share))
        remaining -= share
    assert remaining == 0


# periods, incident dates, independent sums


def test_R20_a_deduction_counts_in_the_period_of_its_incident_date(
    center: AssessmentLedger,
) -> None:
    """Given an incident on 31 March 2025 recorded in January 2026, when totals are computed,
    then it counts in March, Q1, H1 and 2025, and not in April, Q2 or January 2026."""
    deduct(center, date(2025, 3, 31), "2")

    state = state_of(center)

    totals = {
        key: deduction_total(state, STAFF, Period.parse(key)).total
        for key in ("2025-03", "2025-04", "2026-01", "2025-Q1", "2025-Q2", "2025-H1", "2025")
    }
    assert totals == {
        "2025-03": 2,
        "2025-04": 0,
        "2026-01": 0,
        "2025-Q1": 2,
        "2025-Q2": 0,
        "2025-H1": 2,
        "2025": 2,
    }


def test_R20_each_period_kind_sums_on_its_own(center: AssessmentLedger) -> None:
    """Given 2 points in January, 2 in March and 1 in April, then each month, quarter, half-year
    and the year sum only their own incidents."""
    deduct(center, date(2025, 1, 15), "2")
    deduct(center, date(2025, 3, 15), "2")
    deduct(center, date(2025, 4, 15), "1")

    state = state_of(center)

    def total(key: str) -> Decimal:
        return deduction_total(state, STAFF, Period.parse(key)).total

    assert [total(f"2025-{m:02d}") for m in (1, 2, 3, 4)] == [2, 0, 2, 1]
    assert (total("2025-Q1"), total("2025-Q2"), total("2025-H1"), total("2025")) == tuple(
        map(Decimal, (4, 1, 5, 5))
    )


def test_R20_nothing_carries_over_into_the_next_year(center: AssessmentLedger) -> None:
    """Given 5 points in December 2025, then January 2026 and the year 2026 start from zero."""
    deduct(center, date(2025, 12, 20), "5")

    state = state_of(center)

    assert deduction_total(state, STAFF, Period.parse("2025-12")).total == 5
    assert deduction_total(state, STAFF, Period.parse("2026-01")).total == 0
    assert deduction_total(state, STAFF, Period.parse("2026")).total == 0
    assert bonus(state, STAFF, Period.parse("2026-01")).status is BonusStatus.FULL


def test_R20_an_entry_of_another_period_is_left_out_with_its_period(
    center: AssessmentLedger,
) -> None:
    """Given deductions in February and March, then March's stored trace lists only March's
    entry, and what it leaves unsaid (for explanations) is the February one, left out as
    another period, naming it."""
    february = deduct(center, date(2025, 2, 3), "1")
    march = deduct(center, date(2025, 3, 3), "1")
    state = state_of(center)

    figure = deduction_total(state, STAFF, MARCH)

    assert [c.ref.version for c in figure.trace.counted] == [number_of(march)]
    assert figure.trace.left_out == ()
    (left,) = other_period(state, figure)
    assert left.reason is Reason.OTHER_PERIOD
    assert left.ref.version == number_of(february)
    assert left.detail == "incident in 2025-02"


def test_R20_points_are_exact_decimals(center: AssessmentLedger) -> None:
    """Given 0.5 + 2.5 points, then the total is exactly Decimal 3.0, never a float."""
    deduct(center, date(2025, 3, 3), "0.5")
    deduct(center, date(2025, 3, 4), "2.5")

    total = deduction_total(state_of(center), STAFF, MARCH).total

    assert isinstance(total, Decimal)
    assert total == Decimal("3.0")


# D-01: reached at >= N


def test_D01_every_threshold_is_reached_at_exactly_n(center: AssessmentLedger) -> None:
    """Given exactly 3 points in March, then the monthly bonus is halved (R-26), and the quarter
    bars excellent individual (R-21): 3 counts as reaching 3."""
    deduct(center, date(2025, 3, 3), "3")

    state = state_of(center)

    assert bonus(state, STAFF, MARCH).status is BonusStatus.HALVED
    assert not excellent_individual(state, STAFF, Q1).eligible


# eligibility by points


@pytest.mark.parametrize(("points", "eligible"), [("2.5", True), ("3", False), ("3.5", False)])
def test_R21_quarterly_excellent_individual_is_barred_at_3_points(
    center: AssessmentLedger, points: str, eligible: bool
) -> None:
    """Given the points in Q1, then the staff member is eligible below 3 and barred at 3 or more,
    under R-21 with threshold 3."""
    deduct(center, date(2025, 2, 12), points)

    figure = excellent_individual(state_of(center), STAFF, Q1)

    assert figure.eligible is eligible
    assert figure.rule == "R-21"
    assert figure.threshold == 3
    assert figure.barred_by == (() if eligible else ("R-21",))


def test_R21_points_of_one_quarter_do_not_bar_the_next(center: AssessmentLedger) -> None:
    """Given 3 points in Q1 and none in Q2, then Q2 stays eligible."""
    deduct(center, date(2025, 3, 31), "3")

    state = state_of(center)

    assert not excellent_individual(state, STAFF, Q1).eligible
    assert excellent_individual(state, STAFF, Period.parse("2025-Q2")).eligible


@pytest.mark.parametrize(("points", "eligible"), [("4.5", True), ("5", False), ("5.5", False)])
def test_R22_the_annual_excellent_grade_is_barred_at_5_points(
    center: AssessmentLedger, points: str, eligible: bool
) -> None:
    """Given the points spread over the year, then the excellent grade is open below 5 and barred
    at 5 or more (R-22)."""
    first = Decimal(points) - 2
    deduct(center, date(2025, 2, 1), str(first))
    deduct(center, date(2025, 11, 30), "2")

    figure = excellent_grade(state_of(center), STAFF, YEAR)

    assert figure.eligible is eligible
    assert figure.rule == "R-22"
    assert figure.threshold == 5
    assert figure.total == Decimal(points)


# monthly bonus


@pytest.mark.parametrize(
    ("points", "status", "rule"),
    [
        ("2.5", BonusStatus.FULL, "R-26"),
        ("3", BonusStatus.HALVED, "R-26"),
        ("3.5", BonusStatus.HALVED, "R-26"),
        ("4.5", BonusStatus.HALVED, "R-26"),
    ],
)
def test_R26_the_monthly_bonus_is_halved_at_3_points(
    center: AssessmentLedger, points: str, status: BonusStatus, rule: str
) -> None:
    """Given the points in March, then the monthly bonus is full below 3 and halved from 3 to
    below 5, under R-26 with threshold 3."""
    deduct(center, date(2025, 3, 5), points)

    figure = bonus(state_of(center), STAFF, MARCH)

    assert (figure.status, figure.rule, figure.threshold) == (status, rule, Decimal(3))


@pytest.mark.parametrize("points", ["5", "5.5", "8"])
def test_R27_the_monthly_bonus_is_cancelled_at_5_points(
    center: AssessmentLedger, points: str
) -> None:
    """Given 5 or more points in March, then the monthly bonus is cancelled under R-27."""
    deduct(center, date(2025, 3, 5), points)

    figure = bonus(state_of(center), STAFF, MARCH)

    assert (figure.status, figure.rule, figure.threshold) == (
        BonusStatus.CANCELLED,
        "R-27",
        Decimal(5),
    )


# half-year bonus


@pytest.mark.parametrize(
    ("points", "status"),
    [("9.5", BonusStatus.FULL), ("10", BonusStatus.HALVED), ("14.5", BonusStatus.HALVED)],
)
def test_R28_the_half_year_bonus_is_halved_at_10_points(
    center: AssessmentLedger, points: str, status: BonusStatus
) -> None:
    """Given the points spread over January–April, then the H1 bonus is full below 10 and halved
    from 10 to below 15 (R-28)."""
    spread(center, points, (1, 2, 3, 4))

    figure = bonus(state_of(center), STAFF, H1)

    assert (figure.status, figure.rule, figure.threshold) == (status, "R-28", Decimal(10))


@pytest.mark.parametrize("points", ["15", "15.5"])
def test_R29_the_half_year_bonus_is_cancelled_at_15_points(
    center: AssessmentLedger, points: str
) -> None:
    """Given 15 or more points over January–April, then the H1 bonus is cancelled (R-29)."""
    spread(center, points, (1, 2, 3, 4))

    figure = bonus(state_of(center), STAFF, H1)

    assert (figure.status, figure.rule, figure.threshold) == (
        BonusStatus.CANCELLED,
        "R-29",
        Decimal(15),
    )


def test_R28_the_half_year_and_the_months_are_decided_independently(
    center: AssessmentLedger,
) -> None:
    """Given 2.5 points in each month January–April (10 in H1), then every monthly bonus is full
    while the half-year bonus is halved; H2 is untouched."""
    for month in (1, 2, 3, 4):
        deduct(center, date(2025, month, 10), "2.5")

    state = state_of(center)

    assert {bonus(state, STAFF, Period.parse(f"2025-0{m}")).status for m in (1, 2, 3, 4)} == {
        BonusStatus.FULL
    }
    assert bonus(state, STAFF, H1).status is BonusStatus.HALVED
    assert bonus(state, STAFF, Period.parse("2025-H2")).status is BonusStatus.FULL


# R-31, D-09: criticism notice


def test_R31_a_halved_monthly_bonus_names_the_person_in_the_months_notice(
    center: AssessmentLedger,
) -> None:
    """Given 3 points for S001 in March and 1 for S002, then March's criticism notice names
    S001 only, under R-31."""
    deduct(center, date(2025, 3, 5), "3")
    deduct(center, date(2025, 3, 5), "1", staff_number="S002")

    notices = criticism_notices(state_of(center), MARCH)

    assert [(n.subject, n.rule, n.status) for n in notices] == [(STAFF, "R-31", BonusStatus.HALVED)]


@pytest.mark.parametrize(
    ("points", "named"), [("2.5", False), ("3", True), ("4.5", True), ("5", True)]
)
def test_D09_every_halved_or_cancelled_monthly_bonus_is_in_the_notice(
    center: AssessmentLedger, points: str, named: bool
) -> None:
    """Given the points in March, then the person is named exactly when the bonus is halved or
    cancelled (D-09), with the halving threshold."""
    deduct(center, date(2025, 3, 5), points)

    notice = criticism_notice(state_of(center), STAFF, MARCH)

    assert (notice is not None) is named
    if notice is not None:
        assert notice.threshold == 3


def test_D09_a_policy_with_the_cancelled_only_reading_names_only_cancelled_bonuses(
    center: AssessmentLedger,
) -> None:
    """Given a policy version from 1 March that reads A-09 narrowly, 3 points in February and
    3 in March, then February (default policy) is named and March (new version) is not."""
    center.adopt_policy(
        OPERATOR, "narrow-notice", date(2025, 3, 1), {"criticism_notice_on": "cancelled"}
    )
    deduct(center, date(2025, 2, 5), "3")
    deduct(center, date(2025, 3, 5), "3")

    state = state_of(center)

    february = criticism_notice(state, STAFF, Period.parse("2025-02"))
    assert february is not None
    assert february.policy_version == "measures-2009"
    assert criticism_notice(state, STAFF, MARCH) is None
    assert bonus(state, STAFF, MARCH).policy_version == "narrow-notice"


# D-07: no offsetting


def test_D07_totals_are_gross_sums_of_the_deductions_that_stand(center: AssessmentLedger) -> None:
    """Given three deductions and a window item, then the person's total is exactly the sum of
    their own deduction points: nothing the person did or was credited with reduces it, and a
    window-level item is not theirs."""
    for points in ("1", "1.5", "0.5"):
        deduct(center, date(2025, 3, 5), points)
    deduct_window(center, date(2025, 3, 5), "2")

    figure = deduction_total(state_of(center), STAFF, MARCH)

    assert figure.total == Decimal("3.0")
    assert sum(c.points or 0 for c in figure.trace.counted) == figure.total


def test_D07_a_bonus_points_event_is_refused_not_offset(center: AssessmentLedger) -> None:
    """Given the real log plus an event of a kind the rules do not know on the staff member's
    stream (say, bonus points), when folded, then the fold refuses it rather than let it offset
    or silently skip anything."""
    deduct(center, date(2025, 3, 5), "3")
    state = state_of(center)
    bonus_points = Fact(
        state.staff[STAFF].stream_id,
        center.staff(STAFF).version + 1,
        state.position + 1,
        "ledger.staff.BonusPointsAwarded.v1",
        {"points": "2.0", "occurred_on": "2025-03-06"},
    )

    with pytest.raises(FactError, match="unknown event"):
        fold([bonus_points], state)
