"""Windows and quarters: headcount (D-04), the window total (D-03, R-02), eligibility for
quarterly excellent window (R-23; R-24 and D-05 for one-person windows) and for the annual
selection (R-25)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from policy_support import HEAD, deduct, deduct_window, number_of, register, state_of

from builders import CLERK, LEADER, OFFICE, OTHER_WINDOW, STAFF, WINDOW
from ledger.application import AssessmentLedger
from ledger.policy import Reason, annual_excellent_window, excellent_window
from ledger.values import OPERATOR, Period

Q1 = Period.parse("2025-Q1")
YEAR = Period.parse("2025")


def staff_window(ledger: AssessmentLedger, size: int) -> None:
    """Make W01 a window of `size` staff from 1 January (S001 plus S1xx)."""
    for n in range(1, size):
        register(ledger, f"S1{n:02d}", WINDOW)


# n >= 2


@pytest.mark.parametrize(
    ("window_item", "total", "eligible"),
    [("2.5", Decimal("6.5"), True), ("3", Decimal(7), False), ("3.5", Decimal("7.5"), False)],
)
def test_R23_a_four_person_window_is_disqualified_at_7_points(
    center: AssessmentLedger, window_item: str, total: Decimal, eligible: bool
) -> None:
    """Given a 4-person window with 4 points of a member and a window item in Q1, then it stays
    eligible at 6.5 and is disqualified at 7 or more (n + 3), under R-23."""
    staff_window(center, 4)
    deduct(center, date(2025, 2, 3), "4", staff_number="S101")
    deduct_window(center, date(2025, 2, 4), window_item)

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert (figure.headcount, figure.rule, figure.threshold) == (4, "R-23", Decimal(7))
    assert figure.total == total
    assert figure.eligible is eligible


@pytest.mark.parametrize(("size", "threshold"), [(2, 5), (3, 6), (5, 8)])
def test_R23_the_threshold_follows_the_headcount(
    center: AssessmentLedger, size: int, threshold: int
) -> None:
    """Given windows of 2, 3 and 5 staff, then the R-23 threshold is n + 3."""
    staff_window(center, size)

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert (figure.headcount, figure.rule, figure.threshold) == (size, "R-23", Decimal(threshold))


# R-24, D-05: one-person windows


@pytest.mark.parametrize(("points", "eligible"), [("4.5", True), ("5", False), ("5.5", False)])
def test_R24_a_one_person_window_is_disqualified_at_5_points(
    center: AssessmentLedger, points: str, eligible: bool
) -> None:
    """Given W01 with S001 alone and the points in Q1, then it is eligible at 4.5 and
    disqualified at 5 or more, under R-24."""
    deduct(center, date(2025, 3, 3), points)

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert (figure.headcount, figure.rule, figure.threshold) == (1, "R-24", Decimal(5))
    assert figure.eligible is eligible


def test_D05_the_five_points_rule_is_for_one_person_windows_not_n_plus_3(
    center: AssessmentLedger,
) -> None:
    """Given a one-person window with 4 points (n + 3 would be 4), then it stays eligible: the
    "window full 5 points" rule applies to one-person windows (D-05)."""
    deduct(center, date(2025, 3, 3), "4")

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert figure.eligible
    assert figure.threshold == 5


# D-04: headcount


def test_D04_headcount_is_the_staff_assigned_on_the_last_day_of_the_quarter(
    center: AssessmentLedger,
) -> None:
    """Given S101 released from W01 on 15 February and S102 assigned on 31 March, then Q1's
    headcount counts S001 and S102."""
    register(center, "S101", WINDOW)
    register(center, "S102", WINDOW, on=date(2025, 3, 31))
    center.release_staff(OPERATOR, "S101", date(2025, 2, 15))

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert [m.staff_number for m in figure.members] == [STAFF, "S102"]
    assert figure.headcount == 2


@pytest.mark.parametrize(
    ("released_on", "counted"), [(date(2025, 3, 31), False), (date(2025, 4, 1), True)]
)
def test_D04_a_release_ends_membership_the_day_before_its_date(
    center: AssessmentLedger, released_on: date, counted: bool
) -> None:
    """Given S101 released on 31 March (member until 30 March) or on 1 April (member on
    31 March), then S101 counts in Q1's headcount only in the second case."""
    register(center, "S101", WINDOW)
    center.release_staff(OPERATOR, "S101", released_on)

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert ("S101" in [m.staff_number for m in figure.members]) is counted


def test_D04_an_empty_window_counts_as_one(center: AssessmentLedger) -> None:
    """Given W01's only member released in February and a window item of 5 points, then n = 1
    and the one-person rule disqualifies it."""
    center.release_staff(OPERATOR, STAFF, date(2025, 2, 1))
    deduct_window(center, date(2025, 3, 3), "5")

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert (figure.members, figure.headcount, figure.rule) == ((), 1, "R-24")
    assert not figure.eligible


@pytest.mark.parametrize(("assigned", "headcount"), [(False, 1), (True, 2)])
def test_D04_a_head_counts_only_while_assigned_to_the_window(
    center: AssessmentLedger, assigned: bool, headcount: int
) -> None:
    """Given W01's head, appointed but not assigned (or also assigned to W01), then the head is
    counted in n only when assigned."""
    if assigned:
        center.assign_staff(OPERATOR, HEAD, WINDOW, date(2025, 1, 1))

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert figure.headcount == headcount
    assert (HEAD in [m.staff_number for m in figure.members]) is assigned


# D-03: the window total


