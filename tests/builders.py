"""Seeding helpers for the behavioural tests: a minimal organisation, and a realistic command
sequence that produces every kind of event the records know.

Dates are in 2025 and the commands are issued on the `clock` fixture's day (2025-03-10) unless a
helper sets the clock itself, so every test can reason about "today" and "the future".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from ledger.aggregates.bonus_sheet import HeadReduction
from ledger.aggregates.calendar_year import CalendarYear
from ledger.aggregates.catalogue import CatalogueItem
from ledger.aggregates.grade_challenge import ChallengeStage, GradeChallenge
from ledger.aggregates.quarterly_evaluation import BallotMode
from ledger.aggregates.staff import ObjectionOutcome
from ledger.application import AssessmentLedger, Outcome
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.errors import LedgerError, RuleViolation
from ledger.policy.grades import Grade, grade_scheme
from ledger.settings import Settings
from ledger.values import (
    OPERATOR,
    Actor,
    AppliesTo,
    CatalogueUnit,
    DeductionSource,
    LateEntryResolution,
    Period,
    Role,
    StaffCategory,
    UnitKind,
    VetoCase,
)

START = date(2025, 1, 1)
"""The organisation exists, and everybody holds their role, from this day."""

TODAY = date(2025, 3, 10)
"""The `clock` fixture's day at the center."""

BRANCH = "B1"
WINDOW = "W01"
OTHER_WINDOW = "W02"
OFFICE = "OF1"

STAFF = "S001"
"""A window clerk at W01 from START."""
COLLEAGUE = "S002"
"""A window clerk at W02 from START."""
UNASSIGNED = "S003"
"""Registered, assigned nowhere."""

CLERK = Actor("C001", Role.SUPERVISION_CLERK)
LEADER = Actor("L001", Role.LEADING_GROUP)
"""A leading-group member acting in that role."""
LEADER_AS_CLERK = Actor("L001", Role.SUPERVISION_CLERK)
"""The same person claiming a role nobody granted them."""

