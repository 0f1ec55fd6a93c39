"""The recorder's work beside the events is all-or-nothing with them, on PostgreSQL too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from builders import record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.settings import Settings
from ledger.stores import LedgerPostgresApplicationRecorder


@pytest.fixture
def postgres_ledger(postgres_url: str, clock: SettableClock) -> Iterator[AssessmentLedger]:
    """A ledger on a fresh PostgreSQL database."""
    application = AssessmentLedger(
        env=Settings(database_url=postgres_url).eventsourcing_env(), clock=clock
    )
    try:
        yield application
    finally:
        application.close()


@pytest.mark.postgres
def test_given_postgres_when_the_hook_fails_inside_the_insert_then_no_event_is_kept(
    postgres_ledger: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library commits before re-raising an error from its insert hooks; ours must not."""
    seed_organisation(postgres_ledger)
    head = postgres_ledger.head_position()

    def fail(*_: Any) -> None:
        raise RuntimeError("hook failed")

    monkeypatch.setattr(LedgerPostgresApplicationRecorder, "_write_beside_events", fail)
    with pytest.raises(Exception):  # noqa: B017 - whatever surfaces, the point is what is kept
        record(postgres_ledger, "INC-1")
    monkeypatch.undo()

    assert postgres_ledger.head_position() == head
    assert record(postgres_ledger, "INC-1").position > head
