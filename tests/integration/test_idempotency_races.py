"""Idempotency races, the role in a request's fingerprint, and the bound on quantities."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import CLERK, LEADER, STAFF, TODAY, record, refused, seed_organisation
from ledger.application import AssessmentLedger, Outcome
from ledger.clock import SettableClock
from ledger.errors import IdempotencyKeyReused
from ledger.settings import Settings
from ledger.stores import _ProcessLocalKeys
from ledger.values import OPERATOR, Actor, Role


@pytest.fixture
def two_ledgers_on_one_sqlite_file(
    tmp_path: Path, clock: SettableClock
) -> Iterator[tuple[AssessmentLedger, AssessmentLedger]]:
    """Two application objects on one SQLite file, as two processes would have."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    first = AssessmentLedger(env=settings.eventsourcing_env(), clock=clock)
    second = AssessmentLedger(env=settings.eventsourcing_env(), clock=clock)
    try:
        yield first, second
    finally:
        second.close()
        first.close()


def test_duplicate_that_slipped_past_the_key_lock_gets_the_first_outcome(
    two_ledgers_on_one_sqlite_file: tuple[AssessmentLedger, AssessmentLedger],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SPEC section 5: a command repeated with the same key returns the first outcome.

    On SQLite the (actor, key) lock is per process, so two processes can decide the same keyed
    request at once; the idempotency table's primary key is the backstop, and the loser
    replays the winner's outcome instead of reporting R-03 for its own incident. (PostgreSQL's
    advisory lock is seen by every process, so no duplicate slips by there.)
    """
    ledger, other = two_ledgers_on_one_sqlite_file
    seed_organisation(ledger)
    # A separate process has its own process-local key locks.
    monkeypatch.setattr(other.recorder, "_keys", _ProcessLocalKeys())
    winner: list[Outcome] = []
    load = other.staff

    def load_then_get_overtaken(staff_number: str, **options: int | None) -> object:
        loaded = load(staff_number, **options)
        if not winner:
            winner.append(record(ledger, "INC-1", idempotency_key="k1"))
        return loaded

    monkeypatch.setattr(other, "staff", load_then_get_overtaken)

    outcome = record(other, "INC-1", idempotency_key="k1")

    assert outcome == dataclasses.replace(winner[0], replayed=True)
    assert ledger.head_position() == winner[0].position


@pytest.mark.parametrize("quantity", [2**53, 10**30])
def test_r01_quantity_beyond_what_a_payload_can_hold_is_refused(
    ledger: AssessmentLedger, quantity: int
) -> None:
    """R-01: a quantity that cannot be stored (RFC 8785 / I-JSON integers are below 2**53) is
    refused as R-01, not a crash at save time."""
    seed_organisation(ledger)

    refused(
        ledger, lambda: record(ledger, "INC-1", item_code="ATT-05", quantity=quantity), rule="R-01"
    )


def test_r01_amended_quantity_beyond_what_a_payload_can_hold_is_refused(
    ledger: AssessmentLedger,
) -> None:
    """The same bound applies when a deduction's quantity is amended (see the test above)."""
    seed_organisation(ledger)
    number = record(ledger, "INC-1", item_code="ATT-05", quantity=1).number
    assert number is not None

    refused(
        ledger,
        lambda: ledger.amend_deduction(CLERK, STAFF, number, TODAY, "typo", quantity=2**53),
        rule="R-01",
    )


def test_same_key_in_another_role_is_another_request(ledger: AssessmentLedger) -> None:
    """An actor is a person and the role they act in: the same key retried in another role is
    another request (IdempotencyKeyReused), so the role is never skipped by a replay."""
    seed_organisation(ledger)
    ledger.grant_role(OPERATOR, LEADER.person_id, Role.SUPERVISION_CLERK, TODAY)
    record(ledger, "INC-1", actor=LEADER, idempotency_key="k1")

    refused(
        ledger,
        lambda: record(
            ledger,
            "INC-1",
            actor=Actor(LEADER.person_id, Role.SUPERVISION_CLERK),
            idempotency_key="k1",
        ),
        IdempotencyKeyReused,
    )