SOURCE = DeductionSource.SUPERVISION_INSPECTION


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    """A moment of a day at the center."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTER_TIMEZONE)


def seed_organisation(ledger: AssessmentLedger) -> None:
    """Catalogue, one party branch, two windows and an office, three staff (two assigned), a
    supervision clerk granted from START and a leading-group member appointed from START."""
    ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "initial catalogue")
    ledger.form_party_branch(OPERATOR, BRANCH, "First branch", START)
    ledger.open_unit(OPERATOR, WINDOW, "Tax", UnitKind.WINDOW, "Tax bureau", BRANCH, START)
    ledger.open_unit(OPERATOR, OTHER_WINDOW, "Land", UnitKind.WINDOW, "Land bureau", BRANCH, START)
    ledger.open_unit(OPERATOR, OFFICE, "Supervision", UnitKind.OFFICE, "Center", BRANCH, START)
    for number, name, home in (
        (STAFF, "张三", "Tax bureau"),
        (COLLEAGUE, "李四", "Land bureau"),
        (UNASSIGNED, "王五", "Tax bureau"),
        (CLERK.person_id, "赵六", "Center"),
        (LEADER.person_id, "钱七", "Center"),
    ):
        ledger.register_staff(OPERATOR, number, name, StaffCategory.CIVIL_SERVANT, home, START)
    ledger.assign_staff(OPERATOR, STAFF, WINDOW, START)
    ledger.assign_staff(OPERATOR, COLLEAGUE, OTHER_WINDOW, START)
    ledger.assign_staff(OPERATOR, CLERK.person_id, OFFICE, START)
    ledger.assign_staff(OPERATOR, LEADER.person_id, OFFICE, START)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, START)
    ledger.appoint_leading_group_member(OPERATOR, LEADER.person_id, START)


def record(
    ledger: AssessmentLedger,
    incident_ref: str,
    *,
    actor: Actor = CLERK,
    staff_number: str = STAFF,
    item_code: str = "ATT-01",
    occurred_on: date = date(2025, 3, 3),
    **options: object,
) -> Outcome:
    """Record a deduction with defaults for everything the test does not care about."""
    return ledger.record_deduction(
        actor,
        staff_number,
        item_code,
        occurred_on,
        incident_ref,
        f"evidence of {incident_ref}",
        SOURCE,
        **options,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Names:
    """The free text a scenario writes into its events (Hypothesis varies it)."""

    staff_name: str = '张三 "Zhang" \\ San'
    unit_name: str = "税务窗口\t(Tax)"
    branch_name: str = "第一党支部"
    department: str = "税务局"
    reason: str = "复核后更正 — corrected after review"
    evidence_ref: str = "photo://2025/03/03/①.jpg"
    incident_ref: str = "INC-2025-0001"
    item_name: str = "试用条目 «trial»"
    policy_version: str = "measures-2009"
    policy_parameters: dict[str, str] = field(
        default_factory=lambda: {"month_bonus_halved_at": "3", "备注": "扣满即"}
    )


def full_scenario(ledger: AssessmentLedger, clock: SettableClock, names: Names = Names()) -> None:
    """A realistic sequence of commands that produces every event class of every record."""
    clock.set(at(date(2025, 1, 2), 8, 45))
    ledger.load_calendar_year(
        OPERATOR,
        2025,
        holidays=[date(2025, 1, 1), date(2025, 1, 28), date(2025, 1, 29)],
        makeup_workdays=[date(2025, 1, 26), date(2025, 2, 8)],
        source="State Council notice 2024-11",
    )
    ledger.adopt_policy(OPERATOR, names.policy_version, date(2009, 2, 1), names.policy_parameters)
    trial_item = CatalogueItem(
        "TRY-01",
        names.item_name,
        names.item_name,
        Decimal("1.5"),
        CatalogueUnit.HALF_DAY,
        AppliesTo.PERSON,
        names.reason,
    )
    ledger.publish_catalogue(
        OPERATOR, [*shipped_catalogue(), trial_item], date(2009, 2, 1), names.reason
    )
    ledger.form_party_branch(OPERATOR, BRANCH, names.branch_name, START)
    ledger.open_unit(
        OPERATOR, WINDOW, names.unit_name, UnitKind.WINDOW, names.department, BRANCH, START
    )
    ledger.open_unit(
        OPERATOR, OTHER_WINDOW, "Land", UnitKind.WINDOW, names.department, BRANCH, START
    )
    ledger.open_unit(OPERATOR, OFFICE, "Supervision", UnitKind.OFFICE, "Center", BRANCH, START)
    people = [
        (STAFF, StaffCategory.CIVIL_SERVANT),
        (COLLEAGUE, StaffCategory.REFERENCE_MANAGED),
        ("H001", StaffCategory.PUBLIC_INSTITUTION),
        (CLERK.person_id, StaffCategory.CIVIL_SERVANT),
        (LEADER.person_id, StaffCategory.CIVIL_SERVANT),
        ("L002", StaffCategory.CIVIL_SERVANT),
        ("P001", StaffCategory.CIVIL_SERVANT),
        ("R001", StaffCategory.CIVIL_SERVANT),
    ]
    for number, category in people:
        ledger.register_staff(OPERATOR, number, names.staff_name, category, names.department, START)
    ledger.assign_staff(OPERATOR, STAFF, WINDOW, START)
    ledger.assign_staff(OPERATOR, COLLEAGUE, OTHER_WINDOW, START)
    ledger.assign_staff(OPERATOR, "H001", WINDOW, START)
    ledger.appoint_head(OPERATOR, WINDOW, "H001", START)
    ledger.appoint_leader_in_charge(OPERATOR, WINDOW, LEADER.person_id, START)
    ledger.appoint_head(OPERATOR, OTHER_WINDOW, "H001", START)
    ledger.appoint_branch_secretary(OPERATOR, BRANCH, "H001", START)
    ledger.appoint_leading_group_member(OPERATOR, LEADER.person_id, START)
    ledger.appoint_leading_group_member(OPERATOR, "L002", START)
    ledger.appoint_committee_member(OPERATOR, "P001", START)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, START)
    ledger.grant_role(OPERATOR, "R001", Role.HIGHER_AUTHORITY, START)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.FUNCTIONAL_OFFICE, START, scope=OFFICE)
    ledger.assign_appeal_case(OPERATOR, "CASE-1", STAFF, "R001", START)

    clock.set(at(date(2025, 3, 10), 10, 15))
    ledger.end_head_term(OPERATOR, OTHER_WINDOW, date(2025, 2, 3))
    ledger.end_leading_group_membership(OPERATOR, "L002", date(2025, 3, 1))
    ledger.end_committee_membership(OPERATOR, "P001", date(2025, 3, 1))
    ledger.revoke_role(OPERATOR, "R001", Role.HIGHER_AUTHORITY, date(2025, 3, 1))
    changed = CatalogueItem(
        "ATT-01",
        "迟到、早退",
        "late arrival",
        Decimal("1"),
        CatalogueUnit.INCIDENT,
        AppliesTo.PERSON,
        names.reason,
    )
    ledger.publish_catalogue(OPERATOR, [changed], date(2025, 3, 1), names.reason)

    absence = ledger.record_deduction(
        CLERK,
        STAFF,
        "ATT-05",
        date(2025, 2, 10),
        names.incident_ref,
        names.evidence_ref,
        SOURCE,
        quantity=3,
    )
    assert absence.number is not None
    ledger.open_round(CLERK, "2025-02", date(2025, 3, 3))
    ledger.prepare_bonus_sheet(CLERK, "2025-02", date(2025, 3, 5))
    ledger.notify_deduction(CLERK, STAFF, absence.number, date(2025, 3, 10))
    ledger.amend_deduction(
        CLERK, STAFF, absence.number, date(2025, 3, 10), names.reason, quantity=2
    )
    ledger.notify_amendment(CLERK, STAFF, absence.number, date(2025, 3, 10))
    objection = ledger.raise_objection(
        Actor(STAFF, Role.STAFF), STAFF, absence.number, names.reason, date(2025, 3, 10)
    )
    assert objection.number is not None
    ledger.decide_objection(
        LEADER,
        STAFF,
        objection.number,
        ObjectionOutcome.UPHELD,
        names.reason,
        "LG-2025-06",
        date(2025, 3, 10),
    )
    ledger.record_deduction(
        LEADER,
        COLLEAGUE,
        "TRY-01",
        date(2025, 2, 10),
        names.incident_ref,
        names.evidence_ref,
        DeductionSource.COMPLAINT,
        quantity=2,
        points="2.5",
        override_reason=names.reason,
        decision_ref="LG-2025-07",
    )
    wrong = ledger.record_deduction(
        CLERK, STAFF, "ATT-02", date(2025, 3, 4), "INC-2", names.evidence_ref, SOURCE
    )
    assert wrong.number is not None
    ledger.revoke_deduction(CLERK, STAFF, wrong.number, date(2025, 3, 10), names.reason)

    window = ledger.record_window_deduction(
        CLERK, WINDOW, "ATT-07", date(2025, 3, 5), "INC-3", names.evidence_ref, SOURCE
    )
    assert window.number is not None
    ledger.amend_window_deduction(
        LEADER,
        WINDOW,
        window.number,
        date(2025, 3, 10),
        names.reason,
        points="3.0",
        decision_ref="LG-2025-08",
    )
    ledger.revoke_window_deduction(CLERK, WINDOW, window.number, date(2025, 3, 10), names.reason)

    veto = ledger.record_veto_case(
        CLERK,
        COLLEAGUE,
        VetoCase.V6,
        date(2025, 3, 6),
        "INC-4",
        names.evidence_ref,
        "verified with the complainant",
        DeductionSource.COMPLAINT,
    )
    assert veto.number is not None
    ledger.notify_veto_case(CLERK, COLLEAGUE, veto.number, date(2025, 3, 10))
    ledger.revoke_veto_case(CLERK, COLLEAGUE, veto.number, date(2025, 3, 10), names.reason)

    prepare_sheet(ledger, "2025-02", date(2025, 3, 7))  # prepared again, items decided
    ledger.decide_period(LEADER, "2025-02", "LG-2025-09", date(2025, 3, 7))
    late = ledger.record_deduction(
        CLERK, STAFF, "ATT-03", date(2025, 2, 20), "INC-5", names.evidence_ref, SOURCE
    )
    assert late.number is not None
    ledger.resolve_late_entry(
        LEADER,
        "2025-02",
        ledger.staff_stream(STAFF),
        late.number,
        LateEntryResolution.NO_CHANGE,
        names.reason,
        date(2025, 3, 10),
    )

    clock.set(at(date(2025, 3, 11), 16, 5))
    ledger.transfer_staff(OPERATOR, COLLEAGUE, WINDOW, date(2025, 3, 11))
    ledger.release_staff(OPERATOR, STAFF, date(2025, 3, 11))
    _scenario_quarters(ledger, clock, names)
    _scenario_year(ledger, clock, names)
    _scenario_reopenings(ledger, names)


HEAD = Actor("H001", Role.WINDOW_HEAD)
SECRETARY = Actor("H001", Role.BRANCH_SECRETARY)


def _scenario_quarters(ledger: AssessmentLedger, clock: SettableClock, names: Names) -> None:
    """The first quarter evaluated with open ballots and decided (S002 excellent individual);
    the second's mutual evaluation with one unlinkable ballot, tallied into its ballot box."""
    clock.set(at(date(2025, 7, 8), 11, 0))
    office = Actor(CLERK.person_id, Role.FUNCTIONAL_OFFICE)
    for quarter, first in (("2025-Q1", date(2025, 4, 1)), ("2025-Q2", date(2025, 7, 1))):
        ledger.open_round(CLERK, quarter, first)
        ledger.submit_opinion(office, quarter, COLLEAGUE, names.reason, first)
        ledger.compile_opinions(CLERK, quarter, first + timedelta(days=1))
    voting = date(2025, 4, 3)
    ledger.open_mutual_evaluation(SECRETARY, "2025-Q1", BRANCH, BallotMode.OPEN, voting)
    for voter in ("H001", COLLEAGUE):
        ballot = {OTHER_WINDOW: "good"}
        ledger.cast_ballot(Actor(voter, Role.STAFF), "2025-Q1", BRANCH, ballot, voting)
    ledger.tally_mutual_evaluation(SECRETARY, "2025-Q1", BRANCH, voting)
    ledger.recommend(SECRETARY, "2025-Q1", BRANCH, (COLLEAGUE,), (), voting)
    ledger.examine_recommendations(LEADER, "2025-Q1", (COLLEAGUE,), (), date(2025, 4, 7))
    ledger.decide_period(LEADER, "2025-Q1", "LG-2025-14", date(2025, 4, 8))
    voting = date(2025, 7, 3)
    ledger.open_mutual_evaluation(SECRETARY, "2025-Q2", BRANCH, BallotMode.UNLINKABLE, voting)
    ballot = {OTHER_WINDOW: "excellent"}
    ledger.cast_ballot(Actor(COLLEAGUE, Role.STAFF), "2025-Q2", BRANCH, ballot, voting)
    ledger.tally_mutual_evaluation(SECRETARY, "2025-Q2", BRANCH, voting)


