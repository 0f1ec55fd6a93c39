"""The review (复核) and appeal (申诉) of an incompetent or unqualified annual grade (SPEC 4.7,
R-41): calendar-day clocks per staff category from the day the person learned of the grade
(a deadline on a rest day runs to the next working day), requests after their deadline refused,
late decisions flagged, one extension of the appeal, and never a worse grade.

The grades come from a small 2025 annual assessment run through its own verbs and notified on
Tuesday 20 January 2026."""

from __future__ import annotations

from datetime import date

import pytest

from builders import START, at, refused
from ledger.aggregates.grade_challenge import ChallengeOutcome, ChallengeStage, GradeChallenge
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.demo import package_calendar
from ledger.errors import RoleRequired
from ledger.policy.grades import Grade
from ledger.values import OPERATOR, Actor, Role, StaffCategory, UnitKind

YEAR = 2025
NOTIFIED_ON = date(2026, 1, 20)
"""The day both challengers were told their 2025 grade (a Tuesday)."""

HEAD = "H001"
CIVIL = "S001"
"""A civil servant graded incompetent."""
INSTITUTION = "P001"
"""A public-institution staff member graded unqualified."""
CLERK = Actor("C001", Role.SUPERVISION_CLERK)
LEADER = Actor("L001", Role.LEADING_GROUP)
COMMITTEE = Actor("K001", Role.PARTY_WORKING_COMMITTEE)
REVIEWER = Actor("R001", Role.APPEAL_REVIEWER)
APPELLATE = Actor("R002", Role.APPEAL_REVIEWER)

GRADES = {HEAD: Grade.COMPETENT, CIVIL: Grade.INCOMPETENT, INSTITUTION: Grade.UNQUALIFIED}
CATEGORIES = {
    HEAD: StaffCategory.CIVIL_SERVANT,
    CIVIL: StaffCategory.CIVIL_SERVANT,
    INSTITUTION: StaffCategory.PUBLIC_INSTITUTION,
}


def me(staff_number: str) -> Actor:
    return Actor(staff_number, Role.STAFF)


def graded_year(ledger: AssessmentLedger, clock: SettableClock) -> None:
    """One window of three (its head competent, a civil servant incompetent, a public-institution
    staff member unqualified) through the 2025 annual assessment, notified on NOTIFIED_ON; the
    review and appeal cases of both challengers assigned to R001 and R002."""
    for year in (2025, 2026):
        statutory = package_calendar(year)
        ledger.load_calendar_year(
            OPERATOR, year, statutory.holidays, statutory.makeup_workdays, statutory.source
        )
    ledger.form_party_branch(OPERATOR, "B1", "First branch", START)
    ledger.open_unit(OPERATOR, "W01", "Tax", UnitKind.WINDOW, "Tax bureau", "B1", START)
    for number in (*GRADES, CLERK.person_id, LEADER.person_id, "K001", "R001", "R002"):
        category = CATEGORIES.get(number, StaffCategory.CIVIL_SERVANT)
        ledger.register_staff(OPERATOR, number, number, category, "Tax bureau", START)
    for number in GRADES:
        ledger.assign_staff(OPERATOR, number, "W01", START)
    ledger.appoint_head(OPERATOR, "W01", HEAD, START)
    ledger.appoint_leader_in_charge(OPERATOR, "W01", LEADER.person_id, START)
    ledger.appoint_branch_secretary(OPERATOR, "B1", HEAD, START)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, START)
    ledger.appoint_leading_group_member(OPERATOR, LEADER.person_id, START)
    ledger.appoint_committee_member(OPERATOR, "K001", START)

    clock.set(at(date(2026, 1, 12)))
    day = date(2026, 1, 5)
    ledger.open_round(CLERK, str(YEAR), day)
    for number, category in CATEGORIES.items():
        ledger.submit_self_summary(me(number), YEAR, "my year", day)
        ledger.submit_registration_form(me(number), YEAR, category, day)
    head = Actor(HEAD, Role.WINDOW_HEAD)
    for number in (CIVIL, INSTITUTION):
        ledger.evaluate(head, YEAR, number, "evaluated", GRADES[number], day)
    ledger.evaluate(
        Actor(LEADER.person_id, Role.LEADER_IN_CHARGE), YEAR, HEAD, "ok", GRADES[HEAD], day
    )
    for number in GRADES:
        ledger.countersign(CLERK, YEAR, number, day)
    for rater in GRADES:
        ratings = {n: g for n, g in GRADES.items() if n != rater}
        ledger.submit_mutual_evaluation_form(me(rater), YEAR, ratings, day)
    ledger.submit_recommendation_form(head, YEAR, "W01", [], day)
    ledger.hold_joint_branch_meeting(Actor(HEAD, Role.BRANCH_SECRETARY), YEAR, "B1", [], [], day)
    ledger.fix_preliminary_grades(LEADER, YEAR, dict(GRADES), day)
    ledger.decide_annual_excellent_windows(LEADER, YEAR, [], day)
    ledger.start_publicity(CLERK, YEAR, date(2026, 1, 12))

    clock.set(at(NOTIFIED_ON))
    ledger.approve_excellent_list(COMMITTEE, YEAR, NOTIFIED_ON)
    ledger.decide_year_results(LEADER, YEAR, "LG-2026-02", NOTIFIED_ON)
    for number in GRADES:
        ledger.notify_result(CLERK, YEAR, number, NOTIFIED_ON)
    for number in (CIVIL, INSTITUTION):
        for stage, reviewer in ((ChallengeStage.REVIEW, "R001"), (ChallengeStage.APPEAL, "R002")):
            case = GradeChallenge.case_id(number, YEAR, stage)
            ledger.assign_appeal_case(OPERATOR, case, number, reviewer, NOTIFIED_ON)


