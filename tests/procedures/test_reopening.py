"""Reopening a decided period (SPEC section 3, D-13): a late entry resolved as a reopening lets
the supervision clerk prepare a month's bonus sheet again and the leading group approve it again,
or the leading group amend a quarter's or a year's results, which records the amended decision
of the period; the decision it replaces is kept, and entries recorded after the amended decision
are late against it. A year's changed grades are told, signed and filed with the home unit again,
and results already filed with the higher authority are filed again, naming the filing they
replace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from quarterly_support import AFTER_Q1, B1_SECRETARY, Q1, W04, examined, seed_center

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    STAFF,
    START,
    WINDOW,
    approve_year,
    at,
    ready_for_the_year,
    record,
    refused,
    reopen_for_late_veto,
)
from builders import seed_organisation as seed
from ledger.aggregates.assessment_round import AssessmentRound
from ledger.aggregates.bonus_sheet import HeadReduction
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock, command_time
from ledger.demo import package_calendar
from ledger.errors import RoleRequired, RuleViolation
from ledger.policy import Grade
from ledger.projections.rounds import round_conflicts, round_status
from ledger.values import (
    OPERATOR,
    Actor,
    LateEntryResolution,
    PeriodKind,
    Role,
    StaffCategory,
)

FEBRUARY = "2025-02"
HEAD = "H001"
DECIDED_ON = date(2025, 3, 5)
REOPENED_ON = date(2025, 3, 7)
PREPARED_AGAIN_ON = date(2025, 3, 8)
AMENDED_ON = date(2025, 3, 9)


@pytest.fixture
def decided(ledger: AssessmentLedger) -> AssessmentLedger:
    """February decided: S001 at 3 points (halved, an item owed by the head of W01), the sheet
    approved as LG-2025-11."""
    seed(ledger)
    ledger.register_staff(OPERATOR, HEAD, "孙八", StaffCategory.CIVIL_SERVANT, "Tax bureau", START)
    ledger.assign_staff(OPERATOR, HEAD, WINDOW, START)
    ledger.appoint_head(OPERATOR, WINDOW, HEAD, START)
    record(ledger, "INC-1", item_code="ATT-02", occurred_on=date(2025, 2, 5))
    record(ledger, "INC-2", item_code="SRV-01", occurred_on=date(2025, 2, 12))
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    ledger.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))
    ledger.decide_head_liability(
        LEADER, FEBRUARY, STAFF, HeadReduction.HALVED, "late twice", "LG-2025-10", date(2025, 3, 4)
    )
    ledger.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", DECIDED_ON)
    return ledger


def late_deduction(ledger: AssessmentLedger, reference: str, staff_number: str = STAFF) -> int:
    """A February deduction recorded after the decision; its entry number."""
    outcome = record(ledger, reference, staff_number=staff_number, occurred_on=date(2025, 2, 20))
    assert outcome.number is not None
    return outcome.number


def resolve(
    ledger: AssessmentLedger,
    number: int,
    resolution: LateEntryResolution,
    staff_number: str = STAFF,
) -> None:
    ledger.resolve_late_entry(
        LEADER,
        FEBRUARY,
        ledger.staff_stream(staff_number),
        number,
        resolution,
        "found after the sheet",
        REOPENED_ON,
    )


@pytest.fixture
def reopened(decided: AssessmentLedger) -> AssessmentLedger:
    """February reopened for a late half-point deduction of S001 (3.5 points: still halved)."""
    resolve(decided, late_deduction(decided, "INC-LATE"), LateEntryResolution.REOPEN)
    return decided


def amend(ledger: AssessmentLedger) -> int:
    """Prepare February's sheet again and approve it as LG-2025-14; the approval's position."""
    ledger.prepare_bonus_sheet(CLERK, FEBRUARY, PREPARED_AGAIN_ON)
    return ledger.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-14", AMENDED_ON).position


def test_d13_a_reopened_months_amended_decision_replaces_the_first_which_is_kept(
    reopened: AssessmentLedger,
) -> None:
    # when the sheet is prepared again and approved again
    amend(reopened)
    # then the round's decision is the amended one, and the first is kept as superseded
    assessment_round = reopened.round(FEBRUARY)
    assert assessment_round.decision is not None
    assert assessment_round.decision.decision_ref == "LG-2025-14"
    assert assessment_round.decision.effective_on == AMENDED_ON
    assert [d.decision_ref for d in assessment_round.superseded] == ["LG-2025-11"]
    assert not assessment_round.reopened


def test_d13_the_amended_sheet_shows_the_reopened_entry(reopened: AssessmentLedger) -> None:
    amend(reopened)
    sheet = reopened.bonus_sheet(FEBRUARY)
    (line,) = [x for x in sheet.preparation.content.lines if x.staff_number == STAFF]
    assert (line.status, line.total) == ("halved", "3.5")
    assert sheet.approval is not None and sheet.approval.decision_ref == "LG-2025-14"
    assert sheet.approval.prepared == sheet.preparation.version
    assert [a.decision_ref for a in sheet.superseded_approvals] == ["LG-2025-11"]


def test_d13_the_amended_decision_names_what_it_replaces_and_the_reopened_entries(
    decided: AssessmentLedger,
) -> None:
    # given February reopened for a late entry
    number = late_deduction(decided, "INC-LATE")
    resolve(decided, number, LateEntryResolution.REOPEN)
    # when the amended decision is recorded
    position = amend(decided)
    # then its event names the decision it replaces and the entry it was reopened for
    (event,) = [
        e
        for e in decided.recorder.select_notifications(1, position, stop=position)
        if e.topic == "ledger.round.PeriodDecisionAmended.v1"
    ]
    payload = json.loads(event.state)
    assert payload["decision_ref"] == "LG-2025-14"
    assert payload["supersedes"] == "LG-2025-11"
    assert payload["reopened_for"] == [f"{decided.staff_stream(STAFF)}/{number}"]


def test_d13_a_head_liability_decision_on_an_unchanged_item_stands_after_reopening(
    reopened: AssessmentLedger,
) -> None:
    # given the sheet prepared again: S001's item is as it was (the crossing is the same entry)
    reopened.prepare_bonus_sheet(CLERK, FEBRUARY, PREPARED_AGAIN_ON)
    # then its decision stands and nothing awaits the leading group before the approval
    sheet = reopened.bonus_sheet(FEBRUARY)
    assert sheet.undecided == ()
    assert sheet.decisions[STAFF].reduction is HeadReduction.HALVED


def test_d13_a_late_entry_resolved_with_no_change_does_not_reopen_the_sheet(
    decided: AssessmentLedger,
) -> None:
    resolve(decided, late_deduction(decided, "INC-LATE"), LateEntryResolution.NO_CHANGE)
    refused(
        decided,
        lambda: decided.prepare_bonus_sheet(CLERK, FEBRUARY, PREPARED_AGAIN_ON),
        rule="DECIDED_ONCE",
    )
    refused(
        decided,
        lambda: decided.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-14", AMENDED_ON),
        rule="DECIDED_ONCE",
    )


def test_d13_the_amended_approval_needs_the_sheet_prepared_again(
    reopened: AssessmentLedger,
) -> None:
    # given the reopened month whose sheet still shows the figures as first decided
    # when the leading group approves it again, then it is refused: the figures changed
    refused(
        reopened,
        lambda: reopened.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-14", AMENDED_ON),
        rule="STALE_SHEET",
    )


def test_d13_the_amended_decision_waits_until_every_late_entry_is_resolved(
    reopened: AssessmentLedger,
) -> None:
    # given a second late entry, of S002, not resolved yet
    other = late_deduction(reopened, "INC-LATE-2", staff_number=COLLEAGUE)
    reopened.prepare_bonus_sheet(CLERK, FEBRUARY, PREPARED_AGAIN_ON)
    # when the leading group approves again, then it is refused naming the open entry
    error = refused(
        reopened,
        lambda: reopened.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-14", AMENDED_ON),
        rule="LATE_ENTRY",
    )
    assert "S002's deduction of 2025-02-20 (recorded)" in str(error)
    # and once it is resolved, the amended decision is recorded
    resolve(reopened, other, LateEntryResolution.REOPEN, staff_number=COLLEAGUE)
    reopened.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-14", AMENDED_ON)
    assert reopened.round(FEBRUARY).decision is not None
    assert reopened.round(FEBRUARY).decision.decision_ref == "LG-2025-14"


def test_d13_the_amended_decision_is_not_dated_before_the_reopening(
    reopened: AssessmentLedger,
) -> None:
    reopened.prepare_bonus_sheet(CLERK, FEBRUARY, REOPENED_ON)
    refused(
        reopened,
        lambda: reopened.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-14", date(2025, 3, 6)),
        rule="DATED_RECORDS",
    )


def test_d13_an_entry_recorded_after_the_amended_decision_is_late_against_it(
    reopened: AssessmentLedger,
) -> None:
    amend(reopened)
    assert round_conflicts(reopened, FEBRUARY) == ()
    # when one more February deduction is recorded
    number = late_deduction(reopened, "INC-LATER")
    # then it is a conflict of the amended decision
    (conflict,) = round_conflicts(reopened, FEBRUARY)
    assert conflict.version == number
    assert conflict.decision_ref == "LG-2025-14"


def test_d13_a_period_is_amended_once_per_reopening(reopened: AssessmentLedger) -> None:
    amend(reopened)
    refused(
        reopened,
        lambda: reopened.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-15", AMENDED_ON),
        rule="DECIDED_ONCE",
    )


def test_d13_the_status_of_a_reopened_month_asks_for_the_new_sheet_and_the_amended_approval(
    reopened: AssessmentLedger,
) -> None:
    status = round_status(reopened, FEBRUARY).status
    steps = {step.key: step for step in status.steps}
    assert not steps["prepare_bonus_sheet"].done
    assert "a new preparation" in steps["prepare_bonus_sheet"].missing[0]
    approval = steps["approve_bonus_sheet"]
    assert not approval.done
    assert "amended decision" in approval.title
    assert "reopened for 1 late entry" in approval.missing[-1]
    assert status.current is steps["prepare_bonus_sheet"]


def test_d13_the_status_after_the_amended_decision_has_every_step_done(
    reopened: AssessmentLedger,
) -> None:
    amend(reopened)
    status = round_status(reopened, FEBRUARY).status
    assert status.current is None
    approval = {step.key: step for step in status.steps}["approve_bonus_sheet"]
    assert approval.done_on == AMENDED_ON


def test_d13_the_policy_state_holds_the_amended_decision_and_the_superseded_one(
    reopened: AssessmentLedger,
) -> None:
    position = amend(reopened)
    with reopened.policy_state() as state:
        record_ = state.rounds[FEBRUARY]
        assert record_.decision is not None
        assert record_.decision.decision_ref == "LG-2025-14"
        assert record_.decision.decided_at_position < position
        assert [d.decision_ref for d in record_.superseded] == ["LG-2025-11"]


# The round's own checks (the aggregate, without a procedure)


@pytest.fixture
def decided_round() -> Iterator[AssessmentRound]:
    """February's round decided on the figures as of position 10 (inside a command's time, as
    every event is made)."""
    with command_time(at(DECIDED_ON)):
        assessment_round = AssessmentRound(
            actor_id=CLERK.person_id,
            actor_role=CLERK.role,
            period_kind=PeriodKind.MONTH,
            period_key=FEBRUARY,
            effective_on=date(2025, 3, 3),
        )
        assessment_round.decide(
            LEADER, decided_at_position=10, decision_ref="LG-1", effective_on=DECIDED_ON
        )
        yield assessment_round


def test_d13_an_amended_decision_must_count_every_reopened_entry(
    decided_round: AssessmentRound,
) -> None:
    # given the round reopened for an entry recorded at position 15
    decided_round.resolve_late_entry(
        LEADER,
        entry_stream="s",
        entry_version=3,
        entry_position=15,
        resolution=LateEntryResolution.REOPEN,
        reason="found late",
        effective_on=REOPENED_ON,
    )
    # when it is amended on the figures as of position 14, then it is refused under D-13
    with pytest.raises(RuleViolation) as caught:
        decided_round.amend_decision(
            LEADER, decided_at_position=14, decision_ref="LG-2", effective_on=AMENDED_ON
        )
    assert caught.value.rule == "D-13"
    # and as of position 15 it is recorded
    decided_round.amend_decision(
        LEADER, decided_at_position=15, decision_ref="LG-2", effective_on=AMENDED_ON
    )
    assert decided_round.decision is not None
    assert decided_round.decision.decided_at_position == 15


def test_d13_a_round_not_reopened_is_not_amended(decided_round: AssessmentRound) -> None:
    with pytest.raises(RuleViolation) as caught:
        decided_round.amend_decision(
            LEADER, decided_at_position=20, decision_ref="LG-2", effective_on=AMENDED_ON
        )
    assert caught.value.rule == "DECIDED_ONCE"


# Reopening a decided quarter: the amended results


@pytest.fixture
def reopened_quarter(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """Q1 decided with S004 as excellent individual (W01 and W04 as windows), then a veto case
    of S004 in March found and the quarter reopened for it (D-14 bars S004 for Q1)."""
    seed_center(ledger, clock)
    examined(ledger)
    ledger.decide_quarter_results(LEADER, Q1, "LG-2025-Q1", AFTER_Q1)
    reopen_for_late_veto(ledger, Q1, B1_SECRETARY, date(2025, 3, 25), AFTER_Q1)
    return ledger


def test_d13_d14_a_reopened_quarters_amended_results_replace_the_published_ones(
    reopened_quarter: AssessmentLedger,
) -> None:
    # when the leading group amends the results without S004
    reopened_quarter.amend_quarter_results(LEADER, Q1, (), (WINDOW, W04), "LG-2025-Q1-A", AFTER_Q1)
    # then the amended results are in force, the published ones kept, and the round's decision
    # is the amended one
    evaluation = reopened_quarter.quarterly_evaluation(Q1)
    assert evaluation.results is not None
    assert (evaluation.results.individuals, evaluation.results.windows) == ((), (WINDOW, W04))
    assert [r.decision_ref for r in evaluation.superseded_results] == ["LG-2025-Q1"]
    decision = reopened_quarter.round(Q1).decision
    assert decision is not None and decision.decision_ref == "LG-2025-Q1-A"
    assert not reopened_quarter.round(Q1).reopened


def test_d13_d14_the_amended_results_may_not_keep_a_title_the_late_veto_bars(
    reopened_quarter: AssessmentLedger,
) -> None:
    error = refused(
        reopened_quarter,
        lambda: reopened_quarter.amend_quarter_results(
            LEADER, Q1, (B1_SECRETARY,), (WINDOW, W04), "LG-2025-Q1-A", AFTER_Q1
        ),
        rule="R-35",
    )
    assert B1_SECRETARY in str(error)


def test_d13_the_amended_results_name_only_examined_recommendations(
    reopened_quarter: AssessmentLedger,
) -> None:
    refused(
        reopened_quarter,
        lambda: reopened_quarter.amend_quarter_results(
            LEADER, Q1, (STAFF,), (WINDOW,), "LG-2025-Q1-A", AFTER_Q1
        ),
        rule="R-11",
    )


def test_d13_a_quarter_not_reopened_has_no_amended_results(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_center(ledger, clock)
    examined(ledger)
    ledger.decide_quarter_results(LEADER, Q1, "LG-2025-Q1", AFTER_Q1)
    refused(
        ledger,
        lambda: ledger.amend_quarter_results(LEADER, Q1, (), (WINDOW,), "LG-2025-Q1-A", AFTER_Q1),
        rule="D-13",
    )


def test_d13_only_the_leading_group_amends_a_quarters_results(
    reopened_quarter: AssessmentLedger,
) -> None:
    refused(
        reopened_quarter,
        lambda: reopened_quarter.amend_quarter_results(
            CLERK, Q1, (), (WINDOW,), "LG-2025-Q1-A", AFTER_Q1
        ),
        RoleRequired,
    )


def test_d13_the_status_of_a_reopened_quarter_asks_for_the_amended_results(
    reopened_quarter: AssessmentLedger,
) -> None:
    steps = {s.key: s for s in round_status(reopened_quarter, Q1).status.steps}
    assert steps["decide_quarter_results"].done
    amend_step = steps["amend_quarter_results"]
    assert not amend_step.done
    assert "reopened for 1 late entry" in amend_step.missing[0]
    # and once amended, every step is done
    reopened_quarter.amend_quarter_results(LEADER, Q1, (), (WINDOW, W04), "LG-A", AFTER_Q1)
    status = round_status(reopened_quarter, Q1).status
    assert status.current is None
    assert {s.key: s for s in status.steps}["amend_quarter_results"].done_on == AFTER_Q1


# Reopening a decided year: the amended results and the amended filing

YEAR = 2025
YEAR_DECIDED_ON = date(2026, 1, 12)
FOUND_ON = date(2026, 1, 14)
AUTHORITY = Actor("R001", Role.HIGHER_AUTHORITY)


@pytest.fixture
def decided_year(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """2025 decided on 12 January 2026 with S001 excellent, S001 told and signed, the results
    filed with the higher authority; the clock on 14 January."""
    seed(ledger)
    for year in (2025, 2026):
        statutory = package_calendar(year)
        ledger.load_calendar_year(
            OPERATOR, year, statutory.holidays, statutory.makeup_workdays, statutory.source
        )
    ready_for_the_year(ledger)
    ledger.register_staff(
        OPERATOR, AUTHORITY.person_id, "上级", StaffCategory.CIVIL_SERVANT, "Authority", START
    )
    ledger.grant_role(OPERATOR, AUTHORITY.person_id, Role.HIGHER_AUTHORITY, START)
    clock.set(at(FOUND_ON))
    ledger.open_round(CLERK, str(YEAR), date(2026, 1, 4))
    approve_year(ledger, YEAR, date(2026, 1, 4), YEAR_DECIDED_ON, grades={STAFF: Grade.EXCELLENT})
    ledger.decide_year_results(LEADER, YEAR, "LG-2025", YEAR_DECIDED_ON)
    ledger.notify_result(CLERK, YEAR, STAFF, YEAR_DECIDED_ON)
    ledger.sign_result(Actor(STAFF, Role.STAFF), YEAR, "agreed", True, YEAR_DECIDED_ON)
    ledger.file_with_higher_authority(CLERK, YEAR, "FILING-2025-1", YEAR_DECIDED_ON)
    return ledger


@pytest.fixture
def reopened_year(decided_year: AssessmentLedger) -> AssessmentLedger:
    """The decided year reopened for S001's V6 veto case of September 2025, found late."""
    reopen_for_late_veto(decided_year, str(YEAR), STAFF, date(2025, 9, 15), FOUND_ON)
    return decided_year


