"""A small center for the annual assessment tests (R-12–R-19, R-25), on top of
`builders.seed_organisation`, and a walk through the 2025 assessment up to any step.

    B1: W01 (H001 head, S001, S004), W02 (H002 head, S002), OF1 (H003 head, C001, L001)

Categories: civil servants S001, S002, C001, L001, H001, H003 (6), reference-managed H002 (1),
public-institution S004 (1); `extra` more civil servants join W01 (E001…). L002 is the leader in
charge of every unit and, like L001, a leading-group member; H002 is B1's secretary; P001 sits
on the Party Working Committee; R001 is the higher authority. S003 is in no unit, so takes no
part. The assessment of 2025 runs in early 2026; the clock stands on 2026-03-10 and the 2026
calendar is loaded (Spring Festival 15-23 February, make-up Saturdays 14 and 28 February).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from builders import CLERK, LEADER, OFFICE, START, WINDOW, at, seed_organisation
from builders import OTHER_WINDOW as W02
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.demo import package_calendar
from ledger.policy import Grade
from ledger.values import OPERATOR, Actor, Role, StaffCategory

YEAR = 2025
W01, OF1 = WINDOW, OFFICE
HEAD_W01, HEAD_W02, HEAD_OF1 = "H001", "H002", "H003"
PI_STAFF = "S004"
"""The one public-institution participant (W01)."""

WINDOW_HEAD = Actor(HEAD_W01, Role.WINDOW_HEAD)
OTHER_WINDOW_HEAD = Actor(HEAD_W02, Role.WINDOW_HEAD)
OFFICE_HEAD = Actor(HEAD_OF1, Role.OFFICE_HEAD)
LEADER_IN_CHARGE = Actor("L002", Role.LEADER_IN_CHARGE)
LEADER_IN_CHARGE_AS_GROUP = Actor("L002", Role.LEADING_GROUP)
SECRETARY = Actor(HEAD_W02, Role.BRANCH_SECRETARY)
COMMITTEE = Actor("P001", Role.PARTY_WORKING_COMMITTEE)
AUTHORITY = Actor("R001", Role.HIGHER_AUTHORITY)

OPENED_ON = date(2025, 12, 22)
FORMS_ON = date(2026, 1, 5)
EVALUATED_ON = date(2026, 1, 7)
COUNTERSIGNED_ON = date(2026, 1, 8)
MUTUAL_ON = date(2026, 1, 9)
MEETING_ON = date(2026, 1, 13)
PRELIMINARY_ON = date(2026, 1, 15)
PUBLICITY_ON = date(2026, 2, 12)
PUBLICITY_DUE = date(2026, 2, 26)
"""Five working days after 12 February 2026: 13, 14 (make-up Saturday), then the Spring
Festival holiday 15-23, then 24, 25 and 26 February."""
APPROVED_ON = date(2026, 2, 27)
DECIDED_ON = date(2026, 3, 2)
NOTIFIED_ON = date(2026, 3, 3)
SIGNED_ON = date(2026, 3, 4)
FILED_ON = date(2026, 3, 5)
RECEIPT_ON = date(2026, 3, 6)
TODAY_2026 = date(2026, 3, 10)

FILING_REFERENCE = "checkpoint 120/3q2b…; sha256 9f1c…"

STEPS = (
    "forms",
    "evaluations",
    "countersignatures",
    "mutual_forms",
    "recommendations",
    "meeting",
    "preliminary",
    "windows",
    "publicity",
    "approval",
    "decision",
    "notification",
    "signature",
    "home_unit",
    "higher_authority",
    "receipt",
)
"""The walk's steps, in the order of the procedure."""


def staff(number: str) -> Actor:
    """A staff member acting over their own records."""
    return Actor(number, Role.STAFF)


def seed_annual_center(ledger: AssessmentLedger, clock: SettableClock, *, extra: int = 0) -> None:
    """The center above, the 2026 calendar, the clock on 2026-03-10 and the 2025 round open."""
    seed_organisation(ledger)
    for number, category, home in (
        (HEAD_W01, StaffCategory.CIVIL_SERVANT, "Tax bureau"),
        (HEAD_W02, StaffCategory.REFERENCE_MANAGED, "Land bureau"),
        (HEAD_OF1, StaffCategory.CIVIL_SERVANT, "Center"),
        (PI_STAFF, StaffCategory.PUBLIC_INSTITUTION, "Tax bureau"),
        ("L002", StaffCategory.CIVIL_SERVANT, "Center"),
        ("P001", StaffCategory.CIVIL_SERVANT, "Center"),
        ("R001", StaffCategory.CIVIL_SERVANT, "Higher authority"),
        *((f"E{n:03d}", StaffCategory.CIVIL_SERVANT, "Tax bureau") for n in range(1, extra + 1)),
    ):
        ledger.register_staff(OPERATOR, number, f"name of {number}", category, home, START)
    for number, unit in (
        (HEAD_W01, W01),
        (HEAD_W02, W02),
        (HEAD_OF1, OF1),
        (PI_STAFF, W01),
        *((f"E{n:03d}", W01) for n in range(1, extra + 1)),
    ):
        ledger.assign_staff(OPERATOR, number, unit, START)
    for unit, head in ((W01, HEAD_W01), (W02, HEAD_W02), (OF1, HEAD_OF1)):
        ledger.appoint_head(OPERATOR, unit, head, START)
        ledger.appoint_leader_in_charge(OPERATOR, unit, "L002", START)
    ledger.appoint_leading_group_member(OPERATOR, "L002", START)
    ledger.appoint_branch_secretary(OPERATOR, "B1", HEAD_W02, START)
    ledger.appoint_committee_member(OPERATOR, "P001", START)
    ledger.grant_role(OPERATOR, "R001", Role.HIGHER_AUTHORITY, START)
    clock.set(at(TODAY_2026))
    statutory = package_calendar(2026)
    ledger.load_calendar_year(
        OPERATOR, 2026, statutory.holidays, statutory.makeup_workdays, statutory.source
    )
    ledger.open_round(CLERK, str(YEAR), OPENED_ON)


