"""Filings built from a real ledger verify: a staff member's year and the center's year, with
every figure and decision recomputed; a first filing and its successor against the verifier's
memory; an erased payload reported as present, not recomputable (SPEC 7.1, 7.4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from filing_support import CheckpointedLog, filing, scope_rows, tampered

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    STAFF,
    memory_ledger,
    prepare_sheet,
    record,
    reopen_for_late_veto,
    seed_organisation,
)
from ledger.aggregates.base import LEDGER_NAMESPACE as AGGREGATES_NAMESPACE
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.filing.bundle import (
    LEDGER_NAMESPACE,
    Bundle,
    FilingBuildError,
    Scope,
    facts_of,
    parse,
    stream_id_of,
)
from ledger.filing.verify import Report, VerifierState, verify_bundle
from ledger.integrity.leaf import payload_commitment
from ledger.integrity.note import Ed25519Cosigner, Ed25519Signer
from ledger.policy import Grade, canonical_bytes, fold, staff_figures
from ledger.values import LateEntryResolution
from procedures.annual_support import seed_annual_center, walk
from procedures.quarterly_support import AFTER_Q1, B1_SECRETARY, Q1, examined, seed_center


def test_a_staff_members_year_verifies_with_every_figure_recomputed(
    log: CheckpointedLog, signer: Ed25519Signer, witness: Ed25519Cosigner
) -> None:
    # given the filing of one staff member's year, exported against a cosigned checkpoint
    bundle = filing(log.snapshots[0], Scope.staff(STAFF, 2025))
    # when a recipient verifies it with the log's and the witness's keys
    report = verify_bundle(
        parse(bundle.to_json()), [signer.verifier().vkey()], [witness.verifier().vkey()]
    )
    # then every check passed, and the figures were recomputed, not read
    assert report.verified, report.text()
    assert [step.status for step in report.steps] == ["passed"] * 7
    assert (
        "41 figures of staff member S001, year 2025 recomputed" in report.step("figures").lines[0]
    )


def test_the_staff_filing_holds_the_figures_the_policy_computes_from_the_whole_log(
    log: CheckpointedLog,
) -> None:
    # given the staff filing, which holds only the streams the person's figures read
    snapshot = log.snapshots[0]
    bundle = filing(snapshot, Scope.staff(STAFF, 2025))
    # when the same figures are computed from the whole log
    whole = staff_figures(fold(facts_of(snapshot.rows)), STAFF, 2025)
    # then they are the filed ones, byte for byte
    assert [canonical_bytes(f) for f in whole] == [
        canonical_bytes(f) for f in staff_figures(fold(facts_of(bundle.events)), STAFF, 2025)
    ]
    assert len(bundle.figures) == len(whole)


def test_the_centers_year_verifies_with_every_stream_of_the_log(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given the center's filing of the year
    bundle = filing(log.snapshots[0], Scope.center(2025))
    # when it is verified
    report = verify_bundle(bundle, [signer.verifier()])
    # then it verifies, and it lists every stream the stream-heads tree commits to
    assert report.verified, report.text()
    assert len(bundle.streams) == bundle.stream_heads.leaf.stream_count
    count = bundle.stream_heads.leaf.stream_count
    assert any(f"all {count} streams" in line for line in report.step("completeness").lines)


def test_a_period_decision_is_checked_and_a_late_entry_resolution_listed_as_discretionary(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given the center's filing, holding the decided month 2025-02 and a late entry's resolution
    bundle = filing(log.snapshots[0], Scope.center(2025))
    # when it is verified
    lines = verify_bundle(bundle, [signer.verifier()]).step("decisions").lines
    # then the period decision was checked against the figures as of its position, and the
    # resolution recorded, not recomputed
    assert any("2025-02 (LG-2025-09) decided on the figures as of position" in x for x in lines)
    assert any("late-entry-resolution" in x and "not recomputable" in x for x in lines)


def test_the_first_filing_says_it_has_no_predecessor(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given the first filing of the log
    bundle = filing(log.snapshots[0], Scope.staff(STAFF, 2025))
    # when it is verified
    report = verify_bundle(bundle, [signer.verifier()], [], VerifierState())
    # then the consistency check says there is nothing before it
    assert bundle.consistency == ()
    assert report.step("consistency").lines[0].startswith("first filing: no predecessor")


def test_a_second_filing_verifies_against_the_remembered_checkpoint(
    log: CheckpointedLog, scenario: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a verifier that accepted the first filing
    state = VerifierState()
    first = verify_bundle(
        filing(log.snapshots[0], Scope.center(2025)), [signer.verifier()], [], state
    )
    assert first.accepted is not None
    state.remember(first.accepted)
    # and a later checkpoint, after one more deduction
    record(scenario, "INC-9", staff_number=COLLEAGUE, occurred_on=date(2025, 3, 11))
    second_snapshot = log.checkpoint()
    # when the next filing, with its consistency proof from the first checkpoint, is verified
    second = filing(second_snapshot, Scope.center(2025), earlier=log.snapshots[:1])
    report = verify_bundle(second, [signer.verifier()], [], state)
    # then it verifies, consistent with what the verifier accepted before
    assert report.verified, report.text()
    assert any(
        f"consistent with size {log.snapshots[0].size}" in line
        for line in report.step("consistency").lines
    )


def test_the_state_remembers_a_checkpoint_only_when_everything_verified(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a filing whose figure was changed
    bundle = tampered(
        filing(log.snapshots[0], Scope.staff(STAFF, 2025)),
        lambda doc: doc["figures"][0].update(total="9.5"),
    )
    # when it is verified
    report = verify_bundle(bundle, [signer.verifier()], [], VerifierState())
    # then nothing is offered to remember
    assert not report.verified
    assert report.accepted is None


def test_an_erased_payload_is_present_not_recomputable_and_its_leaf_still_verifies(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given the center's filing in which one catalogue event's payload and salt were erased,
    # its commitment kept
    bundle = filing(log.snapshots[0], Scope.center(2025))
    index = next(i for i, e in enumerate(bundle.events) if e.topic.startswith("ledger.catalogue."))
    event = bundle.events[index]
    assert event.salt is not None and event.payload is not None
    commitment = event.commitment()

    def erase(document: dict[str, Any]) -> None:
        document["events"][index].update(payload=None, salt=None)
        document["events"][index]["payload_commitment"] = commitment.hex()

    # when it is verified
    report = verify_bundle(tampered(bundle, erase), [signer.verifier()])
    # then it verifies, and the event is reported as present, not recomputable
    assert report.verified, report.text()
    assert any("present, not recomputable" in line for line in report.step("events").lines)
    assert commitment == payload_commitment(event.salt, _canonical(event.payload))


def test_an_erased_payload_the_figures_read_leaves_them_not_recomputable(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given the staff filing with one of the person's deductions erased
    bundle = filing(log.snapshots[0], Scope.staff(STAFF, 2025))
    index = next(
        i for i, e in enumerate(bundle.events) if e.topic == "ledger.staff.DeductionRecorded.v1"
    )
    commitment = bundle.events[index].commitment().hex()

    def erase(document: dict[str, Any]) -> None:
        document["events"][index].update(payload=None, salt=None, payload_commitment=commitment)

    # when it is verified
    report = verify_bundle(tampered(bundle, erase), [signer.verifier()])
    # then nothing failed, but the figures say they could not be recomputed
    assert report.verified, report.text()
    assert report.step("figures").status == "not recomputable"
    assert "not fully recomputable" in report.verdict()


def test_the_builder_refuses_a_listed_stream_whose_events_are_not_all_given(
    log: CheckpointedLog,
) -> None:
    # given the staff filing's events without the person's third event
    snapshot = log.snapshots[0]
    scope = Scope.staff(STAFF, 2025)
    rows, _ = scope_rows(snapshot, scope)
    staff_stream = stream_id_of("staff", STAFF)
    dropped = [r for r in rows if not (r.stream_id == staff_stream and r.stream_version == 3)]
    # when a filing is built from them
    # then the builder refuses it, naming the check it would fail
    with pytest.raises(FilingBuildError, match="completeness"):
        filing(snapshot, scope, events=dropped)


def test_the_bundle_reads_back_to_the_same_bytes(log: CheckpointedLog) -> None:
    # given a filing
    bundle = filing(log.snapshots[0], Scope.staff(STAFF, 2025))
    # when it is written and read back
    again = parse(bundle.to_json())
    # then it is the same filing
    assert again == bundle
    assert again.to_json() == bundle.to_json()


def test_the_verifier_derives_stream_ids_as_the_ledger_does() -> None:
    # the verifier carries its own copy of the namespace: it must not drift from the ledger's
    assert LEDGER_NAMESPACE == AGGREGATES_NAMESPACE
    assert stream_id_of("staff", STAFF) == AssessmentLedger.staff_stream(STAFF)


def _canonical(payload: Any) -> bytes:
    import rfc8785

    data: bytes = rfc8785.dumps(payload)
    return data


def test_d13_an_amended_decision_after_a_reopening_is_checked_like_the_first(
    clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given February decided, reopened for a late entry and decided again on the new figures
    ledger = memory_ledger(clock)
    try:
        seed_organisation(ledger)
        record(ledger, "INC-1", occurred_on=date(2025, 2, 5))
        ledger.open_round(CLERK, "2025-02", date(2025, 3, 3))
        prepare_sheet(ledger, "2025-02", date(2025, 3, 3))
        ledger.decide_period(LEADER, "2025-02", "LG-2025-09", date(2025, 3, 5))
        late = record(ledger, "INC-LATE", occurred_on=date(2025, 2, 20))
        assert late.number is not None
        ledger.resolve_late_entry(
            LEADER,
            "2025-02",
            ledger.staff_stream(STAFF),
            late.number,
            LateEntryResolution.REOPEN,
            "found after the sheet",
            date(2025, 3, 7),
        )
        prepare_sheet(ledger, "2025-02", date(2025, 3, 8))
        ledger.decide_period(LEADER, "2025-02", "LG-2025-14", date(2025, 3, 9))
        # when the center's filing is verified
        bundle, report = verified_center_filing(ledger, signer)
    finally:
        ledger.close()
    # then both decisions are checked against the figures as of their own positions
    assert report.verified, report.text()
    lines = report.step("decisions").lines
    for decision_ref in ("LG-2025-09", "LG-2025-14"):
        assert any(
            f"2025-02 ({decision_ref}) decided on the figures as of position" in x for x in lines
        )
    amended = [d for d in bundle.decisions if d.topic.endswith("PeriodDecisionAmended.v1")]
    assert [d.kind for d in amended] == ["period-decision"]


def test_d13_amended_quarter_results_are_checked_as_of_the_amended_decision(
    clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given Q1 decided, reopened for a late veto of its excellent individual, and amended
    ledger = memory_ledger(clock)
    try:
        seed_center(ledger, clock)
        examined(ledger)
        ledger.decide_quarter_results(LEADER, Q1, "LG-2025-Q1", AFTER_Q1)
        reopen_for_late_veto(ledger, Q1, B1_SECRETARY, date(2025, 3, 25), AFTER_Q1)
        ledger.amend_quarter_results(LEADER, Q1, (), ("W01", "W04"), "LG-2025-Q1-A", AFTER_Q1)
        amended_at = ledger.round(Q1).decision
        # when the center's filing is verified
        bundle, report = verified_center_filing(ledger, signer)
    finally:
        ledger.close()
    # then both results are checked, each as of its own decision's position
    assert report.verified, report.text()
    results = [d for d in bundle.decisions if d.kind == "quarter-results"]
    assert [d.topic.rsplit(".", 2)[-2] for d in results] == ["ResultsPublished", "ResultsAmended"]
    assert amended_at is not None
    assert results[1].decided_at_position == amended_at.decided_at_position
    assert results[0].decided_at_position < results[1].decided_at_position


def test_d13_amended_year_results_are_checked_and_the_amended_filing_carried(
    clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given the year filed, reopened for S001's late veto, amended and filed again
    ledger = memory_ledger(clock)
    try:
        seed_annual_center(ledger, clock)
        walk(ledger)
        reopen_for_late_veto(ledger, "2025", STAFF, date(2025, 9, 15), date(2026, 3, 10))
        ledger.amend_year_results(
            LEADER, 2025, {STAFF: Grade.COMPETENT}, None, "LG-2026-07", date(2026, 3, 10)
        )
        ledger.file_with_higher_authority(CLERK, 2025, "checkpoint 150", date(2026, 3, 10))
        # when the center's filing is verified
        bundle, report = verified_center_filing(ledger, signer)
    finally:
        ledger.close()
    # then both year results are checked, the amended one as of the amended decision
    assert report.verified, report.text()
    results = [d for d in bundle.decisions if d.kind == "year-results"]
    assert [d.topic.rsplit(".", 2)[-2] for d in results] == ["ResultsDecided", "ResultsAmended"]
    assert results[1].decided is not None
    assert results[1].decided["grades"][STAFF] == "competent"
    topics = {e.topic for e in bundle.events}
    assert "ledger.annual.FilingAmended.v1" in topics


def verified_center_filing(
    ledger: AssessmentLedger, signer: Ed25519Signer
) -> tuple[Bundle, Report]:
    """The center's 2025 filing of the ledger's log checkpointed now, and its verification."""
    log = CheckpointedLog(ledger, signer)
    log.checkpoint()
    bundle = filing(log.snapshots[0], Scope.center(2025))
    return bundle, verify_bundle(bundle, [signer.verifier()])
