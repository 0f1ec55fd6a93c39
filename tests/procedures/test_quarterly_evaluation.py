"""The quarterly evaluation (SPEC 4.5, issue 5 item 1): functional offices' opinions (R-08), their
compilation within 3 working days after the quarter (R-09, D-16), each branch's mutual evaluation
and recommendations (R-10), the leading group's preliminary examination, and its decision
publishing the results as the quarter's period decision (R-11, D-15). Ineligible subjects are
refused naming the rule and the events (R-21, R-35/D-14, R-23, R-24). Ballots: see
test_mutual_evaluation.py."""

from __future__ import annotations

import json
from datetime import date

import pytest
from quarterly_support import (
    AFTER_Q1,
    B1_SECRETARY,
    B2_SECRETARY,
    COMPILED_ON,
    OFFICE_ACTOR,
    OFFICER,
    OPINION_ON,
    OTHER_BRANCH,
    OTHER_SECRETARY,
    Q1,
    Q3,
    SECRETARY,
    W03,
    W04,
    compiled,
    examined,
    opened,
    recommended,
    seed_center,
    tallied,
)

from builders import (
    BRANCH,
    CLERK,
    COLLEAGUE,
    LEADER,
    OTHER_WINDOW,
    SOURCE,
    STAFF,
    WINDOW,
    at,
    record,
    refused,
)
from ledger.aggregates.quarterly_evaluation import BallotMode
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.demo import package_calendar
from ledger.errors import RoleRequired
from ledger.policy import EventRef, late_entries
from ledger.values import Actor, Role, VetoCase


@pytest.fixture
def center(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The small center of quarterly_support with Q1's round open, on 2025-04-15."""
    seed_center(ledger, clock)
    return ledger


def payloads(ledger: AssessmentLedger, topic: str) -> list[dict[str, object]]:
    """The payloads of the quarter's evaluation events of one kind, in order."""
    stream = ledger.quarterly_evaluation(Q1).id
    return [
        item.payload
        for item in ledger.history(stream, limit=1000)
        if item.event == f"ledger.quarterly.{topic}.v1"
    ]


def staff_ref(ledger: AssessmentLedger, number: str, version: int) -> str:
    return str(EventRef(str(ledger.staff_stream(number)), version))


def unit_ref(ledger: AssessmentLedger, code: str, version: int) -> str:
    return str(EventRef(str(ledger.unit_stream(code)), version))


# The whole quarter in order


def test_r08_r11_d15_the_whole_quarter_in_order_ends_in_the_period_decision(
    center: AssessmentLedger,
) -> None:
    # given opinions compiled, both branches' ballots tallied, recommendations examined
    examined(center)
    # when the leading group decides and publishes the results
    outcome = center.decide_quarter_results(LEADER, Q1, "LG-2025-Q1", AFTER_Q1)
    # then the results and the round's period decision are recorded in one transaction
    evaluation = center.quarterly_evaluation(Q1)
    assert evaluation.results is not None
    assert (evaluation.results.individuals, evaluation.results.windows) == (
        (B1_SECRETARY,),
        (WINDOW, W04),
    )
    decision = center.round(Q1).decision
    assert decision is not None and decision.decision_ref == "LG-2025-Q1"
    assert {stream for stream, _ in outcome.records} == {
        str(evaluation.id),
        str(center.round_stream(Q1)),
    }
    published = payloads(center, "ResultsPublished")[0]
    assert published["actor_id"] == LEADER.person_id
    assert published["individuals"] == [B1_SECRETARY]
    assert center.procedure_status(Q1, AFTER_Q1).decided


def test_r08_an_opinion_names_the_office_the_actor_holds_the_grant_for(
    center: AssessmentLedger,
) -> None:
    center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "punctual", OPINION_ON)
    opinion = payloads(center, "OpinionSubmitted")[0]
    assert (opinion["office"], opinion["subject"], opinion["actor_id"]) == ("OF2", STAFF, OFFICER)