def amend_year(ledger: AssessmentLedger, grade: Grade = Grade.COMPETENT) -> int:
    return ledger.amend_year_results(
        LEADER, YEAR, {STAFF: grade}, None, "LG-2025-A", FOUND_ON
    ).position


def test_d13_r35_the_amended_results_may_not_keep_an_excellent_grade_a_late_veto_bars(
    reopened_year: AssessmentLedger,
) -> None:
    error = refused(
        reopened_year,
        lambda: reopened_year.amend_year_results(LEADER, YEAR, {}, None, "LG-2025-A", FOUND_ON),
        rule="R-35",
    )
    assert STAFF in str(error)


def test_d13_a_reopened_years_amended_results_change_the_grade_and_replace_the_decision(
    reopened_year: AssessmentLedger,
) -> None:
    amend_year(reopened_year)
    annual = reopened_year.annual_assessment(YEAR)
    assert annual is not None
    assert annual.grades[STAFF] is Grade.COMPETENT
    assert annual.amended_on == FOUND_ON
    decision = reopened_year.round(str(YEAR)).decision
    assert decision is not None and decision.decision_ref == "LG-2025-A"
    assert [d.decision_ref for d in reopened_year.round(str(YEAR)).superseded] == ["LG-2025"]


def test_d13_whoever_s_grade_changed_is_told_signs_and_is_filed_with_the_home_unit_again(
    reopened_year: AssessmentLedger,
) -> None:
    amend_year(reopened_year)
    home_unit = reopened_year.staff(STAFF).home_unit
    # the form signed for "excellent" is not filed for the amended grade
    refused(
        reopened_year,
        lambda: reopened_year.file_with_home_unit(CLERK, YEAR, STAFF, home_unit, "HU-1", FOUND_ON),
        rule="R-19",
    )
    # told again, signed again, then filed
    reopened_year.notify_result(CLERK, YEAR, STAFF, FOUND_ON)
    reopened_year.sign_result(Actor(STAFF, Role.STAFF), YEAR, "noted", True, FOUND_ON)
    reopened_year.file_with_home_unit(CLERK, YEAR, STAFF, home_unit, "HU-1", FOUND_ON)
    forms = reopened_year.staff(STAFF).annual_forms(YEAR)
    assert forms.signed_grade == Grade.COMPETENT.value


