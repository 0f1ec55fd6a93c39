"""Reading a staff member: the summary with its ETag, and the history paged by log position."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from ledger.application import AssessmentLedger
from ledger.clock import CENTER_TIMEZONE

STAFF_EVENTS = 8


def read_all_pages(client: TestClient, url: str) -> list[dict[str, Any]]:
    """Every page of a history, following the Link header until there is none."""
    pages = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200
        page = response.json()
        assert response.links.get("next", {}).get("url") == page["next"]
        pages.append(page)
        next_url = page["next"]
    return pages


def logged(ledger: AssessmentLedger, staff_number: str) -> list[tuple[int, int]]:
    """The (position, version) of every event of the staff member, in log order."""
    return [
        (item.position, item.version)
        for item in ledger.history(ledger.staff_stream(staff_number), limit=1000)
    ]


def test_given_a_staff_member_when_reading_the_summary_then_it_shows_the_current_record(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/staff/S001")

    assert response.status_code == 200
    assert response.json() == {
        "staff_number": "S001",
        "name": "张三",
        "category": "civil_servant",
        "home_unit": "Tax bureau",
        "assignment": {"unit_code": "W01", "since": "2025-01-02"},
        "deductions_in_force": 4,
        "veto_cases_in_force": 0,
    }


def test_given_a_staff_member_when_reading_the_summary_then_the_etag_is_the_stream_version(
    client: TestClient, served_ledger: AssessmentLedger, center: None
) -> None:
    response = client.get("/api/v1/staff/S001")

    assert response.headers["ETag"] == f'"{served_ledger.staff("S001").version}"'
    assert response.headers["ETag"] == f'"{STAFF_EVENTS}"'


def test_given_no_such_staff_member_when_reading_the_summary_then_404_problem(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/staff/S999")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/not-found",
        "title": "Record not found",
        "status": 404,
        "detail": "staff member S999 is not registered",
        "instance": "/api/v1/staff/S999",
        "rule": "NOT_FOUND",
    }


def test_given_no_such_staff_member_when_reading_the_history_then_404_problem(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/staff/S999/events")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_given_a_history_when_paging_oldest_first_then_every_event_comes_once_in_log_order(
    client: TestClient, served_ledger: AssessmentLedger, center: None
) -> None:
    pages = read_all_pages(client, "/api/v1/staff/S001/events?limit=3")

    assert [len(page["items"]) for page in pages] == [3, 3, 2]
    seen = [(item["position"], item["version"]) for page in pages for item in page["items"]]
    assert seen == logged(served_ledger, "S001")
    assert [version for _, version in seen] == list(range(1, STAFF_EVENTS + 1))


def test_given_a_history_when_paging_newest_first_then_every_event_comes_once_newest_first(
    client: TestClient, served_ledger: AssessmentLedger, center: None
) -> None:
    pages = read_all_pages(client, "/api/v1/staff/S001/events?order=newest&limit=3")

    assert [len(page["items"]) for page in pages] == [3, 3, 2]
    seen = [(item["position"], item["version"]) for page in pages for item in page["items"]]
    assert seen == logged(served_ledger, "S001")[::-1]


def test_given_a_full_last_page_when_paging_then_no_next_link_is_given(
    client: TestClient, center: None
) -> None:
    response = client.get(f"/api/v1/staff/S001/events?limit={STAFF_EVENTS}")

    assert len(response.json()["items"]) == STAFF_EVENTS
    assert response.json()["next"] is None
    assert "Link" not in response.headers


def test_given_a_history_when_reading_an_event_then_it_carries_topic_time_and_payload(
    client: TestClient, center: None
) -> None:
    first = client.get("/api/v1/staff/S001/events?limit=1").json()["items"][0]

    assert first["event"] == "ledger.staff.Registered.v1"
    assert first["version"] == 1
    assert first["recorded_at"].endswith("Z")
    assert first["payload"]["staff_number"] == "S001"
    assert first["payload"]["effective_on"] == "2025-01-01"


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_given_a_later_event_when_reading_the_history_as_of_a_position_then_it_is_hidden(
    client: TestClient, served_ledger: AssessmentLedger, center: None, order: str
) -> None:
    as_of = logged(served_ledger, "S001")[3][0]  # the position of version 4

    pages = read_all_pages(client, f"/api/v1/staff/S001/events?as_of={as_of}&order={order}&limit=3")

    versions = sorted(item["version"] for page in pages for item in page["items"])
    assert versions == [1, 2, 3, 4]


def test_given_a_later_event_when_reading_the_history_as_of_the_time_of_an_earlier_one_then_it_is_hidden(  # noqa: E501
    client: TestClient, served_ledger: AssessmentLedger, center: None
) -> None:
    fourth = served_ledger.history(served_ledger.staff_stream("S001"), limit=4)[3]
    moment = fourth.recorded_at.astimezone(CENTER_TIMEZONE).isoformat()

    pages = read_all_pages(client, f"/api/v1/staff/S001/events?as_of={quote(moment)}&limit=3")

    versions = sorted(item["version"] for page in pages for item in page["items"])
    assert versions == [1, 2, 3, 4]


@pytest.mark.parametrize("limit", ["0", "501", "many"])
def test_given_a_limit_out_of_range_when_reading_the_history_then_422_problem_names_it(
    client: TestClient, center: None, limit: str
) -> None:
    response = client.get(f"/api/v1/staff/S001/events?limit={limit}")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "limit"]]


@pytest.mark.parametrize("field", ["after", "before", "as_of"])
def test_given_a_position_no_log_can_reach_when_reading_the_history_then_422_problem_names_it(
    client: TestClient, center: None, field: str
) -> None:
    # 2**63 and up overflowed SQLite's integers (a 500); no position exceeds 2**53 - 1.
    response = client.get(f"/api/v1/staff/S001/events?{field}={2**63}")

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["errors"]] == [["query", field]]


def test_given_an_unknown_order_when_reading_the_history_then_422_problem_names_it(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/staff/S001/events?order=sideways")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "order"]]


def test_given_a_misspelt_parameter_when_reading_the_history_then_422_problem_names_it(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/staff/S001/events?afer=10")

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "afer"]]
