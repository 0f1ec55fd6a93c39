"""Idempotency (SPEC section 5): a command repeated with the same key (per actor) records nothing
new and returns the first outcome; a refusal stores nothing, so its retry is decided afresh; a
key still in flight is refused fast."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from builders import (
    CLERK,
    LEADER,
    STAFF,
    UNASSIGNED,
    WINDOW,
    record,
    refused,
    seed_organisation,
)
from ledger.application import AssessmentLedger
from ledger.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from ledger.values import OPERATOR


def test_same_key_and_request_returns_the_first_outcome_and_records_nothing(
    ledger: AssessmentLedger,
) -> None:
    """Given a deduction recorded with key k1, when the same request comes again with k1,
    then the first outcome comes back marked replayed and the log is unchanged."""
    seed_organisation(ledger)
    first = record(ledger, "INC-1", idempotency_key="k1")
    head = ledger.head_position()

    again = record(ledger, "INC-1", idempotency_key="k1")

    assert again == dataclasses.replace(first, replayed=True)
    assert ledger.head_position() == head
    assert len(ledger.staff(STAFF).deductions) == 1


def test_key_fingerprint_and_outcome_are_stored_with_the_events(
    ledger: AssessmentLedger,
) -> None:
    """The key's record is in the store, naming the command and the position it wrote."""
    seed_organisation(ledger)
    first = record(ledger, "INC-1", idempotency_key="k1")

    stored = ledger.ledger_recorder.idempotency_record(CLERK.person_id, "k1")

    assert stored is not None
    assert (stored.command, stored.position) == ("record_deduction", first.position)
    assert len(stored.fingerprint) == 64


def test_same_key_with_a_different_request_is_refused(ledger: AssessmentLedger) -> None:
    """Given key k1 used for INC-1, when k1 comes with another request, then
    IdempotencyKeyReused and nothing is recorded."""
    seed_organisation(ledger)
    record(ledger, "INC-1", idempotency_key="k1")

    error = refused(
        ledger,
        lambda: record(ledger, "INC-2", idempotency_key="k1"),
        IdempotencyKeyReused,
        "IDEMPOTENCY_KEY_REUSED",
    )

    assert error.fields == {"idempotency_key": "k1"}


def test_same_key_for_another_command_is_refused(ledger: AssessmentLedger) -> None:
    """The fingerprint covers the command too, not only its arguments."""
    seed_organisation(ledger)
    number = record(ledger, "INC-1", idempotency_key="k1").number
    assert number is not None

    refused(
        ledger,
        lambda: ledger.notify_deduction(
            CLERK, STAFF, number, date(2025, 3, 10), idempotency_key="k1"
        ),
        IdempotencyKeyReused,
    )


def test_refused_command_with_a_key_stores_nothing(ledger: AssessmentLedger) -> None:
    """Given a deduction refused because the person is assigned nowhere, then neither events
    nor the key's record are stored."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", staff_number=UNASSIGNED, idempotency_key="k1"))

    assert ledger.ledger_recorder.idempotency_record(CLERK.person_id, "k1") is None


def test_retry_of_a_refused_command_is_decided_afresh(ledger: AssessmentLedger) -> None:
    """Given a refusal under key k1, when its cause is fixed (the person is assigned) and the
    same request is retried with k1, then it is recorded, not replayed."""
    seed_organisation(ledger)
    refused(ledger, lambda: record(ledger, "INC-1", staff_number=UNASSIGNED, idempotency_key="k1"))
    ledger.assign_staff(OPERATOR, UNASSIGNED, WINDOW, date(2025, 1, 1))

    outcome = record(ledger, "INC-1", staff_number=UNASSIGNED, idempotency_key="k1")

    assert outcome.replayed is False
    assert outcome.position == ledger.head_position()
    assert len(ledger.staff(UNASSIGNED).deductions) == 1


def test_keys_are_per_actor(ledger: AssessmentLedger) -> None:
    """Given clerk C001 used k1, when the leading-group member uses k1 for another request,
    then it is recorded: keys belong to their actor."""
    seed_organisation(ledger)
    clerk_outcome = record(ledger, "INC-1", idempotency_key="k1")

    leader_outcome = record(ledger, "INC-2", actor=LEADER, idempotency_key="k1")

    assert leader_outcome.replayed is False
    assert leader_outcome.position > clerk_outcome.position
    assert len(ledger.staff(STAFF).deductions) == 2


def test_key_in_flight_is_refused_fast_and_records_nothing(ledger: AssessmentLedger) -> None:
    """Given the (actor, key) lock held by a request still running, when a duplicate arrives,
    then IdempotencyKeyInFlight and nothing is recorded."""
    seed_organisation(ledger)

    with ledger.ledger_recorder.idempotency_lock(CLERK.person_id, "k1"):
        refused(
            ledger,
            lambda: record(ledger, "INC-1", idempotency_key="k1"),
            IdempotencyKeyInFlight,
            "IDEMPOTENCY_KEY_IN_FLIGHT",
        )

    assert ledger.ledger_recorder.idempotency_record(CLERK.person_id, "k1") is None


def test_key_is_free_again_once_the_request_in_flight_ends(ledger: AssessmentLedger) -> None:
    """After the lock is released, the request with that key is decided."""
    seed_organisation(ledger)
    with (
        ledger.ledger_recorder.idempotency_lock(CLERK.person_id, "k1"),
        pytest.raises(IdempotencyKeyInFlight),
    ):
        record(ledger, "INC-1", idempotency_key="k1")

    outcome = record(ledger, "INC-1", idempotency_key="k1")

    assert outcome.replayed is False
    assert outcome.number is not None


def test_lock_on_one_actors_key_does_not_block_another_actor(ledger: AssessmentLedger) -> None:
    """The in-flight lock is on (actor, key), so another actor's k1 goes through."""
    seed_organisation(ledger)

    with ledger.ledger_recorder.idempotency_lock(CLERK.person_id, "k1"):
        outcome = record(ledger, "INC-1", actor=LEADER, idempotency_key="k1")

    assert outcome.replayed is False


def test_command_without_a_key_is_never_replayed(ledger: AssessmentLedger) -> None:
    """Without a key a repeated request is a new command (here R-03 refuses the second entry)."""
    seed_organisation(ledger)
    record(ledger, "INC-1")

    refused(ledger, lambda: record(ledger, "INC-1"), rule="R-03")