@pytest.fixture
def graded(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    graded_year(ledger, clock)
    clock.set(at(date(2026, 6, 30)))
    return ledger


def challenge(ledger: AssessmentLedger, number: str) -> GradeChallenge:
    return ledger.grade_challenge(number, YEAR)


# Who may challenge what


def test_r41_the_grade_and_the_day_it_was_learned_come_from_the_annual_assessment(
    graded: AssessmentLedger,
) -> None:
    assert graded._decided_grade(CIVIL, YEAR) == (Grade.INCOMPETENT, NOTIFIED_ON)
    assert graded._decided_grade(INSTITUTION, YEAR) == (Grade.UNQUALIFIED, NOTIFIED_ON)


def test_r41_a_competent_grade_cannot_be_challenged(graded: AssessmentLedger) -> None:
    refusal = refused(
        graded, lambda: graded.request_review(me(HEAD), HEAD, YEAR, date(2026, 1, 21)), rule="R-41"
    )
    assert "competent" in refusal.message
    refused(
        graded, lambda: graded.lodge_appeal(me(HEAD), HEAD, YEAR, date(2026, 1, 21)), rule="R-41"
    )


def test_r41_a_year_without_a_notified_grade_cannot_be_challenged(
    graded: AssessmentLedger,
) -> None:
    refused(
        graded,
        lambda: graded.request_review(me(CIVIL), CIVIL, 2024, date(2026, 1, 21)),
        rule="R-41",
    )


def test_r41_only_the_staff_member_requests_a_review_of_their_grade(
    graded: AssessmentLedger,
) -> None:
    refused(
        graded,
        lambda: graded.request_review(me(HEAD), CIVIL, YEAR, date(2026, 1, 21)),
        RoleRequired,
    )


# The review's clocks


def test_r41_a_civil_servants_review_request_runs_30_days_past_the_spring_festival(
    graded: AssessmentLedger,
) -> None:
    # given a civil servant told on 20 January 2026: day 30 is 19 February, in the Spring
    # Festival holiday (15-23 February), so the deadline runs to Tuesday 24 February
    refusal = refused(
        graded,
        lambda: graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 2, 25)),
        rule="R-41",
    )
    assert refusal.fields["deadline"] == "2026-02-24"
    # when the request comes on 24 February, then it is in time, with the review's own clock
    graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 2, 24))
    review = challenge(graded, CIVIL).review
    assert review is not None and review.decision_due_on == date(2026, 3, 26)


def test_r41_a_public_institution_staff_members_review_request_runs_10_days(
    graded: AssessmentLedger,
) -> None:
    # given a public-institution staff member told on 20 January: 10 days end on Friday 30th
    refusal = refused(
        graded,
        lambda: graded.request_review(me(INSTITUTION), INSTITUTION, YEAR, date(2026, 2, 2)),
        rule="R-41",
    )
    assert refusal.fields["deadline"] == "2026-01-30"
    # when the request comes on 30 January, then the review is due within 10 days, by 9 February
    graded.request_review(me(INSTITUTION), INSTITUTION, YEAR, date(2026, 1, 30))
    review = challenge(graded, INSTITUTION).review
    assert review is not None and review.decision_due_on == date(2026, 2, 9)


