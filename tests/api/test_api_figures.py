"""Figures over HTTP: read-your-writes by log position (a position not yet written refused),
as-of a past position, explanations."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger.application import AssessmentLedger
from ledger.clock import CENTER_TIMEZONE
from ledger.projections.projector import InProcessProjection

MARCH_TOTAL = "/api/v1/staff/S001/figures/2025-03/deduction_total/explanation"


def caught_up(ledger: AssessmentLedger) -> int:
    """What the worker process does on PostgreSQL (the app projects in-process elsewhere)."""
    return InProcessProjection(ledger).catch_up()


def march_total(page: dict[str, Any]) -> str:
    (total,) = [
        item["record"]["total"]
        for item in page["items"]
        if (item["period"], item["figure"]) == ("2025-03", "deduction_total")
    ]
    return str(total)


@pytest.mark.usefixtures("center")
def test_given_the_last_write_when_asking_for_figures_at_least_that_fresh_then_they_include_it(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    head = served_ledger.head_position()
    caught_up(served_ledger)

    response = client.get(f"/api/v1/staff/S001/figures?min_position={head}&year=2025")

    assert response.status_code == 200, response.text
    assert response.json()["position"] >= head
    assert march_total(response.json()) == "2.0"  # five deductions of 0.5, one revoked


@pytest.mark.usefixtures("center")
def test_given_figures_behind_a_written_position_when_waiting_runs_out_then_503_says_how_far(
    app: FastAPI,
    client: TestClient,
    served_ledger: AssessmentLedger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    head = served_ledger.head_position()
    # As a figures worker that has not caught up yet: the view is three positions behind.
    monkeypatch.setattr(app.state.figures, "position", lambda: head - 3)

    response = client.get(f"/api/v1/staff/S001/figures?min_position={head}&wait=0.2")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/projection-behind"
    assert (problem["position"], problem["behind"]) == (head - 3, 3)


@pytest.mark.usefixtures("center")
@pytest.mark.parametrize("kind", ["staff/S001", "units/W01"])
def test_given_a_position_not_yet_written_when_asking_for_figures_that_fresh_then_422_at_once(
    client: TestClient, served_ledger: AssessmentLedger, kind: str
) -> None:
    head = served_ledger.head_position()
    started = time.monotonic()

    response = client.get(f"/api/v1/{kind}/figures?min_position={head + 1}&wait=30")

    # Refused, not waited for: no write answered that position, so no wait can be satisfied.
    assert time.monotonic() - started < 10
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert (error["loc"], error["type"]) == (["query", "min_position"], "beyond_log_head")
    assert str(head) in error["msg"]


@pytest.mark.usefixtures("center")
@pytest.mark.parametrize("field", ["min_position", "as_of"])
@pytest.mark.parametrize("value", [2**53, 10**30])
def test_given_a_position_no_log_can_reach_when_asking_for_figures_then_422_names_it(
    client: TestClient, field: str, value: int
) -> None:
    response = client.get(f"/api/v1/staff/S001/figures?{field}={value}")

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["errors"]] == [["query", field]]


@pytest.mark.usefixtures("center")
def test_given_a_position_no_log_can_reach_when_explaining_as_of_it_then_422_names_it(
    client: TestClient,
) -> None:
    response = client.get(f"{MARCH_TOTAL}?as_of={2**53}")

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "as_of"]]


@pytest.mark.usefixtures("center")
def test_given_a_past_position_when_asking_as_of_it_then_later_deductions_are_not_counted(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    history = served_ledger.history(served_ledger.staff_stream("S001"), limit=100)
    second_deduction = history[3].position  # registered, assigned, then two deductions

    response = client.get(f"/api/v1/staff/S001/figures?as_of={second_deduction}&year=2025")

    assert response.status_code == 200, response.text
    assert response.json()["position"] == second_deduction
    assert march_total(response.json()) == "1.0"


@pytest.mark.usefixtures("center")
def test_given_a_revoked_deduction_when_explaining_the_total_then_it_is_left_out_with_why(
    client: TestClient,
) -> None:
    response = client.get(MARCH_TOTAL)

    assert response.status_code == 200, response.text
    explanation = response.json()["explanation"]
    assert (explanation["rule"], explanation["total"]) == ("R-20", "2.0")
    assert len(explanation["trace"]["counted"]) == 4
    assert [item["reason"] for item in explanation["trace"]["left_out"]] == ["revoked"]


@pytest.mark.usefixtures("center")
def test_given_a_revoked_deduction_when_listing_figures_then_the_trace_names_the_same_events_by_id_as_the_explanation(  # noqa: E501
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    caught_up(served_ledger)

    page = client.get("/api/v1/staff/S001/figures?year=2025").json()
    explanation = client.get(MARCH_TOTAL).json()["explanation"]

    (record,) = [
        item["record"]
        for item in page["items"]
        if (item["period"], item["figure"]) == ("2025-03", "deduction_total")
    ]
    whole = explanation["trace"]

    def event(ref: dict[str, Any]) -> str:
        return f"{ref['stream_id']}/{ref['version']}"

    assert record["trace"]["counted"] == [event(item["ref"]) for item in whole["counted"]]
    assert record["trace"]["left_out"] == [
        {"event": event(item["ref"]), "reason": "revoked", "by": event(item["by"])}
        for item in whole["left_out"]
    ]
    assert len(record["trace"]["counted"]) == 4


@pytest.mark.usefixtures("center")
def test_a_figure_that_does_not_exist_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/staff/S001/figures/2025-03/no_such_figure/explanation")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("center")
@pytest.mark.parametrize("period", ["0", "0000", "-001", "2025-13", "2025-Q5"])
def test_given_a_key_that_names_no_period_when_explaining_a_figure_of_it_then_404_problem(
    client: TestClient, period: str
) -> None:
    response = client.get(f"/api/v1/staff/S001/figures/{period}/deduction_total/explanation")

    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("center")
def test_given_a_window_when_reading_its_figures_then_each_quarter_has_its_eligibility(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    head = served_ledger.head_position()
    caught_up(served_ledger)

    response = client.get(f"/api/v1/units/W01/figures?min_position={head}&year=2025")

    assert response.status_code == 200, response.text
    quarters = [
        item["period"] for item in response.json()["items"] if item["figure"] == "excellent_window"
    ]
    assert quarters == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]


@pytest.mark.usefixtures("center")
def test_given_a_members_deductions_when_asking_a_windows_figures_as_of_earlier_positions_then_its_quarter_counts_those_recorded_by_then(  # noqa: E501
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    """D-03 as of a position: the window's Q1 counts its member's deductions recorded by then
    (replayed from the streams of the unit and its members once the figures reach it)."""
    caught_up(served_ledger)
    history = served_ledger.history(served_ledger.staff_stream("S001"), limit=100)
    first, second = history[2].position, history[3].position  # registered, assigned, deductions

    def first_quarter(as_of: int) -> str:
        response = client.get(f"/api/v1/units/W01/figures?as_of={as_of}&year=2025")
        assert response.status_code == 200, response.text
        assert response.json()["position"] == as_of
        (total,) = [
            item["record"]["total"]
            for item in response.json()["items"]
            if (item["period"], item["figure"]) == ("2025-Q1", "excellent_window")
        ]
        return str(total)

    assert [first_quarter(first - 1), first_quarter(first), first_quarter(second)] == [
        "0.0",
        "0.5",
        "1.0",
    ]


def position_recorded_by(ledger: AssessmentLedger, moment: datetime) -> int:
    """By definition: the last log position recorded at or before the moment (0 if none)."""
    logged = ledger.ledger_recorder.select_logged(range(1, ledger.head_position() + 1))
    return max((e.position for e in logged if e.recorded_at <= moment), default=0)


def second_deduction_recorded(ledger: AssessmentLedger) -> tuple[int, datetime]:
    history = ledger.history(ledger.staff_stream("S001"), limit=100)
    return history[3].position, history[3].recorded_at  # registered, assigned, two deductions


@pytest.mark.usefixtures("center")
@pytest.mark.parametrize("written", ["offset", "offset_unescaped", "utc", "center_time"])
def test_given_the_time_of_a_past_write_when_asking_for_figures_as_of_it_then_they_are_those_of_the_last_position_recorded_by_then(  # noqa: E501
    client: TestClient, served_ledger: AssessmentLedger, written: str
) -> None:
    _, moment = second_deduction_recorded(served_ledger)
    text = {
        "offset": moment.astimezone(CENTER_TIMEZONE).isoformat(),
        "offset_unescaped": moment.astimezone(CENTER_TIMEZONE).isoformat(),
        "utc": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "center_time": moment.astimezone(CENTER_TIMEZONE).replace(tzinfo=None).isoformat(),
    }[written]
    expected = position_recorded_by(served_ledger, moment)

    by_time = (
        # As typed into a URL by hand: the offset's "+" arrives as a space.
        client.get(f"/api/v1/staff/S001/figures?as_of={text}&year=2025")
        if written == "offset_unescaped"
        else client.get("/api/v1/staff/S001/figures", params={"as_of": text, "year": 2025})
    )
    by_position = client.get(f"/api/v1/staff/S001/figures?as_of={expected}&year=2025")

    assert by_time.status_code == 200, by_time.text
    assert by_time.json()["position"] == expected
    assert by_time.json() == by_position.json()
    assert march_total(by_time.json()) == "1.0"


@pytest.mark.usefixtures("center")
def test_given_a_day_when_asking_for_figures_as_of_it_then_everything_recorded_by_its_end_at_the_center_counts(  # noqa: E501
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    last = served_ledger.history(served_ledger.staff_stream("S001"), limit=100)[-1].recorded_at
    day = last.astimezone(CENTER_TIMEZONE).date()
    the_day_before = day - timedelta(days=1)

    on_the_day = client.get(f"/api/v1/staff/S001/figures?as_of={day}&year=2025")
    before = client.get(f"/api/v1/staff/S001/figures?as_of={the_day_before}")

    end_of_day = datetime.combine(day, datetime.max.time(), CENTER_TIMEZONE)
    assert on_the_day.status_code == 200, on_the_day.text
    assert on_the_day.json()["position"] == position_recorded_by(served_ledger, end_of_day)
    assert march_total(on_the_day.json()) == "2.0"
    end_of_day_before = end_of_day - timedelta(days=1)
    assert before.json()["position"] == position_recorded_by(served_ledger, end_of_day_before)


@pytest.mark.usefixtures("center")
def test_given_the_time_of_a_past_write_when_explaining_a_figure_as_of_it_then_it_is_the_explanation_at_that_position(  # noqa: E501
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    _, moment = second_deduction_recorded(served_ledger)
    position = position_recorded_by(served_ledger, moment)

    by_time = client.get(MARCH_TOTAL, params={"as_of": moment.isoformat()})
    by_position = client.get(f"{MARCH_TOTAL}?as_of={position}")

    assert by_time.status_code == 200, by_time.text
    assert by_time.json() == by_position.json()
    assert by_time.json()["explanation"]["total"] == "1.0"


@pytest.mark.usefixtures("center")
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/staff/S001/figures",
        MARCH_TOTAL,
        "/api/v1/staff/S001/events",
        "/api/v1/rounds/2025-03/conflicts",
    ],
)
@pytest.mark.parametrize(
    "as_of", ["last tuesday", "2025-13-01", "2025-04-10T25:00", "9999-12-31T23:59:59-12:00", "-1"]
)
def test_given_an_as_of_that_is_no_position_time_or_day_when_asking_then_422_names_it(
    client: TestClient, url: str, as_of: str
) -> None:
    response = client.get(url, params={"as_of": as_of})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["loc"] == ["query", "as_of"]
    assert as_of in error["msg"]
