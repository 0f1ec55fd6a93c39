"""Monthly and half-year bonus sheets (SPEC 4.3, issue 5 item 3): the supervision clerk prepares
the sheet after the period ends (R-26–R-29 statuses, the month's criticism notice R-31/D-09, the
head-liability items R-30), the leading group decides each item at its discretion (D-08) and
approves the sheet, which is the period's decision."""

from __future__ import annotations

from datetime import date

import pytest

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    STAFF,
    START,
    WINDOW,
    at,
    record,
    refused,
    seed_organisation,
)
from ledger.aggregates.bonus_sheet import HeadReduction, LiabilityItem, SheetLine
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.errors import RecordNotFound, RoleRequired
from ledger.policy import EventRef
from ledger.projections.rounds import round_conflicts
from ledger.values import OPERATOR, Actor, Role, StaffCategory

FEBRUARY = "2025-02"
H1 = "2025-H1"
HEAD = "H001"
"""The head of W01 from START; W02 has no head (its items are owed by nobody)."""
PREPARED_ON = date(2025, 3, 3)
DECIDED_ON = date(2025, 3, 5)


@pytest.fixture
def february(ledger: AssessmentLedger) -> AssessmentLedger:
    """The seeded center with a head for W01, February's round open, and February's deductions:
    S001 3 points (halved, R-26), S002 5 points (cancelled, R-27), everybody else none."""
    seed_organisation(ledger)
    ledger.register_staff(OPERATOR, HEAD, "孙八", StaffCategory.CIVIL_SERVANT, "Tax bureau", START)
    ledger.assign_staff(OPERATOR, HEAD, WINDOW, START)
    ledger.appoint_head(OPERATOR, WINDOW, HEAD, START)
    record(ledger, "INC-S1-1", item_code="ATT-02", occurred_on=date(2025, 2, 5))  # 1
    record(ledger, "INC-S1-2", item_code="SRV-01", occurred_on=date(2025, 2, 12))  # 2: crosses 3
    record(
        ledger, "INC-S2-1", staff_number=COLLEAGUE, item_code="SUP-02", occurred_on=date(2025, 2, 6)
    )
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    return ledger


def prepare(ledger: AssessmentLedger, period: str = FEBRUARY, on: date = PREPARED_ON) -> int:
    return ledger.prepare_bonus_sheet(CLERK, period, on).position


def decide_both(ledger: AssessmentLedger) -> None:
    """The leading group's decisions on February's two items."""
    ledger.decide_head_liability(
        LEADER, FEBRUARY, STAFF, HeadReduction.HALVED, "late twice", "LG-2025-10", date(2025, 3, 4)
    )
    ledger.decide_head_liability(
        LEADER,
        FEBRUARY,
        COLLEAGUE,
        HeadReduction.NONE,
        "post vacant",
        "LG-2025-10",
        date(2025, 3, 4),
    )


def line(ledger: AssessmentLedger, staff_number: str, period: str = FEBRUARY) -> SheetLine:
    sheet = ledger.bonus_sheet(period)
    return next(x for x in sheet.preparation.content.lines if x.staff_number == staff_number)


def ref(ledger: AssessmentLedger, staff_number: str, version: int) -> str:
    return str(EventRef(str(ledger.staff_stream(staff_number)), version))


# The month's sheet (R-26, R-27, R-31, D-09)


def test_r26_a_month_with_3_points_halves_the_bonus_on_the_sheet(
    february: AssessmentLedger,
) -> None:
    # when the clerk prepares February's sheet
    prepare(february)
    # then S001's bonus is halved at 3.0 points, counting both deductions
    staff = february.staff(STAFF)
    counted = tuple(ref(february, STAFF, number) for number in sorted(staff.deductions))
    assert line(february, STAFF) == SheetLine(STAFF, "halved", "3.0", "R-26", counted)


def test_r27_a_month_with_5_points_cancels_the_bonus_on_the_sheet(
    february: AssessmentLedger,
) -> None:
    # given S002's 5 February points; when the sheet is prepared
    prepare(february)
    # then S002's bonus is cancelled under R-27
    assert (line(february, COLLEAGUE).status, line(february, COLLEAGUE).total) == (
        "cancelled",
        "5.0",
    )
    assert line(february, COLLEAGUE).rule == "R-27"