def test_r11_d15_a_deduction_recorded_after_the_decision_is_a_late_entry(
    center: AssessmentLedger,
) -> None:
    # given Q1 decided
    examined(center)
    center.decide_quarter_results(LEADER, Q1, "LG-2025-Q1", AFTER_Q1)
    # when a deduction dated in Q1 is recorded afterwards
    late = record(center, "INC-LATE", occurred_on=date(2025, 3, 20))
    # then it is accepted, and listed as a late entry of the decided quarter
    with center.policy_state() as state:
        entries = late_entries(state, Q1)
    assert [str(entry.ref) for entry in entries] == [staff_ref(center, STAFF, late.number)]


# Out of order and repeated steps


def test_r08_an_opinion_before_the_round_is_open_is_refused(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_center(ledger, clock, quarter=Q3)
    refused(
        ledger,
        lambda: ledger.submit_opinion(OFFICE_ACTOR, "2025-Q2", STAFF, "fine", date(2025, 6, 3)),
        rule="R-08",
    )


def test_r08_an_opinion_after_the_compilation_is_refused(center: AssessmentLedger) -> None:
    compiled(center)
    refused(
        center,
        lambda: center.submit_opinion(OFFICE_ACTOR, Q1, COLLEAGUE, "late", COMPILED_ON),
        rule="R-08",
    )


def test_r08_a_second_opinion_of_an_office_on_the_same_subject_is_refused(
    center: AssessmentLedger,
) -> None:
    center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "punctual", OPINION_ON)
    refused(
        center,
        lambda: center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "again", OPINION_ON),
        rule="R-08",
    )


def test_r08_an_opinion_on_nobody_is_refused(center: AssessmentLedger) -> None:
    refused(
        center,
        lambda: center.submit_opinion(OFFICE_ACTOR, Q1, "S999", "who?", OPINION_ON),
        rule="R-08",
    )


def test_r09_a_compilation_without_any_opinion_is_refused(center: AssessmentLedger) -> None:
    refused(center, lambda: center.compile_opinions(CLERK, Q1, COMPILED_ON), rule="R-09")


def test_r09_a_second_compilation_is_refused(center: AssessmentLedger) -> None:
    compiled(center)
    refused(center, lambda: center.compile_opinions(CLERK, Q1, COMPILED_ON), rule="R-09")


def test_r09_a_compilation_before_the_quarter_ends_is_refused(center: AssessmentLedger) -> None:
    center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "punctual", OPINION_ON)
    refused(
        center, lambda: center.compile_opinions(CLERK, Q1, date(2025, 3, 30)), rule="DATED_RECORDS"
    )


def test_r10_a_mutual_evaluation_before_the_compilation_is_refused(
    center: AssessmentLedger,
) -> None:
    center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "punctual", OPINION_ON)
    refused(
        center,
        lambda: center.open_mutual_evaluation(SECRETARY, Q1, BRANCH, BallotMode.OPEN),
        rule="R-10",
    )


def test_r10_a_second_opening_of_a_branchs_evaluation_is_refused(
    center: AssessmentLedger,
) -> None:
    opened(center)
    refused(
        center,
        lambda: center.open_mutual_evaluation(SECRETARY, Q1, BRANCH, BallotMode.UNLINKABLE),
        rule="R-10",
    )


def test_r10_a_tally_without_ballots_is_refused(center: AssessmentLedger) -> None:
    opened(center)
    refused(center, lambda: center.tally_mutual_evaluation(SECRETARY, Q1, BRANCH), rule="R-10")


def test_r10_a_second_tally_is_refused(center: AssessmentLedger) -> None:
    tallied(center)
    refused(center, lambda: center.tally_mutual_evaluation(SECRETARY, Q1, BRANCH), rule="R-10")


def test_r10_a_recommendation_before_the_tally_is_refused(center: AssessmentLedger) -> None:
    opened(center)
    refused(
        center,
        lambda: center.recommend(SECRETARY, Q1, BRANCH, (B1_SECRETARY,), (), AFTER_Q1),
        rule="R-10",
    )


