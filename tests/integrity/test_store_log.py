"""The Merkle log written by the recorders in the events' transaction (SPEC 7.1), on every store,
and `verify-store` catching rows edited behind the application's back."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, cast

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from typer.testing import CliRunner

from builders import full_scenario
from ledger.application import AssessmentLedger
from ledger.cli import app as cli_app
from ledger.clock import SettableClock
from ledger.integrity.leaf import leaf_bytes, payload_commitment
from ledger.integrity.merkle import CompactRange, leaf_hash, tree_root
from ledger.integrity.store_audit import IntegrityRecorder, verify_store
from ledger.settings import get_settings
from ledger.stores import is_stale_read


def _recorder(ledger: AssessmentLedger) -> IntegrityRecorder:
    return cast(IntegrityRecorder, ledger.recorder)


def _recomputed_leaf_hashes(ledger: AssessmentLedger) -> list[bytes]:
    """Every leaf hash rebuilt from the event rows and the salts, chaining streams here."""
    recorder = _recorder(ledger)
    heads: dict[uuid.UUID, bytes] = {}
    hashes = []
    for event, row in zip(recorder.audit_events(), recorder.leaves(), strict=True):
        assert event.recorded_at is not None
        digest = leaf_hash(
            leaf_bytes(
                event.position,
                event.stream_id,
                event.stream_version,
                event.topic,
                event.recorded_at,
                heads.get(event.stream_id),
                payload_commitment(row.salt, event.state),
            )
        )
        heads[event.stream_id] = digest
        hashes.append(digest)
    return hashes


def test_every_event_gets_one_leaf_in_log_order(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    full_scenario(ledger, clock)
    recorder = _recorder(ledger)
    events, leaves = recorder.audit_events(), recorder.leaves()
    assert len(events) > 50
    assert [row.leaf_index for row in leaves] == list(range(len(events)))
    assert [row.position for row in leaves] == [event.position for event in events]
    assert [row.recorded_at for row in leaves] == [event.recorded_at for event in events]
    assert recorder.tree_size() == len(events)
    assert recorder.leaf(3) == leaves[3]
    assert recorder.leaf(len(events)) is None


def test_stored_root_is_the_root_of_the_recomputed_leaves(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    full_scenario(ledger, clock)
    recorder = _recorder(ledger)
    hashes = _recomputed_leaf_hashes(ledger)
    assert hashes == [row.leaf_hash for row in recorder.leaves()]
    assert recorder.current_root() == tree_root(len(hashes), hashes)
    state = recorder.tree_state()
    rebuilt = CompactRange()
    rebuilt.extend(hashes)
    assert CompactRange.from_bytes(state.size, state.frontier) == rebuilt


def test_previous_stream_links_chain_each_stream(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    full_scenario(ledger, clock)
    recorder = _recorder(ledger)
    last: dict[uuid.UUID, bytes] = {}
    versions: dict[uuid.UUID, int] = {}
    for event, row in zip(recorder.audit_events(), recorder.leaves(), strict=True):
        assert row.prev_stream_leaf_hash == last.get(event.stream_id)
        assert event.stream_version == versions.get(event.stream_id, 0) + 1
        last[event.stream_id] = row.leaf_hash
        versions[event.stream_id] = event.stream_version
    assert any(v > 1 for v in versions.values())


def test_a_conflicting_or_refused_save_leaves_no_leaf(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    full_scenario(ledger, clock)
    recorder = _recorder(ledger)
    before = recorder.tree_state()
    leaves_before = recorder.leaves()
    existing = recorder.audit_events()[-1]
    new = StoredEvent(uuid.uuid4(), 1, existing.topic, existing.state)
    clash = StoredEvent(existing.stream_id, existing.stream_version, existing.topic, b"{}")
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events([new, clash])
    with pytest.raises(IntegrityError) as stale:  # a stale read (StaleRead on the local stores)
        ledger.recorder.insert_events([new], read_set={existing.stream_id: 0})
    assert is_stale_read(stale.value)
    assert recorder.tree_state() == before
    assert recorder.leaves() == leaves_before
    # The store still appends after the failures, continuing the log.
    ledger.recorder.insert_events([new])
    assert recorder.tree_size() == before.size + 1
    assert recorder.leaves()[-1].leaf_index == before.size
    assert verify_store(ledger).ok


def test_verify_store_passes_on_a_fresh_scenario(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    full_scenario(ledger, clock)
    report = verify_store(ledger)
    assert report.ok, report.problem
    assert report.events == report.leaves == report.tree_size > 0


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> Any:
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, list(args))
    finally:
        get_settings.cache_clear()


def test_verify_store_passes_on_the_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    seeded = _cli(monkeypatch, url, "demo")
    assert seeded.exit_code == 0, seeded.output
    result = _cli(monkeypatch, url, "verify-store")
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


# Tampering behind the application's back, with plain SQL.

Execute = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tampered(
    request: pytest.FixtureRequest, tmp_path: Any, clock: SettableClock
) -> Iterator[tuple[AssessmentLedger, Execute, dict[str, str]]]:
    """A scenario ledger, a raw SQL executor on its store, and its table names."""
    from ledger.settings import Settings

    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        url = f"sqlite:///{path}"
        tables = {"events": "stored_events", "recorded": "recorded_at", "id": "rowid"}

        def execute(statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as conn:
                return list(conn.execute(statement, params))

    else:
        url = request.getfixturevalue("postgres_url")
        tables = {}

        def execute(statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            with psycopg.connect(url, autocommit=True) as conn:
                cursor = conn.execute(statement.replace("?", "%s"), params)
                return list(cursor.fetchall()) if cursor.description else []

    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env(), clock=clock)
    try:
        full_scenario(ledger, clock)
        if not tables:
            events = ledger.recorder.events_table_name  # type: ignore[attr-defined]
            prefix = events.removesuffix("_events")
            tables = {"events": events, "recorded": f"{prefix}_recorded", "id": "notification_id"}
        assert verify_store(ledger).ok
        yield ledger, execute, tables
    finally:
        ledger.close()


def _middle(ledger: AssessmentLedger) -> int:
    events = _recorder(ledger).audit_events()
    return events[len(events) // 2].position


def test_a_flipped_payload_byte_is_caught_by_the_payload_commitment(tampered: Any) -> None:
    ledger, execute, t = tampered
    position = _middle(ledger)
    (state,) = execute(f"SELECT state FROM {t['events']} WHERE {t['id']} = ?", (position,))[0]
    flipped = bytearray(state)
    flipped[len(flipped) // 2] ^= 0x01
    execute(f"UPDATE {t['events']} SET state = ? WHERE {t['id']} = ?", (bytes(flipped), position))
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "payload_commitment", problem
    assert f"position {position}" in problem.row


def test_a_deleted_event_row_is_caught(tampered: Any) -> None:
    ledger, execute, t = tampered
    position = _middle(ledger)
    execute(f"DELETE FROM {t['events']} WHERE {t['id']} = ?", (position,))
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "event_missing", problem
    assert f"position {position}" in problem.row


def test_a_changed_recorded_at_is_caught(tampered: Any) -> None:
    ledger, execute, t = tampered
    position = _middle(ledger)
    (stamp,) = execute(
        f"SELECT recorded_at FROM {t['recorded']} WHERE notification_id = ?", (position,)
    )[0]
    if isinstance(stamp, str):  # SQLite: fixed-width text; another hour of the same day
        other_hour = "01" if stamp[11:13] == "00" else "00"
        changed: Any = stamp[:11] + other_hour + stamp[13:]
    else:
        changed = stamp - timedelta(hours=1)
    execute(
        f"UPDATE {t['recorded']} SET recorded_at = ? WHERE notification_id = ?",
        (changed, position),
    )
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "recorded_at", problem
    assert f"position {position}" in problem.row


def test_the_cli_names_the_check(tampered: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, execute, t = tampered
    position = _middle(ledger)
    execute(f"DELETE FROM {t['events']} WHERE {t['id']} = ?", (position,))
    env = ledger.env
    sqlite_file = env.get("SQLITE_DBNAME")
    url = (
        f"sqlite:///{sqlite_file}"
        if sqlite_file
        else f"postgresql://{env.get('POSTGRES_USER')}@{env.get('POSTGRES_HOST')}:"
        f"{env.get('POSTGRES_PORT')}/{env.get('POSTGRES_DBNAME')}"
    )
    result = _cli(monkeypatch, url, "verify-store")
    assert result.exit_code == 1
    assert "event_missing" in result.output


def test_a_failing_leaf_write_rolls_the_events_back(tampered: Any) -> None:
    """The leaf INSERT fails after the events' INSERT (its index is squatted): the server aborts
    the transaction, so the events are not kept either."""
    ledger, execute, t = tampered
    recorder = _recorder(ledger)
    before = recorder.tree_state()
    head = ledger.head_position()
    leaves = "stored_leaves" if t["id"] == "rowid" else t["events"].replace("_events", "_leaves")
    execute(
        f"INSERT INTO {leaves} (leaf_index, position, leaf_hash, salt, prev_stream_leaf_hash, "
        "recorded_at, payload_commitment) VALUES (?, ?, ?, ?, NULL, ?, ?)",
        (before.size, 10**9, b"\0" * 32, b"\0" * 32, "2025-01-01T00:00:00Z", b"\0" * 32),
    )
    existing = recorder.audit_events()[-1]
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events(
            [StoredEvent(uuid.uuid4(), 1, existing.topic, existing.state)]
        )
    assert ledger.head_position() == head
    assert recorder.tree_state() == before


def _two_positions(ledger: AssessmentLedger, same_stream: bool) -> tuple[int, int]:
    """From the middle of the log on, the first event with a later one of the same stream (or
    of another, when not `same_stream`) and another payload, and that later event."""
    events = _recorder(ledger).audit_events()
    for index in range(len(events) // 2, len(events)):
        first = events[index]
        for e in events[index + 1 :]:
            if (e.stream_id == first.stream_id) == same_stream and e.state != first.state:
                return first.position, e.position
    raise AssertionError("no two such events in the log")


def _swap(execute: Any, t: dict[str, str], column: str, first: int, second: int) -> None:
    (a,) = execute(f"SELECT {column} FROM {t['events']} WHERE {t['id']} = ?", (first,))[0]
    (b,) = execute(f"SELECT {column} FROM {t['events']} WHERE {t['id']} = ?", (second,))[0]
    execute(f"UPDATE {t['events']} SET {column} = ? WHERE {t['id']} = ?", (b, first))
    execute(f"UPDATE {t['events']} SET {column} = ? WHERE {t['id']} = ?", (a, second))


def test_another_events_body_served_at_a_position_is_caught(tampered: Any) -> None:
    """SPEC 7.5: a server returning another event's body (payloads of two streams swapped)."""
    ledger, execute, t = tampered
    first, second = _two_positions(ledger, same_stream=False)
    _swap(execute, t, "state", first, second)
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "payload_commitment", problem
    assert f"position {first}" in problem.row


