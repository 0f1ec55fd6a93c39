"""Determinism (SPEC sections 5 and 6): the same commands at the same clock times give
byte-identical stored payloads, topics, stream ids and versions on memory, SQLite and
PostgreSQL; positions differ at most by PostgreSQL's gaps."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification

from builders import COLLEAGUE, TODAY, at, full_scenario, record
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.errors import RuleViolation
from ledger.settings import Settings


def run(url: str) -> list[Notification]:
    """Run the realistic scenario, a refused command and one more deduction on a store; return
    its whole log."""
    clock = SettableClock(at(TODAY))
    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env(), clock=clock)
    try:
        full_scenario(ledger, clock)
        # A refusal at save time consumes a sequence value on PostgreSQL: a gap.
        with pytest.raises(RuleViolation):
            record(ledger, "INC-2", staff_number=COLLEAGUE, occurred_on=date(2025, 3, 11))
        record(ledger, "INC-6", staff_number=COLLEAGUE, occurred_on=date(2025, 3, 11))
        return list(ledger.recorder.select_notifications(1, 1_000_000))
    finally:
        ledger.close()


def without_positions(log: list[Notification]) -> list[tuple[UUID, int, str, bytes]]:
    return [
        (UUID(str(n.originator_id)), n.originator_version, n.topic, bytes(n.state)) for n in log
    ]


@pytest.fixture
def logs(postgres_url: str, tmp_path: Path) -> dict[str, list[Notification]]:
    """The logs of the same run on the three stores."""
    return {
        "memory": run("memory://"),
        "sqlite": run(f"sqlite:///{tmp_path / 'ledger.sqlite3'}"),
        "postgres": run(postgres_url),
    }


@pytest.mark.postgres
def test_same_commands_store_identical_events_on_every_store(
    logs: dict[str, list[Notification]],
) -> None:
    """Given the same commands at the same clock times, then memory, SQLite and PostgreSQL
    store the same stream ids, versions, topics and payload bytes in the same order."""
    memory = without_positions(logs["memory"])

    assert len(memory) > 100
    assert without_positions(logs["sqlite"]) == memory
    assert without_positions(logs["postgres"]) == memory


@pytest.mark.postgres
def test_positions_differ_only_by_postgres_gaps(logs: dict[str, list[Notification]]) -> None:
    """Memory and SQLite number the log densely from 1; PostgreSQL's positions increase in the
    same order, with a gap where the refused command's insert was rolled back."""
    dense = list(range(1, len(logs["memory"]) + 1))
    postgres = [n.id for n in logs["postgres"]]

    assert [n.id for n in logs["memory"]] == dense
    assert [n.id for n in logs["sqlite"]] == dense
    assert postgres == sorted(set(postgres))
    assert postgres[-1] > len(postgres)
