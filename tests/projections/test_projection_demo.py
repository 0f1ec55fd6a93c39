"""`ledger rebuild` on the demo reproduces the figures live processing produced, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from projection_support import recomputed_checksum
from typer.testing import CliRunner, Result

from ledger.application import AssessmentLedger
from ledger.cli import app
from ledger.projections.figures import open_figures_view
from ledger.projections.projector import InProcessProjection
from ledger.settings import Settings, get_settings


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> Result:
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("store", "options", "said"),
    [
        ("sqlite", (), "compute"),
        ("sqlite", ("--processes", "2"), "in 2 processes"),
        # On PostgreSQL each process folds its own share of the log (`projections.partition`).
        pytest.param(
            "postgres", ("--processes", "2"), "in 2 processes", marks=pytest.mark.postgres
        ),
    ],
)
def test_given_the_demo_projected_live_when_rebuilt_by_the_cli_then_every_figure_is_reproduced(
    store: str,
    options: tuple[str, ...],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        if store == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    assert _cli(monkeypatch, url, "demo").exit_code == 0
    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env())
    try:
        view = open_figures_view(ledger.factory)
        InProcessProjection(ledger, view).catch_up()
        live_rows = sorted(view.rows(), key=lambda row: row.key)
        live = view.checksum()
        expected = recomputed_checksum(ledger)

        result = _cli(monkeypatch, url, "rebuild", *options)

        assert result.exit_code == 0, result.output
        assert said in result.output
        assert f"checksum {live}" in result.output
        assert sorted(view.rows(), key=lambda row: row.key) == live_rows
        assert view.checksum() == live == expected
        assert view.position() == ledger.head_position()
    finally:
        ledger.close()


def test_given_a_sqlite_store_when_running_ledger_project_then_it_catches_up_once_and_exits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert _cli(monkeypatch, url, "demo").exit_code == 0

    result = _cli(monkeypatch, url, "project")

    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env())
    try:
        assert result.exit_code == 0, result.output
        assert f"caught up to position {ledger.head_position()}" in result.output
        assert open_figures_view(ledger.factory).checksum() == recomputed_checksum(ledger)
    finally:
        ledger.close()