def test_the_sheet_lists_every_member_of_a_unit_with_a_full_bonus_below_the_threshold(
    february: AssessmentLedger,
) -> None:
    # when the sheet is prepared
    prepare(february)
    lines = february.bonus_sheet(FEBRUARY).preparation.content.lines
    # then every member of a unit has a line, in staff-number order; S003 belongs to no unit
    # (nobody can record a deduction on them) and is not on the sheet
    assert [x.staff_number for x in lines] == ["C001", HEAD, "L001", STAFF, COLLEAGUE]
    assert line(february, HEAD) == SheetLine(HEAD, "full", "0.0", "R-26", ())


def test_r31_d09_the_months_criticism_notice_names_every_halved_or_cancelled_bonus(
    february: AssessmentLedger,
) -> None:
    # given S001 halved and S002 cancelled in February; when the sheet is prepared
    prepare(february)
    # then both are named in the month's notice, nobody else
    assert february.bonus_sheet(FEBRUARY).preparation.content.criticism_notice == (
        STAFF,
        COLLEAGUE,
    )


def test_the_sheet_records_the_position_and_policy_version_it_was_prepared_on(
    february: AssessmentLedger,
) -> None:
    # given the log's head before preparing
    head = february.head_position()
    # when the sheet is prepared
    position = prepare(february)
    # then it records that position, the policy in force, and plain values in its payload
    content = february.bonus_sheet(FEBRUARY).preparation.content
    assert (content.prepared_at_position, content.policy_version) == (head, "measures-2009")
    assert position == head + 1
    (event,) = february.history(february.bonus_sheet(FEBRUARY).id)
    assert event.event == "ledger.bonus_sheet.Prepared.v1"
    assert (event.payload["actor_id"], event.payload["actor_role"]) == (
        CLERK.person_id,
        "supervision_clerk",
    )
    assert event.payload["lines"][3] == {
        "counted": [ref(february, STAFF, n) for n in sorted(february.staff(STAFF).deductions)],
        "rule": "R-26",
        "staff_number": STAFF,
        "status": "halved",
        "total": "3.0",
    }


# The half-year's sheet