def _scenario_year(ledger: AssessmentLedger, clock: SettableClock, names: Names) -> None:
    """The 2025 annual assessment of W01's three participants (S001 released in March, S002
    transferred in, H001 its head) through the filings: S002 proposed excellent, objected to in
    publicity and kept; S001 graded incompetent, who asks for a review and appeals."""
    clock.set(at(date(2026, 3, 10), 9, 0))
    ledger.load_calendar_year(
        OPERATOR,
        2026,
        holidays=[date(2026, 1, 1), date(2026, 2, 17), date(2026, 2, 18)],
        makeup_workdays=[date(2026, 2, 14)],
        source="State Council notice 2025-11",
    )
    day = date(2026, 1, 2)
    ledger.appoint_committee_member(OPERATOR, "P001", day)
    ledger.grant_role(OPERATOR, "R001", Role.HIGHER_AUTHORITY, day)
    year = 2025
    ledger.open_round(CLERK, str(year), date(2026, 1, 5))
    grades = {STAFF: Grade.INCOMPETENT, COLLEAGUE: Grade.EXCELLENT, "H001": Grade.QUALIFIED}
    for number in grades:
        me = Actor(number, Role.STAFF)
        ledger.submit_self_summary(me, year, names.reason, date(2026, 1, 5))
        category = ledger.staff(number).category
        ledger.submit_registration_form(me, year, category, date(2026, 1, 5))
    for number in (STAFF, COLLEAGUE):
        ledger.evaluate(HEAD, year, number, names.reason, grades[number], date(2026, 1, 6))
    in_charge = Actor(LEADER.person_id, Role.LEADER_IN_CHARGE)
    ledger.evaluate(in_charge, year, "H001", names.reason, Grade.QUALIFIED, date(2026, 1, 6))
    for number in grades:
        ledger.countersign(CLERK, year, number, date(2026, 1, 7))
    for number in grades:
        ratings = {
            other: default_grade(ledger.staff(other).category, year)
            for other in grades
            if other != number
        }
        ledger.submit_mutual_evaluation_form(
            Actor(number, Role.STAFF), year, ratings, date(2026, 1, 8)
        )
    ledger.submit_recommendation_form(HEAD, year, WINDOW, (COLLEAGUE,), date(2026, 1, 8))
    ledger.hold_joint_branch_meeting(SECRETARY, year, BRANCH, (COLLEAGUE,), (), date(2026, 1, 9))
    ledger.fix_preliminary_grades(LEADER, year, grades, date(2026, 1, 12))
    ledger.decide_annual_excellent_windows(LEADER, year, (), date(2026, 1, 12))
    ledger.start_publicity(CLERK, year, date(2026, 1, 12))
    objected = ledger.raise_publicity_objection(
        Actor(STAFF, Role.STAFF), year, COLLEAGUE, names.reason, date(2026, 1, 13)
    )
    assert objected.number is not None
    ledger.resolve_publicity_objection(
        LEADER, year, objected.number, "dismissed", names.reason, date(2026, 1, 14)
    )
    ledger.approve_excellent_list(
        Actor("P001", Role.PARTY_WORKING_COMMITTEE), year, date(2026, 1, 20)
    )
    ledger.decide_period(LEADER, str(year), "LG-2026-03", date(2026, 1, 21))
    for number in grades:
        ledger.notify_result(CLERK, year, number, date(2026, 1, 22))
        ledger.sign_result(
            Actor(number, Role.STAFF), year, names.reason, number != STAFF, date(2026, 1, 23)
        )
        home = ledger.staff(number).home_unit
        ledger.file_with_home_unit(CLERK, year, number, home, f"HU-{number}", date(2026, 1, 26))
    ledger.file_with_higher_authority(
        CLERK, year, f"filing {names.incident_ref}", date(2026, 1, 26)
    )
    ledger.record_filing_receipt(
        Actor("R001", Role.HIGHER_AUTHORITY),
        year,
        f"filing {names.incident_ref}",
        date(2026, 1, 27),
    )
    for stage in (ChallengeStage.REVIEW, ChallengeStage.APPEAL):
        case = GradeChallenge.case_id(STAFF, year, stage)
        ledger.assign_appeal_case(OPERATOR, case, STAFF, "R001", date(2026, 1, 22))
    me, reviewer = Actor(STAFF, Role.STAFF), Actor("R001", Role.APPEAL_REVIEWER)
    ledger.request_review(me, STAFF, year, date(2026, 2, 2))
    ledger.decide_review(reviewer, STAFF, year, "RV-2026-01", names.reason, date(2026, 2, 10))
    ledger.lodge_appeal(me, STAFF, year, date(2026, 2, 12))
    ledger.extend_appeal(reviewer, STAFF, year, names.reason, date(2026, 2, 20))
    ledger.decide_appeal(
        reviewer,
        STAFF,
        year,
        "AP-2026-01",
        names.reason,
        date(2026, 3, 2),
        grade=Grade.BASICALLY_COMPETENT,
    )