def test_r10_a_second_recommendation_of_a_branch_is_refused(center: AssessmentLedger) -> None:
    recommended(center)
    refused(center, lambda: center.recommend(SECRETARY, Q1, BRANCH, (), (), AFTER_Q1), rule="R-10")


def test_r10_the_examination_waits_for_every_branch_with_windows(
    center: AssessmentLedger,
) -> None:
    # given only B1 has recommended
    tallied(center)
    center.recommend(SECRETARY, Q1, BRANCH, (B1_SECRETARY,), (WINDOW,), AFTER_Q1)
    # then the examination is refused, naming B2
    refusal = refused(
        center,
        lambda: center.examine_recommendations(LEADER, Q1, (B1_SECRETARY,), (), AFTER_Q1),
        rule="R-10",
    )
    assert refusal.fields["branches"] == [OTHER_BRANCH]


def test_r10_the_examination_accepts_only_what_a_branch_recommended(
    center: AssessmentLedger,
) -> None:
    recommended(center)
    refusal = refused(
        center,
        lambda: center.examine_recommendations(LEADER, Q1, (STAFF,), (), AFTER_Q1),
        rule="R-10",
    )
    assert refusal.fields["not_recommended"] == [STAFF]


def test_r10_a_second_examination_is_refused(center: AssessmentLedger) -> None:
    examined(center)
    refused(
        center,
        lambda: center.examine_recommendations(LEADER, Q1, (), (), AFTER_Q1),
        rule="R-10",
    )


def test_r11_the_decision_before_the_examination_is_refused(center: AssessmentLedger) -> None:
    recommended(center)
    refused(
        center,
        lambda: center.decide_quarter_results(LEADER, Q1, "LG-1", AFTER_Q1),
        rule="R-11",
    )
    assert center.round(Q1).decision is None


def test_r11_a_second_decision_is_refused(center: AssessmentLedger) -> None:
    examined(center)
    center.decide_quarter_results(LEADER, Q1, "LG-1", AFTER_Q1)
    refused(
        center,
        lambda: center.decide_quarter_results(LEADER, Q1, "LG-2", AFTER_Q1),
        rule="DECIDED_ONCE",
    )


def test_r11_every_step_after_the_decision_is_refused(center: AssessmentLedger) -> None:
    examined(center)
    center.decide_quarter_results(LEADER, Q1, "LG-1", AFTER_Q1)
    refused(
        center,
        lambda: center.submit_opinion(OFFICE_ACTOR, Q1, COLLEAGUE, "late", AFTER_Q1),
        rule="DECIDED_ONCE",
    )


# Roles and scopes (SPEC section 5, issue 5 item 5)


def test_r08_an_opinion_without_the_functional_office_grant_is_refused(
    center: AssessmentLedger,
) -> None:
    refusal = refused(
        center,
        lambda: center.submit_opinion(
            Actor(STAFF, Role.FUNCTIONAL_OFFICE), Q1, COLLEAGUE, "fine", OPINION_ON
        ),
        RoleRequired,
    )
    assert refusal.fields["role_needed"] == "functional_office"


def test_r08_an_opinion_for_an_office_the_actor_does_not_act_for_is_refused(
    center: AssessmentLedger,
) -> None:
    refused(
        center,
        lambda: center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "fine", OPINION_ON, office="OF1"),
        RoleRequired,
    )


def test_r09_a_compilation_by_a_branch_secretary_is_refused(center: AssessmentLedger) -> None:
    center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "punctual", OPINION_ON)
    refusal = refused(
        center, lambda: center.compile_opinions(SECRETARY, Q1, COMPILED_ON), RoleRequired
    )
    assert refusal.fields["role_needed"] == "supervision_clerk"


def test_r10_the_secretary_of_another_branch_cannot_open_its_evaluation(
    center: AssessmentLedger,
) -> None:
    compiled(center)
    refusal = refused(
        center,
        lambda: center.open_mutual_evaluation(OTHER_SECRETARY, Q1, BRANCH, BallotMode.OPEN),
        RoleRequired,
    )
    assert "branch_secretary for B1" in refusal.message


