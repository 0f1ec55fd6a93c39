"""`ledger demo`: a realistic center-year of 2025, seeded once, the same on every store."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import chinese_calendar
import pytest
from cli_support import Invoke, LogRow, read_log
from typer.testing import Result

from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.demo import build_plan, seed
from ledger.policy import excellent_individual, excellent_window
from ledger.settings import Settings
from ledger.values import OPERATOR, Period, StaffCategory, UnitKind

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


def test_given_an_empty_store_when_seeding_the_demo_then_the_procedures_decide_january_to_november_h1_and_q1_to_q3(  # noqa: E501
    seeded_ledger: AssessmentLedger,
) -> None:
    sheets = [f"2025-{month:02d}" for month in range(1, 12)] + ["2025-H1"]
    quarters = ["2025-Q1", "2025-Q2", "2025-Q3"]

    for key in sheets + quarters:
        decision = seeded_ledger.round(key).decision
        assert decision is not None, key
        assert decision.effective_on > seeded_ledger.round(key).period.last_day
    for key in sheets:
        approval = seeded_ledger.bonus_sheet(key).approval
        # May was reopened for a late amendment and approved again (D-13)
        expected = f"LG-{key}-A" if key == "2025-05" else f"LG-{key}"
        assert approval is not None and approval.decision_ref == expected, key
    for key in quarters:
        results = seeded_ledger.quarterly_evaluation(key).results
        assert results is not None and results.decision_ref == f"LG-{key}", key
    for key in ("2025-12", "2025-H2", "2025-Q4", "2025"):
        assert seeded_ledger.round(key).decision is None, key
    assert seeded_ledger.bonus_sheet("2025-12").approval is None
    assert seeded_ledger.bonus_sheet("2025-H2").approval is None


def test_given_an_empty_store_when_seeding_the_demo_then_every_head_liability_item_of_an_approved_sheet_is_decided(  # noqa: E501
    seeded_ledger: AssessmentLedger, seeded_log: list[LogRow]
) -> None:
    items = 0
    for key in [f"2025-{month:02d}" for month in range(1, 12)] + ["2025-H1"]:
        sheet = seeded_ledger.bonus_sheet(key)
        liable = {item.staff_number for item in sheet.preparation.content.head_liability}
        assert set(sheet.decisions) == liable, key
        items += len(liable)
    reductions = Counter(
        p["reduction"] for p in payloads(seeded_log, "ledger.bonus_sheet.HeadLiabilityDecided.v1")
    )

    assert items >= 20
    assert len(reductions) >= 3  # a realistic mix: none, halved, cancelled, an amount
    assert seeded_ledger.bonus_sheet("2025-12").undecided


def test_given_an_empty_store_when_seeding_the_demo_then_the_quarters_run_their_evaluation_with_eligible_results_only(  # noqa: E501
    seeded_ledger: AssessmentLedger, seeded_log: list[LogRow]
) -> None:
    topics = Counter(topic for topic, _, _, _ in seeded_log)
    compilations = {
        p["effective_on"][:7]: p["late"]
        for p in payloads(seeded_log, "ledger.quarterly.OpinionsCompiled.v1")
    }
    with seeded_ledger.policy_state() as state:
        for key in ("2025-Q1", "2025-Q2", "2025-Q3"):
            results = seeded_ledger.quarterly_evaluation(key).results
            assert results is not None and results.individuals and results.windows
            period = Period.parse(key)
            assert all(excellent_individual(state, n, period).eligible for n in results.individuals)
            assert all(excellent_window(state, w, period).eligible for w in results.windows)
    modes = {p["mode"] for p in payloads(seeded_log, "ledger.quarterly.MutualEvaluationOpened.v1")}

    assert topics["ledger.quarterly.MutualEvaluationOpened.v1"] == 15  # 5 branches with windows
    assert topics["ledger.quarterly.BallotCast.v1"] >= 250
    assert modes == {"open", "unlinkable"}  # branch B6 votes with unlinkable ballots
    # B6's ballots: only participation in the log, each committed to its box at the tally
    participations = topics["ledger.quarterly.ParticipationRecorded.v1"]
    assert participations >= 30
    assert topics["ledger.ballot_box.BallotCommitted.v1"] == participations
    assert topics["ledger.ballot_box.Sealed.v1"] == 3
    assert sorted(compilations.values()) == [False, False, True]  # one quarter compiled late
    assert topics["ledger.quarterly.OpinionSubmitted.v1"] > 4 * 4  # Q4's are in too
    assert seeded_ledger.quarterly_evaluation("2025-Q4").compilation is None


def test_given_an_empty_store_when_seeding_the_demo_then_the_annual_assessment_reaches_publicity_within_the_quota(  # noqa: E501
    seeded_ledger: AssessmentLedger, seeded_log: list[LogRow]
) -> None:
    annual = seeded_ledger.annual_assessment(2025)
    assert annual is not None
    roster = seeded_ledger.year_roster(2025)
    preliminary = payloads(seeded_log, "ledger.annual.PreliminaryGradesFixed.v1")

    assert set(annual.proposals) == set(roster.participants)
    assert all(p.countersigned_on is not None for p in annual.proposals.values())
    assert set(annual.mutual_forms) == set(roster.participants)
    assert set(annual.meetings) == set(roster.branches)
    assert annual.publicity is not None and annual.publicity.started_on.year == 2026
    assert len(annual.excellent_staff) >= 10 and annual.excellent_windows
    assert len(preliminary) == 1 and not preliminary[0]["quota_warnings"]  # within D-20
    assert [o.subject in annual.excellent_staff for o in annual.objections.values()] == [True]
    assert seeded_ledger.calendar_year(2026) is not None


def test_given_an_empty_store_when_seeding_the_demo_then_objections_to_deductions_are_raised_and_decided(  # noqa: E501
    seeded_log: list[LogRow],
) -> None:
    raised = payloads(seeded_log, "ledger.staff.ObjectionRaised.v1")
    decided = payloads(seeded_log, "ledger.staff.ObjectionDecided.v1")
    outcomes = Counter(p["outcome"] for p in decided)

    assert len(raised) == len(decided) >= 40
    assert set(outcomes) == {"upheld", "amended", "revoked"}
    assert outcomes["revoked"] == 30  # every revocation answers an objection


def test_given_an_empty_store_when_seeding_the_demo_then_every_stream_is_stamped_in_order_from_2025_to_the_assessment_in_2026(  # noqa: E501
    seeded_log: list[LogRow],
) -> None:
    last_moment: dict[Any, datetime] = {}
    in_2026: set[str] = set()
    for topic, stream, _, state in seeded_log:
        moment = datetime.fromisoformat(json.loads(state)["timestamp"])
        local = moment.astimezone(CENTER_TIMEZONE)
        assert date(2025, 1, 1) <= local.date() <= date(2026, 2, 28)
        if local.year == 2026:
            in_2026.add(topic.split(".")[1])
        assert moment >= last_moment.get(stream, moment)
        last_moment[stream] = moment

    # only the annual assessment (and the staff's forms) and the last sheets run in 2026
    assert in_2026 == {"annual", "staff", "bonus_sheet"}


@pytest.mark.parametrize(
    ("period", "heading", "done", "to_do"),
    [
        ("2025-03", "decided", "Prepare the bonus sheet", None),
        ("2025-12", "at step 'Decide the head liability", "Prepare the bonus sheet", "approves"),
        ("2025-Q3", "decided", "compiles the opinions", None),
        ("2025-Q4", "at step 'The supervision office compiles", "submits its written", "tallies"),
        ("2025", "at step 'Publicity ends", "Joint branch meetings", "Party Working Committee"),
    ],
)
def test_given_the_seeded_demo_when_showing_its_rounds_then_they_stand_in_every_state(
    ledger_cli: Invoke,
    seeded_demo: tuple[str, Result],
    period: str,
    heading: str,
    done: str,
    to_do: str | None,
) -> None:
    result = ledger_cli(seeded_demo[0], "round", "show", period)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert heading in lines[0]
    assert any(line.strip().startswith("[done]") and done in line for line in lines[1:])
    if to_do is None:
        assert "[to do]" not in result.output
    else:
        assert any(line.strip().startswith("[to do]") and to_do in line for line in lines[1:])
    if period == "2025-Q3":
        assert any("compiles the opinions" in line and "LATE" in line for line in lines)


def test_given_an_empty_store_when_seeding_the_demo_then_it_prints_a_summary_with_the_data_file(
    seeded_demo: tuple[str, Result],
) -> None:
    url, result = seeded_demo
    path = Settings(database_url=url).sqlite_path

    assert "seeded the 2025 demo" in result.stdout
    assert "events" in result.stdout and "veto cases" in result.stdout
    assert "12 approved (2025-01 to 2025-11, 2025-H1)" in result.stdout
    assert "2025-Q1 to 2025-Q3 decided (2025-Q3 compiled late" in result.stdout
    assert "year 2025   at 'Publicity ends" in result.stdout
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


def test_given_the_memory_store_when_seeding_the_demo_then_its_log_is_byte_identical_to_the_sqlite_one(  # noqa: E501
    seeded_log: list[LogRow],
) -> None:
    plan = build_plan()
    clock = SettableClock(plan.commands[0].at)
    ledger = AssessmentLedger(
        env=Settings(database_url="memory://").eventsourcing_env(), clock=clock
    )
    try:
        seed(ledger, clock, plan)
        rows: list[LogRow] = []
        start = 1
        while notifications := ledger.recorder.select_notifications(start=start, limit=1000):
            rows.extend(
                (n.topic, UUID(str(n.originator_id)), n.originator_version, n.state)
                for n in notifications
            )
            start = notifications[-1].id + 1
    finally:
        ledger.close()

    assert rows == seeded_log


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
