"""Concurrent writers (issue 2, item 4): two application instances on one store load the same
record; the second to save is refused with ConcurrentWrite and records nothing."""

from __future__ import annotations

import pytest

from builders import STAFF, record, seed_organisation
from ledger.application import AssessmentLedger, HistoryItem, Outcome
from ledger.errors import ConcurrentWrite, IdempotencyKeyInFlight


def overtake_after_loading(
    monkeypatch: pytest.MonkeyPatch, slow: AssessmentLedger, fast: AssessmentLedger
) -> list[Outcome]:
    """Make `slow` load the staff member, then let `fast` record a deduction against the same
    staff member before `slow` saves. Returns the list that receives `fast`'s outcome."""
    overtaken: list[Outcome] = []
    load = slow.staff

    def load_then_get_overtaken(staff_number: str, **options: int | None) -> object:
        loaded = load(staff_number, **options)
        if not overtaken:
            overtaken.append(record(fast, "INC-FAST"))
        return loaded

    monkeypatch.setattr(slow, "staff", load_then_get_overtaken)
    return overtaken


def history(ledger: AssessmentLedger) -> list[HistoryItem]:
    return ledger.history(ledger.staff_stream(STAFF), limit=1000)


def test_second_of_two_writers_to_the_same_staff_member_is_refused(
    ledger: AssessmentLedger, other: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given two instances that both loaded S001, when both record a deduction, then the first
    save wins and the second raises ConcurrentWrite, recording nothing."""
    seed_organisation(ledger)
    overtaken = overtake_after_loading(monkeypatch, slow=other, fast=ledger)

    with pytest.raises(ConcurrentWrite) as caught:
        record(other, "INC-SLOW")

    assert caught.value.rule == "CONCURRENT_WRITE"
    assert len(overtaken) == 1
    assert ledger.head_position() == overtaken[0].position
    deductions = ledger.staff(STAFF).deductions.values()
    assert [deduction.incident_ref for deduction in deductions] == ["INC-FAST"]
    assert not any(item.payload.get("incident_ref") == "INC-SLOW" for item in history(ledger))


def test_refused_concurrent_writer_succeeds_when_it_retries(
    ledger: AssessmentLedger, other: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing of the refused command was kept (not even its new incident index record), so
    the retry, deciding on the reloaded record, is recorded."""
    seed_organisation(ledger)
    overtake_after_loading(monkeypatch, slow=other, fast=ledger)
    with pytest.raises(ConcurrentWrite):
        record(other, "INC-SLOW")
    monkeypatch.undo()

    outcome = record(other, "INC-SLOW")

    assert outcome.number is not None
    incidents = [d.incident_ref for d in ledger.staff(STAFF).deductions.values()]
    assert incidents == ["INC-FAST", "INC-SLOW"]


def test_each_instance_reads_what_the_other_recorded(
    ledger: AssessmentLedger, other: AssessmentLedger
) -> None:
    """Two instances on one store see one log: a write through one is read through the other,
    idempotency records included."""
    seed_organisation(ledger)

    first = record(ledger, "INC-1", idempotency_key="k1")

    assert other.head_position() == first.position
    assert other.staff(STAFF).deduction(first.number or 0).incident_ref == "INC-1"
    assert record(other, "INC-1", idempotency_key="k1").replayed


def test_duplicate_from_another_instance_while_the_key_is_in_flight_is_refused_fast(
    ledger: AssessmentLedger, other: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given one instance deciding a request with key k1, when another instance on the same
    store receives the duplicate, then IdempotencyKeyInFlight (PostgreSQL: an advisory lock
    every process sees; SQLite: a lock shared by every application object of the process on
    that file), and the first request is recorded once."""
    seed_organisation(ledger)
    duplicate: list[BaseException] = []
    load = other.staff

    def load_then_meet_a_duplicate(staff_number: str, **options: int | None) -> object:
        loaded = load(staff_number, **options)
        if not duplicate:
            with pytest.raises(IdempotencyKeyInFlight) as caught:
                record(ledger, "INC-1", idempotency_key="k1")
            duplicate.append(caught.value)
        return loaded

    monkeypatch.setattr(other, "staff", load_then_meet_a_duplicate)

    outcome = record(other, "INC-1", idempotency_key="k1")

    assert len(duplicate) == 1
    assert outcome.replayed is False
    assert ledger.head_position() == outcome.position
