"""A whole year of a small center end to end (issue 5 item 9), on every store: twelve bonus
sheets and both half-years approved (R-26–R-31, D-08), four quarters evaluated and decided
(R-08–R-11, D-15, D-16), the annual assessment through its filings (R-12–R-19, D-20–D-22), with
an objection to a deduction amended (R-40), an ineligible recommendation refused (R-21), a
quota refusal (D-20), a publicity objection (R-18), a late deduction after a quarter's decision
and a late veto after the year's (D-13) listed as conflicts and resolved (SPEC section 3), and
the review of an incompetent grade (R-41). Every period is decided only through its procedure
(`decide_period` runs the procedure's last step).

    B1: W01 (H001 head, S001, S004), W02 (H002 head and B1's secretary, S002, S005),
        OF1 (H003 head, C001 the clerk, L001 of the leading group)

Civil servants S001, S002, H001, H002, H003, C001, L001; public-institution S004, S005. L002
is the leader in charge of every unit, P001 sits on the Party Working Committee, R001 is the
higher authority and the appeal reviewer; C001 also holds functional_office for OF1.
"""

from __future__ import annotations

from datetime import date

from builders import (
    BRANCH,
    CLERK,
    COLLEAGUE,
    LEADER,
    OFFICE,
    OTHER_WINDOW,
    STAFF,
    START,
    WINDOW,
    at,
    evaluate_year,
    examine_quarter,
    prepare_sheet,
    record,
    refused,
    seed_organisation,
)
from ledger.aggregates.annual_assessment import ObjectionOutcome as PublicityOutcome
from ledger.aggregates.grade_challenge import ChallengeOutcome, ChallengeStage, GradeChallenge
from ledger.aggregates.quarterly_evaluation import BallotMode
from ledger.aggregates.staff import ObjectionOutcome
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.demo import package_calendar
from ledger.integrity.store_audit import verify_store
from ledger.policy.grades import Grade
from ledger.projections.rounds import round_conflicts
from ledger.values import (
    OPERATOR,
    Actor,
    DeductionSource,
    LateEntryResolution,
    Period,
    Role,
    StaffCategory,
    VetoCase,
)

YEAR = 2025
W01_STAFF = "S004"
W02_STAFF = "S005"
HEADS = {WINDOW: "H001", OTHER_WINDOW: "H002", OFFICE: "H003"}
SECRETARY = Actor("H002", Role.BRANCH_SECRETARY)
COMMITTEE = Actor("P001", Role.PARTY_WORKING_COMMITTEE)
AUTHORITY = Actor("R001", Role.HIGHER_AUTHORITY)
REVIEWER = Actor("R001", Role.APPEAL_REVIEWER)
OFFICER = Actor(CLERK.person_id, Role.FUNCTIONAL_OFFICE)

MONTHS = [f"{YEAR}-{month:02d}" for month in range(1, 13)]
QUARTERS = [f"{YEAR}-Q{quarter}" for quarter in range(1, 5)]
HALVES = [f"{YEAR}-H1", f"{YEAR}-H2"]


def me(number: str) -> Actor:
    return Actor(number, Role.STAFF)


def seed_small_center(ledger: AssessmentLedger) -> None:
    """The center above, from START, and the 2025 and 2026 statutory calendars."""
    seed_organisation(ledger)
    for year in (2025, 2026):
        statutory = package_calendar(year)
        ledger.load_calendar_year(
            OPERATOR, year, statutory.holidays, statutory.makeup_workdays, statutory.source
        )
    for number, category, unit in (
        (W01_STAFF, StaffCategory.PUBLIC_INSTITUTION, WINDOW),
        (W02_STAFF, StaffCategory.PUBLIC_INSTITUTION, OTHER_WINDOW),
        ("H001", StaffCategory.CIVIL_SERVANT, WINDOW),
        ("H002", StaffCategory.CIVIL_SERVANT, OTHER_WINDOW),
        ("H003", StaffCategory.CIVIL_SERVANT, OFFICE),
        ("L002", StaffCategory.CIVIL_SERVANT, None),
        ("P001", StaffCategory.CIVIL_SERVANT, None),
        ("R001", StaffCategory.CIVIL_SERVANT, None),
    ):
        ledger.register_staff(OPERATOR, number, f"name of {number}", category, "Center", START)
        if unit is not None:
            ledger.assign_staff(OPERATOR, number, unit, START)
    for unit, head in HEADS.items():
        ledger.appoint_head(OPERATOR, unit, head, START)
        ledger.appoint_leader_in_charge(OPERATOR, unit, "L002", START)
    ledger.appoint_branch_secretary(OPERATOR, BRANCH, SECRETARY.person_id, START)
    ledger.appoint_committee_member(OPERATOR, COMMITTEE.person_id, START)
    ledger.grant_role(OPERATOR, AUTHORITY.person_id, Role.HIGHER_AUTHORITY, START)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.FUNCTIONAL_OFFICE, START, scope=OFFICE)