def reopen_for_late_veto(
    ledger: AssessmentLedger, period: str, staff_number: str, occurred_on: date, on: date
) -> int:
    """Record a veto case (V6) of the person on `occurred_on`, after `period` was decided, and
    the leading group's reopening of the period for it on `on` (D-13); the veto's number."""
    veto = ledger.record_veto_case(
        CLERK,
        staff_number,
        VetoCase.V6,
        occurred_on,
        f"INC-VETO-{period}",
        "complaint file",
        "verified with the complainant",
        SOURCE,
    )
    assert veto.number is not None
    ledger.resolve_late_entry(
        LEADER,
        period,
        ledger.staff_stream(staff_number),
        veto.number,
        LateEntryResolution.REOPEN,
        "the decision cannot stand",
        on,
    )
    return veto.number


def _scenario_reopenings(ledger: AssessmentLedger, names: Names) -> None:
    """A March 2025 deduction of S002 recorded after Q1 and the year were decided: both
    reopened for it (D-13), Q1's results amended (no title), the year's results amended (the
    grades as they were) and filed with the higher authority again."""
    late = ledger.record_deduction(
        CLERK, COLLEAGUE, "ATT-01", date(2025, 3, 20), "INC-LATE-Q1", names.evidence_ref, SOURCE
    )
    assert late.number is not None
    day = date(2026, 3, 10)
    for period in ("2025-Q1", "2025"):
        ledger.resolve_late_entry(
            LEADER,
            period,
            ledger.staff_stream(COLLEAGUE),
            late.number,
            LateEntryResolution.REOPEN,
            names.reason,
            day,
        )
    ledger.amend_quarter_results(LEADER, "2025-Q1", (), (), "LG-2026-08", day)
    ledger.amend_year_results(LEADER, 2025, {}, None, "LG-2026-09", day)
    ledger.file_with_higher_authority(CLERK, 2025, f"amended filing {names.incident_ref}", day)


