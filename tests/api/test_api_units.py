"""Reading a window or office: the summary with its ETag, and its history."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ledger.application import AssessmentLedger


def test_given_a_window_when_reading_the_summary_then_it_shows_head_and_leader_of_today(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/units/W01")

    assert response.status_code == 200
    assert response.json() == {
        "code": "W01",
        "name": "Tax",
        "kind": "window",
        "department": "Tax bureau",
        "party_branch": "B1",
        "today": "2025-03-10",
        "head": "H001",
        "leader_in_charge": None,
    }


def test_given_a_window_when_reading_the_summary_then_the_etag_is_the_stream_version(
    client: TestClient, served_ledger: AssessmentLedger, center: None
) -> None:
    response = client.get("/api/v1/units/W01")

    assert response.headers["ETag"] == f'"{served_ledger.unit("W01").version}"'


def test_given_no_such_unit_when_reading_the_summary_then_404_problem(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/units/W99")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "unit W99 is not recorded"


def test_given_no_such_unit_when_reading_the_history_then_404_problem(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/units/W99/events")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_given_a_window_when_reading_the_history_then_its_events_come_oldest_first(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/units/W01/events")

    assert response.status_code == 200
    assert [item["event"] for item in response.json()["items"]] == [
        "ledger.window.Opened.v1",
        "ledger.window.HeadAppointed.v1",
    ]
    assert response.json()["next"] is None


def test_given_a_window_when_reading_the_history_newest_first_then_the_head_comes_first(
    client: TestClient, center: None
) -> None:
    response = client.get("/api/v1/units/W01/events?order=newest&limit=1")

    assert [item["version"] for item in response.json()["items"]] == [2]
    assert response.links["next"]["url"].endswith(
        "before=" + str(response.json()["items"][0]["position"])
    )
