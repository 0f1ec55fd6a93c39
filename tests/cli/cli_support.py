"""Helpers of the CLI tests: running `ledger` against a store, and a store's log as rows."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from ledger.application import AssessmentLedger
from ledger.cli import app
from ledger.settings import Settings, get_settings

LogRow = tuple[str, UUID, int, bytes]
"""(topic, originator_id, originator_version, state) of one stored event."""

Invoke = Callable[..., Result]
"""`invoke(url, *args)`: run `ledger ARGS` on the store at `url`."""


def invoke_ledger(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> Result:
    """Run `ledger ARGS` with LEDGER_DATABASE_URL set to `url`, settings read afresh."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def read_log(url: str, page: int = 1000) -> list[LogRow]:
    """Every event of the store in log order, without positions or database times (none for a
    SQLite file that was never created)."""
    settings = Settings(database_url=url)
    if settings.store == "sqlite" and not settings.sqlite_path.exists():
        return []
    ledger = AssessmentLedger(env=settings.eventsourcing_env())
    rows: list[LogRow] = []
    try:
        start = 1
        while notifications := ledger.recorder.select_notifications(start=start, limit=page):
            rows.extend(
                (n.topic, UUID(str(n.originator_id)), n.originator_version, n.state)
                for n in notifications
            )
            start = notifications[-1].id + 1
    finally:
        ledger.close()
    return rows