def test_D03_the_window_total_adds_members_deductions_and_window_items(
    center: AssessmentLedger,
) -> None:
    """Given 1 point for S001 (W01), 2 for S002 (W02) and a 2-point item on W01, then W01's
    total is 3 and W02's is 2: window items count only for their window (R-02)."""
    deduct(center, date(2025, 2, 3), "1")
    deduct(center, date(2025, 2, 3), "2", staff_number="S002")
    item = deduct_window(center, date(2025, 2, 4), "2")

    state = state_of(center)
    w01 = excellent_window(state, WINDOW, Q1)

    assert w01.total == 3
    assert excellent_window(state, OTHER_WINDOW, Q1).total == 2
    assert number_of(item) in [c.ref.version for c in w01.trace.counted if c.subject == WINDOW]


def test_D03_a_person_moving_mid_quarter_counts_toward_the_window_of_the_incident_date(
    center: AssessmentLedger,
) -> None:
    """Given S001 at W01 with 2 points on 10 February, transferred to W02 on 15 February, and
    1.5 points on 20 February, then W01 counts 2 and W02 counts 1.5, and each lists the other
    deduction as left out (other window)."""
    at_w01 = deduct(center, date(2025, 2, 10), "2")
    center.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, date(2025, 2, 15))
    at_w02 = deduct(center, date(2025, 2, 20), "1.5")

    state = state_of(center)
    w01 = excellent_window(state, WINDOW, Q1)
    w02 = excellent_window(state, OTHER_WINDOW, Q1)

    assert (w01.total, w02.total) == (Decimal(2), Decimal("1.5"))
    (w01_left,) = w01.trace.left_out
    assert (w01_left.ref.version, w01_left.reason) == (number_of(at_w02), Reason.OTHER_WINDOW)
    assert w01_left.detail == "member of W02 on 2025-02-20"
    (w02_left,) = w02.trace.left_out
    assert (w02_left.ref.version, w02_left.reason) == (number_of(at_w01), Reason.OTHER_WINDOW)


def test_D03_on_a_same_day_transfer_the_incident_counts_for_the_new_window(
    center: AssessmentLedger,
) -> None:
    """Given S001 transferred from W01 to W02 on 15 February and a deduction that day, then it
    counts for W02, not W01."""
    center.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, date(2025, 2, 15))
    deduct(center, date(2025, 2, 15), "1")

    state = state_of(center)

    assert excellent_window(state, WINDOW, Q1).total == 0
    assert excellent_window(state, OTHER_WINDOW, Q1).total == 1


def test_D03_an_incident_after_a_backdated_release_counts_for_no_window(
    center: AssessmentLedger,
) -> None:
    """Given a deduction on 5 March and then a release of S001 recorded as from 2 March, then
    the deduction still counts for the person but for no window: W01 leaves it out as "not a
    member" on the incident date."""
    deduct(center, date(2025, 3, 5), "2")
    center.release_staff(OPERATOR, STAFF, date(2025, 3, 2))

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert figure.total == 0
    (left,) = figure.trace.left_out
    assert (left.reason, left.detail) == (Reason.NOT_A_MEMBER, "in no unit on 2025-03-05")


def test_D03_revoked_and_amended_window_items(center: AssessmentLedger) -> None:
    """Given a window item revoked and another amended from 2 to 1 point, then the total is 1,
    the revoked one is left out as revoked and the old value as amended."""
    revoked = deduct_window(center, date(2025, 2, 4), "2")
    amended = deduct_window(center, date(2025, 2, 5), "2")
    center.revoke_window_deduction(CLERK, WINDOW, number_of(revoked), date(2026, 1, 10), "wrong")
    center.amend_window_deduction(
        LEADER, WINDOW, number_of(amended), date(2026, 1, 10), "lesser", points="1.0"
    )

    figure = excellent_window(state_of(center), WINDOW, Q1)

    assert figure.total == 1
    reasons = {(item.ref.version, item.reason) for item in figure.trace.left_out}
    assert reasons == {
        (number_of(revoked), Reason.REVOKED),
        (number_of(amended), Reason.AMENDED),
    }


def test_R23_an_office_has_no_excellent_window_figure(center: AssessmentLedger) -> None:
    """Given an office, then asking for its excellent-window figure is refused: R-23–R-25 apply
    to kind = window."""
    with pytest.raises(ValueError, match="office"):
        excellent_window(state_of(center), OFFICE, Q1)


# the annual selection


def test_R25_a_window_disqualified_in_any_quarter_is_out_of_the_annual_selection(
    center: AssessmentLedger,
) -> None:
    """Given W01 (one person) with 5 points in Q3 only, then it may not take part in 2025's
    annual excellent-window selection, naming Q3; W02 may."""
    deduct(center, date(2025, 8, 5), "5")

    state = state_of(center)
    w01 = annual_excellent_window(state, WINDOW, YEAR)
    w02 = annual_excellent_window(state, OTHER_WINDOW, YEAR)

    assert (w01.rule, w01.eligible, w01.disqualified_in) == ("R-25", False, ("2025-Q3",))
    assert (w02.eligible, w02.disqualified_in) == (True, ())


def test_R25_points_spread_below_each_quarters_threshold_do_not_disqualify(
    center: AssessmentLedger,
) -> None:
    """Given W01 with 4.5 points in each quarter (18 in the year), then no quarter disqualified
    it and it may take part: R-25 looks at quarters, not at the year's sum."""
    for month in (2, 5, 8, 11):
        deduct(center, date(2025, month, 5), "4.5")

    assert annual_excellent_window(state_of(center), WINDOW, YEAR).eligible