def test_d13_a_signature_is_not_given_twice_for_the_same_grade(
    decided_year: AssessmentLedger,
) -> None:
    refused(
        decided_year,
        lambda: decided_year.sign_result(Actor(STAFF, Role.STAFF), YEAR, "again", True, FOUND_ON),
        rule="R-19",
    )


def test_d13_filed_results_are_filed_again_naming_the_filing_they_replace(
    reopened_year: AssessmentLedger,
) -> None:
    amend_year(reopened_year)
    # the same reference is refused; a reference of its own records the amended filing
    refused(
        reopened_year,
        lambda: reopened_year.file_with_higher_authority(CLERK, YEAR, "FILING-2025-1", FOUND_ON),
        rule="R-19",
    )
    position = reopened_year.file_with_higher_authority(
        CLERK, YEAR, "FILING-2025-2", FOUND_ON
    ).position
    (event,) = [
        e
        for e in reopened_year.recorder.select_notifications(position, 1)
        if e.topic == "ledger.annual.FilingAmended.v1"
    ]
    payload = json.loads(event.state)
    assert (payload["reference"], payload["supersedes"]) == ("FILING-2025-2", "FILING-2025-1")
    assert payload["grades"][STAFF] == Grade.COMPETENT.value
    annual = reopened_year.annual_assessment(YEAR)
    assert annual is not None
    assert annual.superseded_filings == [("FILING-2025-1", YEAR_DECIDED_ON)]
    # and the higher authority's receipt is of the amended filing
    refused(
        reopened_year,
        lambda: reopened_year.record_filing_receipt(
            AUTHORITY,
            YEAR,
            "FILING-2025-1",
            FOUND_ON,
        ),
        rule="R-19",
    )