# The procedures with defaults, for tests that need a period decided (`decide_period` runs
# only a procedure's last step: these run the steps before it)


def holder(ledger: AssessmentLedger, role: Role, on: date, scope: str | None = "") -> str:
    """Who held an organisation role (with its scope; any scope when None) on a day."""
    organisation = ledger.organisation()
    assert organisation is not None, "no organisation recorded"
    for (person, held, where), tenures in sorted(organisation.holdings.items()):
        if held is role and scope in (None, where) and any(t.covers(on) for t in tenures):
            return person
    raise AssertionError(f"nobody held {role.value} {scope or ''} on {on}")


def prepare_sheet(
    ledger: AssessmentLedger,
    period_key: str,
    on: date,
    *,
    clerk: Actor = CLERK,
    leader: Actor = LEADER,
    reduction: HeadReduction = HeadReduction.NONE,
) -> None:
    """The clerk prepares the month's or half-year's bonus sheet on `on`, and the leading group
    decides each head-liability item on it (R-30, D-08): the sheet awaits its approval."""
    ledger.prepare_bonus_sheet(clerk, period_key, on)
    for item in ledger.bonus_sheet(period_key).undecided:
        ledger.decide_head_liability(
            leader, period_key, item.staff_number, reduction, "the head's share", "LG-HL", on
        )


