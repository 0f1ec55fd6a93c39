"""Fixtures of the CLI tests: the CLI on a chosen store, and one seeded demo shared by the tests
that only read it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Invoke, LogRow, invoke_ledger, read_log
from typer.testing import Result

from ledger.application import AssessmentLedger
from ledger.settings import Settings


@pytest.fixture
def ledger_cli(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """`ledger_cli(url, *args)` runs the CLI on the store at `url`."""

    def run(url: str, *args: str) -> Result:
        return invoke_ledger(monkeypatch, url, *args)

    return run


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """The URL of a SQLite file that does not exist yet, in a directory that does not either."""
    return f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}"


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Result]]:
    """A SQLite file seeded once by `ledger demo` for the tests that only read it: its URL and
    the command's result."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'ledger.sqlite3'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        result = invoke_ledger(monkeypatch, url, "demo")
    assert result.exit_code == 0, result.output
    yield url, result


@pytest.fixture(scope="session")
def seeded_log(seeded_demo: tuple[str, Result]) -> list[LogRow]:
    """The shared demo's log."""
    return read_log(seeded_demo[0])


@pytest.fixture
def seeded_ledger(seeded_demo: tuple[str, Result]) -> Iterator[AssessmentLedger]:
    """An AssessmentLedger on the shared demo file."""
    ledger = AssessmentLedger(env=Settings(database_url=seeded_demo[0]).eventsourcing_env())
    try:
        yield ledger
    finally:
        ledger.close()
