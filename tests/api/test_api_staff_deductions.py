"""A staff member's deductions read over HTTP (issue 6 item 1; R-01, R-40, R-42): every entry as
it stands, amendments applied and a revoked one marked, with its notices, its objection window
and the objections to it; the one entry a recording's Location names; read by whoever reads
the person (403 otherwise); unknown people and entries 404.

The center (conftest): S001 in W01 (headed by H001) with five ATT-01 deductions of 3 March,
numbers 3 to 7, the first revoked on 5 March; the clerk C001; the clock on 2025-03-10."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from builders import CLERK, SOURCE
from ledger.application import AssessmentLedger
from ledger.values import Actor, Role
from procedures.quarterly_support import load_calendar

SignIn = Callable[[str], dict[str, str]]

pytestmark = pytest.mark.usefixtures("center")

URL = "/api/v1/staff/S001/deductions"
NUMBERS = [3, 4, 5, 6, 7]


def test_the_list_shows_every_entry_as_it_stands_with_the_revoked_one_marked(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    response = client.get(URL)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["staff_number"] == "S001"
    assert [item["number"] for item in body["items"]] == NUMBERS
    revoked, *standing = body["items"]
    assert revoked["revoked"] is True
    assert revoked["revocation"]["effective_on"] == "2025-03-05"
    assert revoked["revocation"]["reason"] == "recorded in error"  # for the appeal reviewer
    assert all(item["revoked"] is False and item["revocation"] is None for item in standing)
    assert {(i["item_code"], i["points_applied"], i["occurred_on"]) for i in standing} == {
        ("ATT-01", "0.5", "2025-03-03")
    }
    assert response.headers["etag"] == f'"{served_ledger.staff("S001").version}"'


def test_the_location_of_a_recorded_deduction_reads_the_entry_back(client: TestClient) -> None:
    recorded = client.post(
        URL,
        json={
            "item_code": "ATT-02",
            "occurred_on": "2025-03-07",
            "incident_ref": "INC-LOCATION",
            "evidence_ref": "photo-location",
            "source": "complaint",
        },
    )
    assert recorded.status_code == 201, recorded.text

    response = client.get(recorded.headers["location"])

    assert response.status_code == 200, response.text
    entry = response.json()
    assert entry["number"] == recorded.json()["number"]
    assert (entry["item_code"], entry["incident_ref"], entry["source"]) == (
        "ATT-02",
        "INC-LOCATION",
        "complaint",
    )
    assert (entry["notified_on"], entry["amendments"], entry["objections"]) == (None, [], [])
    assert response.headers["etag"] == recorded.headers["etag"]


def test_an_amended_entry_reads_with_the_amendment_applied_and_listed(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    # given two half days of absence (6 points) amended to one half day
    number = served_ledger.record_deduction(
        CLERK, "S001", "ATT-05", date(2025, 3, 4), "INC-ABSENT", "roster", SOURCE, quantity=2
    ).number
    served_ledger.amend_deduction(
        CLERK, "S001", number, date(2025, 3, 6), "sick in the afternoon", quantity=1
    )

    entry = client.get(f"{URL}/{number}").json()

    assert (entry["quantity"], entry["points_applied"]) == (1, "3.0")
    assert entry["amendments"] == [
        {
            "effective_on": "2025-03-06",
            "reason": "sick in the afternoon",
            "decision_ref": None,
            "points": "3.0",
            "quantity": 1,
        }
    ]


def test_a_notified_entry_shows_its_objection_window_and_the_objection_raised(
    client: TestClient, served_ledger: AssessmentLedger, sign_in: SignIn
) -> None:
    # given the 2025 calendar, entry 4 notified on Monday 10 March and S001 objecting that day
    load_calendar(served_ledger)
    served_ledger.notify_deduction(CLERK, "S001", 4, date(2025, 3, 10))
    objection = served_ledger.raise_objection(
        Actor("S001", Role.STAFF), "S001", 4, "I was on time", date(2025, 3, 10)
    ).number

    entry = client.get(f"{URL}/4", headers=sign_in("S001")).json()

    assert (entry["notified_on"], entry["last_notice_on"]) == ("2025-03-10", "2025-03-10")
    assert entry["objection_due_on"] == "2025-03-17"  # five working days after the notice
    assert entry["objections"] == [
        {
            "number": objection,
            "notice": 1,
            "raised_on": "2025-03-10",
            "outcome": None,
            "decided_on": None,
        }
    ]


def test_the_window_s_head_reads_the_person_s_deductions(
    client: TestClient, sign_in: SignIn
) -> None:
    response = client.get(URL, headers=sign_in("H001"))

    assert response.status_code == 200, response.text


def test_a_staff_member_may_not_read_a_colleague_s_deductions(
    client: TestClient, sign_in: SignIn
) -> None:
    listed = client.get("/api/v1/staff/H001/deductions", headers=sign_in("S001"))
    one = client.get("/api/v1/staff/H001/deductions/3", headers=sign_in("S001"))

    assert (listed.status_code, one.status_code) == (403, 403)
    assert "the person themselves" in listed.json()["role_needed"]


def test_an_entry_that_is_not_recorded_is_a_404(client: TestClient) -> None:
    assert client.get(f"{URL}/99").status_code == 404
    assert client.get(f"{URL}/1").status_code == 404  # S001's registration, not a deduction


def test_the_deductions_of_an_unknown_staff_member_are_a_404(client: TestClient) -> None:
    assert client.get("/api/v1/staff/S999/deductions").status_code == 404
