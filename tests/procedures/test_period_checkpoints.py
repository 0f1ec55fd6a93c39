"""A checkpoint at every period decision (issue 5 item 8, SPEC 7.2–7.3) and at the year's filing
with the higher authority (R-19): after any save that records a `PeriodDecided` (or, after a
reopening, `PeriodDecisionAmended`) or `FiledWithHigherAuthority` event, a ledger given the log's
signer appends a stream-heads leaf and keeps the signed checkpoint that ends with it; a failure
to checkpoint keeps the decision and says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import cast

import pytest

from builders import CLERK, LEADER, STAFF, prepare_sheet, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.application.core import CheckpointNotPublished
from ledger.cli.main import open_ledger
from ledger.clock import SettableClock
from ledger.integrity.checkpoints import CheckpointRecorder, take_checkpoint
from ledger.integrity.keys import KeyDirectory
from ledger.integrity.note import Ed25519Signer, open_checkpoint
from ledger.integrity.stream_heads import StreamHeadsTree
from ledger.settings import Settings
from ledger.values import LateEntryResolution
from procedures import annual_support
from procedures.annual_support import seed_annual_center, walk

ORIGIN = "assessment-ledger.test/center"
FEBRUARY = "2025-02"


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN)


def _ledger(store_url: str, clock: SettableClock, signer: object) -> AssessmentLedger:
    return AssessmentLedger(
        env=Settings(database_url=store_url).eventsourcing_env(),
        clock=clock,
        checkpoint_signer=cast(Ed25519Signer | None, signer),
        log_origin=ORIGIN,
    )


@pytest.fixture
def signed(
    store_url: str, clock: SettableClock, signer: Ed25519Signer
) -> Iterator[AssessmentLedger]:
    """A ledger on each store that publishes a checkpoint at every period decision."""
    application = _ledger(store_url, clock, signer)
    try:
        yield application
    finally:
        application.close()


def log(ledger: AssessmentLedger) -> CheckpointRecorder:
    return cast(CheckpointRecorder, ledger.recorder)


def prepared_february(ledger: AssessmentLedger) -> None:
    """Seed, one February deduction (no cut bonus: no head-liability item), round opened and
    the sheet prepared."""
    seed_organisation(ledger)
    record(ledger, "INC-1", occurred_on=date(2025, 2, 5))
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    ledger.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))


def approve(ledger: AssessmentLedger) -> int:
    return ledger.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-11", date(2025, 3, 5)).position


def test_item8_approving_a_bonus_sheet_publishes_a_checkpoint_after_the_decision(
    signed: AssessmentLedger,
) -> None:
    # given a prepared sheet and no checkpoint yet
    prepared_february(signed)
    assert log(signed).checkpoints() == []
    # when the leading group approves it
    position = approve(signed)
    # then one checkpoint covers every event up to the decision and its stream-heads leaf
    (checkpoint,) = log(signed).checkpoints()
    (heads,) = log(signed).stream_heads_leaves()
    assert heads.leaf_index == heads.leaf.tree_size == position == checkpoint.size - 1
    assert log(signed).leaf_hashes(checkpoint.size)[-1] == heads.leaf_hash


def test_d13_an_amended_decision_after_a_reopening_publishes_a_checkpoint_too(
    signed: AssessmentLedger,
) -> None:
    # given February approved, then reopened for a late entry and its sheet prepared again
    prepared_february(signed)
    approve(signed)
    late = record(signed, "INC-LATE", occurred_on=date(2025, 2, 20))
    assert late.number is not None
    signed.resolve_late_entry(
        LEADER,
        FEBRUARY,
        signed.staff_stream(STAFF),
        late.number,
        LateEntryResolution.REOPEN,
        "found after the sheet",
        date(2025, 3, 7),
    )
    signed.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 8))
    # when the leading group approves it again (the amended decision)
    position = signed.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-14", date(2025, 3, 9)).position
    # then a second checkpoint ends with the stream-heads leaf after it (event leaves and one
    # heads leaf per checkpoint: position events and two heads leaves)
    first, second = log(signed).checkpoints()
    _, heads = log(signed).stream_heads_leaves()
    assert second.size == heads.leaf_index + 1 == position + 2
    assert first.size < second.size


def test_item8_the_stream_heads_leaf_commits_to_the_rounds_decision_as_its_head(
    signed: AssessmentLedger,
) -> None:
    prepared_february(signed)
    approve(signed)
    (heads,) = log(signed).stream_heads_leaves()
    streams = log(signed).stream_heads_at(heads.leaf_index)
    # the leaf is the root of every stream's head, the round's head being its PeriodDecided
    assert heads.leaf.stream_heads_root == StreamHeadsTree(streams).root
    assert heads.leaf.stream_count == len(streams)
    by_stream = {head.stream_id: head.version for head in streams}
    assessment_round = signed.round(FEBRUARY)
    assert by_stream[assessment_round.id] == assessment_round.version == 2
    assert by_stream[signed.bonus_sheet(FEBRUARY).id] == signed.bonus_sheet(FEBRUARY).version


def test_item8_the_checkpoints_signed_note_verifies_with_the_signers_verifier_key(
    signed: AssessmentLedger, signer: Ed25519Signer
) -> None:
    prepared_february(signed)
    approve(signed)
    (checkpoint,) = log(signed).checkpoints()
    body, _ = open_checkpoint(checkpoint.note, [signer.verifier()], origin=ORIGIN)
    assert (body.origin, body.size, body.root_hash) == (ORIGIN, checkpoint.size, checkpoint.root)


def test_item8_a_period_decided_by_another_verb_is_checkpointed_too(
    signed: AssessmentLedger,
) -> None:
    # given a round decided by decide_period (whatever verb records the PeriodDecided)
    seed_organisation(signed)
    signed.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    prepare_sheet(signed, FEBRUARY, date(2025, 3, 7))
    position = signed.decide_period(LEADER, FEBRUARY, "LG-2025-09", date(2025, 3, 7)).position
    # then a checkpoint follows it
    (checkpoint,) = log(signed).checkpoints()
    assert checkpoint.size == position + 1


def test_item8_a_batch_that_records_a_decision_is_checkpointed_once_saved(
    signed: AssessmentLedger,
) -> None:
    seed_organisation(signed)
    with signed.batch() as batch:
        signed.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
        signed.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 7))
        signed.decide_period(LEADER, FEBRUARY, "LG-2025-09", date(2025, 3, 7))
    (checkpoint,) = log(signed).checkpoints()
    assert checkpoint.size == batch.position + 1


def test_item8_saves_without_a_period_decision_publish_no_checkpoint(
    signed: AssessmentLedger,
) -> None:
    # given every step but the decision: seeding, a deduction, the round, the sheet
    prepared_february(signed)
    # then nothing was checkpointed
    assert log(signed).checkpoints() == []


def test_item8_a_ledger_without_a_signer_publishes_no_checkpoint(
    ledger: AssessmentLedger,
) -> None:
    prepared_february(ledger)
    approve(ledger)
    assert ledger.round(FEBRUARY).decision is not None
    assert log(ledger).checkpoints() == []


class BrokenSigner:
    """A signer whose key cannot sign (a key file gone bad, a hardware token unplugged)."""

    def __init__(self, signer: Ed25519Signer) -> None:
        self._signer = signer

    @property
    def name(self) -> str:
        return self._signer.name

    @property
    def key_id(self) -> bytes:
        return self._signer.key_id

    def sign(self, text: bytes) -> bytes:
        raise OSError("the signing key cannot be read")


def test_item8_a_failed_checkpoint_keeps_the_decision_and_says_so(
    store_url: str, clock: SettableClock, signer: Ed25519Signer
) -> None:
    broken = _ledger(store_url, clock, BrokenSigner(signer))
    try:
        prepared_february(broken)
        # when the approval's checkpoint cannot be signed
        with pytest.raises(CheckpointNotPublished) as caught:
            approve(broken)
        # then the error names the rule and the recorded position, and carries the outcome
        failure = caught.value
        assert failure.rule == "CHECKPOINT" and "ledger checkpoint publish" in str(failure)
        assert failure.outcome is not None
        assert failure.position == failure.outcome.position == broken.head_position()
        # the decision is recorded, and no checkpoint was kept
        assert broken.round(FEBRUARY).decision is not None
        assert broken.bonus_sheet(FEBRUARY).approval is not None
        assert log(broken).checkpoints() == []
        # and publishing later covers it
        checkpoint = take_checkpoint(log(broken), ORIGIN, signer)
        assert checkpoint.size == failure.position + 1
    finally:
        broken.close()


def test_item8_the_command_line_ledger_signs_with_the_key_in_the_key_directory(
    tmp_path: Path,
) -> None:
    # given the log's key generated in the key directory
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        key_dir=tmp_path / "keys",
        log_origin=ORIGIN,
    )
    KeyDirectory(settings.key_dir).generate(ORIGIN)
    # then the command line's ledger publishes checkpoints with it
    with open_ledger(settings) as ledger:
        assert ledger.checkpoint_signer is not None
        assert (ledger.checkpoint_signer.name, ledger.log_origin) == (ORIGIN, ORIGIN)


def test_item8_the_command_line_ledger_without_a_key_publishes_no_checkpoint(
    tmp_path: Path,
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}", key_dir=tmp_path / "keys"
    )
    with open_ledger(settings) as ledger:
        assert ledger.checkpoint_signer is None


def test_r19_filing_the_year_with_the_higher_authority_publishes_a_checkpoint_after_it(
    signed: AssessmentLedger, clock: SettableClock
) -> None:
    # given the 2025 assessment decided, notified, signed and filed with the home units
    seed_annual_center(signed, clock)
    walk(signed, until="home_unit")
    before = log(signed).checkpoints()
    # when the clerk files the year's results with the higher authority
    position = signed.file_with_higher_authority(
        CLERK, annual_support.YEAR, "filing 2025/1", annual_support.FILED_ON
    ).position
    # then a new checkpoint covers the filing and every signature and notification before it
    checkpoints = log(signed).checkpoints()
    assert len(checkpoints) == len(before) + 1
    heads = log(signed).stream_heads_leaves()[-1]
    assert heads.leaf_index == position + 1 == checkpoints[-1].size - 1
    # and the receipt recorded afterwards publishes none (nothing leaves the center with it)
    signed.record_filing_receipt(
        annual_support.AUTHORITY, annual_support.YEAR, "filing 2025/1", annual_support.RECEIPT_ON
    )
    assert len(log(signed).checkpoints()) == len(checkpoints)
