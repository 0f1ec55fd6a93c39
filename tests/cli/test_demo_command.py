"""`ledger demo`: a realistic center-year of 2025, seeded once, the same on every store."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from cli_support import Invoke, LogRow, read_log
from typer.testing import Result

from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE
from ledger.settings import Settings
from ledger.values import OPERATOR, StaffCategory, UnitKind

YEAR_END = date(2025, 12, 31)


def payloads(log: list[LogRow], topic: str) -> list[dict[str, Any]]:
    """The decoded payloads of the events with that topic, in log order."""
    return [json.loads(state) for row_topic, _, _, state in log if row_topic == topic]


def test_given_an_empty_store_when_seeding_the_demo_then_it_registers_at_least_150_staff_in_all_three_categories(  # noqa: E501
    seeded_log: list[LogRow], seeded_ledger: AssessmentLedger
) -> None:
    numbers = [p["staff_number"] for p in payloads(seeded_log, "ledger.staff.Registered.v1")]
    staff = [seeded_ledger.staff(number) for number in numbers if number.startswith("S")]

    assert len(staff) >= 150
    assert {member.category for member in staff} == set(StaffCategory)
    assert all(member.home_unit for member in staff)


def test_given_an_empty_store_when_seeding_the_demo_then_it_opens_windows_one_person_windows_and_offices(  # noqa: E501
    seeded_log: list[LogRow], seeded_ledger: AssessmentLedger
) -> None:
    codes = [p["code"] for p in payloads(seeded_log, "ledger.window.Opened.v1")]
    units = [seeded_ledger.unit(code) for code in codes]
    numbers = [p["staff_number"] for p in payloads(seeded_log, "ledger.staff.Registered.v1")]
    members_at_year_end = Counter(seeded_ledger.staff(n).unit_on(YEAR_END) for n in numbers)

    assert len(units) >= 25
    assert {unit.kind for unit in units} == set(UnitKind)
    assert all(unit.head_on(YEAR_END) and unit.leader_in_charge_on(YEAR_END) for unit in units)
    one_person_windows = [
        unit
        for unit in units
        if unit.kind is UnitKind.WINDOW and members_at_year_end[unit.code] == 1
    ]
    assert len(one_person_windows) >= 3


def test_given_an_empty_store_when_seeding_the_demo_then_about_a_thousand_deductions_fall_on_working_days_of_2025(  # noqa: E501
    seeded_log: list[LogRow],
) -> None:
    deductions = payloads(seeded_log, "ledger.staff.DeductionRecorded.v1") + payloads(
        seeded_log, "ledger.window.DeductionRecorded.v1"
    )
    days = {date.fromisoformat(d["occurred_on"]) for d in deductions}

    assert 900 <= len(deductions) <= 1100
    assert all(day.year == 2025 and chinese_calendar.is_workday(day) for day in days)
    assert len({d["incident_ref"] for d in deductions}) == len(deductions)
    assert {d["item_code"] for d in deductions} <= {item.code for item in shipped_catalogue()}
    assert any(d["quantity"] >= 2 for d in deductions)  # half-day absences


def test_given_an_empty_store_when_seeding_the_demo_then_it_records_veto_cases_revocations_amendments_and_notifications(  # noqa: E501
    seeded_log: list[LogRow],
) -> None:
    topics = Counter(topic for topic, _, _, _ in seeded_log)
    recorded = topics["ledger.staff.DeductionRecorded.v1"]

    assert 3 <= topics["ledger.staff.VetoCaseRecorded.v1"] <= 8
    assert 0.02 * recorded <= topics["ledger.staff.DeductionRevoked.v1"] <= 0.05 * recorded
    assert 0.01 * recorded <= topics["ledger.staff.DeductionAmended.v1"] <= 0.04 * recorded
    assert 0 < topics["ledger.staff.DeductionNotified.v1"] < recorded
    assert topics["ledger.staff.Released.v1"] >= 12  # transfers release too
    assert topics["ledger.organisation.RoleGranted.v1"] >= 3


def test_given_an_empty_store_when_seeding_the_demo_then_the_leading_group_decides_january_to_november_and_q1_to_q3(  # noqa: E501
    seeded_ledger: AssessmentLedger,
) -> None:
    decided = [f"2025-{month:02d}" for month in range(1, 12)] + ["2025-Q1", "2025-Q2", "2025-Q3"]

    for key in decided:
        decision = seeded_ledger.round(key).decision
        assert decision is not None, key
        assert decision.effective_on > seeded_ledger.round(key).period.last_day
    assert seeded_ledger.round("2025-12").decision is None
    assert seeded_ledger.round("2025-Q4").decision is None


def test_given_an_empty_store_when_seeding_the_demo_then_every_stream_is_stamped_in_2025_in_order(
    seeded_log: list[LogRow],
) -> None:
    last_moment: dict[Any, datetime] = {}
    for _, stream, _, state in seeded_log:
        moment = datetime.fromisoformat(json.loads(state)["timestamp"])
        assert moment.astimezone(CENTER_TIMEZONE).year == 2025
        assert moment >= last_moment.get(stream, moment)
        last_moment[stream] = moment


def test_given_an_empty_store_when_seeding_the_demo_then_it_prints_a_summary_with_the_data_file(
    seeded_demo: tuple[str, Result],
) -> None:
    url, result = seeded_demo
    path = Settings(database_url=url).sqlite_path

    assert "seeded the 2025 demo" in result.stdout
    assert "events" in result.stdout and "veto cases" in result.stdout
    assert str(path.resolve()) in result.stdout


def test_given_a_seeded_store_when_seeding_again_then_no_event_is_added(
    ledger_cli: Invoke, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert ledger_cli(url, "demo").exit_code == 0
    before = read_log(url)

    again = ledger_cli(url, "demo")

    assert again.exit_code == 0
    assert again.stdout.startswith(f"demo already seeded: {len(before)} events up to position ")
    assert read_log(url) == before


def test_given_two_sqlite_files_when_seeding_each_then_their_logs_are_byte_identical(
    ledger_cli: Invoke, tmp_path: Path, seeded_log: list[LogRow]
) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"

    assert ledger_cli(url, "demo").exit_code == 0

    assert read_log(url) == seeded_log


@pytest.mark.postgres
def test_given_postgres_when_seeding_the_demo_then_its_log_is_byte_identical_to_the_sqlite_one(
    ledger_cli: Invoke, postgres_url: str, seeded_log: list[LogRow]
) -> None:
    result = ledger_cli(postgres_url, "demo")

    assert result.exit_code == 0, result.output
    assert read_log(postgres_url) == seeded_log


def test_given_a_store_with_other_records_when_seeding_the_demo_then_it_refuses_and_adds_nothing(
    ledger_cli: Invoke, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env())
    try:
        ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "ours")
    finally:
        ledger.close()
    before = read_log(url)

    result = ledger_cli(url, "demo")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "other records" in result.stderr
    assert read_log(url) == before
