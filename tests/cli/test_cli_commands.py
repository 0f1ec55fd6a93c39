"""The operator's other commands (catalogue, calendar, history, serve) and how the CLI refuses:
one line on stderr, status 2 for bad usage or input, 1 for a refusal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cli_support import Invoke, LogRow, read_log
from typer.testing import Result

from ledger.application import AssessmentLedger
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.demo import DemoPlan, build_plan, seed
from ledger.settings import Settings

HEADER = "code,name_zh,name_en,points,unit,applies_to,basis\n"


def assert_one_line_error(result: Result, status: int) -> None:
    assert result.exit_code == status, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


# ledger calendar load


def test_given_a_year_the_package_does_not_know_when_loading_it_from_the_package_then_it_refuses_and_points_to_a_file(  # noqa: E501
    ledger_cli: Invoke, empty_sqlite_url: str
) -> None:
    result = ledger_cli(empty_sqlite_url, "calendar", "load", "2031", "--from-package")

    assert_one_line_error(result, 1)
    assert "2031" in result.stderr and "--file" in result.stderr
    assert read_log(empty_sqlite_url) == []


def test_given_a_calendar_file_when_loading_a_year_the_package_does_not_know_then_the_ledger_uses_it(  # noqa: E501
    ledger_cli: Invoke, empty_sqlite_url: str, tmp_path: Path
) -> None:
    data = {
        "holidays": ["2031-01-01", "2031-10-01"],
        "makeup_workdays": ["2031-09-27"],
        "source": "State Council notice 2030",
    }
    file = write(tmp_path / "2031.json", json.dumps(data))

    result = ledger_cli(empty_sqlite_url, "calendar", "load", "2031", "--file", str(file))

    assert result.exit_code == 0, result.output
    ledger = AssessmentLedger(env=Settings(database_url=empty_sqlite_url).eventsourcing_env())
    try:
        calendar = ledger.calendar_year(2031)
        assert calendar.source == "State Council notice 2030"
        assert not calendar.is_working_day(date(2031, 10, 1))
        assert calendar.is_working_day(date(2031, 9, 27))  # a Saturday
    finally:
        ledger.close()


def test_given_a_year_the_package_knows_when_loading_it_from_the_package_then_its_makeup_days_are_working_days(  # noqa: E501
    ledger_cli: Invoke, empty_sqlite_url: str
) -> None:
    result = ledger_cli(empty_sqlite_url, "calendar", "load", "2025", "--from-package")

    assert result.exit_code == 0, result.output
    ledger = AssessmentLedger(env=Settings(database_url=empty_sqlite_url).eventsourcing_env())
    try:
        calendar = ledger.calendar_year(2025)
        assert calendar.source.startswith("chinese-calendar ")
        assert calendar.is_working_day(date(2025, 1, 26))  # Sunday, make-up for Spring Festival
        assert not calendar.is_working_day(date(2025, 1, 28))
    finally:
        ledger.close()


def test_given_a_loaded_year_when_loading_it_again_then_it_refuses_with_status_1(
    ledger_cli: Invoke, empty_sqlite_url: str
) -> None:
    assert ledger_cli(empty_sqlite_url, "calendar", "load", "2025", "--from-package").exit_code == 0

    result = ledger_cli(empty_sqlite_url, "calendar", "load", "2025", "--from-package")

    assert_one_line_error(result, 1)
    assert "already loaded" in result.stderr


@pytest.mark.parametrize(
    "content",
    ["{not json", '["2031-01-01"]', '{"holidays": ["2031-13-01"], "makeup_workdays": []}'],
    ids=["not-json", "not-an-object", "bad-date"],
)
def test_given_a_malformed_calendar_file_when_loading_it_then_one_line_and_status_2(
    ledger_cli: Invoke, empty_sqlite_url: str, tmp_path: Path, content: str
) -> None:
    file = write(tmp_path / "bad.json", content)

    result = ledger_cli(empty_sqlite_url, "calendar", "load", "2031", "--file", str(file))

    assert_one_line_error(result, 2)


def test_given_neither_package_nor_file_when_loading_a_calendar_then_one_line_and_status_2(
    ledger_cli: Invoke, empty_sqlite_url: str
) -> None:
    result = ledger_cli(empty_sqlite_url, "calendar", "load", "2031")

    assert_one_line_error(result, 2)


# ledger catalogue load


def test_given_a_catalogue_csv_with_a_bad_points_value_when_loading_it_then_one_line_and_status_2(
    ledger_cli: Invoke, empty_sqlite_url: str, tmp_path: Path
) -> None:
    file = write(tmp_path / "bad.csv", HEADER + "ATT-01,迟到,late,0.3,incident,person,x\n")

    result = ledger_cli(
        empty_sqlite_url,
        "catalogue",
        "load",
        str(file),
        "--effective-from",
        "2026-01-01",
        "--reason",
        "revision",
    )

    assert_one_line_error(result, 2)
    assert "line 2" in result.stderr and "0.3" in result.stderr
    assert read_log(empty_sqlite_url) == []


def test_given_a_catalogue_csv_when_loading_it_then_a_version_is_published_from_that_date(
    ledger_cli: Invoke, empty_sqlite_url: str, tmp_path: Path
) -> None:
    file = write(tmp_path / "c.csv", HEADER + "ATT-01,迟到,late,1,incident,person,x\n")

    result = ledger_cli(
        empty_sqlite_url,
        "catalogue",
        "load",
        str(file),
        "--effective-from",
        "2026-01-01",
        "--reason",
        "revision",
    )

    assert result.exit_code == 0, result.output
    assert "published catalogue version 1" in result.stdout
    ledger = AssessmentLedger(env=Settings(database_url=empty_sqlite_url).eventsourcing_env())
    try:
        assert ledger.catalogue().version_in_force(date(2026, 1, 1)) == 1
        assert ledger.catalogue().version_in_force(date(2025, 12, 31)) is None
    finally:
        ledger.close()


def test_given_a_catalogue_effective_before_the_measures_when_loading_it_then_status_1(
    ledger_cli: Invoke, empty_sqlite_url: str, tmp_path: Path
) -> None:
    file = write(tmp_path / "c.csv", HEADER + "ATT-01,迟到,late,1,incident,person,x\n")

    result = ledger_cli(
        empty_sqlite_url,
        "catalogue",
        "load",
        str(file),
        "--effective-from",
        "2008-01-01",
        "--reason",
        "too early",
    )

    assert_one_line_error(result, 1)
    assert "R-20" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["catalogue", "load", "missing.csv", "--effective-from", "2026-01-01", "--reason", "r"],
        ["catalogue", "load", "c.csv", "--effective-from", "2026-02-30", "--reason", "r"],
        ["catalogue", "load", "c.csv", "--effective-from", "2026-01-01"],
        ["catalogue"],
        ["no-such-command"],
    ],
    ids=["missing-file", "bad-date", "missing-option", "missing-subcommand", "unknown-command"],
)
def test_given_bad_usage_when_running_the_cli_then_one_line_and_status_2(
    ledger_cli: Invoke,
    empty_sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
) -> None:
    write(tmp_path / "c.csv", HEADER + "ATT-01,迟到,late,1,incident,person,x\n")
    monkeypatch.chdir(tmp_path)

    result = ledger_cli(empty_sqlite_url, *arguments)

    assert_one_line_error(result, 2)


def test_given_an_unknown_store_scheme_when_running_a_command_then_one_line_and_status_2(
    ledger_cli: Invoke,
) -> None:
    result = ledger_cli("mysql://somewhere/ledger", "history", "S0001")

    assert_one_line_error(result, 2)
    assert "LEDGER_DATABASE_URL" in result.stderr


# ledger history


def test_given_an_unregistered_staff_number_when_asking_for_history_then_status_1(
    ledger_cli: Invoke, empty_sqlite_url: str
) -> None:
    result = ledger_cli(empty_sqlite_url, "history", "S9999")

    assert_one_line_error(result, 1)
    assert "S9999" in result.stderr


def test_given_the_demo_when_asking_for_a_staff_members_history_newest_first_then_a_table_of_the_newest_events(  # noqa: E501
    ledger_cli: Invoke, seeded_demo: tuple[str, Result], seeded_log: list[LogRow]
) -> None:
    url, _ = seeded_demo
    number_of = {
        stream: json.loads(state)["staff_number"]
        for topic, stream, _, state in seeded_log
        if topic == "ledger.staff.Registered.v1"
    }
    streams = [s for t, s, _, _ in seeded_log if t == "ledger.staff.DeductionRecorded.v1"]
    number = number_of[streams[-1]]  # the staff member of the log's last deduction

    result = ledger_cli(url, "history", number, "--newest-first", "--limit", "3")

    assert result.exit_code == 0, result.output
    assert f"{number}: 3 events" in result.stdout
    assert "Registered" not in result.stdout  # the oldest event is not among the newest three


def test_given_the_demo_when_asking_for_a_history_as_of_the_time_of_an_event_then_only_the_events_recorded_by_then_are_shown(  # noqa: E501
    ledger_cli: Invoke, seeded_demo: tuple[str, Result], seeded_ledger: AssessmentLedger
) -> None:
    url, _ = seeded_demo
    events = seeded_ledger.history(seeded_ledger.staff_stream("S0066"), limit=1000)
    third = events[2]
    moment = third.recorded_at.astimezone(CENTER_TIMEZONE).replace(tzinfo=None).isoformat()

    result = ledger_cli(url, "history", "S0066", "--as-of", moment, "--limit", "1000")

    assert result.exit_code == 0, result.output
    shown = sum(1 for event in events if event.recorded_at <= third.recorded_at)
    assert 3 <= shown < len(events)
    assert f"S0066: {shown} events" in result.stdout


@pytest.mark.parametrize("as_of", ["last tuesday", "2025-02-30"])
def test_given_an_as_of_that_is_no_position_time_or_day_when_asking_for_history_then_status_2_naming_it(  # noqa: E501
    ledger_cli: Invoke, empty_sqlite_url: str, as_of: str
) -> None:
    result = ledger_cli(empty_sqlite_url, "history", "S0001", "--as-of", as_of)

    assert_one_line_error(result, 2)
    assert "--as-of" in result.stderr and as_of in result.stderr


# ledger serve


def test_given_settings_when_serving_then_uvicorn_runs_the_app_factory_on_the_configured_address(
    ledger_cli: Invoke, empty_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setenv("LEDGER_PORT", "8123")

    result = ledger_cli(empty_sqlite_url, "serve")

    assert result.exit_code == 0, result.output
    assert calls == [
        (("api.app:create_app",), {"factory": True, "host": "127.0.0.1", "port": 8123})
    ]


# ledger demo, interrupted


def test_given_an_interrupted_demo_seeding_when_seeding_again_then_it_refuses_with_status_1(
    ledger_cli: Invoke, empty_sqlite_url: str
) -> None:
    plan = build_plan()
    first_part = DemoPlan(plan.commands[:300], plan.marker, plan.witness)
    Path(Settings(database_url=empty_sqlite_url).sqlite_path).parent.mkdir(parents=True)
    clock = SettableClock(plan.commands[0].at)
    ledger = AssessmentLedger(
        env=Settings(database_url=empty_sqlite_url).eventsourcing_env(), clock=clock
    )
    try:
        seed(ledger, clock, first_part)
    finally:
        ledger.close()
    before = read_log(empty_sqlite_url)

    result = ledger_cli(empty_sqlite_url, "demo")

    assert_one_line_error(result, 1)
    assert "interrupted" in result.stderr
    assert read_log(empty_sqlite_url) == before
