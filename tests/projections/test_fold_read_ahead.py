"""A fold of the whole log on PostgreSQL reads its pages ahead in a thread: the same state as
the library's pages give, failures raised to the caller, nothing left running."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from eventsourcing.persistence import DataError
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL

from ledger.application import AssessmentLedger
from ledger.policy import LedgerState, active_years, all_figures, checksum
from ledger.policy.facts import FOLDED_TOPICS
from ledger.projections import log
from ledger.projections.log import fact_of, fold_log, pages

pytestmark = pytest.mark.postgres


def _read_ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ledger-fold-read-ahead"]


def _fold_of_the_librarys_pages(ledger: AssessmentLedger, head: int) -> LedgerState:
    state = LedgerState()
    for notifications in pages(ledger.recorder, 0, head, 5):
        for notification in notifications:
            state.apply(fact_of(notification))
    return state


def _figures_checksum(state: LedgerState) -> str:
    return checksum(f for year in active_years(state) for f in all_figures(state, year))


def test_given_small_pages_when_the_log_is_folded_reading_ahead_then_the_state_equals_a_fold_of_the_librarys_pages(  # noqa: E501
    postgres_ledger: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log, "BULK_PAGE", 7)  # many pages, more than the read-ahead holds
    head = postgres_ledger.head_position()
    seen: list[tuple[int, int]] = []

    read_ahead = fold_log(postgres_ledger.recorder, head, on_page=lambda *page: seen.append(page))
    paged = _fold_of_the_librarys_pages(postgres_ledger, head)

    assert isinstance(postgres_ledger.recorder, PostgresApplicationRecorder)
    assert read_ahead.position == paged.position == head
    assert _figures_checksum(read_ahead) == _figures_checksum(paged)
    assert sum(count for _, count in seen) == head > 7 * log.READ_AHEAD
    assert seen[-1][0] == head
    assert _read_ahead_threads() == []


def test_given_incident_records_in_the_log_when_it_is_folded_then_only_the_rules_records_are_read(
    postgres_ledger: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = postgres_ledger.head_position()
    read_ahead = log._read_ahead
    rows_read: list[int] = []

    def counted(*arguments: Any) -> Iterator[list[tuple[Any, ...]]]:
        for rows in read_ahead(*arguments):
            rows_read.append(len(rows))
            yield rows

    monkeypatch.setattr(log, "_read_ahead", counted)
    seen: list[tuple[int, int]] = []

    folded = fold_log(postgres_ledger.recorder, head, on_page=lambda *page: seen.append(page))
    everything = _fold_of_the_librarys_pages(postgres_ledger, head)

    recorder = postgres_ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    with recorder.datastore.get_connection() as conn:
        found = conn.execute(
            "SELECT count(*) AS n FROM ledger_events WHERE topic LIKE ANY(%s)",
            ([family + "%" for family in FOLDED_TOPICS],),
        ).fetchone()
    assert found is not None
    rules_records = found["n"]
    assert 0 < sum(rows_read) == rules_records < head  # incident records were left out
    assert folded.position == everything.position == head
    assert sum(count for _, count in seen) == head
    assert _figures_checksum(folded) == _figures_checksum(everything)


def test_given_a_fold_that_stops_after_its_first_page_then_the_reading_thread_ends(
    postgres_ledger: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log, "BULK_PAGE", 3)
    recorder = postgres_ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    statement = SQL(
        "SELECT notification_id FROM ledger_events "
        "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id"
    )

    with closing(log._read_ahead(recorder.datastore.get_connection, statement, (0, 1000))) as read:
        first = next(read)

    assert [row[0] for row in first] == [1, 2, 3]
    assert _read_ahead_threads() == []
    assert fold_log(recorder, postgres_ledger.head_position()).position > 0  # connection returned


def test_given_a_read_that_fails_when_folding_then_the_error_reaches_the_caller(
    postgres_ledger: AssessmentLedger,
) -> None:
    recorder = postgres_ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    statement = SQL(
        "SELECT 1 / (notification_id - %s - 1) FROM ledger_events WHERE notification_id <= %s"
    )

    with pytest.raises(DataError, match="division by zero"):
        list(log._read_ahead(recorder.datastore.get_connection, statement, (0, 1000)))

    assert _read_ahead_threads() == []