def test_d13_without_amended_results_the_filing_is_not_filed_again(
    reopened_year: AssessmentLedger,
) -> None:
    refused(
        reopened_year,
        lambda: reopened_year.file_with_higher_authority(CLERK, YEAR, "FILING-2025-2", FOUND_ON),
        rule="R-19",
    )


def test_d13_a_year_not_reopened_has_no_amended_results(decided_year: AssessmentLedger) -> None:
    refused(
        decided_year,
        lambda: amend_year(decided_year),
        rule="D-13",
    )


def test_d13_the_status_of_a_reopened_year_asks_for_the_amended_results_then_what_follows(
    reopened_year: AssessmentLedger,
) -> None:
    steps = {s.key: s for s in round_status(reopened_year, str(YEAR)).status.steps}
    assert not steps["amend_year_results"].done
    assert "reopened for 1 late entry" in steps["amend_year_results"].missing[0]
    amend_year(reopened_year)
    steps = {s.key: s for s in round_status(reopened_year, str(YEAR)).status.steps}
    assert steps["amend_year_results"].done_on == FOUND_ON
    assert STAFF in steps["notify_result"].missing
    assert STAFF in steps["sign_result"].missing
    assert not steps["file_with_higher_authority"].done
    assert steps["file_with_higher_authority"].missing == ("the amended results, filed again",)


