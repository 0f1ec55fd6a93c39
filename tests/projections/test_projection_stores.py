"""The same commands give the same figures, row for row, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from projection_support import varied_history

from builders import full_scenario
from ledger.application import AssessmentLedger
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.projections.figures import open_figures_view
from ledger.projections.projector import InProcessProjection
from ledger.projections.rebuild import rebuild
from ledger.settings import Settings


@contextmanager
def _ledger(url: str) -> Iterator[tuple[AssessmentLedger, SettableClock]]:
    clock = SettableClock(datetime(2025, 3, 10, 9, 30, tzinfo=CENTER_TIMEZONE))
    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env(), clock=clock)
    try:
        yield ledger, clock
    finally:
        ledger.close()


def _live_and_rebuilt(url: str, scenario: str) -> tuple[str, str, str]:
    with _ledger(url) as (ledger, clock):
        if scenario == "full":
            full_scenario(ledger, clock)
        else:
            varied_history(ledger, clock)
        view = open_figures_view(ledger.factory)
        InProcessProjection(ledger, view).catch_up()
        live = view.checksum()
        rebuild(ledger, view, processes=1)
        in_one_process = view.checksum()
        rebuild(ledger, view, processes=2)
        return live, in_one_process, view.checksum()


@pytest.mark.postgres
@pytest.mark.parametrize("scenario", ["full", "varied"])
def test_given_the_same_commands_on_sqlite_and_postgres_when_projected_and_rebuilt_in_one_or_two_processes_then_every_checksum_is_equal(  # noqa: E501
    scenario: str, postgres_url: str, tmp_path: Path
) -> None:
    on_sqlite = _live_and_rebuilt(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", scenario)
    on_postgres = _live_and_rebuilt(postgres_url, scenario)

    assert len({*on_sqlite, *on_postgres}) == 1