@pytest.fixture
def first_half(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The seeded center in July with H1's round open: S001 10 points over the half-year (each
    month below the monthly threshold but one), S002 15 points."""
    seed_organisation(ledger)
    clock.set(at(date(2025, 7, 3)))
    for month in (1, 2, 3, 4, 5):
        record(ledger, f"INC-S1-{month}", item_code="SRV-01", occurred_on=date(2025, month, 6))
    for month in (1, 2, 3, 4, 5):
        record(
            ledger,
            f"INC-S2-{month}",
            staff_number=COLLEAGUE,
            item_code="SRV-05",
            occurred_on=date(2025, month, 7),
        )
    ledger.open_round(CLERK, H1, date(2025, 7, 1))
    return ledger


def test_r28_a_half_year_with_10_points_halves_the_half_year_bonus(
    first_half: AssessmentLedger,
) -> None:
    # given S001's 10 points over January-May; when H1's sheet is prepared
    prepare(first_half, H1, date(2025, 7, 2))
    # then the half-year bonus is halved under R-28
    assert (line(first_half, STAFF, H1).status, line(first_half, STAFF, H1).total) == (
        "halved",
        "10.0",
    )
    assert line(first_half, STAFF, H1).rule == "R-28"


def test_r29_a_half_year_with_15_points_cancels_the_half_year_bonus(
    first_half: AssessmentLedger,
) -> None:
    # given S002's 15 points; when H1's sheet is prepared
    prepare(first_half, H1, date(2025, 7, 2))
    # then the half-year bonus is cancelled under R-29
    assert (line(first_half, COLLEAGUE, H1).status, line(first_half, COLLEAGUE, H1).rule) == (
        "cancelled",
        "R-29",
    )


def test_r31_a_half_years_sheet_has_no_criticism_notice(first_half: AssessmentLedger) -> None:
    # when H1's sheet is prepared, then it has no notice (R-31 names monthly bonuses only)
    prepare(first_half, H1, date(2025, 7, 2))
    assert first_half.bonus_sheet(H1).preparation.content.criticism_notice is None


def test_r30_a_half_years_items_are_of_the_half_year_bonus_stream(
    first_half: AssessmentLedger,
) -> None:
    # when H1's sheet is prepared
    prepare(first_half, H1, date(2025, 7, 2))
    # then S001's and S002's cut half-year bonuses raise one item each, of that stream
    items = first_half.bonus_sheet(H1).preparation.content.head_liability
    assert [(item.staff_number, item.stream) for item in items] == [
        (STAFF, "half_year"),
        (COLLEAGUE, "half_year"),
    ]


# Head liability (R-30, D-08)


def test_r30_a_halved_bonus_raises_an_item_owed_by_the_head_at_the_crossing_deduction(
    february: AssessmentLedger,
) -> None:
    # when the sheet is prepared
    prepare(february)
    # then S001's item is owed by W01's head at the second deduction (12 February), which took
    # the running total to 3
    _first, second = sorted(february.staff(STAFF).deductions)
    assert february.bonus_sheet(FEBRUARY).items[STAFF] == LiabilityItem(
        STAFF, "month", "halved", ref(february, STAFF, second), "2025-02-12", WINDOW, HEAD, "head"
    )


def test_r30_an_item_of_a_unit_without_a_head_is_owed_by_nobody(
    february: AssessmentLedger,
) -> None:
    # given W02 without a head; when the sheet is prepared
    prepare(february)
    # then S002's item is there, owed by nobody, for the leading group to see
    item = february.bonus_sheet(FEBRUARY).items[COLLEAGUE]
    assert (item.status, item.owed_by, item.owed_as) == ("cancelled", None, "vacant")


def test_d08_the_leading_group_decides_the_heads_own_reduction_with_reason_and_reference(
    february: AssessmentLedger,
) -> None:
    prepare(february)
    # when the leading group halves the head's own bonus for S001's item
    february.decide_head_liability(
        LEADER, FEBRUARY, STAFF, HeadReduction.HALVED, "late twice", "LG-2025-10", date(2025, 3, 4)
    )
    # then the decision names the item, the debtor, the reduction, the reason and the reference
    sheet = february.bonus_sheet(FEBRUARY)
    decision = sheet.decisions[STAFF]
    assert (decision.reduction, decision.reason, decision.decision_ref) == (
        HeadReduction.HALVED,
        "late twice",
        "LG-2025-10",
    )
    event = february.history(sheet.id, newest_first=True, limit=1)[0]
    assert event.event == "ledger.bonus_sheet.HeadLiabilityDecided.v1"
    assert (event.payload["owed_by"], event.payload["prepared"], event.payload["amount"]) == (
        HEAD,
        1,
        None,
    )
    assert [item.staff_number for item in sheet.undecided] == [COLLEAGUE]


def test_d08_a_reduction_by_a_stated_amount_is_kept_in_yuan_with_two_decimals(
    february: AssessmentLedger,
) -> None:
    # given the prepared sheet; when the head's bonus is reduced by 300 yuan
    # then the amount is kept in canonical form
    prepare(february)
    february.decide_head_liability(
        LEADER, FEBRUARY, STAFF, "amount", "repeat", "LG-2025-10", date(2025, 3, 4), amount="300"
    )
    decision = february.bonus_sheet(FEBRUARY).decisions[STAFF]
    assert (decision.reduction, decision.amount) == (HeadReduction.AMOUNT, "300.00")


@pytest.mark.parametrize(
    ("reduction", "amount"),
    [("amount", None), ("amount", "-5"), ("amount", "1.005"), ("halved", "100"), ("more", None)],
)
def test_d08_a_reduction_with_a_wrong_amount_or_kind_is_refused(
    february: AssessmentLedger, reduction: str, amount: str | None
) -> None:
    # given the prepared sheet; when the reduction's kind and amount do not fit together (or the
    # kind is unknown), then it is refused naming D-08 and nothing is recorded
    prepare(february)
    refused(
        february,
        lambda: february.decide_head_liability(
            LEADER, FEBRUARY, STAFF, reduction, "r", "LG-1", date(2025, 3, 4), amount=amount
        ),
        rule="D-08",
    )


def test_d08_a_decision_without_a_reason_is_refused(february: AssessmentLedger) -> None:
    # given the prepared sheet; when the decision gives no reason, then it is refused
    prepare(february)
    refused(
        february,
        lambda: february.decide_head_liability(
            LEADER, FEBRUARY, STAFF, HeadReduction.NONE, "  ", "LG-1", date(2025, 3, 4)
        ),
        rule="D-08",
    )


def test_d08_an_item_nobody_owes_takes_no_reduction(february: AssessmentLedger) -> None:
    # given S002's item owed by nobody (W02 has no head); when the leading group would cancel
    # a bonus, then it is refused: there is nobody's bonus to reduce
    prepare(february)
    refused(
        february,
        lambda: february.decide_head_liability(
            LEADER, FEBRUARY, COLLEAGUE, HeadReduction.CANCELLED, "r", "LG-1", date(2025, 3, 4)
        ),
        rule="D-08",
    )


def test_d08_an_item_is_decided_once(february: AssessmentLedger) -> None:
    # given both items decided; when S001's item is decided again, then it is refused
    prepare(february)
    decide_both(february)
    refused(
        february,
        lambda: february.decide_head_liability(
            LEADER, FEBRUARY, STAFF, HeadReduction.NONE, "again", "LG-2", date(2025, 3, 5)
        ),
        rule="DECIDED_ONCE",
    )


def test_r30_a_decision_on_a_staff_member_without_an_item_is_refused(
    february: AssessmentLedger,
) -> None:
    # given the prepared sheet, H001's bonus full; when an item of H001 is decided, then refused
    prepare(february)
    refused(
        february,
        lambda: february.decide_head_liability(
            LEADER, FEBRUARY, HEAD, HeadReduction.NONE, "r", "LG-1", date(2025, 3, 4)
        ),
        rule="R-30",
    )


def test_d08_a_decision_dated_before_the_sheet_is_refused(february: AssessmentLedger) -> None:
    # given the sheet prepared on 3 March; when a decision is dated 2 March, then refused
    prepare(february)
    refused(
        february,
        lambda: february.decide_head_liability(
            LEADER, FEBRUARY, STAFF, HeadReduction.NONE, "r", "LG-1", date(2025, 3, 2)
        ),
        rule="DATED_RECORDS",
    )


# Approval: the period's decision


def test_approval_is_refused_while_a_head_liability_item_is_undecided(
    february: AssessmentLedger,
) -> None:
    # given S001's item decided and S002's not
    prepare(february)
    february.decide_head_liability(
        LEADER, FEBRUARY, STAFF, HeadReduction.NONE, "first offence", "LG-1", date(2025, 3, 4)
    )
    # when the leading group approves, then it is refused, naming the undecided item
    error = refused(
        february,
        lambda: february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON),
        rule="D-08",
    )
    assert COLLEAGUE in str(error)


def test_approval_is_refused_without_a_prepared_sheet(february: AssessmentLedger) -> None:
    # given February's round open and no sheet; when the leading group approves, then refused
    refused(
        february,
        lambda: february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON),
        rule="STEP_ORDER",
    )


def test_a_sheet_is_not_prepared_before_its_round_is_opened(february: AssessmentLedger) -> None:
    # given January's round not opened; when its sheet is prepared, then refused
    refused(february, lambda: prepare(february, "2025-01", date(2025, 2, 3)), rule="STEP_ORDER")


def test_approval_records_the_sheets_approval_and_the_period_decision_together(
    february: AssessmentLedger,
) -> None:
    # given a prepared sheet with both items decided
    prepare(february)
    decide_both(february)
    head = february.head_position()
    # when the leading group approves the sheet
    outcome = february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    # then the sheet's Approved and the round's PeriodDecided are saved in one command
    sheet, assessment_round = february.bonus_sheet(FEBRUARY), february.round(FEBRUARY)
    assert outcome.records == (
        (str(sheet.id), sheet.version),
        (str(assessment_round.id), assessment_round.version),
    )
    assert outcome.position == head + 2
    assert assessment_round.decision is not None and sheet.approval is not None
    assert assessment_round.decision.decision_ref == sheet.approval.decision_ref == "LG-2025-11"
    # on the figures as recorded then, which are the sheet's
    assert assessment_round.decision.decided_at_position == head
    assert sheet.approval.decided_at_position == head
    topics = [e.event for e in february.history(sheet.id)] + [
        e.event for e in february.history(assessment_round.id)
    ]
    assert "ledger.bonus_sheet.Approved.v1" in topics
    assert "ledger.round.PeriodDecided.v1" in topics


def test_after_approval_a_deduction_for_the_month_is_a_late_entry(
    february: AssessmentLedger,
) -> None:
    # given February's sheet approved
    prepare(february)
    decide_both(february)
    february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    # when a February deduction is recorded after the decision
    late = record(february, "INC-LATE", staff_number=COLLEAGUE, occurred_on=date(2025, 2, 20))
    # then it is accepted and listed as a conflict of the decided month
    (conflict,) = round_conflicts(february, FEBRUARY)
    assert conflict.ref == EventRef(str(february.staff_stream(COLLEAGUE)), late.number or 0)
    assert conflict.decision_ref == "LG-2025-11"


def test_a_period_is_approved_once(february: AssessmentLedger) -> None:
    # given an approved sheet; when it is approved again, then refused
    prepare(february)
    decide_both(february)
    february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    refused(
        february,
        lambda: february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-12", DECIDED_ON),
        rule="DECIDED_ONCE",
    )


def test_approval_is_refused_when_the_figures_changed_since_the_sheet_was_prepared(
    february: AssessmentLedger,
) -> None:
    # given a prepared, fully decided sheet and a February deduction of C001 recorded after it
    prepare(february)
    decide_both(february)
    record(
        february,
        "INC-AFTER",
        staff_number="C001",
        item_code="DSC-07",
        occurred_on=date(2025, 2, 25),
    )
    # when the leading group approves, then it is refused naming who changed
    error = refused(
        february,
        lambda: february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON),
        rule="STALE_SHEET",
    )
    assert "C001" in str(error)


def test_approval_on_a_position_before_the_sheet_was_prepared_is_refused(
    february: AssessmentLedger,
) -> None:
    # given a sheet prepared on the figures of one position; when the approval names an
    # earlier one, then it is refused
    prepared_at = february.head_position()
    prepare(february)
    decide_both(february)
    refused(
        february,
        lambda: february.approve_bonus_sheet(
            LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON, decided_at_position=prepared_at - 1
        ),
        rule="AS_OF",
    )


def test_approval_may_name_the_position_the_sheet_was_prepared_at(
    february: AssessmentLedger,
) -> None:
    # given a sheet prepared on the figures of one position; when the approval names it
    # then the period is decided on it
    prepared_at = february.head_position()
    prepare(february)
    decide_both(february)
    february.approve_bonus_sheet(
        LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON, decided_at_position=prepared_at
    )
    decision = february.round(FEBRUARY).decision
    assert decision is not None and decision.decided_at_position == prepared_at


def test_a_sheet_without_items_is_approved_directly(
    ledger: AssessmentLedger,
) -> None:
    # given a month without any cut bonus
    seed_organisation(ledger)
    record(ledger, "INC-1", occurred_on=date(2025, 2, 5))
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    prepare(ledger)
    # when it is approved, then it is decided
    ledger.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    assert ledger.bonus_sheet(FEBRUARY).preparation.content.criticism_notice == ()
    assert ledger.round(FEBRUARY).decision is not None


# Roles (SPEC section 5)


def test_roles_a_supervision_clerk_cannot_approve_a_sheet(february: AssessmentLedger) -> None:
    # given a fully decided sheet; when the supervision clerk approves it, then refused, naming
    # the role needed
    prepare(february)
    decide_both(february)
    error = refused(
        february,
        lambda: february.approve_bonus_sheet(CLERK, FEBRUARY, "LG-2025-11", DECIDED_ON),
        RoleRequired,
        rule="ROLES",
    )
    assert isinstance(error, RoleRequired) and error.needed == "leading_group"


def test_roles_a_leading_group_member_cannot_prepare_a_sheet(
    february: AssessmentLedger,
) -> None:
    # when a leading-group member prepares the sheet, then refused, naming the role needed
    error = refused(february, lambda: prepare_as(february, LEADER), RoleRequired, rule="ROLES")
    assert isinstance(error, RoleRequired) and error.needed == "supervision_clerk"


def test_roles_a_supervision_clerk_cannot_decide_head_liability(
    february: AssessmentLedger,
) -> None:
    # given the prepared sheet; when the clerk decides an item, then refused
    prepare(february)
    refused(
        february,
        lambda: february.decide_head_liability(
            CLERK, FEBRUARY, STAFF, HeadReduction.NONE, "r", "LG-1", date(2025, 3, 4)
        ),
        RoleRequired,
        rule="ROLES",
    )


def test_roles_a_role_claimed_but_not_held_on_the_day_is_refused(
    february: AssessmentLedger,
) -> None:
    # when a leading-group member claims the clerk's role, never granted, then refused
    # the leading-group member was never granted supervision_clerk
    refused(
        february,
        lambda: prepare_as(february, Actor(LEADER.person_id, Role.SUPERVISION_CLERK)),
        RoleRequired,
        rule="ROLES",
    )


def prepare_as(ledger: AssessmentLedger, actor: Actor) -> None:
    ledger.prepare_bonus_sheet(actor, FEBRUARY, PREPARED_ON)


# Preparing again before approval


def test_preparing_again_supersedes_the_earlier_sheet_and_names_it(
    february: AssessmentLedger,
) -> None:
    prepare(february)
    # given a February deduction recorded after the sheet
    record(
        february,
        "INC-AFTER",
        staff_number="C001",
        item_code="DSC-07",
        occurred_on=date(2025, 2, 25),
    )
    # when the clerk prepares the sheet again
    head = february.head_position()
    prepare(february, on=date(2025, 3, 6))
    # then the new preparation shows the new figures and names the one it supersedes
    sheet = february.bonus_sheet(FEBRUARY)
    assert (sheet.preparation.version, sheet.preparation.content.prepared_at_position) == (2, head)
    assert line(february, "C001").status == "halved"
    assert sheet.preparation.content.criticism_notice == ("C001", STAFF, COLLEAGUE)
    event = february.history(sheet.id, newest_first=True, limit=1)[0]
    assert (event.event, event.payload["supersedes"]) == ("ledger.bonus_sheet.Reprepared.v1", 1)


def test_preparing_again_keeps_decisions_only_on_items_that_did_not_change(
    february: AssessmentLedger,
) -> None:
    # given both items decided
    prepare(february)
    decide_both(february)
    # given S001's item changes (cancelled now) while S002's stays as it was
    record(february, "INC-S1-3", item_code="SRV-02", occurred_on=date(2025, 2, 26))
    # when the clerk prepares the sheet again
    prepare(february, on=date(2025, 3, 6))
    # then S002's decision stands and S001's item awaits a new one
    sheet = february.bonus_sheet(FEBRUARY)
    assert sheet.items[STAFF].status == "cancelled"
    assert set(sheet.decisions) == {COLLEAGUE}
    assert [item.staff_number for item in sheet.undecided] == [STAFF]


def test_preparing_again_on_unchanged_figures_is_refused(february: AssessmentLedger) -> None:
    # given the prepared sheet and nothing new; when it is prepared again, then refused
    prepare(february)
    refused(february, lambda: prepare(february, on=date(2025, 3, 6)), rule="NO_CHANGE")


def test_an_approved_sheet_is_not_prepared_again(february: AssessmentLedger) -> None:
    # given an approved sheet and a late February deduction; when the sheet is prepared again
    # then refused: the late entry is the leading group's to resolve
    prepare(february)
    decide_both(february)
    february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    record(february, "INC-LATE", occurred_on=date(2025, 2, 27))
    refused(february, lambda: prepare(february, on=date(2025, 3, 10)), rule="DECIDED_ONCE")


# Dates and periods


def test_a_sheet_is_prepared_only_after_its_period_has_ended(
    february: AssessmentLedger,
) -> None:
    # when February's sheet is dated on its last day, then refused
    refused(february, lambda: prepare(february, on=date(2025, 2, 28)), rule="DATED_RECORDS")


def test_a_sheet_dated_after_today_is_refused(february: AssessmentLedger) -> None:
    # when the sheet is dated tomorrow, then refused
    refused(february, lambda: prepare(february, on=date(2025, 3, 11)), rule="DATED_RECORDS")


def test_a_quarter_has_no_bonus_sheet(february: AssessmentLedger) -> None:
    # when a quarter's sheet is prepared, then refused: quarters have results, not sheets
    refused(february, lambda: prepare(february, "2025-Q1"), rule="R-20")


def test_a_sheet_not_prepared_is_not_found(february: AssessmentLedger) -> None:
    # given no sheet; when it is read, then it is not found
    with pytest.raises(RecordNotFound):
        february.bonus_sheet(FEBRUARY)


# Where it stands (issue 5 item 7)


def test_status_before_preparation_the_clerk_prepares_the_sheet(
    february: AssessmentLedger,
) -> None:
    # given February's round open and no sheet; when its status is read
    status = february.procedure_status(FEBRUARY)
    # then the steps are listed in order and the clerk's preparation is next
    assert [step.key for step in status.steps] == [
        "open_round",
        "prepare_bonus_sheet",
        "decide_head_liability",
        "approve_bonus_sheet",
    ]
    assert status.current is not None
    assert (status.current.key, status.current.role) == (
        "prepare_bonus_sheet",
        Role.SUPERVISION_CLERK,
    )
    assert not status.decided


def test_status_after_preparation_lists_each_item_for_the_leading_group(
    february: AssessmentLedger,
) -> None:
    # given the prepared sheet and S001's item decided; when its status is read
    # then each item is a step of the leading group's, S002's the current one
    prepare(february)
    february.decide_head_liability(
        LEADER, FEBRUARY, STAFF, HeadReduction.NONE, "first offence", "LG-1", date(2025, 3, 4)
    )
    status = february.procedure_status(FEBRUARY)
    steps = {step.key: step for step in status.steps}
    assert steps[f"decide_head_liability:{STAFF}"].done
    assert steps[f"decide_head_liability:{STAFF}"].done_on == date(2025, 3, 4)
    pending = steps[f"decide_head_liability:{COLLEAGUE}"]
    assert (pending.done, pending.role, pending.scope) == (False, Role.LEADING_GROUP, COLLEAGUE)
    assert status.current == pending
    assert "1 head-liability decision(s)" in steps["approve_bonus_sheet"].missing[0]


def test_status_of_a_stale_sheet_asks_for_a_new_preparation(
    february: AssessmentLedger,
) -> None:
    # given a February deduction of C001 recorded after the sheet; when its status is read
    # then the preparation is to be done again, naming who changed
    prepare(february)
    record(
        february,
        "INC-AFTER",
        staff_number="C001",
        item_code="DSC-07",
        occurred_on=date(2025, 2, 25),
    )
    status = february.procedure_status(FEBRUARY)
    assert status.current is not None and status.current.key == "prepare_bonus_sheet"
    assert "C001" in status.current.missing[0]


def test_status_after_approval_every_step_is_done_and_nothing_is_due(
    february: AssessmentLedger,
) -> None:
    # given an approved sheet; when its status is read, then every step is done
    prepare(february)
    decide_both(february)
    february.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    status = february.procedure_status(FEBRUARY)
    assert status.decided and status.current is None
    # the Measures set no deadline for bonus sheets: none is invented
    assert all(step.due_on is None and not step.late for step in status.steps)
    assert status.lines()[0].endswith("decided")


def test_decide_period_of_a_month_without_a_sheet_is_refused_naming_the_preparation(
    february: AssessmentLedger,
) -> None:
    # given February's round open and no sheet
    # when the leading group decides the period through decide_period
    refusal = refused(
        february,
        lambda: february.decide_period(LEADER, FEBRUARY, "LG-2025-09", DECIDED_ON),
        rule="STEP_ORDER",
    )
    # then it is refused: the clerk prepares the sheet first
    assert "prepares it first" in str(refusal)


def test_decide_period_of_a_month_with_undecided_items_is_refused_d08(
    february: AssessmentLedger,
) -> None:
    # given the sheet prepared and its head-liability items undecided
    prepare(february)
    # when decide_period is asked for; then it is refused as the approval is (D-08)
    refusal = refused(
        february, lambda: february.decide_period(LEADER, FEBRUARY, "LG-2025-09", DECIDED_ON)
    )
    assert refusal.rule == "D-08" and STAFF in str(refusal)


def test_decide_period_of_a_month_approves_the_sheet(february: AssessmentLedger) -> None:
    # given the sheet prepared and both items decided
    prepare(february)
    decide_both(february)
    # when decide_period is used; then it is the sheet's approval, the period's decision
    february.decide_period(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    approval = february.bonus_sheet(FEBRUARY).approval
    assert approval is not None and approval.decision_ref == "LG-2025-11"
    decision = february.round(FEBRUARY).decision
    assert decision is not None and decision.decision_ref == "LG-2025-11"
    assert [s.key for s in february.procedure_status(FEBRUARY).steps][-1] == "approve_bonus_sheet"