def test_d13_deciding_a_reopened_quarter_again_points_to_the_amendment(
    reopened_quarter: AssessmentLedger,
) -> None:
    error = refused(
        reopened_quarter,
        lambda: reopened_quarter.decide_quarter_results(LEADER, Q1, "LG-X", AFTER_Q1),
        rule="DECIDED_ONCE",
    )
    assert "amend_quarter_results" in str(error)


def test_d13_deciding_a_reopened_year_again_points_to_the_amendment(
    reopened_year: AssessmentLedger,
) -> None:
    error = refused(
        reopened_year,
        lambda: reopened_year.decide_year_results(LEADER, YEAR, "LG-X", FOUND_ON),
        rule="R-19",
    )
    assert "amend_year_results" in str(error)


def test_d13_r17_the_amended_results_add_no_excellent_window(
    reopened_year: AssessmentLedger,
) -> None:
    refused(
        reopened_year,
        lambda: reopened_year.amend_year_results(
            LEADER, YEAR, {STAFF: Grade.COMPETENT}, (WINDOW,), "LG-2025-A", FOUND_ON
        ),
        rule="R-17",
    )


def test_d13_r12_an_amended_grade_is_of_the_persons_scheme(
    reopened_year: AssessmentLedger,
) -> None:
    # S001 is a civil servant: "qualified" belongs to the public-institution scheme
    refused(
        reopened_year,
        lambda: reopened_year.amend_year_results(
            LEADER, YEAR, {STAFF: Grade.QUALIFIED}, None, "LG-2025-A", FOUND_ON
        ),
        rule="R-12",
    )


def test_d13_d20_the_amended_results_keep_within_the_excellent_quota(
    reopened_year: AssessmentLedger,
) -> None:
    # given S001's excellent grade barred by the late veto, when the leading group gives it to
    # two others of the four civil servants graded, then the quota refuses it with its
    # arithmetic: max(1, floor(20% x 4)) = 1
    error = refused(
        reopened_year,
        lambda: reopened_year.amend_year_results(
            LEADER,
            YEAR,
            {STAFF: Grade.COMPETENT, "S002": Grade.EXCELLENT, "C001": Grade.EXCELLENT},
            None,
            "LG-2025-A",
            FOUND_ON,
        ),
        rule="D-20",
    )
    assert "2 excellent of 4 graded" in str(error)
    assert "max(1, floor(20% x 4)) = 1" in str(error)