def _members_on(ledger: AssessmentLedger, on: date) -> dict[str, str]:
    """Each staff member assigned to a unit on a day, with the unit."""
    with ledger.policy_state() as state:
        numbers = sorted(state.staff)
    members = {}
    for number in numbers:
        unit = ledger.staff(number).unit_on(on)
        if unit is not None:
            members[number] = unit
    return members


def examine_quarter(
    ledger: AssessmentLedger,
    quarter: str,
    on: date,
    *,
    mode: BallotMode = BallotMode.OPEN,
    recommended: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
    leader: Actor = LEADER,
) -> None:
    """The quarter's evaluation up to the preliminary examination, every step on `on` (after
    the quarter): a functional office's opinion, the compilation (R-08, R-09), each branch with
    windows evaluating them with every member's ballot (all `good`), tallied (R-10), its
    recommendations (`recommended[branch]`: individuals and windows; none by default), all
    accepted by the leading group: the results await their decision (R-11)."""
    period = Period.parse(quarter)
    office = holder(ledger, Role.FUNCTIONAL_OFFICE, on, scope=None)
    members = _members_on(ledger, on)
    ledger.submit_opinion(
        Actor(office, Role.FUNCTIONAL_OFFICE), quarter, min(members), "diligent", on
    )
    ledger.compile_opinions(CLERK, quarter, on)
    units = {code: ledger.unit(code) for code in sorted(set(members.values()))}
    with ledger.policy_state() as state:
        windows = sorted(
            code
            for code, unit in state.units.items()
            if unit.kind is UnitKind.WINDOW and unit.opened_on <= period.last_day
        )
    branches = sorted({ledger.unit(code).party_branch for code in windows})
    chosen = recommended or {}
    accepted: tuple[list[str], list[str]] = ([], [])
    for branch in branches:
        secretary = Actor(
            holder(ledger, Role.BRANCH_SECRETARY, on, scope=branch), Role.BRANCH_SECRETARY
        )
        ledger.open_mutual_evaluation(secretary, quarter, branch, mode, on)
        evaluated = ledger.quarterly_evaluation(quarter).evaluations[branch].windows
        for number, code in members.items():
            if units[code].party_branch != branch:
                continue
            ratings = {window: "good" for window in evaluated if window != code}
            ledger.cast_ballot(Actor(number, Role.STAFF), quarter, branch, ratings, on)
        ledger.tally_mutual_evaluation(secretary, quarter, branch, on)
        individuals, units_chosen = chosen.get(branch, ((), ()))
        ledger.recommend(secretary, quarter, branch, individuals, units_chosen, on)
        accepted[0].extend(individuals)
        accepted[1].extend(units_chosen)
    ledger.examine_recommendations(leader, quarter, accepted[0], accepted[1], on)