def decided_on(ledger: AssessmentLedger, period_key: str, working_days: int = 3) -> date:
    """The day a period is handled: some working days after it ends."""
    return ledger.working_days_after(Period.parse(period_key).last_day, working_days).due_on


def decide_sheet(ledger: AssessmentLedger, clock: SettableClock, period_key: str) -> None:
    """Open the round, prepare the sheet, decide its items and approve it via decide_period."""
    day = decided_on(ledger, period_key)
    clock.set(at(day, 16))
    ledger.open_round(CLERK, period_key, day)
    prepare_sheet(ledger, period_key, day)
    ledger.decide_period(LEADER, period_key, f"LG-{period_key}", day)
    assert ledger.bonus_sheet(period_key).approval is not None
    assert ledger.procedure_status(period_key).decided


def resolve_conflicts(ledger: AssessmentLedger, periods: list[str], on: date) -> list[str]:
    """Resolve (no change) every open conflict of the periods; the periods that had one."""
    listed = []
    for period_key in periods:
        for conflict in round_conflicts(ledger, period_key):
            listed.append(period_key)
            ledger.resolve_late_entry(
                LEADER,
                period_key,
                ledger.staff_stream(conflict.subject),
                conflict.version,
                LateEntryResolution.NO_CHANGE,
                "the decision stands",
                on,
            )
        assert round_conflicts(ledger, period_key) == ()
    return listed


def run_first_quarter(ledger: AssessmentLedger, clock: SettableClock) -> None:
    """Q1 by hand: the refused recommendation of S001 (R-21), then S004 recommended."""
    quarter = QUARTERS[0]
    day = decided_on(ledger, quarter, 2)
    clock.set(at(day, 17))
    ledger.open_round(CLERK, quarter, day)
    ledger.submit_opinion(OFFICER, quarter, W01_STAFF, "courteous and quick", day)
    ledger.compile_opinions(CLERK, quarter, day)
    assert not ledger.quarterly_evaluation(quarter).compilation.late  # type: ignore[union-attr]
    ledger.open_mutual_evaluation(SECRETARY, quarter, BRANCH, BallotMode.OPEN, day)
    for voter, own in (
        (STAFF, WINDOW),
        (W01_STAFF, WINDOW),
        ("H001", WINDOW),
        (COLLEAGUE, OTHER_WINDOW),
        (W02_STAFF, OTHER_WINDOW),
        ("H002", OTHER_WINDOW),
    ):
        other = OTHER_WINDOW if own == WINDOW else WINDOW
        ledger.cast_ballot(me(voter), quarter, BRANCH, {other: "good"}, day)
    ledger.tally_mutual_evaluation(SECRETARY, quarter, BRANCH, day)
    # when S001, with 3 points in Q1, is recommended: refused under R-21 naming the events
    refusal = refused(
        ledger,
        lambda: ledger.recommend(SECRETARY, quarter, BRANCH, (STAFF,), (), day),
        rule="R-21",
    )
    assert len(refusal.fields["events"]) == 2  # type: ignore[attr-defined]
    ledger.recommend(SECRETARY, quarter, BRANCH, (W01_STAFF,), (), day)
    ledger.examine_recommendations(LEADER, quarter, (W01_STAFF,), (), day)
    ledger.decide_period(LEADER, quarter, f"LG-{quarter}", day)
    results = ledger.quarterly_evaluation(quarter).results
    assert results is not None and results.individuals == (W01_STAFF,)


