"""The annual assessment, second half (SPEC 4.6: R-17–R-19, R-22, R-25, R-35; D-20–D-22): the
preliminary grades with eligibility and the excellent quota, the annual excellent windows,
publicity on working days with its objections, the Party Working Committee's approval, the year's
results as the period decision, notification, signature and filings."""

from __future__ import annotations

import json
from datetime import date

import pytest
import rfc8785
from annual_support import (
    APPROVED_ON,
    AUTHORITY,
    COMMITTEE,
    DECIDED_ON,
    FILED_ON,
    FILING_REFERENCE,
    MEETING_ON,
    NOTIFIED_ON,
    PI_STAFF,
    PRELIMINARY_ON,
    PUBLICITY_DUE,
    PUBLICITY_ON,
    RECEIPT_ON,
    SECRETARY,
    SIGNED_ON,
    W01,
    W02,
    WINDOW_HEAD,
    YEAR,
    proposed_grades,
    seed_annual_center,
    staff,
    walk,
)

from builders import CLERK, LEADER, SOURCE, record, refused, reopen_for_late_veto
from ledger.aggregates.annual_assessment import AnnualAssessment
from ledger.aggregates.base import LedgerAggregate
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.errors import RecordNotFound, RoleRequired
from ledger.policy import Grade
from ledger.values import OPERATOR, DeductionSource, VetoCase