def test_r10_the_secretary_of_another_branch_cannot_recommend_for_it(
    center: AssessmentLedger,
) -> None:
    tallied(center)
    refused(
        center,
        lambda: center.recommend(OTHER_SECRETARY, Q1, BRANCH, (), (WINDOW,), AFTER_Q1),
        RoleRequired,
    )


def test_r10_a_clerk_cannot_examine_the_recommendations(center: AssessmentLedger) -> None:
    recommended(center)
    refused(
        center,
        lambda: center.examine_recommendations(CLERK, Q1, (), (), AFTER_Q1),
        RoleRequired,
    )


def test_r11_a_clerk_deciding_the_quarter_is_refused(center: AssessmentLedger) -> None:
    examined(center)
    refusal = refused(
        center,
        lambda: center.decide_quarter_results(CLERK, Q1, "LG-1", AFTER_Q1),
        RoleRequired,
    )
    assert refusal.fields["role_needed"] == "leading_group"


# D-16: the compilation's deadline on the statutory calendar


def q3_opinion(ledger: AssessmentLedger) -> None:
    ledger.submit_opinion(OFFICE_ACTOR, Q3, STAFF, "courteous", date(2025, 9, 30))


def test_d16_the_q3_compilation_is_due_on_the_national_day_make_up_saturday(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    # given Q3's round (30 September; National Day holidays 1-8 October, 11 October made up)
    seed_center(ledger, clock, quarter=Q3)
    q3_opinion(ledger)
    # when the clerk compiles on Saturday 11 October
    ledger.compile_opinions(CLERK, Q3, date(2025, 10, 11))
    # then it was due that day, in time, with the calendar version it was counted on
    stream = ledger.quarterly_evaluation(Q3).id
    compiled_event = next(i for i in ledger.history(stream) if "OpinionsCompiled" in i.event)
    assert compiled_event.payload["due_on"] == "2025-10-11"
    assert compiled_event.payload["late"] is False
    assert compiled_event.payload["working_days"] == 3
    assert compiled_event.payload["calendar_versions"] == [
        f"2025: {package_calendar(2025).source} (v1)"
    ]
    assert compiled_event.payload["sent_to"] == [BRANCH, OTHER_BRANCH]


def test_d16_a_late_compilation_is_flagged_not_refused(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_center(ledger, clock, quarter=Q3)
    q3_opinion(ledger)
    # when the clerk compiles on Monday 13 October, after the deadline
    ledger.compile_opinions(CLERK, Q3, date(2025, 10, 13))
    # then it is recorded, flagged late, and the status shows it
    compilation = ledger.quarterly_evaluation(Q3).compilation
    assert compilation is not None and compilation.late
    step = next(s for s in ledger.procedure_status(Q3).steps if s.key == "compile_opinions")
    assert (step.done, step.late, step.due_on) == (True, True, date(2025, 10, 11))


def test_d16_the_status_shows_an_overdue_compilation_as_late(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_center(ledger, clock, quarter=Q3)
    q3_opinion(ledger)
    step = next(s for s in ledger.procedure_status(Q3).steps if s.key == "compile_opinions")
    assert (step.done, step.due_on, step.late) == (False, date(2025, 10, 11), True)
    assert step.role is Role.SUPERVISION_CLERK


def test_d16_a_compilation_without_the_years_calendar_is_refused(
    center: AssessmentLedger, clock: SettableClock
) -> None:
    # given Q4: its deadline runs into January 2026, whose calendar is not loaded
    clock.set(at(date(2026, 1, 5)))
    center.open_round(CLERK, "2025-Q4", date(2026, 1, 5))
    center.submit_opinion(OFFICE_ACTOR, "2025-Q4", STAFF, "fine", date(2025, 12, 30))
    refusal = refused(
        center, lambda: center.compile_opinions(CLERK, "2025-Q4", date(2026, 1, 5)), rule="CALENDAR"
    )
    assert "ledger calendar load 2026" in refusal.message


# R-21, R-35/D-14, R-23, R-24: ineligible recommendations refused, naming the rule and events


def test_r21_recommending_a_person_with_3_points_in_the_quarter_is_refused_naming_the_events(
    center: AssessmentLedger,
) -> None:
    # given 3 points on S004 in Q1
    deduction = record(center, "INC-R21", staff_number=B1_SECRETARY, item_code="DSC-07")
    tallied(center)
    # when B1 recommends S004
    refusal = refused(
        center,
        lambda: center.recommend(SECRETARY, Q1, BRANCH, (B1_SECRETARY,), (), AFTER_Q1),
        rule="R-21",
    )
    # then the refusal names the deduction
    expected = staff_ref(center, B1_SECRETARY, deduction.number)
    assert refusal.fields["events"] == [expected]
    assert refusal.fields["barred_by"] == ["R-21"]
    assert expected in refusal.message


def test_r35_d14_recommending_a_person_with_a_veto_in_the_quarter_is_refused_naming_it(
    center: AssessmentLedger,
) -> None:
    veto = center.record_veto_case(
        CLERK, B1_SECRETARY, VetoCase.V6, date(2025, 2, 12), "INC-V", "ev", "verified", SOURCE
    )
    tallied(center)
    refusal = refused(
        center,
        lambda: center.recommend(SECRETARY, Q1, BRANCH, (B1_SECRETARY,), (), AFTER_Q1),
        rule="R-35",
    )
    assert refusal.fields["events"] == [staff_ref(center, B1_SECRETARY, veto.number)]


def test_d14_a_veto_in_a_later_quarter_leaves_the_earlier_quarter_alone(
    center: AssessmentLedger,
) -> None:
    # given a veto case on S004 in April (Q2)
    center.record_veto_case(
        CLERK, B1_SECRETARY, VetoCase.V6, date(2025, 4, 8), "INC-V2", "ev", "verified", SOURCE
    )
    tallied(center)
    # then S004 may still be recommended for Q1
    center.recommend(SECRETARY, Q1, BRANCH, (B1_SECRETARY,), (), AFTER_Q1)
    assert center.quarterly_evaluation(Q1).recommendations[BRANCH].individuals == (B1_SECRETARY,)


def test_r23_recommending_a_window_at_n_plus_3_points_is_refused_naming_the_events(
    center: AssessmentLedger,
) -> None:
    # given W01 (2 members): 3 points on S001 and a 2-point window item: 5 = 2 + 3
    person = record(center, "INC-W1", item_code="DSC-07")
    window = center.record_window_deduction(
        CLERK, WINDOW, "ATT-07", date(2025, 3, 4), "INC-W2", "ev", SOURCE
    )
    tallied(center)
    refusal = refused(
        center,
        lambda: center.recommend(SECRETARY, Q1, BRANCH, (), (WINDOW,), AFTER_Q1),
        rule="R-23",
    )
    assert sorted(refusal.fields["events"]) == sorted(  # type: ignore[arg-type]
        [staff_ref(center, STAFF, person.number), unit_ref(center, WINDOW, window.number)]
    )


def test_r24_recommending_a_one_person_window_at_5_points_is_refused(
    center: AssessmentLedger,
) -> None:
    # given W02 (one person, S002): 6 points of absence
    record(center, "INC-W3", staff_number=COLLEAGUE, item_code="ATT-05", quantity=2)
    tallied(center)
    refusal = refused(
        center,
        lambda: center.recommend(SECRETARY, Q1, BRANCH, (), (OTHER_WINDOW,), AFTER_Q1),
        rule="R-24",
    )
    assert refusal.fields["subject"] == OTHER_WINDOW


def test_r10_a_person_outside_the_branchs_windows_cannot_be_recommended(
    center: AssessmentLedger,
) -> None:
    tallied(center)
    # S005 is in B2's W03; C001 is in B1's office, not one of its windows
    for person in (B2_SECRETARY, CLERK.person_id):
        refused(
            center,
            lambda person=person: center.recommend(  # type: ignore[misc]
                SECRETARY, Q1, BRANCH, (person,), (), AFTER_Q1
            ),
            rule="R-10",
        )


def test_r10_a_window_of_another_branch_cannot_be_recommended(center: AssessmentLedger) -> None:
    tallied(center)
    refused(
        center, lambda: center.recommend(SECRETARY, Q1, BRANCH, (), (W03,), AFTER_Q1), rule="R-10"
    )


def test_r11_a_subject_that_became_ineligible_after_the_examination_is_refused_at_the_decision(
    center: AssessmentLedger,
) -> None:
    # given S004 examined and accepted, then a veto case in Q1 recorded against them
    examined(center)
    veto = center.record_veto_case(
        CLERK, B1_SECRETARY, VetoCase.V7, date(2025, 3, 25), "INC-V3", "ev", "verified", SOURCE
    )
    # when the leading group decides, then it is refused naming the veto, and nothing is decided
    refusal = refused(
        center,
        lambda: center.decide_quarter_results(LEADER, Q1, "LG-1", AFTER_Q1),
        rule="R-35",
    )
    assert refusal.fields["events"] == [staff_ref(center, B1_SECRETARY, veto.number)]
    assert center.round(Q1).decision is None


# Where the quarter stands (issue 5 item 7)


def test_the_status_names_every_step_with_who_acts_and_what_is_missing(
    center: AssessmentLedger,
) -> None:
    # given the opinions compiled and B1's evaluation opened, one ballot cast
    compiled(center)
    center.open_mutual_evaluation(SECRETARY, Q1, BRANCH, BallotMode.UNLINKABLE)
    center.cast_ballot(Actor(STAFF, Role.STAFF), Q1, BRANCH, {OTHER_WINDOW: "good"})
    status = center.procedure_status(Q1, AFTER_Q1)
    steps = {(s.key, s.scope): s for s in status.steps}
    # then each step says who acts and what is missing
    assert steps[("submit_opinion", "office OF2")].done
    assert steps[("compile_opinions", "")].due_on == date(2025, 4, 3)
    assert not steps[("compile_opinions", "")].late
    ballots = steps[("cast_ballot", "branch B1")]
    assert not ballots.done and ballots.role is Role.STAFF
    assert "the ballot of S001" not in ballots.missing
    assert "the ballot of S004" in ballots.missing
    opening = steps[("open_mutual_evaluation", "branch B2")]
    assert (opening.done, opening.role) == (False, Role.BRANCH_SECRETARY)
    assert status.current is not None and status.current.key == "cast_ballot"
    assert [s.key for s in status.steps][-2:] == [
        "examine_recommendations",
        "decide_quarter_results",
    ]
    assert not status.decided


def test_the_status_after_the_decision_has_every_step_done(center: AssessmentLedger) -> None:
    examined(center)
    center.decide_quarter_results(LEADER, Q1, "LG-1", AFTER_Q1)
    status = center.procedure_status(Q1, AFTER_Q1)
    assert status.current is None and status.decided
    assert all(s.done and not s.missing for s in status.steps)
    assert {s.scope for s in status.steps if s.key == "recommend"} == {"branch B1", "branch B2"}
    text = "\n".join(status.lines())
    assert "decided" in text.splitlines()[0]


def test_r10_the_results_carry_the_mutual_evaluations_tallies(center: AssessmentLedger) -> None:
    tallied(center)
    tallies = payloads(center, "MutualEvaluationTallied")
    b1 = next(t for t in tallies if t["branch"] == BRANCH)
    # W01 is rated by the four voters outside it, W02 by the five outside it: all "good"
    assert b1["ballots"] == 6
    assert ["W01", "good", 4] in b1["tallies"]  # type: ignore[operator]
    assert ["W02", "good", 5] in b1["tallies"]  # type: ignore[operator]
    assert ["W02", "excellent", 0] in b1["tallies"]  # type: ignore[operator]
    assert json.dumps(b1)  # plain JSON values only
