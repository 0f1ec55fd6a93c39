"""Fixtures of the filing tests: the log's key, a witness, and the full scenario's ledger on the
in-memory store with its log checkpointed once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from filing_support import ORIGIN, CheckpointedLog

from builders import full_scenario, memory_ledger
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.integrity.note import Ed25519Cosigner, Ed25519Signer


@pytest.fixture
def signer() -> Ed25519Signer:
    """The log's signing key; its key name is the log's origin."""
    return Ed25519Signer.generate(ORIGIN)


@pytest.fixture
def witness() -> Ed25519Cosigner:
    """The higher authority's witness key."""
    return Ed25519Cosigner("witness.authority.test", Ed25519PrivateKey.generate())


@pytest.fixture
def scenario(clock: SettableClock) -> Iterator[AssessmentLedger]:
    """A ledger holding every kind of event (a decided month and a late entry among them)."""
    ledger = memory_ledger(clock)
    full_scenario(ledger, clock)
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def log(
    scenario: AssessmentLedger, signer: Ed25519Signer, witness: Ed25519Cosigner
) -> CheckpointedLog:
    """The scenario's log, checkpointed once and cosigned by the witness."""
    log = CheckpointedLog(scenario, signer, [witness])
    log.checkpoint()
    return log