def test_reordered_events_of_a_stream_are_caught(tampered: Any) -> None:
    """SPEC 7.5: two events of one stream reordered (their payloads exchanged)."""
    ledger, execute, t = tampered
    first, second = _two_positions(ledger, same_stream=True)
    _swap(execute, t, "state", first, second)
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "payload_commitment", problem
    assert f"position {first}" in problem.row


def test_an_event_inserted_behind_the_applications_back_is_caught(tampered: Any) -> None:
    """SPEC 7.5: an inserted event has no leaf."""
    ledger, execute, t = tampered
    last = _recorder(ledger).audit_events()[-1]
    execute(
        f"INSERT INTO {t['events']} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        (
            last.stream_id.hex if t["id"] == "rowid" else last.stream_id,
            last.stream_version + 1,
            last.topic,
            last.state,
        ),
    )
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "leaf_missing", problem


def test_a_truncated_log_is_caught_by_the_tree_size(tampered: Any) -> None:
    """SPEC 7.5: the log's last event removed with its leaf and stamp; the tree row remembers."""
    ledger, execute, t = tampered
    position = _recorder(ledger).audit_events()[-1].position
    leaves = "stored_leaves" if t["id"] == "rowid" else t["events"].replace("_events", "_leaves")
    execute(f"DELETE FROM {leaves} WHERE position = ?", (position,))
    execute(f"DELETE FROM {t['recorded']} WHERE notification_id = ?", (position,))
    execute(f"DELETE FROM {t['events']} WHERE {t['id']} = ?", (position,))
    problem = verify_store(ledger).problem
    assert problem is not None and problem.check == "tree_size", problem