@pytest.fixture
def center(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    seed_annual_center(ledger, clock)
    return ledger


def payloads(ledger: AssessmentLedger, event: str) -> list[dict[str, object]]:
    annual = ledger.annual_assessment(YEAR)
    assert annual is not None
    return [
        item.payload
        for item in ledger.history(annual.id, limit=1000)
        if item.event == f"ledger.annual.{event}.v1"
    ]


def grades_with(ledger: AssessmentLedger, **changes: Grade) -> dict[str, Grade]:
    return {**proposed_grades(ledger), **changes}


# the preliminary grades


def test_r17_only_countersigned_proposals_can_be_fixed(center: AssessmentLedger) -> None:
    # given every form in and S001 evaluated, but nobody countersigned
    walk(center, "evaluations")
    error = refused(
        center,
        lambda: center.fix_preliminary_grades(
            LEADER, YEAR, proposed_grades(center), PRELIMINARY_ON
        ),
        rule="R-17",
    )
    assert "S001" in error.fields["not_countersigned"]  # type: ignore[operator]
    assert error.fields["no_meeting"] == ["B1"]


def test_r17_every_participant_is_graded_and_nobody_else(center: AssessmentLedger) -> None:
    walk(center, "meeting")
    grades = proposed_grades(center)
    del grades["S002"]
    refused(
        center,
        lambda: center.fix_preliminary_grades(LEADER, YEAR, grades, PRELIMINARY_ON),
        rule="R-17",
    )
    refused(
        center,
        lambda: center.fix_preliminary_grades(
            LEADER, YEAR, grades_with(center, S003=Grade.COMPETENT), PRELIMINARY_ON
        ),
        rule="R-17",
    )


def test_r17_the_list_may_differ_from_the_proposals_and_records_both(
    center: AssessmentLedger,
) -> None:
    # given S002 proposed competent and S004 qualified
    walk(center, "meeting")
    # when the leading group lowers S002 and withholds S004's grade
    center.fix_preliminary_grades(
        LEADER,
        YEAR,
        grades_with(center, S002=Grade.BASICALLY_COMPETENT, S004=Grade.UNGRADED),
        PRELIMINARY_ON,
    )
    # then both lists are recorded and the differences named
    (fixed,) = payloads(center, "PreliminaryGradesFixed")
    assert fixed["differing_from_proposals"] == ["S002", PI_STAFF]
    assert fixed["grades"]["S002"] == "basically_competent"  # type: ignore[index]
    assert fixed["proposed"]["S002"] == "competent"  # type: ignore[index]
    # and the ungraded person is not counted in n (D-20)
    assert fixed["quota"]["public_institution"]["graded"] == 0  # type: ignore[index]
    # and a second list is refused
    refused(
        center,
        lambda: center.fix_preliminary_grades(
            LEADER, YEAR, proposed_grades(center), PRELIMINARY_ON
        ),
        rule="R-17",
    )


def test_r12_the_preliminary_grades_come_from_each_scheme(center: AssessmentLedger) -> None:
    walk(center, "meeting")
    refused(
        center,
        lambda: center.fix_preliminary_grades(
            LEADER, YEAR, grades_with(center, S004=Grade.COMPETENT), PRELIMINARY_ON
        ),
        rule="R-12",
    )


# eligibility for excellent


def test_r22_an_excellent_grade_at_five_points_is_refused_naming_the_deductions(
    center: AssessmentLedger,
) -> None:
    # given S001 recommended while eligible, then 6 points of 2025 recorded late
    walk(center, "meeting")
    absence = record(
        center, "INC-R22", item_code="ATT-05", quantity=2, occurred_on=date(2025, 11, 3)
    )
    # when the leading group grades S001 excellent
    error = refused(
        center,
        lambda: center.fix_preliminary_grades(
            LEADER, YEAR, proposed_grades(center), PRELIMINARY_ON
        ),
        rule="R-22",
    )
    # then the refusal names the rule and the deduction that bars it
    event = f"{center.staff_stream('S001')}/{absence.number}"
    assert error.fields["events"] == [event]
    assert event in str(error) and "6.0 points" in str(error)
    # and S001 graded competent is accepted
    center.fix_preliminary_grades(
        LEADER, YEAR, grades_with(center, S001=Grade.COMPETENT), PRELIMINARY_ON
    )


def test_r35_a_veto_case_of_the_year_bars_the_excellent_grade(center: AssessmentLedger) -> None:
    walk(center, "meeting")
    veto = center.record_veto_case(
        CLERK,
        "S001",
        VetoCase.V7,
        date(2025, 12, 1),
        "INC-V7",
        "photo",
        "seen by two clerks",
        DeductionSource.SUPERVISION_INSPECTION,
    )
    error = refused(
        center,
        lambda: center.fix_preliminary_grades(
            LEADER, YEAR, proposed_grades(center), PRELIMINARY_ON
        ),
        rule="R-35",
    )
    assert f"{center.staff_stream('S001')}/{veto.number}" in str(error)
    assert error.fields["barred_by"] == ["R-35"]


def test_r22_an_ineligible_person_is_not_recommended(center: AssessmentLedger) -> None:
    walk(center, "mutual_forms")
    record(center, "INC-REC", item_code="ATT-05", quantity=2, occurred_on=date(2025, 6, 2))
    refused(
        center,
        lambda: center.submit_recommendation_form(WINDOW_HEAD, YEAR, W01, ("S001",), MEETING_ON),
        rule="R-22",
    )


# D-20: the excellent quota


def test_d20_one_excellent_of_six_civil_servants_warns_and_is_recorded(
    center: AssessmentLedger,
) -> None:
    # given six civil servants graded, one excellent: more than 15% of 6 (0.9), not above
    # max(1, floor(20% x 6)) = 1
    walk(center, "preliminary")
    (fixed,) = payloads(center, "PreliminaryGradesFixed")
    quota = fixed["quota"]["civil_servant"]  # type: ignore[index]
    assert quota == {
        "graded": 6,
        "excellent": 1,
        "warning_percent": "15",
        "limit_percent": "20",
        "warn_above": "0.9",
        "limit": 1,
        "warns": True,
    }
    assert fixed["quota_warnings"] == [
        "D-20 warning: civil_servant: 1 excellent of 6 graded; warning above 0.9, limit 1 "
        "(more than 15% of 6)"
    ]


def test_d20_two_excellent_of_six_civil_servants_are_refused_with_the_arithmetic(
    center: AssessmentLedger,
) -> None:
    walk(center, "meeting", recommended_staff=("S001", "S002"))
    error = refused(
        center,
        lambda: center.fix_preliminary_grades(
            LEADER, YEAR, grades_with(center, S002=Grade.EXCELLENT), PRELIMINARY_ON
        ),
        rule="D-20",
    )
    assert "2 excellent of 6 graded" in str(error)
    assert "max(1, floor(20% x 6)) = 1" in str(error)


def test_d20_in_a_category_of_one_the_one_excellent_is_allowed(center: AssessmentLedger) -> None:
    # given the one public-institution participant graded excellent: limit max(1, floor(0.2))
    walk(center, "meeting", recommended_staff=(PI_STAFF,))
    center.fix_preliminary_grades(
        LEADER,
        YEAR,
        grades_with(center, S001=Grade.COMPETENT, S004=Grade.EXCELLENT),
        PRELIMINARY_ON,
    )
    (fixed,) = payloads(center, "PreliminaryGradesFixed")
    assert fixed["quota"]["public_institution"]["warns"] is True  # type: ignore[index]
    assert fixed["quota"]["civil_servant"]["warns"] is False  # type: ignore[index]


@pytest.fixture
def larger(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The center with four more civil servants in W01: ten civil servants."""
    seed_annual_center(ledger, clock, extra=4)
    return ledger


def test_d20_a_larger_category_takes_two_excellent_with_a_warning_and_refuses_three(
    larger: AssessmentLedger,
) -> None:
    walk(larger, "meeting", recommended_staff=("S001", "S002", "C001"))
    # three of ten: above max(1, floor(20% x 10)) = 2
    error = refused(
        larger,
        lambda: larger.fix_preliminary_grades(
            LEADER,
            YEAR,
            grades_with(larger, S002=Grade.EXCELLENT, C001=Grade.EXCELLENT),
            PRELIMINARY_ON,
        ),
        rule="D-20",
    )
    assert "3 excellent of 10 graded" in str(error) and "= 2" in str(error)
    # two of ten warn (above 1.5) and are taken
    larger.fix_preliminary_grades(
        LEADER, YEAR, grades_with(larger, S002=Grade.EXCELLENT), PRELIMINARY_ON
    )
    (fixed,) = payloads(larger, "PreliminaryGradesFixed")
    assert fixed["quota"]["civil_servant"]["warn_above"] == "1.5"  # type: ignore[index]
    assert fixed["quota"]["civil_servant"]["warns"] is True  # type: ignore[index]


def test_d20_an_ungraded_participant_is_not_counted_in_n(larger: AssessmentLedger) -> None:
    # given ten civil servants, one of them left ungraded: n = 9, limit max(1, floor(1.8)) = 1
    walk(larger, "meeting", recommended_staff=("S001", "S002"))
    error = refused(
        larger,
        lambda: larger.fix_preliminary_grades(
            LEADER,
            YEAR,
            grades_with(larger, S002=Grade.EXCELLENT, E001=Grade.UNGRADED),
            PRELIMINARY_ON,
        ),
        rule="D-20",
    )
    assert "2 excellent of 9 graded" in str(error)


# the annual excellent windows


def test_r25_a_window_disqualified_in_a_quarter_is_refused(center: AssessmentLedger) -> None:
    # given W01 recommended by its branch, then 6 window points of Q4 recorded (3 staff: n + 3)
    walk(center, "meeting", recommended_windows=(W01, W02))
    for n in range(3):
        center.record_window_deduction(
            CLERK, W01, "ATT-07", date(2025, 11, 3 + n), f"INC-W{n}", "photo", SOURCE
        )
    # when the leading group chooses it, it is refused naming the quarter
    error = refused(
        center,
        lambda: center.decide_annual_excellent_windows(LEADER, YEAR, (W01,), PRELIMINARY_ON),
        rule="R-25",
    )
    assert error.fields["disqualified_in"] == ["2025-Q4"]
    assert len(error.fields["events"]) == 3  # type: ignore[arg-type]
    # and a window its branch did not recommend is refused too
    refused(
        center,
        lambda: center.decide_annual_excellent_windows(LEADER, YEAR, ("W09",), PRELIMINARY_ON),
        rule="R-17",
    )
    center.decide_annual_excellent_windows(LEADER, YEAR, (W02,), PRELIMINARY_ON)
    refused(
        center,
        lambda: center.decide_annual_excellent_windows(LEADER, YEAR, (W02,), PRELIMINARY_ON),
        rule="R-17",
    )


def test_r25_a_branch_does_not_recommend_a_disqualified_window(center: AssessmentLedger) -> None:
    walk(center, "recommendations")
    for n in range(3):
        center.record_window_deduction(
            CLERK, W01, "ATT-07", date(2025, 2, 3 + n), f"INC-Q1-{n}", "photo", SOURCE
        )
    refused(
        center,
        lambda: center.hold_joint_branch_meeting(SECRETARY, YEAR, "B1", (), (W01,), MEETING_ON),
        rule="R-25",
    )


# R-18, D-21: publicity and its objections


def test_d21_publicity_runs_five_working_days_across_the_spring_festival(
    center: AssessmentLedger,
) -> None:
    # when publicity starts on Thursday 12 February 2026
    walk(center, "publicity")
    # then its last day skips the Spring Festival and counts the make-up Saturday
    (started,) = payloads(center, "PublicityStarted")
    assert started["due_on"] == PUBLICITY_DUE.isoformat() == "2026-02-26"
    assert started["working_days"] == 5
    assert started["calendar_versions"] == [
        f"2026: {center.calendar_year(2026).source} (v{center.calendar_year(2026).version})"
    ]
    assert started["excellent_staff"] == ["S001"] and started["excellent_windows"] == [W01]
    # and on a day during publicity the status says how long it runs
    during = {s.key: s for s in center.procedure_status(str(YEAR), date(2026, 2, 20)).steps}
    assert during["start_publicity"].due_on == PUBLICITY_DUE
    assert during["resolve_publicity_objections"].missing == ("publicity runs until 2026-02-26",)
    refused(center, lambda: center.start_publicity(CLERK, YEAR, PUBLICITY_ON), rule="R-18")


def test_d21_the_publicity_days_are_policy(center: AssessmentLedger) -> None:
    # given a policy of three working days adopted for 2025
    center.adopt_policy(
        OPERATOR, "three-day-publicity", date(2025, 1, 1), {"publicity_working_days": "3"}
    )
    walk(center, "publicity")
    (started,) = payloads(center, "PublicityStarted")
    # 13 February, 14 (make-up), then 24 after the holiday
    assert started["due_on"] == "2026-02-24" and started["policy_version"] == "three-day-publicity"


def test_d21_publicity_in_a_year_whose_calendar_is_not_loaded_is_refused(
    center: AssessmentLedger,
) -> None:
    walk(center, "windows")
    refused(
        center, lambda: center.start_publicity(CLERK, YEAR, date(2025, 12, 30)), rule="CALENDAR"
    )


def test_r18_an_objection_during_publicity_blocks_approval_until_resolved(
    center: AssessmentLedger,
) -> None:
    # given publicity, and an objection to S001 on its fourth working day
    walk(center, "publicity")
    raised = center.raise_publicity_objection(
        staff("S002"), YEAR, "S001", "was absent in November", date(2026, 2, 24)
    )
    assert raised.number == 1
    # when the committee approves after publicity, it is refused while the objection is open
    error = refused(
        center, lambda: center.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON), rule="R-18"
    )
    assert error.fields["objections"] == [1]
    steps = {s.key: s for s in center.procedure_status(str(YEAR)).steps}
    assert steps["resolve_publicity_objections"].missing == ("objection 1 about S001",)
    # when the leading group upholds it and lowers S001 to competent
    center.resolve_publicity_objection(
        LEADER, YEAR, 1, "upheld", "absence confirmed", APPROVED_ON, new_grade=Grade.COMPETENT
    )
    refused(
        center,
        lambda: center.resolve_publicity_objection(
            LEADER, YEAR, 1, "dismissed", "again", APPROVED_ON
        ),
        rule="R-18",
    )
    # then the committee approves a list without S001
    center.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON)
    (approved,) = payloads(center, "ExcellentListApproved")
    assert approved["excellent_staff"] == [] and approved["excellent_windows"] == [W01]
    (resolved,) = payloads(center, "PublicityObjectionResolved")
    assert resolved["grade_changed_to"] == "competent" and resolved["subject"] == "S001"


def test_r18_a_dismissed_objection_leaves_the_grade(center: AssessmentLedger) -> None:
    walk(center, "publicity")
    center.raise_publicity_objection(staff("S002"), YEAR, W01, "slow", PUBLICITY_DUE)
    refused(
        center,
        lambda: center.resolve_publicity_objection(
            LEADER, YEAR, 1, "dismissed", "unfounded", APPROVED_ON, new_grade="competent"
        ),
        rule="R-18",
    )
    refused(
        center,
        lambda: center.resolve_publicity_objection(
            LEADER, YEAR, 2, "dismissed", "unfounded", APPROVED_ON
        ),
        RecordNotFound,
    )
    center.resolve_publicity_objection(LEADER, YEAR, 1, "dismissed", "unfounded", APPROVED_ON)
    center.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON)
    (approved,) = payloads(center, "ExcellentListApproved")
    assert approved["excellent_staff"] == ["S001"] and approved["excellent_windows"] == [W01]


def test_r18_an_objection_after_publicity_is_refused(center: AssessmentLedger) -> None:
    walk(center, "publicity")
    error = refused(
        center,
        lambda: center.raise_publicity_objection(
            staff("S002"), YEAR, "S001", "too late", date(2026, 2, 27)
        ),
        rule="R-18",
    )
    assert "2026-02-26" in str(error)


def test_r18_an_objection_names_someone_on_the_list_and_is_the_objectors_own(
    center: AssessmentLedger,
) -> None:
    walk(center, "publicity")
    refused(
        center,
        lambda: center.raise_publicity_objection(staff("S002"), YEAR, "C001", "x", PUBLICITY_DUE),
        rule="R-18",
    )
    refused(
        center,
        lambda: center.raise_publicity_objection(LEADER, YEAR, "S001", "x", PUBLICITY_DUE),
        RoleRequired,
    )


# D-22: approval


def test_d22_the_committee_approves_only_after_publicity_and_once(
    center: AssessmentLedger,
) -> None:
    walk(center, "publicity")
    error = refused(
        center, lambda: center.approve_excellent_list(COMMITTEE, YEAR, PUBLICITY_DUE), rule="R-18"
    )
    assert "runs until 2026-02-26" in str(error)
    refused(center, lambda: center.approve_excellent_list(LEADER, YEAR, APPROVED_ON), RoleRequired)
    center.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON)
    refused(
        center, lambda: center.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON), rule="D-22"
    )


# the results, notification, signature, filings


def test_r19_the_year_decision_records_the_period_decision_in_the_same_transaction(
    center: AssessmentLedger,
) -> None:
    walk(center, "approval")
    outcome = center.decide_year_results(LEADER, YEAR, "LG-2026-03", DECIDED_ON)
    # then the results and the round's decision were saved together
    annual = center.annual_assessment(YEAR)
    assert annual is not None
    assert {record for record, _ in outcome.records} == {
        str(annual.id),
        str(center.round_stream(str(YEAR))),
    }
    decision = center.round(str(YEAR)).decision
    assert decision is not None and decision.decision_ref == "LG-2026-03"
    (results,) = payloads(center, "ResultsDecided")
    assert results["grades"]["S001"] == "excellent"  # type: ignore[index]
    assert results["decided_at_position"] == decision.decided_at_position
    assert results["quota"]["civil_servant"]["excellent"] == 1  # type: ignore[index]
    refused(
        center, lambda: center.decide_year_results(LEADER, YEAR, "LG-2", DECIDED_ON), rule="R-19"
    )


def test_r19_notification_signature_and_filings(center: AssessmentLedger) -> None:
    walk(center, "decision")
    assert center._decided_grade("S001", YEAR) is None  # not told yet: no R-41 clock
    # a signature before the notification is refused
    refused(
        center, lambda: center.sign_result(staff("S001"), YEAR, "ok", True, SIGNED_ON), rule="R-19"
    )
    center.notify_result(CLERK, YEAR, "S001", NOTIFIED_ON)
    refused(center, lambda: center.notify_result(CLERK, YEAR, "S001", NOTIFIED_ON), rule="R-19")
    refused(center, lambda: center.notify_result(CLERK, YEAR, "S003", NOTIFIED_ON), rule="R-19")
    assert center._decided_grade("S001", YEAR) == (Grade.EXCELLENT, NOTIFIED_ON)
    # filing the form with the home unit needs the signature
    refused(
        center,
        lambda: center.file_with_home_unit(CLERK, YEAR, "S001", "Tax bureau", "HU-1", FILED_ON),
        rule="R-19",
    )
    # the staff member signs, disagreeing: recorded, nothing stops
    refused(
        center,
        lambda: center.sign_result(staff("S001"), YEAR, "ok", True, date(2026, 3, 2)),
        rule="DATED_RECORDS",
    )
    center.sign_result(staff("S001"), YEAR, "I expected more", False, SIGNED_ON)
    refused(
        center, lambda: center.sign_result(staff("S001"), YEAR, "x", True, SIGNED_ON), rule="R-19"
    )
    signed = center.history(center.staff_stream("S001"), newest_first=True, limit=1)[0]
    assert signed.event == "ledger.staff.RegistrationFormSigned.v1"
    assert signed.payload["agrees"] is False and signed.payload["grade"] == "excellent"
    # the home unit is the registered one
    refused(
        center,
        lambda: center.file_with_home_unit(CLERK, YEAR, "S001", "Land bureau", "HU-1", FILED_ON),
        rule="R-19",
    )
    center.file_with_home_unit(CLERK, YEAR, "S001", "Tax bureau", "HU-1", FILED_ON)
    refused(
        center,
        lambda: center.file_with_home_unit(CLERK, YEAR, "S001", "Tax bureau", "HU-1", FILED_ON),
        rule="R-19",
    )
    # the results go to the higher authority with the grades and quota figures
    center.file_with_higher_authority(CLERK, YEAR, FILING_REFERENCE, FILED_ON)
    (filing,) = payloads(center, "FiledWithHigherAuthority")
    assert filing["reference"] == FILING_REFERENCE and filing["decision_ref"] == "LG-2026-03"
    assert filing["grades"]["S001"] == "excellent"  # type: ignore[index]
    assert filing["quota"]["civil_servant"]["limit"] == 1  # type: ignore[index]
    refused(
        center,
        lambda: center.file_with_higher_authority(CLERK, YEAR, FILING_REFERENCE, FILED_ON),
        rule="R-19",
    )
    # the receipt names the filing's reference
    refused(
        center,
        lambda: center.record_filing_receipt(AUTHORITY, YEAR, "another", RECEIPT_ON),
        rule="R-19",
    )
    center.record_filing_receipt(AUTHORITY, YEAR, FILING_REFERENCE, RECEIPT_ON)
    refused(
        center,
        lambda: center.record_filing_receipt(AUTHORITY, YEAR, FILING_REFERENCE, RECEIPT_ON),
        rule="R-19",
    )
    steps = {s.key: s for s in center.procedure_status(str(YEAR)).steps}
    assert steps["record_filing_receipt"].done and not steps["sign_result"].done
    assert "S002" in steps["sign_result"].missing


def test_r19_a_late_staff_act_after_the_decision_is_dated_no_later_than_today(
    center: AssessmentLedger,
) -> None:
    walk(center, "notification")
    refused(
        center,
        lambda: center.sign_result(staff("S001"), YEAR, "ok", True, date(2026, 3, 11)),
        rule="DATED_RECORDS",
    )


def test_every_annual_event_is_stored_in_its_rfc8785_canonical_form(
    center: AssessmentLedger,
) -> None:
    # given a whole year with a publicity objection, then reopened for a late veto, its results
    # amended and filed again: every annual event class is recorded
    walk(center, "publicity")
    center.raise_publicity_objection(staff("S002"), YEAR, "S001", '«异议» "quoted"', PUBLICITY_DUE)
    center.resolve_publicity_objection(LEADER, YEAR, 1, "dismissed", "unfounded", APPROVED_ON)
    walk_rest(center)
    reopen_and_amend(center)
    stored = list(center.recorder.select_notifications(1, 1_000_000))
    recorded = {s.topic.rsplit(".", 2)[-2] for s in stored if s.topic.startswith("ledger.annual.")}
    classes = {
        name
        for name, value in vars(AnnualAssessment).items()
        if isinstance(value, type) and issubclass(value, LedgerAggregate.Event)
    } - {"Event", "Created"}
    assert classes - recorded == set()
    # then each payload of the annual stream and of the staff's annual acts is canonical
    ours = [
        s
        for s in stored
        if s.topic.startswith("ledger.annual.") or "Form" in s.topic or "SelfSummary" in s.topic
    ]
    assert [s.topic for s in ours if s.state != rfc8785.dumps(json.loads(s.state))] == []


def reopen_and_amend(center: AssessmentLedger) -> None:
    """A veto case of S001 in 2025 found after the filing; the year reopened for it (D-13), its
    results amended (S001 no longer excellent) and filed again."""
    today = date(2026, 3, 10)
    reopen_for_late_veto(center, str(YEAR), "S001", date(2025, 9, 15), today)
    center.amend_year_results(LEADER, YEAR, {"S001": Grade.COMPETENT}, None, "LG-2026-07", today)
    center.file_with_higher_authority(CLERK, YEAR, "checkpoint 150", today)


def walk_rest(center: AssessmentLedger) -> None:
    center.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON)
    center.decide_year_results(LEADER, YEAR, "LG-2026-03", DECIDED_ON)
    for number in center.year_roster(YEAR).participants:
        center.notify_result(CLERK, YEAR, number, NOTIFIED_ON)
    center.sign_result(staff("S001"), YEAR, "同意", True, SIGNED_ON)
    center.file_with_home_unit(CLERK, YEAR, "S001", "Tax bureau", "HU-1", FILED_ON)
    center.file_with_higher_authority(CLERK, YEAR, FILING_REFERENCE, FILED_ON)
    center.record_filing_receipt(AUTHORITY, YEAR, FILING_REFERENCE, RECEIPT_ON)
