"""Tampered filings (SPEC 7.5): each change is caught, and the report names the check that
caught it."""

from __future__ import annotations

from datetime import date
from typing import Any

from filing_support import CheckpointedLog, filing, tampered

from builders import COLLEAGUE, STAFF, memory_ledger, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.filing.bundle import Bundle, Scope, stream_id_of
from ledger.filing.verify import Report, VerifierState, verify_bundle
from ledger.integrity.note import (
    Checkpoint,
    Ed25519Cosigner,
    Ed25519Signer,
    parse_note,
    sign_note,
)


def _staff_filing(log: CheckpointedLog) -> Bundle:
    return filing(log.snapshots[0], Scope.staff(STAFF, 2025))


def _verify(bundle: Bundle, signer: Ed25519Signer, state: VerifierState | None = None) -> Report:
    return verify_bundle(bundle, [signer.verifier()], [], state)


def _index_of(bundle: Bundle, topic: str) -> int:
    return next(i for i, event in enumerate(bundle.events) if event.topic == topic)


def test_a_flipped_payload_byte_is_caught_by_the_events_check(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a staff filing whose deduction's evidence reference lost one character
    bundle = _staff_filing(log)
    index = _index_of(bundle, "ledger.staff.DeductionRecorded.v1")

    def flip(document: dict[str, Any]) -> None:
        payload = document["events"][index]["payload"]
        payload["evidence_ref"] = "X" + payload["evidence_ref"][1:]

    # when it is verified
    report = _verify(tampered(bundle, flip), signer)
    # then its leaf no longer reaches the checkpoint's root
    assert report.failed_check == "events"
    assert "is not in the log" in report.step("events").lines[-1]


def test_a_changed_figure_is_caught_by_the_figures_check(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a staff filing whose first deduction total was lowered
    bundle = _staff_filing(log)
    index = next(i for i, f in enumerate(bundle.figures) if f["kind"] == "deduction_total")
    changed = tampered(bundle, lambda doc: doc["figures"][index].update(total="0.5"))
    # when it is verified
    report = _verify(changed, signer)
    # then the figure recomputed from the events differs from the one filed
    assert report.failed_check == "figures"
    assert "differs from the one recomputed" in report.step("figures").lines[-1]


def test_a_dropped_event_of_a_listed_stream_is_caught_by_the_completeness_check(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a staff filing without the revocation of one of the person's deductions
    bundle = _staff_filing(log)
    index = _index_of(bundle, "ledger.staff.DeductionRevoked.v1")
    dropped = tampered(bundle, lambda doc: doc["events"].pop(index))
    # when it is verified
    report = _verify(dropped, signer)
    # then the stream is no longer whole up to its head
    assert report.failed_check == "completeness"
    assert "not every version" in report.step("completeness").lines[-1]


def test_a_changed_head_version_is_caught_by_the_completeness_check(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a staff filing that claims the person's stream ends one version earlier, and lacks
    # its last event
    bundle = _staff_filing(log)
    staff_stream = str(stream_id_of("staff", STAFF))
    index = next(i for i, s in enumerate(bundle.streams) if str(s.stream_id) == staff_stream)
    last = max(i for i, e in enumerate(bundle.events) if str(e.stream_id) == staff_stream)

    def shorten(document: dict[str, Any]) -> None:
        document["streams"][index]["version"] -= 1
        document["events"].pop(last)

    # when it is verified
    report = _verify(tampered(bundle, shorten), signer)
    # then that head is not in the stream-heads tree
    assert report.failed_check == "completeness"
    assert "is not in the stream-heads tree" in report.step("completeness").lines[-1]


def test_an_event_with_another_streams_body_is_caught_by_the_events_check(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a center filing where one event carries the payload and salt of another stream's
    # event (a server returning another event's body)
    bundle = filing(log.snapshots[0], Scope.center(2025))
    target = _index_of(bundle, "ledger.staff.DeductionRecorded.v1")
    other = next(
        i
        for i, e in enumerate(bundle.events)
        if e.topic == "ledger.staff.DeductionRecorded.v1"
        and e.stream_id != bundle.events[target].stream_id
    )

    def swap(document: dict[str, Any]) -> None:
        events = document["events"]
        events[target]["payload"] = events[other]["payload"]
        events[target]["salt"] = events[other]["salt"]

    # when it is verified
    report = _verify(tampered(bundle, swap), signer)
    # then the rebuilt leaf is not the one in the log
    assert report.failed_check == "events"
    assert f"events[{target}]" in report.step("events").lines[-1]


def test_a_forged_absence_is_caught_by_the_completeness_check(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a staff filing that claims a colleague's existing stream never had an event, using
    # the real heads on either side of it (which are not adjacent: the colleague is between)
    snapshot = log.snapshots[0]
    bundle = _staff_filing(log)
    colleague = stream_id_of("staff", COLLEAGUE)
    proof = snapshot.heads.head_proof(colleague)
    assert proof is not None
    heads = snapshot.heads.heads
    below = snapshot.heads.head_proof(heads[proof.index - 1].stream_id)
    above = snapshot.heads.head_proof(heads[proof.index + 1].stream_id)
    assert below is not None and above is not None

    def forge(document: dict[str, Any]) -> None:
        document["absent_streams"].append(
            {
                "above": above.as_object(),
                "below": below.as_object(),
                "record": "staff",
                "stream_id": str(colleague),
            }
        )

    # when it is verified
    report = _verify(tampered(bundle, forge), signer)
    # then the absence proof fails
    assert report.failed_check == "completeness"
    assert "is not proven absent" in report.step("completeness").lines[-1]


def test_a_checkpoint_signed_by_a_wrong_key_is_caught_by_the_signatures_check(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a filing whose checkpoint was re-signed by another key bearing the log's name
    bundle = _staff_filing(log)
    impostor = Ed25519Signer.generate(signer.name)
    forged = sign_note(parse_note(bundle.checkpoint).text, [impostor])
    # when it is verified with the log's real key
    report = _verify(tampered(bundle, lambda doc: doc.update(checkpoint=forged)), signer)
    # then no trusted key signed it
    assert report.failed_check == "signatures"
    assert "not signed by a trusted log key" in report.step("signatures").lines[-1]


def test_a_missing_witness_cosignature_is_caught_by_the_signatures_check(
    scenario: AssessmentLedger, signer: Ed25519Signer, witness: Ed25519Cosigner
) -> None:
    # given a filing against a checkpoint the witness never cosigned
    log = CheckpointedLog(scenario, signer)
    log.checkpoint()
    bundle = _staff_filing(log)
    # when it is verified requiring the witness's cosignature
    report = verify_bundle(bundle, [signer.verifier()], [witness.verifier()])
    # then the missing cosignature is named
    assert report.failed_check == "signatures"
    assert "no valid cosignature by the trusted witness" in report.step("signatures").lines[-1]


def test_a_replayed_old_checkpoint_is_caught_by_the_consistency_check(
    log: CheckpointedLog, scenario: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a verifier that already accepted a later checkpoint of the log
    first = filing(log.snapshots[0], Scope.center(2025))
    record(scenario, "INC-9", staff_number=COLLEAGUE, occurred_on=date(2025, 3, 11))
    later = filing(log.checkpoint(), Scope.center(2025), earlier=log.snapshots[:1])
    state = VerifierState()
    accepted = _verify(later, signer, state).accepted
    assert accepted is not None
    state.remember(accepted)
    # when the older filing is shown to it again
    report = _verify(first, signer, state)
    # then it refuses to go backwards
    assert report.failed_check == "consistency"
    assert "going backwards" in report.step("consistency").lines[-1]


def test_a_fork_shown_to_a_verifier_that_saw_the_other_branch_is_caught_by_consistency(
    clock: SettableClock, signer: Ed25519Signer
) -> None:
    # given two logs under the same origin and key, of the same size but different roots (the
    # same commands, other salts: a log that forked)
    logs = []
    for _ in range(2):
        ledger = memory_ledger(clock)
        seed_organisation(ledger)
        logs.append(CheckpointedLog(ledger, signer))
        logs[-1].checkpoint()
    ours, theirs = (filing(log.snapshots[0], Scope.staff(STAFF, 2025)) for log in logs)
    assert logs[0].snapshots[0].size == logs[1].snapshots[0].size
    # and a verifier that accepted one of them
    state = VerifierState()
    accepted = _verify(ours, signer, state).accepted
    assert accepted is not None
    state.remember(accepted)
    # when it is shown the other
    report = _verify(theirs, signer, state)
    # then it reports the fork
    assert report.failed_check == "consistency"
    assert report.step("consistency").lines[-1].startswith("fork:")


def test_a_filing_without_a_proof_from_the_remembered_checkpoint_is_refused(
    log: CheckpointedLog, scenario: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a verifier that accepted the first checkpoint
    state = VerifierState()
    accepted = _verify(filing(log.snapshots[0], Scope.center(2025)), signer, state).accepted
    assert accepted is not None
    state.remember(accepted)
    # when a later filing comes without any consistency proof
    record(scenario, "INC-9", staff_number=COLLEAGUE, occurred_on=date(2025, 3, 11))
    report = _verify(filing(log.checkpoint(), Scope.center(2025)), signer, state)
    # then it is refused for want of one
    assert report.failed_check == "consistency"
    assert "no consistency proof from size" in report.step("consistency").lines[-1]


def test_a_bad_consistency_proof_is_caught_by_the_consistency_check(
    log: CheckpointedLog, scenario: AssessmentLedger, signer: Ed25519Signer
) -> None:
    # given a second filing whose consistency proof from the first checkpoint was altered
    record(scenario, "INC-9", staff_number=COLLEAGUE, occurred_on=date(2025, 3, 11))
    bundle = filing(log.checkpoint(), Scope.center(2025), earlier=log.snapshots[:1])

    def alter(document: dict[str, Any]) -> None:
        step = document["consistency"][0]["proof"][0]
        document["consistency"][0]["proof"][0] = ("0" if step[0] != "0" else "1") + step[1:]

    # when it is verified
    report = _verify(tampered(bundle, alter), signer)
    # then the proof fails
    assert report.failed_check == "consistency"
    assert "consistency proof from size" in report.step("consistency").lines[-1]


def test_a_checkpoint_of_another_size_than_the_stream_heads_leaf_is_caught(
    log: CheckpointedLog, signer: Ed25519Signer
) -> None:
    # given a filing whose checkpoint, validly signed, is one leaf shorter than the log it
    # claims (its stream-heads leaf is no longer the last leaf)
    bundle = _staff_filing(log)
    body = Checkpoint.parse(parse_note(bundle.checkpoint).text)
    shorter = sign_note(Checkpoint(body.origin, body.size - 1, body.root_hash).format(), [signer])
    # when it is verified
    report = _verify(tampered(bundle, lambda doc: doc.update(checkpoint=shorter)), signer)
    # then the events' proofs no longer fit the checkpoint
    assert report.failed_check == "events"