def test_r41_a_late_review_decision_is_recorded_and_flagged(graded: AssessmentLedger) -> None:
    # given a public-institution review requested on 26 January, due by 5 February
    graded.request_review(me(INSTITUTION), INSTITUTION, YEAR, date(2026, 1, 26))
    # when the reviewer decides on 6 February
    outcome = graded.decide_review(
        REVIEWER, INSTITUTION, YEAR, "RV-1", "the record stands", date(2026, 2, 6)
    )
    # then it is recorded as upheld and flagged late
    (decided,) = graded.history(
        graded.challenge_stream(INSTITUTION, YEAR), after=outcome.position - 1
    )
    assert decided.event == "ledger.challenge.ReviewDecided.v1"
    assert decided.payload["late"] is True and decided.payload["due_on"] == "2026-02-05"
    assert decided.payload["outcome"] == ChallengeOutcome.UPHELD.value


def test_r41_a_review_may_give_a_better_grade_and_the_grade_stands_until_then(
    graded: AssessmentLedger,
) -> None:
    graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))
    assert challenge(graded, CIVIL).standing_grade is Grade.INCOMPETENT  # not suspended

    graded.decide_review(
        REVIEWER,
        CIVIL,
        YEAR,
        "RV-2",
        "attendance was excused",
        date(2026, 2, 10),
        grade=Grade.BASICALLY_COMPETENT,
    )

    record = challenge(graded, CIVIL)
    assert record.grade is Grade.INCOMPETENT
    assert record.standing_grade is Grade.BASICALLY_COMPETENT
    assert record.review is not None and record.review.outcome is ChallengeOutcome.CHANGED
    assert not record.review.late


def test_r41_only_the_reviewer_assigned_to_the_case_decides_it(graded: AssessmentLedger) -> None:
    graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))

    refusal = refused(
        graded,
        lambda: graded.decide_review(APPELLATE, CIVIL, YEAR, "RV-3", "stands", date(2026, 2, 2)),
        RoleRequired,
    )

    assert isinstance(refusal, RoleRequired) and refusal.needed == "appeal_reviewer"
    assert "review/S001/2025" in refusal.message


# The appeal's clocks


def test_r41_an_appeal_after_review_runs_15_days_from_the_review_decision(
    graded: AssessmentLedger,
) -> None:
    # given a review decided on Monday 2 February: 15 days end on Tuesday 17 February, in
    # the Spring Festival holiday, so the deadline runs to Tuesday 24 February
    graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))
    graded.decide_review(REVIEWER, CIVIL, YEAR, "RV-4", "stands", date(2026, 2, 2))
    refusal = refused(
        graded, lambda: graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 2, 25)), rule="R-41"
    )
    assert refusal.fields["deadline"] == "2026-02-24"
    # when the appeal comes on 24 February, then it is lodged, due within 60 days
    graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 2, 24))
    appeal = challenge(graded, CIVIL).appeal
    assert appeal is not None and appeal.decision_due_on == date(2026, 4, 27)


def test_r41_a_direct_appeal_runs_30_days_from_learning_of_the_grade(
    graded: AssessmentLedger,
) -> None:
    # given a public-institution staff member who asked for no review: 30 days from 20 January
    # end on 19 February, a holiday, so on 24 February
    refusal = refused(
        graded,
        lambda: graded.lodge_appeal(me(INSTITUTION), INSTITUTION, YEAR, date(2026, 2, 25)),
        rule="R-41",
    )
    assert refusal.fields["deadline"] == "2026-02-24"
    graded.lodge_appeal(me(INSTITUTION), INSTITUTION, YEAR, date(2026, 2, 24))
    # then no review can follow the appeal
    refused(
        graded,
        lambda: graded.request_review(me(INSTITUTION), INSTITUTION, YEAR, date(2026, 2, 24)),
        rule="R-41",
    )


def test_r41_an_appeal_waits_for_a_pending_review(graded: AssessmentLedger) -> None:
    graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))

    refused(
        graded, lambda: graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 1, 27)), rule="R-41"
    )


