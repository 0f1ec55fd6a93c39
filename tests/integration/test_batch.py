"""The bulk path: many commands decided together and saved in one transaction, or not at all."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from builders import COLLEAGUE, STAFF, TODAY, at, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.errors import RuleViolation


def test_given_a_batch_when_it_ends_then_its_events_are_saved_in_command_order(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    head = ledger.head_position()

    with ledger.batch() as batch:
        for day in range(3):
            clock.set(at(TODAY - timedelta(days=3 - day)))
            record(ledger, f"INC-{day}-a", staff_number=STAFF)
            record(ledger, f"INC-{day}-b", staff_number=COLLEAGUE)
    clock.set(at(TODAY))

    logged = ledger.ledger_recorder.select_logged(range(head + 1, batch.position + 1))
    incidents = [e for e in logged if e.topic == "ledger.staff.DeductionRecorded.v1"]
    refs = [json.loads(e.state)["incident_ref"] for e in incidents]
    assert refs == ["INC-0-a", "INC-0-b", "INC-1-a", "INC-1-b", "INC-2-a", "INC-2-b"]
    assert len(logged) == 12  # each deduction and its incident index record


def test_given_a_batch_when_one_command_is_refused_then_the_batch_saves_nothing(
    ledger: AssessmentLedger,
) -> None:
    seed_organisation(ledger)
    head = ledger.head_position()

    with pytest.raises(RuleViolation), ledger.batch():
        record(ledger, "INC-1")
        record(ledger, "INC-2", item_code="NO-SUCH-ITEM")

    assert ledger.head_position() == head


def test_r03_incident_already_stored_is_refused_when_the_batch_is_saved(
    ledger: AssessmentLedger,
) -> None:
    """The bulk path reads no incident before saving; the stored one collides at save time."""
    seed_organisation(ledger)
    record(ledger, "INC-1")
    head = ledger.head_position()

    with pytest.raises(RuleViolation) as refused, ledger.batch():
        record(ledger, "INC-2", staff_number=COLLEAGUE)
        record(ledger, "INC-1", staff_number=COLLEAGUE, occurred_on=date(2025, 3, 4))

    assert refused.value.rule == "R-03"
    assert "INC-1" in refused.value.message
    assert ledger.head_position() == head


def test_r03_same_incident_twice_in_one_batch_is_refused(ledger: AssessmentLedger) -> None:
    seed_organisation(ledger)
    head = ledger.head_position()

    with pytest.raises(RuleViolation) as refused, ledger.batch():
        record(ledger, "INC-1", staff_number=STAFF)
        record(ledger, "INC-1", staff_number=COLLEAGUE)

    assert refused.value.rule == "R-03"
    assert ledger.head_position() == head
