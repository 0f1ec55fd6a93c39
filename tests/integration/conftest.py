"""Fixtures of the integration tests beyond tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.settings import Settings


@pytest.fixture
def other(store_url: str, clock: SettableClock) -> Iterator[AssessmentLedger]:
    """A second application instance (another process, in effect) on the `ledger`'s store."""
    if store_url.startswith("memory:"):
        pytest.skip("the in-memory store lives inside one application object: nothing to share")
    application = AssessmentLedger(
        env=Settings(database_url=store_url).eventsourcing_env(), clock=clock
    )
    try:
        yield application
    finally:
        application.close()