def test_r41_the_appeal_is_extended_once_and_its_decision_is_judged_on_the_extended_clock(
    graded: AssessmentLedger,
) -> None:
    # given a direct appeal lodged on 26 January, due within 60 days (27 March)
    graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))
    # when the appellate reviewer extends it by 30 days, and tries again
    graded.extend_appeal(APPELLATE, CIVIL, YEAR, "hearing the witnesses", date(2026, 3, 20))
    refusal = refused(
        graded,
        lambda: graded.extend_appeal(APPELLATE, CIVIL, YEAR, "more time", date(2026, 3, 23)),
        rule="R-41",
    )
    assert "once" in refusal.message
    # then the clock is 90 days from the lodging, Sunday 26 April run on to Monday 27 April,
    # and a decision on that day is in time
    appeal = challenge(graded, CIVIL).appeal
    assert appeal is not None and appeal.extended
    assert appeal.decision_due_on == date(2026, 4, 27)
    graded.decide_appeal(APPELLATE, CIVIL, YEAR, "AP-1", "no ground", appeal.decision_due_on)
    decided = challenge(graded, CIVIL).appeal
    assert decided is not None and not decided.late


def test_r41_an_appeal_clock_that_ran_out_is_not_extended(graded: AssessmentLedger) -> None:
    graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))

    refused(
        graded,
        lambda: graded.extend_appeal(APPELLATE, CIVIL, YEAR, "too late", date(2026, 3, 30)),
        rule="R-41",
    )


def test_r41_a_late_appeal_decision_is_flagged(graded: AssessmentLedger) -> None:
    graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))

    graded.decide_appeal(APPELLATE, CIVIL, YEAR, "AP-2", "no ground", date(2026, 3, 30))

    appeal = challenge(graded, CIVIL).appeal
    assert appeal is not None and appeal.late and appeal.decision_due_on == date(2026, 3, 27)


def test_r41_an_appeal_cannot_make_the_grade_worse_than_the_review_left_it(
    graded: AssessmentLedger,
) -> None:
    # given a review that raised the grade to basically competent, and an appeal against that
    graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))
    graded.decide_review(
        REVIEWER,
        CIVIL,
        YEAR,
        "RV-5",
        "partly excused",
        date(2026, 2, 2),
        grade=Grade.BASICALLY_COMPETENT,
    )
    graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 2, 3))
    # when the appeal would decide incompetent, it is refused
    refusal = refused(
        graded,
        lambda: graded.decide_appeal(
            APPELLATE, CIVIL, YEAR, "AP-3", "worse", date(2026, 2, 10), grade=Grade.INCOMPETENT
        ),
        rule="R-41",
    )
    assert "worse" in refusal.message
    # then a grade from another category's scheme is refused too, and a better one accepted
    refused(
        graded,
        lambda: graded.decide_appeal(
            APPELLATE, CIVIL, YEAR, "AP-3", "wrong scheme", date(2026, 2, 10), grade=Grade.QUALIFIED
        ),
        rule="R-41",
    )
    graded.decide_appeal(
        APPELLATE, CIVIL, YEAR, "AP-3", "fully excused", date(2026, 2, 10), grade=Grade.COMPETENT
    )
    assert challenge(graded, CIVIL).standing_grade is Grade.COMPETENT


def test_r41_the_challenge_replays_in_order(graded: AssessmentLedger) -> None:
    graded.request_review(me(CIVIL), CIVIL, YEAR, date(2026, 1, 26))
    graded.decide_review(REVIEWER, CIVIL, YEAR, "RV-6", "stands", date(2026, 2, 2))
    graded.lodge_appeal(me(CIVIL), CIVIL, YEAR, date(2026, 2, 3))
    graded.extend_appeal(APPELLATE, CIVIL, YEAR, "witnesses", date(2026, 3, 2))
    graded.decide_appeal(APPELLATE, CIVIL, YEAR, "AP-4", "stands", date(2026, 3, 9))

    history = graded.history(graded.challenge_stream(CIVIL, YEAR))

    assert [h.event for h in history] == [
        f"ledger.challenge.{name}.v1"
        for name in (
            "Opened",
            "ReviewRequested",
            "ReviewDecided",
            "AppealLodged",
            "AppealExtended",
            "AppealDecided",
        )
    ]
    assert history[0].payload["grade"] == "incompetent"
    assert history[0].payload["notified_on"] == NOTIFIED_ON.isoformat()
