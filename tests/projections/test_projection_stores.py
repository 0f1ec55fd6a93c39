"""The same commands give the same figures, row for row, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import lz4.block
import psycopg
import pytest
from projection_support import recomputed_checksum, varied_history

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


_OLD_LAYOUTS = {
    # The table of an earlier layout, a row in it and its tracking row at the head.
    ("per-figure", "sqlite"): [
        "CREATE TABLE figures (subject_kind TEXT, subject TEXT, period TEXT, figure TEXT, "
        "year INTEGER, policy_version TEXT, record BLOB)",
        "INSERT INTO figures VALUES ('staff', 'S001', '2025-03', 'bonus', 2025, 'v', x'00')",
        "INSERT INTO tracking (application_name, notification_id) "
        "VALUES ('ledger.figures', {head})",
    ],
    ("per-figure", "postgres"): [
        "CREATE TABLE ledger_figures (subject_kind text, subject text, period text, "
        "figure text, year integer, policy_version text, record bytea)",
        "INSERT INTO ledger_figures VALUES ('staff', 'S001', '2025-03', 'bonus', 2025, 'v', "
        "'\\x00')",
        "INSERT INTO ledger_tracking (application_name, notification_id) "
        "VALUES ('ledger.figures', {head})",
    ],
    ("uncompressed rows", "sqlite"): [
        "CREATE TABLE figures_by_year (subject_kind TEXT, subject TEXT, year INTEGER, "
        "figures BLOB)",
        "INSERT INTO figures_by_year VALUES ('staff', 'S001', 2025, x'00')",
        "INSERT INTO tracking (application_name, notification_id) "
        "VALUES ('ledger.figures.by-year', {head})",
    ],
    ("uncompressed rows", "postgres"): [
        "CREATE TABLE ledger_figures_by_year (subject_kind text, subject text, year integer, "
        "figures bytea)",
        "INSERT INTO ledger_figures_by_year VALUES ('staff', 'S001', 2025, '\\x00')",
        "INSERT INTO ledger_tracking (application_name, notification_id) "
        "VALUES ('ledger.figures.by-year', {head})",
    ],
}
_OLD_TABLES = {"per-figure": "figures", "uncompressed rows": "figures_by_year"}


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
@pytest.mark.parametrize("layout", ["per-figure", "uncompressed rows"])
def test_given_figures_kept_in_an_earlier_layout_when_the_store_is_opened_again_then_they_are_built_anew_from_the_log(  # noqa: E501
    layout: str, store: str, postgres_url: str, tmp_path: Path
) -> None:
    """An upgraded store: the old table is dropped, its tracking row is not read, and the view
    catches up from the start of the log to the figures a recomputation gives."""
    path = tmp_path / "ledger.sqlite3"
    url = f"sqlite:///{path}" if store == "sqlite" else postgres_url
    with _ledger(url) as (ledger, clock):
        full_scenario(ledger, clock)
        open_figures_view(ledger.factory)  # its tracking table, as an earlier version made it
        head = ledger.head_position()
        for statement in _OLD_LAYOUTS[(layout, store)]:
            _execute(url, path, statement.format(head=head))

    with _ledger(url) as (ledger, _):
        view = open_figures_view(ledger.factory)
        assert view.position() == 0
        assert view.rows() == []
        old_table = _OLD_TABLES[layout]
        assert not _has_table(url, path, old_table if store == "sqlite" else f"ledger_{old_table}")
        InProcessProjection(ledger, view).catch_up()

        assert view.position() == head
        assert view.checksum() == recomputed_checksum(ledger)


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_given_projected_figures_when_their_table_is_read_then_each_row_holds_its_figures_compressed(  # noqa: E501
    store: str, postgres_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "ledger.sqlite3"
    url = f"sqlite:///{path}" if store == "sqlite" else postgres_url
    with _ledger(url) as (ledger, clock):
        full_scenario(ledger, clock)
        view = open_figures_view(ledger.factory)
        InProcessProjection(ledger, view).catch_up()
        rows = {row.scope: row.figures for row in view.stored_rows()}

    table = "figures_by_year_lz4" if store == "sqlite" else "ledger_figures_by_year_lz4"
    stored = _select(url, path, f"SELECT subject_kind, subject, year, figures FROM {table}")

    assert len(stored) == len(rows) >= 10
    for kind, subject, year, figures in stored:
        text = rows[(kind, subject, year)]
        assert bytes(figures) == lz4.block.compress(text, store_size=True)
        assert len(figures) < len(text)


def _execute(url: str, path: Path, statement: str) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(path) as conn:
            conn.execute(statement)
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement.encode())


def _select(url: str, path: Path, statement: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(path) as conn:
            return conn.execute(statement).fetchall()
    with psycopg.connect(url) as conn:
        return conn.execute(statement.encode()).fetchall()


def _has_table(url: str, path: Path, name: str) -> bool:
    if url.startswith("sqlite"):
        with sqlite3.connect(path) as conn:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone()
        return found is not None
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT to_regclass(%s)", [name]).fetchone() != (None,)