def default_grade(category: StaffCategory, year: int) -> Grade:
    """The second grade of the category's scheme (competent, qualified)."""
    return grade_scheme(category, year).grades[1]


def evaluate_year(
    ledger: AssessmentLedger,
    year: int,
    on: date,
    *,
    grades: Mapping[str, Grade] | None = None,
    excellent_windows: Sequence[str] = (),
    leader: Actor = LEADER,
) -> dict[str, Grade]:
    """The year's annual assessment up to the joint branch meetings, every step on `on`: each
    participant's self-summary and registration form (R-12), the evaluations by the heads or
    their leaders in charge proposing `grades` (by default the second grade of each scheme;
    R-13, D-17), the countersignatures (R-14), the mutual-evaluation and recommendation forms
    (R-15) and the meetings recommending the excellent staff and `excellent_windows` (R-16).
    Returns the proposed grades of every participant."""
    roster = ledger.year_roster(year)
    participants = roster.participants
    chosen = {number: default_grade(p.category, year) for number, p in participants.items()} | dict(
        grades or {}
    )
    excellent = {n for n, g in chosen.items() if g is Grade.EXCELLENT}
    for number, participant in participants.items():
        me = Actor(number, Role.STAFF)
        ledger.submit_self_summary(me, year, f"the year of {number}", on)
        ledger.submit_registration_form(me, year, participant.category, on)
    for number in participants:
        unit = roster.unit_of(number)
        role = roster.evaluator_role(number)
        person = unit.leader_in_charge_on(on) if role is Role.LEADER_IN_CHARGE else unit.head_on(on)
        assert person is not None, f"nobody evaluates {number}"
        ledger.evaluate(Actor(person, role), year, number, "did the job", chosen[number], on)
    for number in participants:
        role, unit_code = roster.countersigner(number)
        signer = {
            Role.SUPERVISION_CLERK: CLERK.person_id,
            Role.LEADING_GROUP: leader.person_id,
        }.get(role)
        if role is Role.LEADER_IN_CHARGE:
            signer = ledger.unit(unit_code).leader_in_charge_on(on)
        assert signer is not None
        ledger.countersign(Actor(signer, role), year, number, on)
    for number in participants:
        colleagues = set(roster.branch_members(roster.branch_of(number))) - {number}
        ratings = {n: default_grade(participants[n].category, year) for n in sorted(colleagues)}
        ledger.submit_mutual_evaluation_form(Actor(number, Role.STAFF), year, ratings, on)
    for code, unit in roster.units.items():
        head = unit.head_on(on)
        assert head is not None, f"{code} has no head"
        mine = sorted(n for n in excellent if participants[n].unit_code == code)
        ledger.submit_recommendation_form(Actor(head, unit.head_role), year, code, mine, on)
    for branch in roster.branches:
        secretary = Actor(holder(ledger, Role.BRANCH_SECRETARY, on, branch), Role.BRANCH_SECRETARY)
        staff = sorted(n for n in excellent if roster.branch_of(n) == branch)
        windows = [w for w in excellent_windows if ledger.unit(w).party_branch == branch]
        ledger.hold_joint_branch_meeting(secretary, year, branch, staff, windows, on)
    return chosen


