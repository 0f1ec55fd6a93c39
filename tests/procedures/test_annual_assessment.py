"""The annual assessment, first half (SPEC 4.6: R-12–R-16, D-17) and the whole year in order:
self-summaries and registration forms by category, head evaluations with grades from the
category's scheme, the countersignature split, mutual-evaluation and recommendation forms, joint
branch meetings; every step refused out of order, twice, and by the wrong role or scope. The
second half is in test_annual_decisions.py; the center is annual_support's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import pytest
from annual_support import (
    AUTHORITY,
    COMMITTEE,
    COUNTERSIGNED_ON,
    DECIDED_ON,
    EVALUATED_ON,
    FORMS_ON,
    HEAD_OF1,
    HEAD_W01,
    HEAD_W02,
    LEADER_IN_CHARGE,
    LEADER_IN_CHARGE_AS_GROUP,
    MEETING_ON,
    MUTUAL_ON,
    NOTIFIED_ON,
    OF1,
    OFFICE_HEAD,
    OTHER_WINDOW_HEAD,
    PI_STAFF,
    SECRETARY,
    W01,
    W02,
    WINDOW_HEAD,
    YEAR,
    ratings,
    seed_annual_center,
    staff,
    walk,
)

from builders import CLERK, LEADER, at, refused
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.errors import RoleRequired
from ledger.policy import Grade
from ledger.values import OPERATOR, Actor, Role, StaffCategory, UnitKind


@pytest.fixture
def center(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    seed_annual_center(ledger, clock)
    return ledger


def topics(ledger: AssessmentLedger, year: int = YEAR) -> list[str]:
    annual = ledger.annual_assessment(year)
    assert annual is not None
    return [item.event for item in ledger.history(annual.id, limit=1000)]


def payloads(ledger: AssessmentLedger, event: str, year: int = YEAR) -> list[dict[str, object]]:
    annual = ledger.annual_assessment(year)
    assert annual is not None
    return [
        item.payload
        for item in ledger.history(annual.id, limit=1000)
        if item.event == f"ledger.annual.{event}.v1"
    ]


# The whole year


def test_r12_to_r19_the_whole_year_runs_in_order_and_ends_in_the_period_decision(
    center: AssessmentLedger,
) -> None:
    # given the small center with its 2025 round open
    # when every step of the annual assessment is taken in order
    walk(center)
    # then the year's stream holds each step once, in order
    assert [t.split(".")[2] for t in dict.fromkeys(topics(center))] == [
        "Begun",
        "StaffEvaluated",
        "ProposalCountersigned",
        "MutualEvaluationFormSubmitted",
        "RecommendationFormSubmitted",
        "JointBranchMeetingHeld",
        "PreliminaryGradesFixed",
        "ExcellentWindowsDecided",
        "PublicityStarted",
        "ExcellentListApproved",
        "ResultsDecided",
        "ResultNotified",
        "FiledWithHomeUnit",
        "FiledWithHigherAuthority",
        "FilingReceiptRecorded",
    ]
    # and the year is decided, every step done, the grade known with its notification day
    status = center.procedure_status(str(YEAR))
    assert status.decided and status.current is None
    assert center.round(str(YEAR)).decision is not None
    assert center._decided_grade("S001", YEAR) == (Grade.EXCELLENT, NOTIFIED_ON)
    assert center._decided_grade(PI_STAFF, YEAR) == (Grade.QUALIFIED, NOTIFIED_ON)
    # and the person's own stream holds their forms and signature
    own = [i.event for i in center.history(center.staff_stream("S001"), limit=100)]
    assert own[-3:] == [
        "ledger.staff.SelfSummarySubmitted.v1",
        "ledger.staff.RegistrationFormSubmitted.v1",
        "ledger.staff.RegistrationFormSigned.v1",
    ]


def test_the_year_status_names_what_is_missing_and_who_acts(center: AssessmentLedger) -> None:
    # given the forms in and two proposals made
    walk(center, "forms")
    center.evaluate(WINDOW_HEAD, YEAR, "S001", "good", Grade.EXCELLENT, EVALUATED_ON)
    center.evaluate(OFFICE_HEAD, YEAR, "C001", "good", Grade.COMPETENT, EVALUATED_ON)
    # when the status is read
    status = center.procedure_status(str(YEAR))
    steps = {step.key: step for step in status.steps}
    # then it is at the window heads' evaluations, naming who is missing and where
    assert status.current is not None and status.current.key == "evaluate_window_staff"
    assert steps["submit_self_summary"].done
    assert steps["evaluate_window_staff"].missing == ("S002 (W02)", "S004 (W01)")
    assert steps["evaluate_window_staff"].role is Role.WINDOW_HEAD
    assert steps["evaluate_heads"].role is Role.LEADER_IN_CHARGE
    # and the countersignatures awaited, by whom
    assert "S001" in steps["countersign_supervision"].missing
    assert steps["countersign_leaders"].missing == ("C001", "L001 (not evaluated yet)")
    assert steps["countersign_leaders"].scope == OF1
    assert steps["countersign_leading_group"].missing == ("H003 (not evaluated yet)",)
    assert steps["hold_joint_branch_meeting"].missing == ("B1",)


def test_the_year_status_before_anything_names_the_missing_self_summaries(
    center: AssessmentLedger,
) -> None:
    status = center.procedure_status(str(YEAR))
    assert status.current is not None and status.current.key == "submit_self_summary"
    assert status.current.missing == (
        "C001",
        "H001",
        "H002",
        "H003",
        "L001",
        "S001",
        "S002",
        PI_STAFF,
    )
    assert not status.decided


# self-summary and registration form


def test_r12_a_staff_member_submits_their_self_summary_once(center: AssessmentLedger) -> None:
    center.submit_self_summary(staff("S001"), YEAR, "my year", FORMS_ON)
    assert center.staff("S001").annual_forms(YEAR).self_summary_on == FORMS_ON
    refused(
        center,
        lambda: center.submit_self_summary(staff("S001"), YEAR, "again", FORMS_ON),
        rule="R-12",
    )


def test_r12_the_self_summary_is_submitted_by_the_person_as_staff(
    center: AssessmentLedger,
) -> None:
    # acting in another role, or as someone not registered, is refused naming the staff role
    for actor in (Actor("S001", Role.WINDOW_HEAD), Actor("X999", Role.STAFF)):
        error = refused(
            center,
            lambda actor=actor: center.submit_self_summary(actor, YEAR, "x", FORMS_ON),  # type: ignore[misc]
            RoleRequired,
        )
        assert error.fields["role_needed"] == "staff"


def test_r12_the_self_summary_needs_the_years_round_open(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_annual_center(ledger, clock)
    refused(
        ledger,
        lambda: ledger.submit_self_summary(staff("S001"), 2026, "next year", FORMS_ON),
        rule="R-12",
    )


def test_r12_someone_in_no_unit_takes_no_part(center: AssessmentLedger) -> None:
    error = refused(
        center, lambda: center.submit_self_summary(staff("S003"), YEAR, "x", FORMS_ON), rule="R-12"
    )
    assert "takes no part" in str(error)


def test_r12_the_registration_form_is_the_one_of_the_persons_category(
    center: AssessmentLedger,
) -> None:
    # when the public-institution clerk hands in the civil servants' form, it is refused
    error = refused(
        center,
        lambda: center.submit_registration_form(
            staff(PI_STAFF), YEAR, StaffCategory.CIVIL_SERVANT, FORMS_ON
        ),
        rule="R-12",
    )
    assert "registered as public_institution" in str(error)
    # and their own form records the scheme in force for 2025
    center.submit_registration_form(
        staff(PI_STAFF), YEAR, StaffCategory.PUBLIC_INSTITUTION, FORMS_ON
    )
    form = center.history(center.staff_stream(PI_STAFF), newest_first=True, limit=1)[0].payload
    assert form["grade_scheme"] == (
        "public institution (since 2014): excellent / qualified / basically_qualified / unqualified"
    )
    refused(
        center,
        lambda: center.submit_registration_form(
            staff(PI_STAFF), YEAR, StaffCategory.PUBLIC_INSTITUTION, FORMS_ON
        ),
        rule="R-12",
    )


def test_r12_a_proposed_grade_comes_from_the_subjects_scheme(center: AssessmentLedger) -> None:
    walk(center, "forms")
    # a public-institution clerk cannot be proposed "competent" (the civil service's scale)
    refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, PI_STAFF, "ok", Grade.COMPETENT, EVALUATED_ON),
        rule="R-12",
    )
    # nor a civil servant "qualified"
    refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", "qualified", EVALUATED_ON),
        rule="R-12",
    )
    # a grade outside every scheme is refused naming the rule too
    refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", "outstanding", EVALUATED_ON),
        rule="R-12",
    )
    # since 2014 public institutions know "basically qualified"; anyone may be left ungraded
    center.evaluate(WINDOW_HEAD, YEAR, PI_STAFF, "ok", Grade.BASICALLY_QUALIFIED, EVALUATED_ON)
    center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", Grade.UNGRADED, EVALUATED_ON)


def test_r12_public_institution_staff_had_no_basically_qualified_grade_until_2014(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    # given a center assessing 2013, with a public-institution clerk and their head
    start = date(2013, 1, 1)
    clock.set(at(date(2014, 1, 20)))
    ledger.form_party_branch(OPERATOR, "B1", "First branch", start)
    ledger.open_unit(OPERATOR, "W01", "Tax", UnitKind.WINDOW, "Tax bureau", "B1", start)
    for number, category in (
        ("H001", StaffCategory.CIVIL_SERVANT),
        ("P001", StaffCategory.PUBLIC_INSTITUTION),
        ("C001", StaffCategory.CIVIL_SERVANT),
    ):
        ledger.register_staff(OPERATOR, number, number, category, "Tax bureau", start)
    ledger.assign_staff(OPERATOR, "H001", "W01", start)
    ledger.assign_staff(OPERATOR, "P001", "W01", start)
    ledger.appoint_head(OPERATOR, "W01", "H001", start)
    ledger.grant_role(OPERATOR, "C001", Role.SUPERVISION_CLERK, start)
    ledger.open_round(Actor("C001", Role.SUPERVISION_CLERK), "2013", date(2013, 12, 20))
    forms_on = date(2014, 1, 6)
    ledger.submit_self_summary(staff("P001"), 2013, "my 2013", forms_on)
    ledger.submit_registration_form(staff("P001"), 2013, StaffCategory.PUBLIC_INSTITUTION, forms_on)
    form = ledger.history(ledger.staff_stream("P001"), newest_first=True, limit=1)[0].payload
    assert (
        form["grade_scheme"]
        == "public institution (until 2014): excellent / qualified / unqualified"
    )
    head = Actor("H001", Role.WINDOW_HEAD)
    # when the head proposes "basically qualified" for 2013, it is refused
    error = refused(
        ledger,
        lambda: ledger.evaluate(head, 2013, "P001", "ok", Grade.BASICALLY_QUALIFIED, forms_on),
        rule="R-12",
    )
    assert "excellent / qualified / unqualified" in str(error)
    # and "qualified" is taken
    ledger.evaluate(head, 2013, "P001", "ok", Grade.QUALIFIED, forms_on)


# R-13, D-17: evaluations


def test_r13_an_evaluation_needs_the_subjects_forms(center: AssessmentLedger) -> None:
    center.submit_self_summary(staff("S001"), YEAR, "my year", FORMS_ON)
    error = refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", Grade.COMPETENT, EVALUATED_ON),
        rule="R-13",
    )
    assert "registration form" in str(error) and "self-summary" not in str(error)


def test_r13_the_units_head_evaluates_its_staff_once(center: AssessmentLedger) -> None:
    walk(center, "forms")
    # another window's head may not evaluate W01's staff
    refused(
        center,
        lambda: center.evaluate(OTHER_WINDOW_HEAD, YEAR, "S001", "ok", "competent", EVALUATED_ON),
        RoleRequired,
    )
    # nor the office head acting as a window head, nor the leader in charge for a non-head
    refused(
        center,
        lambda: center.evaluate(LEADER_IN_CHARGE, YEAR, "S001", "ok", "competent", EVALUATED_ON),
        RoleRequired,
    )
    center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", Grade.COMPETENT, EVALUATED_ON)
    refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", "excellent", EVALUATED_ON),
        rule="R-13",
    )


def test_r13_the_office_head_evaluates_the_offices_staff(center: AssessmentLedger) -> None:
    walk(center, "forms")
    refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, "C001", "ok", "competent", EVALUATED_ON),
        RoleRequired,
    )
    center.evaluate(OFFICE_HEAD, YEAR, "C001", "ok", Grade.COMPETENT, EVALUATED_ON)
    (payload,) = payloads(center, "StaffEvaluated")
    assert payload["unit_code"] == OF1
    assert payload["countersigner_role"] == "leader_in_charge"
    assert payload["countersign_unit"] == OF1


def test_d17_the_leader_in_charge_evaluates_heads_not_the_heads_themselves(
    center: AssessmentLedger,
) -> None:
    walk(center, "forms")
    error = refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, HEAD_W01, "me", "excellent", EVALUATED_ON),
        RoleRequired,
    )
    assert error.fields["role_needed"] == "leader_in_charge"
    center.evaluate(LEADER_IN_CHARGE, YEAR, HEAD_W01, "leads well", "competent", EVALUATED_ON)
    center.evaluate(LEADER_IN_CHARGE, YEAR, HEAD_OF1, "leads well", "competent", EVALUATED_ON)
    signers = {p["subject"]: p["countersigner_role"] for p in payloads(center, "StaffEvaluated")}
    assert signers == {HEAD_W01: "supervision_clerk", HEAD_OF1: "leading_group"}


def role_refusal(ledger: AssessmentLedger, command: Callable[[], object]) -> RoleRequired:
    """The role refusal of a command that must record nothing."""
    error = refused(ledger, command, RoleRequired)
    assert isinstance(error, RoleRequired)
    return error


@pytest.mark.parametrize(
    "evaluator", [OTHER_WINDOW_HEAD, Actor("L001", Role.LEADER_IN_CHARGE)], ids=["head", "leader"]
)
def test_r13_another_units_evaluator_is_refused_alike_whether_or_not_the_person_takes_part(
    center: AssessmentLedger, evaluator: Actor
) -> None:
    # given S001 of W01 taking part and S003 in no unit, both with their forms, and L001 the
    # leader in charge of W02 only
    walk(center, "forms")
    center.appoint_leader_in_charge(OPERATOR, W02, "L001", FORMS_ON)

    # when W02's head, or its leader in charge, tries to evaluate each
    participant, outsider = (
        role_refusal(
            center, partial(center.evaluate, evaluator, YEAR, subject, "ok", "competent", FORMS_ON)
        )
        for subject in ("S001", "S003")
    )

    # then both refusals say the same, naming neither the unit nor whether the person takes part
    # (nor, by the role needed, whether the person is a head)
    assert participant.needed == outsider.needed == evaluator.role.value
    assert str(participant).replace("S001", "S003") == str(outsider)
    assert W01 not in str(participant) and "takes no part" not in str(outsider)


def test_d17_another_leader_in_charge_is_refused_alike_whether_or_not_there_is_a_proposal(
    center: AssessmentLedger,
) -> None:
    # given C001 of OF1 evaluated by OF1's head, and L001 the leader in charge of W02 only
    walk(center, "evaluations")
    center.appoint_leader_in_charge(OPERATOR, W02, "L001", COUNTERSIGNED_ON)
    other_leader = Actor("L001", Role.LEADER_IN_CHARGE)

    # when L001 tries to countersign C001's proposal (OF1's leader in charge countersigns it)
    # and S003's, of whom there is none
    proposed, none = (
        role_refusal(
            center, partial(center.countersign, other_leader, YEAR, subject, COUNTERSIGNED_ON)
        )
        for subject in ("C001", "S003")
    )

    # then both refusals say the same: not whether there is a proposal, nor whose unit it is
    assert proposed.needed == none.needed == "leader_in_charge"
    assert str(proposed).replace("C001", "S003") == str(none)
    assert OF1 not in str(proposed) and "evaluated" not in str(none)


def test_r14_the_subjects_own_leader_in_charge_learns_that_there_is_no_proposal_yet(
    center: AssessmentLedger,
) -> None:
    walk(center, "forms")

    error = refused(
        center,
        lambda: center.countersign(LEADER_IN_CHARGE, YEAR, "C001", COUNTERSIGNED_ON),
        rule="R-14",
    )

    assert "has not been evaluated" in str(error)


def test_r13_an_evaluation_is_not_dated_in_the_future(center: AssessmentLedger) -> None:
    walk(center, "forms")
    refused(
        center,
        lambda: center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", "competent", date(2026, 3, 11)),
        rule="DATED_RECORDS",
    )


# R-14, D-17: countersignatures


def test_r14_a_window_heads_proposal_is_countersigned_by_the_supervision_office(
    center: AssessmentLedger,
) -> None:
    walk(center, "forms")
    # given nothing proposed, nothing is countersigned
    refused(center, lambda: center.countersign(CLERK, YEAR, "S001", COUNTERSIGNED_ON), rule="R-14")
    center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", Grade.EXCELLENT, EVALUATED_ON)
    # the leader in charge is not the one for a window head's proposal
    refused(
        center,
        lambda: center.countersign(LEADER_IN_CHARGE, YEAR, "S001", COUNTERSIGNED_ON),
        RoleRequired,
    )
    center.countersign(CLERK, YEAR, "S001", COUNTERSIGNED_ON)
    refused(center, lambda: center.countersign(CLERK, YEAR, "S001", COUNTERSIGNED_ON), rule="R-14")
    (payload,) = payloads(center, "ProposalCountersigned")
    assert payload["proposed_grade"] == "excellent" and payload["actor_role"] == "supervision_clerk"


def test_r14_an_office_heads_proposal_is_countersigned_by_the_offices_leader_in_charge(
    center: AssessmentLedger,
) -> None:
    walk(center, "forms")
    center.evaluate(OFFICE_HEAD, YEAR, "L001", "ok", Grade.COMPETENT, EVALUATED_ON)
    refused(center, lambda: center.countersign(CLERK, YEAR, "L001", COUNTERSIGNED_ON), RoleRequired)
    center.countersign(LEADER_IN_CHARGE, YEAR, "L001", COUNTERSIGNED_ON)


def test_r14_a_countersignature_is_not_dated_before_the_evaluation(
    center: AssessmentLedger,
) -> None:
    walk(center, "forms")
    center.evaluate(WINDOW_HEAD, YEAR, "S001", "ok", Grade.COMPETENT, EVALUATED_ON)
    refused(center, lambda: center.countersign(CLERK, YEAR, "S001", FORMS_ON), rule="DATED_RECORDS")


def test_d17_a_leader_in_charges_proposal_for_a_window_head_goes_to_the_supervision_office(
    center: AssessmentLedger,
) -> None:
    walk(center, "forms")
    center.evaluate(LEADER_IN_CHARGE, YEAR, HEAD_W02, "ok", Grade.COMPETENT, EVALUATED_ON)
    refused(
        center,
        lambda: center.countersign(LEADER_IN_CHARGE, YEAR, HEAD_W02, COUNTERSIGNED_ON),
        RoleRequired,
    )
    center.countersign(CLERK, YEAR, HEAD_W02, COUNTERSIGNED_ON)


def test_d17_an_office_heads_proposal_is_countersigned_by_the_leading_group_not_its_proposer(
    center: AssessmentLedger,
) -> None:
    walk(center, "forms")
    center.evaluate(LEADER_IN_CHARGE, YEAR, HEAD_OF1, "ok", Grade.COMPETENT, EVALUATED_ON)
    # the proposer, though a leading-group member, does not countersign their own proposal
    error = refused(
        center,
        lambda: center.countersign(LEADER_IN_CHARGE_AS_GROUP, YEAR, HEAD_OF1, COUNTERSIGNED_ON),
        rule="R-14",
    )
    assert "they made" in str(error)
    refused(
        center,
        lambda: center.countersign(LEADER_IN_CHARGE, YEAR, HEAD_OF1, COUNTERSIGNED_ON),
        RoleRequired,
    )
    center.countersign(LEADER, YEAR, HEAD_OF1, COUNTERSIGNED_ON)


# the forms


def test_r15_the_mutual_evaluation_form_rates_every_colleague_of_the_branch_once(
    center: AssessmentLedger,
) -> None:
    full = ratings(center, "S001")
    missing = {k: v for k, v in full.items() if k != "S002"}
    error = refused(
        center,
        lambda: center.submit_mutual_evaluation_form(staff("S001"), YEAR, missing, MUTUAL_ON),
        rule="R-15",
    )
    assert error.fields["missing"] == ["S002"]
    # S003 is in no unit, so no colleague; rating oneself is not rating a colleague
    for extra in ("S003", "S001"):
        refused(
            center,
            lambda extra=extra: center.submit_mutual_evaluation_form(  # type: ignore[misc]
                staff("S001"), YEAR, {**full, extra: Grade.COMPETENT}, MUTUAL_ON
            ),
            rule="R-15",
        )
    # each colleague is rated on their own scale, without "ungraded"
    for wrong in ({PI_STAFF: Grade.COMPETENT}, {"S002": Grade.UNGRADED}):
        refused(
            center,
            lambda wrong=wrong: center.submit_mutual_evaluation_form(  # type: ignore[misc]
                staff("S001"), YEAR, {**full, **wrong}, MUTUAL_ON
            ),
            rule="R-15",
        )
    center.submit_mutual_evaluation_form(staff("S001"), YEAR, full, MUTUAL_ON)
    refused(
        center,
        lambda: center.submit_mutual_evaluation_form(staff("S001"), YEAR, full, MUTUAL_ON),
        rule="R-15",
    )
    (payload,) = payloads(center, "MutualEvaluationFormSubmitted")
    assert payload["actor_id"] == "S001" and payload["branch"] == "B1"
    assert payload["ratings"] == {k: v.value for k, v in sorted(full.items())}


def test_r15_a_mutual_evaluation_form_is_the_actors_own(center: AssessmentLedger) -> None:
    refused(
        center,
        lambda: center.submit_mutual_evaluation_form(
            Actor("S001", Role.LEADING_GROUP), YEAR, ratings(center, "S001"), MUTUAL_ON
        ),
        RoleRequired,
    )


def test_r15_the_recommendation_form_is_filled_by_the_units_head_for_its_staff(
    center: AssessmentLedger,
) -> None:
    refused(
        center,
        lambda: center.submit_recommendation_form(OTHER_WINDOW_HEAD, YEAR, W01, (), MUTUAL_ON),
        RoleRequired,
    )
    error = refused(
        center,
        lambda: center.submit_recommendation_form(WINDOW_HEAD, YEAR, W01, ("S002",), MUTUAL_ON),
        rule="R-15",
    )
    assert "S002" in str(error)
    center.submit_recommendation_form(WINDOW_HEAD, YEAR, W01, ("S001", PI_STAFF), MUTUAL_ON)
    center.submit_recommendation_form(OFFICE_HEAD, YEAR, OF1, (), MUTUAL_ON)
    refused(
        center,
        lambda: center.submit_recommendation_form(WINDOW_HEAD, YEAR, W01, (), MUTUAL_ON),
        rule="R-15",
    )


# joint branch meetings


def test_r16_the_joint_meeting_needs_every_form_of_the_branch(center: AssessmentLedger) -> None:
    walk(center, "countersignatures")
    refused(
        center,
        lambda: center.hold_joint_branch_meeting(SECRETARY, YEAR, "B1", (), (), MEETING_ON),
        rule="R-16",
    )
    walk_forms_only(center)
    center.submit_recommendation_form(WINDOW_HEAD, YEAR, W01, (), MUTUAL_ON)
    error = refused(
        center,
        lambda: center.hold_joint_branch_meeting(SECRETARY, YEAR, "B1", (), (), MEETING_ON),
        rule="R-16",
    )
    assert "recommendation forms of OF1, W02" in str(error)


def walk_forms_only(center: AssessmentLedger) -> None:
    for number in center.year_roster(YEAR).participants:
        center.submit_mutual_evaluation_form(
            staff(number), YEAR, ratings(center, number), MUTUAL_ON
        )


def test_r16_the_branch_secretary_holds_the_meeting_once(center: AssessmentLedger) -> None:
    walk(center, "recommendations")
    # another member of the branch is not its secretary
    refused(
        center,
        lambda: center.hold_joint_branch_meeting(
            Actor("S001", Role.BRANCH_SECRETARY), YEAR, "B1", (), (), MEETING_ON
        ),
        RoleRequired,
    )
    # the secretary of B1 has no scope over another branch
    refused(
        center,
        lambda: center.hold_joint_branch_meeting(SECRETARY, YEAR, "B2", (), (), MEETING_ON),
        RoleRequired,
    )
    # a branch recommends its own staff and windows, not an office
    refused(
        center,
        lambda: center.hold_joint_branch_meeting(SECRETARY, YEAR, "B1", ("S003",), (), MEETING_ON),
        rule="R-16",
    )
    refused(
        center,
        lambda: center.hold_joint_branch_meeting(SECRETARY, YEAR, "B1", (), (OF1,), MEETING_ON),
        rule="R-16",
    )
    center.hold_joint_branch_meeting(SECRETARY, YEAR, "B1", ("S001",), (W01, W02), MEETING_ON)
    refused(
        center,
        lambda: center.hold_joint_branch_meeting(SECRETARY, YEAR, "B1", (), (), MEETING_ON),
        rule="R-16",
    )
    (payload,) = payloads(center, "JointBranchMeetingHeld")
    assert payload["recommended_staff"] == ["S001"]
    assert payload["recommended_windows"] == [W01, W02]
    # the tally counts the ratings each participant was given by the branch's seven others
    tally = payload["ratings_tally"]
    assert isinstance(tally, dict) and tally["S001"] == {"competent": 7}


# Every step before its turn, and roles on the later steps


@pytest.mark.parametrize(
    ("step", "rule"),
    [
        ("countersign", "R-14"),
        ("meeting", "R-16"),
        ("preliminary", "R-17"),
        ("windows", "R-17"),
        ("publicity", "R-18"),
        ("objection", "R-18"),
        ("approval", "R-18"),
        ("decision", "R-19"),
        ("notification", "R-19"),
        ("signature", "R-19"),
        ("higher_authority", "R-19"),
        ("receipt", "R-19"),
    ],
)
def test_each_step_before_its_turn_is_refused_naming_its_rule(
    center: AssessmentLedger, step: str, rule: str
) -> None:
    # given the forms in, but nothing evaluated
    walk(center, "forms")
    commands = {
        "countersign": lambda: center.countersign(CLERK, YEAR, "S001", COUNTERSIGNED_ON),
        "meeting": lambda: center.hold_joint_branch_meeting(
            SECRETARY, YEAR, "B1", (), (), MEETING_ON
        ),
        "preliminary": lambda: center.fix_preliminary_grades(LEADER, YEAR, {}, MEETING_ON),
        "windows": lambda: center.decide_annual_excellent_windows(LEADER, YEAR, (), MEETING_ON),
        "publicity": lambda: center.start_publicity(CLERK, YEAR, MEETING_ON),
        "objection": lambda: center.raise_publicity_objection(
            staff("S002"), YEAR, "S001", "no", MEETING_ON
        ),
        "approval": lambda: center.approve_excellent_list(COMMITTEE, YEAR, DECIDED_ON),
        "decision": lambda: center.decide_year_results(LEADER, YEAR, "LG-1", DECIDED_ON),
        "notification": lambda: center.notify_result(CLERK, YEAR, "S001", NOTIFIED_ON),
        "signature": lambda: center.sign_result(staff("S001"), YEAR, "ok", True, NOTIFIED_ON),
        "higher_authority": lambda: center.file_with_higher_authority(
            CLERK, YEAR, "ref", NOTIFIED_ON
        ),
        "receipt": lambda: center.record_filing_receipt(AUTHORITY, YEAR, "ref", NOTIFIED_ON),
    }
    refused(center, commands[step], rule=rule)


def test_the_later_steps_need_their_roles(center: AssessmentLedger) -> None:
    walk(center, "meeting")
    as_clerk = Actor(LEADER.person_id, Role.SUPERVISION_CLERK)
    for command in (
        lambda: center.fix_preliminary_grades(CLERK, YEAR, {}, MEETING_ON),
        lambda: center.decide_annual_excellent_windows(SECRETARY, YEAR, (), MEETING_ON),
        lambda: center.start_publicity(as_clerk, YEAR, MEETING_ON),
        lambda: center.approve_excellent_list(LEADER, YEAR, DECIDED_ON),
        lambda: center.decide_year_results(COMMITTEE, YEAR, "LG", DECIDED_ON),
        lambda: center.notify_result(LEADER, YEAR, "S001", NOTIFIED_ON),
        lambda: center.file_with_higher_authority(AUTHORITY, YEAR, "ref", NOTIFIED_ON),
        lambda: center.record_filing_receipt(CLERK, YEAR, "ref", NOTIFIED_ON),
        lambda: center.resolve_publicity_objection(CLERK, YEAR, 1, "dismissed", "r", NOTIFIED_ON),
    ):
        refused(center, command, RoleRequired)


def test_a_head_evaluates_only_while_in_post(center: AssessmentLedger) -> None:
    # given W02's head term ends before the evaluations
    walk(center, "forms")
    center.end_head_term(OPERATOR, W02, date(2026, 1, 6))
    refused(
        center,
        lambda: center.evaluate(OTHER_WINDOW_HEAD, YEAR, "S002", "ok", "competent", EVALUATED_ON),
        RoleRequired,
    )