def test_item9_a_whole_year_every_period_decided_through_its_procedure_r07_r19_r40_r41_d13_d20(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    # given the small center and its calendars
    clock.set(at(date(2025, 1, 2)))
    seed_small_center(ledger)

    # January: S001 is curt with a client (2 points)
    clock.set(at(date(2025, 1, 17)))
    record(ledger, "INC-JAN", item_code="SRV-01", occurred_on=date(2025, 1, 15))
    decide_sheet(ledger, clock, MONTHS[0])

    # February: S002 absent two half days (6 points) on a complaint; notified, S002 objects and
    # the supervision office amends it to one half day, before the sheet is prepared
    clock.set(at(date(2025, 2, 12)))
    absence = ledger.record_deduction(
        CLERK,
        COLLEAGUE,
        "ATT-05",
        date(2025, 2, 10),
        "INC-FEB",
        "complaint 2025-014",
        DeductionSource.COMPLAINT,
        quantity=2,
    )
    assert absence.number is not None
    ledger.notify_deduction(CLERK, COLLEAGUE, absence.number, date(2025, 2, 12))
    clock.set(at(date(2025, 2, 14)))
    objection = ledger.raise_objection(
        me(COLLEAGUE), COLLEAGUE, absence.number, "I was off sick half a day", date(2025, 2, 13)
    )
    assert objection.number is not None
    ledger.decide_objection(
        CLERK,
        COLLEAGUE,
        objection.number,
        ObjectionOutcome.AMENDED,
        "sick note for the afternoon",
        "SO-2025-02",
        date(2025, 2, 14),
        quantity=1,
    )
    assert ledger.staff(COLLEAGUE).deduction(absence.number).quantity == 1
    decide_sheet(ledger, clock, MONTHS[1])
    # then the sheet shows S002's bonus halved at 3 points and W02's head liable
    sheet = ledger.bonus_sheet(MONTHS[1])
    line = next(x for x in sheet.preparation.content.lines if x.staff_number == COLLEAGUE)
    assert (line.status, line.total) == ("halved", "3.0")
    (item,) = sheet.preparation.content.head_liability
    assert (item.staff_number, item.owed_by) == (COLLEAGUE, "H002")
    assert sheet.preparation.content.criticism_notice == (COLLEAGUE,)

    # March: S001 late by 40 minutes (1 point: 3 in Q1)
    clock.set(at(date(2025, 3, 14)))
    record(ledger, "INC-MAR", item_code="ATT-02", occurred_on=date(2025, 3, 12))
    decide_sheet(ledger, clock, MONTHS[2])
    run_first_quarter(ledger, clock)

    # April to June: S004 refuses an instruction in May (3 points: halved, head liability)
    decide_sheet(ledger, clock, MONTHS[3])
    clock.set(at(date(2025, 5, 8)))
    record(
        ledger, "INC-MAY", staff_number=W01_STAFF, item_code="DSC-07", occurred_on=date(2025, 5, 6)
    )
    for month in MONTHS[4:6]:
        decide_sheet(ledger, clock, month)
    decide_sheet(ledger, clock, HALVES[0])
    day = decided_on(ledger, QUARTERS[1], 2)
    clock.set(at(day, 17))
    ledger.open_round(CLERK, QUARTERS[1], day)
    examine_quarter(ledger, QUARTERS[1], day, mode=BallotMode.UNLINKABLE)
    ledger.decide_period(LEADER, QUARTERS[1], f"LG-{QUARTERS[1]}", day)
    assert ledger.ballot_box(QUARTERS[1], BRANCH).ballot_count == 9  # every member of B1

    # when a June deduction is recorded after the quarter's decision (SPEC section 3)
    clock.set(at(date(2025, 7, 15)))
    late = record(
        ledger,
        "INC-JUN-LATE",
        staff_number=W02_STAFF,
        item_code="ATT-02",
        occurred_on=date(2025, 6, 20),
    )
    assert late.number is not None
    (conflict,) = round_conflicts(ledger, QUARTERS[1])
    assert (conflict.subject, conflict.version, conflict.change) == (
        W02_STAFF,
        late.number,
        "recorded",
    )
    # then it is a conflict of June, Q2 and H1 until the leading group resolves it
    listed = resolve_conflicts(ledger, [MONTHS[5], QUARTERS[1], HALVES[0]], date(2025, 7, 15))
    assert QUARTERS[1] in listed and MONTHS[5] in listed

    # July to September: S001 loses a seal in September (4 points: 7 in the year, R-22)
    for month in MONTHS[6:8]:
        decide_sheet(ledger, clock, month)
    clock.set(at(date(2025, 9, 5)))
    record(ledger, "INC-SEP", item_code="REC-02", occurred_on=date(2025, 9, 3))
    decide_sheet(ledger, clock, MONTHS[8])
    day = decided_on(ledger, QUARTERS[2], 2)
    clock.set(at(day, 17))
    ledger.open_round(CLERK, QUARTERS[2], day)
    examine_quarter(ledger, QUARTERS[2], day, recommended={BRANCH: ((COLLEAGUE,), (OTHER_WINDOW,))})
    ledger.decide_period(LEADER, QUARTERS[2], f"LG-{QUARTERS[2]}", day)

    # October to December, the fourth quarter and the second half-year
    for month in MONTHS[9:12]:
        decide_sheet(ledger, clock, month)
    decide_sheet(ledger, clock, HALVES[1])
    day = decided_on(ledger, QUARTERS[3], 2)
    clock.set(at(day, 17))
    ledger.open_round(CLERK, QUARTERS[3], day)
    examine_quarter(ledger, QUARTERS[3], day)
    ledger.decide_period(LEADER, QUARTERS[3], f"LG-{QUARTERS[3]}", day)

    # the annual assessment: S001 (7 points) proposed incompetent, H002 excellent
    clock.set(at(date(2026, 1, 12), 17))
    ledger.open_round(CLERK, str(YEAR), date(2026, 1, 5))
    grades = evaluate_year(
        ledger, YEAR, date(2026, 1, 9), grades={STAFF: Grade.INCOMPETENT, "H002": Grade.EXCELLENT}
    )
    # when two of the seven civil servants are graded excellent: refused (D-20, limit 1)
    refusal = refused(
        ledger,
        lambda: ledger.fix_preliminary_grades(
            LEADER, YEAR, {**grades, "H003": Grade.EXCELLENT}, date(2026, 1, 12)
        ),
        rule="D-20",
    )
    assert "civil_servant" in str(refusal) or refusal.fields["category"] == "civil_servant"  # type: ignore[attr-defined]
    ledger.fix_preliminary_grades(LEADER, YEAR, grades, date(2026, 1, 12))
    ledger.decide_annual_excellent_windows(LEADER, YEAR, (), date(2026, 1, 12))
    ledger.start_publicity(CLERK, YEAR, date(2026, 1, 12))
    # a publicity objection to H002, dismissed by the leading group
    clock.set(at(date(2026, 1, 20), 17))
    raised = ledger.raise_publicity_objection(
        me(STAFF), YEAR, "H002", "the head was absent in May", date(2026, 1, 14)
    )
    assert raised.number is not None
    ledger.resolve_publicity_objection(
        LEADER,
        YEAR,
        raised.number,
        PublicityOutcome.DISMISSED,
        "attendance records",
        date(2026, 1, 15),
    )
    ledger.approve_excellent_list(COMMITTEE, YEAR, date(2026, 1, 20))
    clock.set(at(date(2026, 1, 27), 17))
    ledger.decide_period(LEADER, str(YEAR), "LG-2026-03", date(2026, 1, 21))
    participants = tuple(ledger.year_roster(YEAR).participants)
    for number in participants:
        ledger.notify_result(CLERK, YEAR, number, date(2026, 1, 22))
        ledger.sign_result(me(number), YEAR, "seen", number != STAFF, date(2026, 1, 23))
        home = ledger.staff(number).home_unit
        ledger.file_with_home_unit(CLERK, YEAR, number, home, f"HU-{number}", date(2026, 1, 26))
    ledger.file_with_higher_authority(CLERK, YEAR, "filing 2025/1", date(2026, 1, 26))
    ledger.record_filing_receipt(AUTHORITY, YEAR, "filing 2025/1", date(2026, 1, 27))
    annual = ledger.annual_assessment(YEAR)
    assert annual is not None and annual.receipt_on == date(2026, 1, 27)
    assert annual.grades[STAFF] is Grade.INCOMPETENT and annual.grades["H002"] is Grade.EXCELLENT

    # when a November veto case against S002 is found after the year's decision (D-13)
    clock.set(at(date(2026, 2, 2), 17))
    veto = ledger.record_veto_case(
        CLERK,
        COLLEAGUE,
        VetoCase.V7,
        date(2025, 11, 10),
        "INC-NOV-VETO",
        "monitoring record 2025-11-10",
        "verified",
        DeductionSource.E_SUPERVISION_SYSTEM,
    )
    assert veto.number is not None
    # then it is listed for the decided year and the fourth quarter, and resolved
    assert [c.version for c in round_conflicts(ledger, str(YEAR))] == [veto.number]
    listed = resolve_conflicts(
        ledger, [MONTHS[10], QUARTERS[3], HALVES[1], str(YEAR)], date(2026, 2, 2)
    )
    assert {str(YEAR), QUARTERS[3]} <= set(listed)

    # S001 asks for a review of the incompetent grade; the reviewer upholds it
    for stage in ChallengeStage:
        case = GradeChallenge.case_id(STAFF, YEAR, stage)
        ledger.assign_appeal_case(OPERATOR, case, STAFF, REVIEWER.person_id, date(2026, 1, 22))
    ledger.request_review(me(STAFF), STAFF, YEAR, date(2026, 2, 2))
    clock.set(at(date(2026, 2, 10), 17))
    ledger.decide_review(REVIEWER, STAFF, YEAR, "RV-2026-01", "the points stand", date(2026, 2, 10))
    challenge = ledger.grade_challenge(STAFF, YEAR)
    assert challenge.review is not None and challenge.review.outcome is ChallengeOutcome.UPHELD
    assert challenge.standing_grade is Grade.INCOMPETENT

    # at the end every period is decided, and the store's audit passes
    for period_key in (*MONTHS, *HALVES, *QUARTERS, str(YEAR)):
        status = ledger.procedure_status(period_key)
        assert status.decided, period_key
        assert ledger.round(period_key).decision is not None
    report = verify_store(ledger)
    assert report.ok, report.problem