def proposed_grades(ledger: AssessmentLedger) -> dict[str, Grade]:
    """The heads' proposals: S001 excellent, everybody else the second grade of their scheme."""
    return {
        number: Grade.EXCELLENT
        if number == "S001"
        else Grade.QUALIFIED
        if participant.category is StaffCategory.PUBLIC_INSTITUTION
        else Grade.COMPETENT
        for number, participant in ledger.year_roster(YEAR).participants.items()
    }


def evaluator(ledger: AssessmentLedger, number: str) -> Actor:
    """Who evaluates a participant: the unit's head, or L002 for a head (D-17)."""
    roster = ledger.year_roster(YEAR)
    role = roster.evaluator_role(number)
    if role is Role.LEADER_IN_CHARGE:
        return LEADER_IN_CHARGE
    unit = roster.unit_of(number)
    head = unit.head_on(EVALUATED_ON)
    assert head is not None
    return Actor(head, role)


def countersigner(ledger: AssessmentLedger, number: str) -> Actor:
    """Who countersigns the proposal about a participant (R-14; D-17 for office heads)."""
    role, _ = ledger.year_roster(YEAR).countersigner(number)
    return {
        Role.SUPERVISION_CLERK: CLERK,
        Role.LEADER_IN_CHARGE: LEADER_IN_CHARGE,
        Role.LEADING_GROUP: LEADER,
    }[role]


def ratings(ledger: AssessmentLedger, rater: str) -> dict[str, Grade]:
    """A mutual-evaluation form rating every other participant with their second grade."""
    return {
        number: grade if grade is not Grade.EXCELLENT else Grade.COMPETENT
        for number, grade in proposed_grades(ledger).items()
        if number != rater
    }


def walk(
    ledger: AssessmentLedger,
    until: str = STEPS[-1],
    *,
    grades: Mapping[str, Grade] | None = None,
    recommended_staff: tuple[str, ...] = ("S001",),
    recommended_windows: tuple[str, ...] = (W01,),
    excellent_windows: tuple[str, ...] = (W01,),
) -> None:
    """Run the 2025 assessment in order, up to and including the step `until`."""
    steps = STEPS[: STEPS.index(until) + 1]
    participants = tuple(ledger.year_roster(YEAR).participants)
    if "forms" in steps:
        for number in participants:
            ledger.submit_self_summary(staff(number), YEAR, f"summary of {number}", FORMS_ON)
            category = ledger.staff(number).category
            ledger.submit_registration_form(staff(number), YEAR, category, FORMS_ON)
    proposals = proposed_grades(ledger)
    if "evaluations" in steps:
        for number in participants:
            actor = evaluator(ledger, number)
            ledger.evaluate(actor, YEAR, number, "does the job", proposals[number], EVALUATED_ON)
    if "countersignatures" in steps:
        for number in participants:
            ledger.countersign(countersigner(ledger, number), YEAR, number, COUNTERSIGNED_ON)
    if "mutual_forms" in steps:
        for number in participants:
            ledger.submit_mutual_evaluation_form(
                staff(number), YEAR, ratings(ledger, number), MUTUAL_ON
            )
    if "recommendations" in steps:
        for unit, head in ((W01, WINDOW_HEAD), (W02, OTHER_WINDOW_HEAD), (OF1, OFFICE_HEAD)):
            chosen = tuple(n for n in recommended_staff if n in ("S001", PI_STAFF, HEAD_W01))
            ledger.submit_recommendation_form(
                head, YEAR, unit, chosen if unit == W01 else (), MUTUAL_ON
            )
    if "meeting" in steps:
        ledger.hold_joint_branch_meeting(
            SECRETARY, YEAR, "B1", recommended_staff, recommended_windows, MEETING_ON
        )
    if "preliminary" in steps:
        ledger.fix_preliminary_grades(
            LEADER, YEAR, dict(grades) if grades is not None else proposals, PRELIMINARY_ON
        )
    if "windows" in steps:
        ledger.decide_annual_excellent_windows(LEADER, YEAR, excellent_windows, PRELIMINARY_ON)
    if "publicity" in steps:
        ledger.start_publicity(CLERK, YEAR, PUBLICITY_ON)
    if "approval" in steps:
        ledger.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON)
    if "decision" in steps:
        ledger.decide_year_results(LEADER, YEAR, "LG-2026-03", DECIDED_ON)
    if "notification" in steps:
        for number in participants:
            ledger.notify_result(CLERK, YEAR, number, NOTIFIED_ON)
    if "signature" in steps:
        for number in participants:
            ledger.sign_result(staff(number), YEAR, "I agree", True, SIGNED_ON)
    if "home_unit" in steps:
        for number in participants:
            home = ledger.staff(number).home_unit
            ledger.file_with_home_unit(CLERK, YEAR, number, home, f"HU-{number}", FILED_ON)
    if "higher_authority" in steps:
        ledger.file_with_higher_authority(CLERK, YEAR, FILING_REFERENCE, FILED_ON)
    if "receipt" in steps:
        ledger.record_filing_receipt(AUTHORITY, YEAR, FILING_REFERENCE, RECEIPT_ON)
