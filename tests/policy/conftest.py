"""Fixtures of the policy tests: an in-memory ledger with a small center, its commands issued
in January 2026 so that every day of 2025 can be an incident date."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from policy_support import seed_center

from builders import memory_ledger
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock


@pytest.fixture
def center(clock: SettableClock) -> Iterator[AssessmentLedger]:
    """The seeded center on the in-memory store."""
    ledger = memory_ledger(clock)
    try:
        seed_center(ledger, clock)
        yield ledger
    finally:
        ledger.close()
