"""Head liability (R-30, R-34, D-08): one item per staff member, period and bonus stream, owed by
the head of the unit the person belonged to on the date of the crossing deduction (or veto), or
by the unit's leader in charge when the person is that head."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from policy_support import (
    HEAD,
    LEADER_IN_CHARGE,
    OTHER_HEAD,
    deduct,
    number_of,
    register,
    state_of,
    veto,
)

from builders import CLERK, LEADER, OFFICE, OTHER_WINDOW, STAFF, WINDOW
from ledger.application import AssessmentLedger
from ledger.policy import BonusStatus, OwedAs, canonical_record, head_liability
from ledger.values import OPERATOR, Period

MARCH = Period.parse("2025-03")
H1 = Period.parse("2025-H1")
YEAR = Period.parse("2025")


def test_R30_no_item_while_the_bonus_is_full(center: AssessmentLedger) -> None:
    """Given 2.5 points in March, then no head-liability item is raised."""
    deduct(center, date(2025, 3, 5), "2.5")

    assert head_liability(state_of(center), STAFF, MARCH) is None


def test_R30_a_halved_bonus_raises_an_item_owed_by_the_head(center: AssessmentLedger) -> None:
    """Given 3 points in March at W01, then one R-30 item for the monthly stream is owed by
    W01's head, at the halving threshold, naming the crossing deduction."""
    crossing = deduct(center, date(2025, 3, 5), "3")

    item = head_liability(state_of(center), STAFF, MARCH)

    assert item is not None
    assert (item.rule, item.stream, item.status, item.threshold) == (
        "R-30",
        "month",
        BonusStatus.HALVED,
        Decimal(3),
    )
    assert (item.unit_code, item.owed_by, item.owed_as) == (WINDOW, HEAD, OwedAs.HEAD)
    assert item.crossing.version == number_of(crossing)


def test_R30_the_head_is_the_one_of_the_unit_on_the_crossing_deductions_date(
    center: AssessmentLedger,
) -> None:
    """Given 2 points at W01 on 5 March, a transfer to W02 on 10 March and 1 point there on
    20 March, then the running total reaches 3 at the W02 deduction: W02's head owes it."""
    deduct(center, date(2025, 3, 5), "2")
    center.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, date(2025, 3, 10))
    crossing = deduct(center, date(2025, 3, 20), "1")

    item = head_liability(state_of(center), STAFF, MARCH)

    assert item is not None
    assert item.crossing.version == number_of(crossing)
    assert (item.unit_code, item.owed_by) == (OTHER_WINDOW, OTHER_HEAD)


def test_R30_the_crossing_follows_incident_dates_not_recording_order(
    center: AssessmentLedger,
) -> None:
    """Given 2 points on 20 March (at W02 after a transfer) recorded first and 2 points on
    5 March (at W01) recorded later, then ordered by incident date the total reaches 3 at the
    20 March deduction: W02's head owes it."""
    center.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, date(2025, 3, 10))
    later_incident = deduct(center, date(2025, 3, 20), "2")
    deduct(center, date(2025, 3, 5), "2")

    item = head_liability(state_of(center), STAFF, MARCH)

    assert item is not None
    assert item.crossing.version == number_of(later_incident)
    assert item.owed_by == OTHER_HEAD


def test_R30_on_the_same_incident_date_the_log_position_decides(center: AssessmentLedger) -> None:
    """Given 2 points and then 2 more points, both on 5 March, then the second one recorded
    crosses the threshold."""
    deduct(center, date(2025, 3, 5), "2")
    second = deduct(center, date(2025, 3, 5), "2")

    item = head_liability(state_of(center), STAFF, MARCH)

    assert item is not None
    assert item.crossing.version == number_of(second)


def test_R30_a_revoked_deduction_never_crosses(center: AssessmentLedger) -> None:
    """Given 3 points on 5 March (at W01), revoked, and 3 points on 20 March after a transfer to
    W02, then the crossing is the 20 March deduction and W02's head owes it."""
    revoked = deduct(center, date(2025, 3, 5), "3")
    center.revoke_deduction(CLERK, STAFF, number_of(revoked), date(2026, 1, 10), "wrong person")
    center.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, date(2025, 3, 10))
    crossing = deduct(center, date(2025, 3, 20), "3")

    item = head_liability(state_of(center), STAFF, MARCH)

    assert item is not None
    assert item.crossing.version == number_of(crossing)
    assert item.owed_by == OTHER_HEAD


def test_R30_amendments_apply_before_the_crossing_is_found(center: AssessmentLedger) -> None:
    """Given 1 point on 5 March at W01, a transfer to W02, 2 points on 20 March, then the first
    amended to 3 points: the total now reaches 3 at the first deduction, owed by W01's head."""
    first = deduct(center, date(2025, 3, 5), "1")
    center.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, date(2025, 3, 10))
    deduct(center, date(2025, 3, 20), "2")
    before = head_liability(state_of(center), STAFF, MARCH)
    center.amend_deduction(
        LEADER, STAFF, number_of(first), date(2026, 1, 10), "re-classified", points="3.0"
    )

    after = head_liability(state_of(center), STAFF, MARCH)

    assert before is not None and before.owed_by == OTHER_HEAD
    assert after is not None
    assert after.crossing.version == number_of(first)
    assert after.owed_by == HEAD


