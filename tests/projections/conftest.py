"""Fixtures of the projection tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from builders import full_scenario
from ledger.application import AssessmentLedger
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.settings import Settings


@pytest.fixture
def postgres_ledger(postgres_url: str) -> Iterator[AssessmentLedger]:
    """A ledger on a fresh PostgreSQL database, holding the full scenario."""
    clock = SettableClock(datetime(2025, 3, 10, 9, 30, tzinfo=CENTER_TIMEZONE))
    ledger = AssessmentLedger(
        env=Settings(database_url=postgres_url).eventsourcing_env(), clock=clock
    )
    full_scenario(ledger, clock)
    try:
        yield ledger
    finally:
        ledger.close()