def approve_year(
    ledger: AssessmentLedger,
    year: int,
    on: date,
    approve_on: date,
    *,
    grades: Mapping[str, Grade] | None = None,
    excellent_windows: Sequence[str] = (),
    leader: Actor = LEADER,
) -> None:
    """The year's annual assessment up to the Party Working Committee's approval: every step of
    `evaluate_year` on `on`, then the preliminary grades, the excellent windows and the start of
    publicity (R-17, R-18) on `on` too, and the approval on `approve_on`, after publicity
    (D-22): the results await their decision (R-19)."""
    chosen = evaluate_year(
        ledger, year, on, grades=grades, excellent_windows=excellent_windows, leader=leader
    )
    ledger.fix_preliminary_grades(leader, year, chosen, on)
    ledger.decide_annual_excellent_windows(leader, year, excellent_windows, on)
    ledger.start_publicity(CLERK, year, on)
    committee = holder(ledger, Role.PARTY_WORKING_COMMITTEE, approve_on)
    ledger.approve_excellent_list(Actor(committee, Role.PARTY_WORKING_COMMITTEE), year, approve_on)


def ready_for_the_year(ledger: AssessmentLedger, year: int = 2025) -> None:
    """What `seed_organisation` leaves out of an annual assessment: a head (not a member) for
    each unit without one and a leader in charge (L900) for each unit without one, a branch
    secretary for each branch without one, a Party Working Committee member (P900), and the
    statutory calendar of the year after, for the publicity's working days."""
    from ledger.demo import package_calendar  # the demo module is large: only when needed

    day = date(year, 1, 1)
    organisation = ledger.organisation()
    assert organisation is not None
    with ledger.policy_state() as state:
        codes = sorted(state.units)
    for person in ("L900", "P900"):
        if ledger.staff_stream(person) not in ledger.repository:
            ledger.register_staff(
                OPERATOR, person, person, StaffCategory.CIVIL_SERVANT, "Center", START
            )
    for code in codes:
        unit = ledger.unit(code)
        if unit.head_on(day) is None:
            head = f"H{code}"
            ledger.register_staff(
                OPERATOR, head, head, StaffCategory.CIVIL_SERVANT, "Center", START
            )
            ledger.appoint_head(OPERATOR, code, head, START)
        if unit.leader_in_charge_on(day) is None:
            ledger.appoint_leader_in_charge(OPERATOR, code, "L900", START)
    for branch in sorted(organisation.branches):
        try:
            holder(ledger, Role.BRANCH_SECRETARY, day, branch)
        except AssertionError:
            ledger.appoint_branch_secretary(OPERATOR, branch, "L900", START)
    try:
        holder(ledger, Role.PARTY_WORKING_COMMITTEE, day)
    except AssertionError:
        ledger.appoint_committee_member(OPERATOR, "P900", START)
    if CalendarYear.create_id(year + 1) in ledger.repository:
        return
    statutory = package_calendar(year + 1)
    ledger.load_calendar_year(
        OPERATOR, year + 1, statutory.holidays, statutory.makeup_workdays, statutory.source
    )


def memory_ledger(clock: SettableClock) -> AssessmentLedger:
    """A ledger on the in-memory store, for the unit tests."""
    return AssessmentLedger(env=Settings(database_url="memory://").eventsourcing_env(), clock=clock)


def refused(
    ledger: AssessmentLedger,
    command: Callable[[], object],
    error: type[LedgerError] = RuleViolation,
    rule: str | None = None,
) -> LedgerError:
    """Run a command that must be refused with `error` naming `rule`, and check that it
    recorded nothing (the log's head position is unchanged)."""
    head = ledger.head_position()
    with pytest.raises(error) as caught:
        command()
    assert ledger.head_position() == head, "a refused command recorded something"
    if rule is not None:
        assert caught.value.rule == rule, caught.value
    return caught.value
