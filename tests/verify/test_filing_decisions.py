"""Filings carry the decisions (issue 5 item 8, issue 4 item 5; SPEC 7.4): filings of ledgers that
ran the bonus sheets, a quarter's evaluation and the annual assessment verify with every decision
checked against the figures recomputed as of its position; a decision the rules do not allow,
written into a log the center signed, is caught by the decisions check, which names the decision
and the figure; discretionary decisions are listed as recorded, not recomputable."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from filing_support import CheckpointedLog, Snapshot, filing, forged, tampered, unchecked

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "procedures"))

from annual_support import (
    APPROVED_ON,
    COMMITTEE,
    DECIDED_ON,
    PUBLICITY_ON,
    YEAR,
    seed_annual_center,
    staff,
    walk,
)
from quarterly_support import AFTER_Q1, Q1, examined, seed_center

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    OTHER_WINDOW,
    STAFF,
    START,
    WINDOW,
    memory_ledger,
    record,
    seed_organisation,
)
from ledger.aggregates.annual_assessment import AnnualAssessment
from ledger.aggregates.bonus_sheet import BonusSheet, HeadReduction
from ledger.aggregates.grade_challenge import GradeChallenge
from ledger.aggregates.quarterly_evaluation import QuarterlyEvaluation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.filing.bundle import (
    KNOWN_DECISION_KINDS,
    Bundle,
    FilingBuildError,
    Scope,
    parse,
    scope_streams,
    stream_id_of,
)
from ledger.filing.export import export_filing
from ledger.filing.verify import Report, verify_bundle
from ledger.integrity.checkpoints import CheckpointRecorder, take_checkpoint
from ledger.integrity.note import Ed25519Signer
from ledger.values import OPERATOR, StaffCategory

FEBRUARY = "2025-02"
HEAD = "H001"


def _verify(bundle: Bundle, signer: Ed25519Signer) -> Report:
    return verify_bundle(parse(bundle.to_json()), [signer.verifier()])


def _lines(report: Report) -> list[str]:
    return report.step("decisions").lines


def _snapshot(ledger: AssessmentLedger, signer: Ed25519Signer) -> Snapshot:
    log = CheckpointedLog(ledger, signer)
    return log.checkpoint()


def _edit(
    topic: str, change: Callable[[dict[str, Any]], None]
) -> Callable[[str, dict[str, Any]], Mapping[str, Any] | None]:
    def edit(event_topic: str, payload: dict[str, Any]) -> Mapping[str, Any] | None:
        if event_topic != topic:
            return None
        change(payload)
        return payload

    return edit


def _forged_filing(
    snapshot: Snapshot, signer: Ed25519Signer, scope: Scope, topic: str, change: Any
) -> Bundle:
    with unchecked():
        return filing(forged(snapshot, signer, _edit(topic, change)), scope)


# The ledgers


@pytest.fixture
def sheets(clock: SettableClock) -> Iterator[AssessmentLedger]:
    """February 2025 with S001 halved (3 points, W01's head H001 owes the item) and S002
    cancelled (5 points, W02 has no head), both items decided, the sheet approved."""
    ledger = memory_ledger(clock)
    seed_organisation(ledger)
    ledger.register_staff(OPERATOR, HEAD, "孙八", StaffCategory.CIVIL_SERVANT, "Tax bureau", START)
    ledger.assign_staff(OPERATOR, HEAD, WINDOW, START)
    ledger.appoint_head(OPERATOR, WINDOW, HEAD, START)
    record(ledger, "INC-S1-1", item_code="ATT-02", occurred_on=date(2025, 2, 5))
    record(ledger, "INC-S1-2", item_code="SRV-01", occurred_on=date(2025, 2, 12))
    record(
        ledger, "INC-S2-1", staff_number=COLLEAGUE, item_code="SUP-02", occurred_on=date(2025, 2, 6)
    )
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    ledger.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))
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
    ledger.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", date(2025, 3, 5))
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def quarter(clock: SettableClock) -> Iterator[AssessmentLedger]:
    """Q1 2025 decided: S004, W01 and W04 published; S001 has 3 points in Q1 (not eligible,
    R-21) and S002, alone in W02, 5 (W02 not eligible, R-24)."""
    ledger = memory_ledger(clock)
    seed_center(ledger, clock)
    record(ledger, "INC-Q-1", item_code="ATT-02", occurred_on=date(2025, 2, 5))
    record(ledger, "INC-Q-2", item_code="SRV-01", occurred_on=date(2025, 2, 12))
    record(
        ledger, "INC-Q-3", staff_number=COLLEAGUE, item_code="SUP-02", occurred_on=date(2025, 2, 6)
    )
    examined(ledger)
    ledger.decide_quarter_results(LEADER, Q1, "LG-2025-Q1", AFTER_Q1)
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def year(clock: SettableClock) -> Iterator[AssessmentLedger]:
    """2025 assessed and decided: S001 excellent (the one civil servant of six the quota
    allows), W01 the excellent window; S002 has 5 points in 2025 (not eligible, R-22); a
    publicity objection to S001 was dismissed."""
    ledger = memory_ledger(clock)
    seed_annual_center(ledger, clock)
    record(
        ledger, "INC-Y-1", staff_number=COLLEAGUE, item_code="SUP-02", occurred_on=date(2025, 6, 3)
    )
    walk(ledger, "publicity")
    number = ledger.raise_publicity_objection(
        staff(COLLEAGUE), YEAR, STAFF, "was absent in November", PUBLICITY_ON
    ).number
    assert number is not None
    ledger.resolve_publicity_objection(
        LEADER, YEAR, number, "dismissed", "not confirmed", APPROVED_ON
    )
    ledger.approve_excellent_list(COMMITTEE, YEAR, APPROVED_ON)
    ledger.decide_year_results(LEADER, YEAR, "LG-2026-03", DECIDED_ON)
    try:
        yield ledger
    finally:
        ledger.close()


# Honest filings verify, every decision checked


def test_a_bonus_sheets_approval_is_checked_line_by_line_in_the_centers_filing(
    sheets: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given the center's filing of a year whose February sheet was approved
    bundle = filing(_snapshot(sheets, signer), Scope.center(2025))
    # when it is verified
    report = _verify(bundle, signer)
    # then it verifies, the approval checked against the statuses, notice and items recomputed
    assert report.verified, report.text()
    kinds = [d.kind for d in bundle.decisions]
    assert kinds.count("bonus-sheet-approval") == 1 and kinds.count("period-decision") == 1
    approval = next(d for d in bundle.decisions if d.kind == "bonus-sheet-approval")
    assert approval.decided is not None and approval.decided["criticism_notice"] == [
        STAFF,
        COLLEAGUE,
    ]
    assert any(
        "the bonus sheet of 2025-02 approved (LG-2025-11)" in line
        and "the criticism notice (2 named) and 2 head-liability items recomputed, each equal"
        in line
        for line in _lines(report)
    )


def test_a_head_liability_decision_is_listed_as_recorded_not_recomputable(
    sheets: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given the staff filing of S001, whose February bonus was halved
    bundle = filing(_snapshot(sheets, signer), Scope.staff(STAFF, 2025))
    # when it is verified
    report = _verify(bundle, signer)
    # then the leading group's reductions are listed with what they decided, not recomputed
    assert report.verified, report.text()
    listed = [line for line in _lines(report) if "head-liability-decision of 2025-02" in line]
    assert len(listed) == 2
    assert all("recorded, not recomputable (discretionary)" in line for line in listed)
    assert any('"reduction":"halved"' in line for line in listed)
    # and the approval is checked for the person's own line, the others outside the filing
    approval = next(d for d in bundle.decisions if d.kind == "bonus-sheet-approval")
    assert approval.decided is not None
    assert [line["staff_number"] for line in approval.decided["lines"]] == [STAFF]
    assert any("1 lines' statuses and totals" in line for line in _lines(report))


def test_a_quarters_titles_are_checked_eligible_as_of_the_decision(
    quarter: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given the center's filing of a year whose first quarter was decided
    bundle = filing(_snapshot(quarter, signer), Scope.center(2025))
    # when it is verified
    report = _verify(bundle, signer)
    # then the examination and the published results were each checked eligible
    assert report.verified, report.text()
    results = next(d for d in bundle.decisions if d.kind == "quarter-results")
    assert results.decided is not None
    assert (results.decided["individuals"], results.decided["windows"]) == (
        ["S004"],
        [WINDOW, "W04"],
    )
    assert any(
        "2025-Q1's published titles" in line
        and "1 excellent individuals (R-21, R-35) and 2 excellent windows" in line
        for line in _lines(report)
    )
    assert any("2025-Q1's examined titles" in line for line in _lines(report))


def test_the_years_grades_titles_and_quota_figures_are_filed_and_checked(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given the center's filing of the assessed year
    bundle = filing(_snapshot(year, signer), Scope.center(YEAR))
    # when it is verified
    report = _verify(bundle, signer)
    # then the filing carries the decided grades, titles and quota figures
    assert report.verified, report.text()
    results = next(d for d in bundle.decisions if d.kind == "year-results")
    assert results.decided is not None
    assert results.decided["grades"][STAFF] == "excellent"
    assert results.decided["excellent_windows"] == [WINDOW]
    assert results.decided["quota"]["civil_servant"]["limit"] == 1
    # and each was checked against the eligibility and quota recomputed as of the decision
    line = next(x for x in _lines(report) if "2025's results" in x)
    assert "8 grades in their category's scheme (R-12), 1 excellent recomputed eligible" in line
    assert "civil_servant 1 excellent of 6, limit 1 (warns)" in line
    assert "1 excellent windows recomputed eligible (R-25)" in line
    for kind in ("preliminary-grades", "annual-excellent-windows", "excellent-list-approval"):
        assert kind in [d.kind for d in bundle.decisions]


def test_a_publicity_objections_resolution_is_listed_with_what_it_decided(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given the staff filing of S001, the subject of a dismissed publicity objection
    report = _verify(filing(_snapshot(year, signer), Scope.staff(STAFF, YEAR)), signer)
    # when it is verified, then the resolution is listed, not recomputed
    assert report.verified, report.text()
    line = next(x for x in _lines(report) if "publicity-objection-resolution" in x)
    assert '"outcome":"dismissed"' in line and '"subject":"S001"' in line
    assert line.endswith("recorded, not recomputable (discretionary)")


def test_a_staff_filing_checks_the_persons_grade_and_the_quota_arithmetic(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given the staff filing of S001, graded excellent
    report = _verify(filing(_snapshot(year, signer), Scope.staff(STAFF, YEAR)), signer)
    # when it is verified, then the person's grade and the quota figures were checked
    assert report.verified, report.text()
    line = next(x for x in _lines(report) if "2025's results" in x)
    assert "1 grades in their category's scheme (R-12), 1 excellent recomputed eligible" in line
    assert "the other staff's grades and the windows are outside this staff member's filing" in line


def test_a_staff_filing_holds_or_proves_absent_the_procedure_streams_of_its_year(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given the store's own checkpoint of the assessed year
    take_checkpoint(
        cast(CheckpointRecorder, year.recorder), "assessment-ledger.test/center", signer
    )
    # when S001's year is exported
    bundle = export_filing(year.recorder, Scope.staff(STAFF, YEAR))
    # then the annual assessment is listed, the sheets, quarters and challenge proven absent
    listed = {entry.stream_id: entry.record for entry in bundle.streams}
    absent = {entry.stream_id: entry.record for entry in bundle.absent_streams}
    assert listed[AnnualAssessment.create_id(YEAR)] == "annual"
    assert absent[BonusSheet.create_id(FEBRUARY)] == "bonus_sheet"
    assert absent[QuarterlyEvaluation.create_id(Q1)] == "quarterly"
    assert absent[GradeChallenge.create_id(STAFF, YEAR)] == "challenge"
    assert set(listed) | set(absent) == set(scope_streams(Scope.staff(STAFF, YEAR), [WINDOW]))
    # and it verifies
    assert _verify(bundle, signer).verified


def test_the_verifier_derives_the_procedure_stream_ids_as_the_ledger_does() -> None:
    assert stream_id_of("bonus_sheet", FEBRUARY) == BonusSheet.create_id(FEBRUARY)
    assert stream_id_of("quarterly", Q1) == QuarterlyEvaluation.create_id(Q1)
    assert stream_id_of("annual", str(YEAR)) == AnnualAssessment.create_id(YEAR)
    assert stream_id_of("challenge", f"{STAFF}/{YEAR}") == GradeChallenge.create_id(STAFF, YEAR)


# Decisions the rules do not allow, in a log the center signed


def test_an_excellent_grade_for_an_ineligible_person_is_caught_by_the_decisions_check(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose results grade S002 (5 points in 2025) excellent instead of S001
    def swap(payload: dict[str, Any]) -> None:
        payload["grades"].update({STAFF: "competent", COLLEAGUE: "excellent"})

    bundle = _forged_filing(
        _snapshot(year, signer), signer, Scope.center(YEAR), "ledger.annual.ResultsDecided.v1", swap
    )
    # when it is verified
    report = _verify(bundle, signer)
    # then every proof holds, and the decisions check names the decision and the figure
    assert report.failed_check == "decisions", report.text()
    failure = _lines(report)[-1]
    assert "(year-results of 2025)" in failure
    assert "S002 is graded excellent in 2025, but is not eligible: R-22" in failure


def test_a_quota_over_the_limit_is_caught_by_the_decisions_check(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose results grade a second civil servant (of six) excellent
    def second(payload: dict[str, Any]) -> None:
        payload["grades"]["C001"] = "excellent"

    bundle = _forged_filing(
        _snapshot(year, signer),
        signer,
        Scope.center(YEAR),
        "ledger.annual.ResultsDecided.v1",
        second,
    )
    # when it is verified, then the recomputed quota arithmetic refuses it
    report = _verify(bundle, signer)
    assert report.failed_check == "decisions", report.text()
    failure = _lines(report)[-1]
    assert "the excellent quota is exceeded: civil_servant: 2 excellent of 6 graded" in failure
    assert "= 1 (D-20)" in failure


def test_a_quota_over_the_limit_is_caught_in_a_staff_members_filing_too(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose results grade a second civil servant excellent and count it
    def second(payload: dict[str, Any]) -> None:
        payload["grades"]["C001"] = "excellent"
        payload["quota"]["civil_servant"]["excellent"] = 2

    bundle = _forged_filing(
        _snapshot(year, signer),
        signer,
        Scope.staff(STAFF, YEAR),
        "ledger.annual.ResultsDecided.v1",
        second,
    )
    # when S001's filing is verified, then the quota arithmetic on the filed counts refuses it
    report = _verify(bundle, signer)
    assert report.failed_check == "decisions", report.text()
    assert "the excellent quota is exceeded" in _lines(report)[-1]


def test_a_changed_bonus_status_is_caught_by_the_decisions_check(
    sheets: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose February sheet gives S001 a full bonus at 3 points
    def full(payload: dict[str, Any]) -> None:
        line = next(x for x in payload["lines"] if x["staff_number"] == STAFF)
        line["status"] = "full"

    bundle = _forged_filing(
        _snapshot(sheets, signer),
        signer,
        Scope.staff(STAFF, 2025),
        "ledger.bonus_sheet.Prepared.v1",
        full,
    )
    # when S001's filing is verified, then the approval's line disagrees with the bonus figure
    report = _verify(bundle, signer)
    assert report.failed_check == "decisions", report.text()
    failure = _lines(report)[-1]
    assert "(bonus-sheet-approval of 2025-02)" in failure
    assert 'S001\'s bonus line says status "full", but the bonus figure gives status "halved"' in (
        failure
    )


def test_a_missing_criticism_notice_entry_is_caught_by_the_decisions_check(
    sheets: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose February notice leaves out S002 (cancelled bonus, R-31)
    def spare(payload: dict[str, Any]) -> None:
        payload["criticism_notice"] = [STAFF]

    bundle = _forged_filing(
        _snapshot(sheets, signer),
        signer,
        Scope.center(2025),
        "ledger.bonus_sheet.Prepared.v1",
        spare,
    )
    report = _verify(bundle, signer)
    assert report.failed_check == "decisions", report.text()
    assert (
        "its criticism notice names S001, but the criticism-notice figures (R-31) name S001, S002"
        in (_lines(report)[-1])
    )


def test_a_head_liability_item_owed_by_someone_else_is_caught_by_the_decisions_check(
    sheets: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose February item for S001 is owed by the leader in charge, not the head
    def shift(payload: dict[str, Any]) -> None:
        item = next(x for x in payload["head_liability"] if x["staff_number"] == STAFF)
        item.update(owed_by=LEADER.person_id, owed_as="leader_in_charge")

    bundle = _forged_filing(
        _snapshot(sheets, signer),
        signer,
        Scope.center(2025),
        "ledger.bonus_sheet.Prepared.v1",
        shift,
    )
    report = _verify(bundle, signer)
    assert report.failed_check == "decisions", report.text()
    assert "S001's head-liability item says owed_as" in _lines(report)[-1]
    assert (
        'the head-liability figure (R-30) gives owed_as "head", owed_by "H001"'
        in (_lines(report)[-1])
    )


def test_an_ineligible_excellent_window_is_caught_by_the_decisions_check(
    quarter: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose Q1 results also name W02 (5 points with one person, R-24)
    def add(payload: dict[str, Any]) -> None:
        payload["windows"] = sorted([*payload["windows"], OTHER_WINDOW])

    bundle = _forged_filing(
        _snapshot(quarter, signer),
        signer,
        Scope.center(2025),
        "ledger.quarterly.ResultsPublished.v1",
        add,
    )
    report = _verify(bundle, signer)
    assert report.failed_check == "decisions", report.text()
    failure = _lines(report)[-1]
    assert "(quarter-results of 2025-Q1)" in failure
    assert "W02 is a quarterly excellent window of 2025-Q1, but is not eligible: R-24" in failure


def test_an_extra_excellent_individual_is_caught_in_the_persons_filing(
    quarter: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log whose Q1 results also name S001 (3 points in Q1, R-21)
    def add(payload: dict[str, Any]) -> None:
        payload["individuals"] = sorted([*payload["individuals"], STAFF])

    bundle = _forged_filing(
        _snapshot(quarter, signer),
        signer,
        Scope.staff(STAFF, 2025),
        "ledger.quarterly.ResultsPublished.v1",
        add,
    )
    # when S001's own filing is verified, then the title is refused for their 3 points
    report = _verify(bundle, signer)
    assert report.failed_check == "decisions", report.text()
    assert (
        "S001 is a quarterly excellent individual of 2025-Q1, but is not eligible: R-21"
        in _lines(report)[-1]
    )


def test_a_decision_entry_that_misstates_its_event_is_caught_by_the_decisions_check(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given an honest log, but a filing whose results entry claims S002 excellent
    bundle = filing(_snapshot(year, signer), Scope.center(YEAR))
    index = next(i for i, d in enumerate(bundle.decisions) if d.kind == "year-results")
    changed = tampered(
        bundle, lambda doc: doc["decisions"][index]["decided"]["grades"].update(S002="excellent")
    )
    # when it is verified, then the entry is compared with the event it names
    report = _verify(changed, signer)
    assert report.failed_check == "decisions"
    assert "the filed decision says grades" in _lines(report)[-1]


def test_a_decision_of_an_unknown_kind_is_listed_not_passed_silently(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a filing whose events include one a newer exporter calls a decision of its own kind
    bundle = filing(_snapshot(year, signer), Scope.center(YEAR))
    event = next(e for e in bundle.events if e.topic == "ledger.annual.PublicityStarted.v1")

    def add(document: dict[str, Any]) -> None:
        document["decisions"].append(
            {
                "kind": "publicity-start",
                "stream_id": str(event.stream_id),
                "topic": event.topic,
                "version": event.stream_version,
                "subject": "S001",
            }
        )

    # when it is verified
    report = _verify(tampered(bundle, add), signer)
    # then it is listed as a decision this verifier does not know, recorded, not recomputable
    assert report.verified, report.text()
    line = next(x for x in _lines(report) if "publicity-start" in x)
    assert "a decision this verifier does not know" in line and '"subject":"S001"' in line


def test_the_builder_refuses_a_filing_whose_decision_the_rules_do_not_allow(
    year: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a log holding a quota over the limit
    def second(payload: dict[str, Any]) -> None:
        payload["grades"]["C001"] = "excellent"

    snapshot = forged(
        _snapshot(year, signer), signer, _edit("ledger.annual.ResultsDecided.v1", second)
    )
    # when an honest exporter builds the center's filing, then it refuses, naming the check
    with pytest.raises(FilingBuildError, match=r"decisions: .*excellent quota is exceeded"):
        filing(snapshot, Scope.center(YEAR))


def test_every_kind_of_decision_of_the_full_scenario_is_filed_and_verifies(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given the center's filing of the scenario that records every event class of every record
    bundle = filing(log.snapshots[0], Scope.center(2025))
    # when it is verified
    report = _verify(bundle, signer)
    # then every kind of decision this version knows is listed, and each checked or listed
    assert report.verified, report.text()
    assert {d.kind for d in bundle.decisions} == KNOWN_DECISION_KINDS
    lines = _lines(report)
    assert len(lines) == len(bundle.decisions) + 1
    # checked: 5 period decisions (2025-02, Q1, the year, and Q1's and the year's amended
    # decisions), the month's approval, Q1's examination, its results and amended results, the
    # preliminary grades, the windows, the list's approval, the year's results and amended ones
    assert lines[0].startswith(f"{len(bundle.decisions)} decisions: 14 checked")
    topics = {d.topic for d in bundle.decisions}
    assert {
        "ledger.round.PeriodDecisionAmended.v1",
        "ledger.quarterly.ResultsAmended.v1",
        "ledger.annual.ResultsAmended.v1",
    } <= topics