def test_R30_a_head_who_is_the_liable_person_is_answered_for_by_the_leader_in_charge(
    center: AssessmentLedger,
) -> None:
    """Given W01's head assigned to W01 and 3 points against them in March, then the item is
    owed by W01's leader in charge, as leader in charge."""
    center.assign_staff(OPERATOR, HEAD, WINDOW, date(2025, 1, 1))
    deduct(center, date(2025, 3, 5), "3", staff_number=HEAD)

    item = head_liability(state_of(center), HEAD, MARCH)

    assert item is not None
    assert (item.owed_by, item.owed_as) == (LEADER_IN_CHARGE, OwedAs.LEADER_IN_CHARGE)


def test_R30_a_unit_without_a_head_leaves_the_item_unowed(center: AssessmentLedger) -> None:
    """Given a person of the office (which has no head) with 3 points in March, then the item is
    raised for the office with nobody owing it (post vacant)."""
    register(center, "S010", OFFICE)
    deduct(center, date(2025, 3, 5), "3", staff_number="S010")

    item = head_liability(state_of(center), "S010", MARCH)

    assert item is not None
    assert (item.unit_code, item.owed_by, item.owed_as) == (OFFICE, None, OwedAs.VACANT)


def test_R30_one_item_per_staff_member_period_and_bonus_stream(center: AssessmentLedger) -> None:
    """Given 6 points in March (cancelled) and 2 in each of January and February (10 in H1),
    then there is one item for March and one for H1, each for its own stream, and the March
    item's crossing is the deduction that reached 3, not 5."""
    deduct(center, date(2025, 1, 10), "2")
    deduct(center, date(2025, 2, 10), "2")
    reaching_three = deduct(center, date(2025, 3, 5), "3")
    deduct(center, date(2025, 3, 6), "3")

    state = state_of(center)
    month = head_liability(state, STAFF, MARCH)
    half_year = head_liability(state, STAFF, H1)

    assert month is not None and half_year is not None
    assert (month.stream, month.status) == ("month", BonusStatus.CANCELLED)
    assert month.crossing.version == number_of(reaching_three)
    assert (half_year.stream, half_year.status, half_year.threshold) == (
        "half_year",
        BonusStatus.HALVED,
        Decimal(10),
    )
    assert month.key != half_year.key


def test_D08_the_item_is_owed_by_the_head_personally_and_fixes_no_amount(
    center: AssessmentLedger,
) -> None:
    """Given a halved monthly bonus, then the item names the head as debtor of their own bonus
    and carries no reduction amount: the leading group decides it at its discretion (D-08)."""
    deduct(center, date(2025, 3, 5), "3")

    item = head_liability(state_of(center), STAFF, MARCH)

    assert item is not None
    record = canonical_record(item)
    assert (record["owed_by"], record["owed_as"]) == (HEAD, "head")
    assert not {"amount", "reduction", "points_owed"} & set(record)


def test_R34_a_veto_raises_an_annual_bonus_item_owed_by_the_head(
    center: AssessmentLedger,
) -> None:
    """Given a veto case on 5 August at W01 and a later one, then one R-34 item for the annual
    stream of 2025 is owed by W01's head, fixed by the first veto."""
    first = veto(center, date(2025, 8, 5))
    veto(center, date(2025, 9, 5))

    item = head_liability(state_of(center), STAFF, YEAR)

    assert item is not None
    assert (item.rule, item.stream, item.status) == ("R-34", "year", BonusStatus.WITHHELD)
    assert item.crossing.version == number_of(first)
    assert (item.unit_code, item.owed_by) == (WINDOW, HEAD)


def test_R34_no_item_without_a_standing_veto(center: AssessmentLedger) -> None:
    """Given a veto case that was revoked, then there is no annual head-liability item."""
    case = veto(center, date(2025, 8, 5))
    center.revoke_veto_case(CLERK, STAFF, number_of(case), date(2026, 1, 10), "not verified")

    assert head_liability(state_of(center), STAFF, YEAR) is None


def test_R30_a_post_left_vacant_before_the_crossing_has_nobody_owing_the_item(
    center: AssessmentLedger,
) -> None:
    """Given W01's head leaves on 1 March and 3 points on 5 March, then the item is raised with
    nobody owing it (the post was vacant); a deduction before the departure would name the head."""
    center.end_head_term(OPERATOR, WINDOW, date(2025, 3, 1))
    deduct(center, date(2025, 3, 5), "3")

    item = head_liability(state_of(center), STAFF, MARCH)

    assert item is not None
    assert (item.unit_code, item.owed_by) == (WINDOW, None)
