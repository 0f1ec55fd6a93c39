"""Window-level deductions over HTTP (issue 6 item 1; R-02, R-23–R-25): recorded, amended and
revoked by the clerk with the actor from the token, 201 with Location and ETag, If-Match on
amend and revoke (428, 412), Idempotency-Key replays, 403 naming the role, 422 naming the rule,
the window's quarter figures following them, and the reads under the unit's read scope.

The center (conftest): W01 with one member, S001, whose four deductions in force make 2.0
points in 2025-Q1; a one-person window is disqualified at 5 points (R-24). Every window item
counts per incident, so only the leading group changes an entry's points (R-01, R-03)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger.application import AssessmentLedger
from ledger.projections.projector import InProcessProjection
from ledger.values import OPERATOR, StaffCategory

SignIn = Callable[[str], dict[str, str]]

pytestmark = pytest.mark.usefixtures("center")

URL = "/api/v1/units/W01/deductions"
RECORDING = {
    "item_code": "ATT-07",  # window left unstaffed: 2 points, applies to a window
    "occurred_on": "2025-03-04",
    "incident_ref": "INC-W01-1",
    "evidence_ref": "video-w01-1",
    "source": "e_supervision_system",
}
AMENDMENT = {
    "effective_on": "2025-03-07",
    "reason": "unstaffed for the whole morning",
    "points": "3.5",
    "decision_ref": "LG-2025-3",
}
REVOCATION = {"effective_on": "2025-03-07", "reason": "recorded in error"}


def _record(client: TestClient, headers: dict[str, str] | None = None, **changes: Any) -> Any:
    return client.post(URL, json={**RECORDING, **changes}, headers=headers or {})


def _first_quarter(client: TestClient, ledger: AssessmentLedger) -> dict[str, Any]:
    """W01's 2025-Q1 excellent-window figure, at least as fresh as the last write."""
    head = ledger.head_position()
    # On PostgreSQL the figures are kept by a worker process: do its work here.
    InProcessProjection(ledger).catch_up()
    page = client.get(f"/api/v1/units/W01/figures?min_position={head}&year=2025")
    assert page.status_code == 200, page.text
    (record,) = [
        item["record"]
        for item in page.json()["items"]
        if (item["period"], item["figure"]) == ("2025-Q1", "excellent_window")
    ]
    return dict(record)


@pytest.fixture
def leader(served_ledger: AssessmentLedger, sign_in: SignIn) -> dict[str, str]:
    """Bearer headers of L001, a member of the leading group."""
    served_ledger.register_staff(
        OPERATOR, "L001", "赵六", StaffCategory.CIVIL_SERVANT, "Center", date(2025, 1, 1)
    )
    served_ledger.appoint_leading_group_member(OPERATOR, "L001", date(2025, 1, 2))
    return sign_in("L001")


def _amend(
    client: TestClient, number: int, etag: str | None, headers: dict[str, str] | None = None
) -> httpx.Response:
    if etag is not None:
        headers = {**(headers or {}), "If-Match": etag}
    return client.post(
        f"{URL}/{number}/amendments?acting_as=leading_group", json=AMENDMENT, headers=headers
    )


def _revoke(client: TestClient, number: int, etag: str | None) -> httpx.Response:
    headers = {"If-Match": etag} if etag is not None else {}
    return client.post(f"{URL}/{number}/revocation", json=REVOCATION, headers=headers)


def test_given_a_window_item_when_the_clerk_records_it_then_201_names_the_entry_and_the_etag(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    response = _record(client)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{URL}/{body['number']}"
    assert response.headers["etag"] == f'"{served_ledger.unit("W01").version}"'
    assert body["position"] == served_ledger.head_position()


def test_given_a_recorded_window_deduction_then_the_window_s_record_holds_it_by_the_clerk(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    _record(client)

    event = served_ledger.history(served_ledger.unit_stream("W01"))[-1]
    assert event.event == "ledger.window.DeductionRecorded.v1"
    assert (event.payload["actor_id"], event.payload["actor_role"]) == ("C001", "supervision_clerk")
    assert (event.payload["item_code"], event.payload["points_applied"]) == ("ATT-07", "2.0")


def test_given_a_window_deduction_when_reading_the_window_s_figures_then_the_quarter_counts_it(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    assert _first_quarter(client, served_ledger)["total"] == "2.0"

    _record(client)

    quarter = _first_quarter(client, served_ledger)
    assert (quarter["total"], quarter["eligible"]) == ("4.0", True)


def test_given_points_amended_by_the_leading_group_then_the_window_is_disqualified(
    client: TestClient, served_ledger: AssessmentLedger, leader: dict[str, str]
) -> None:
    recorded = _record(client)

    response = _amend(client, recorded.json()["number"], recorded.headers["etag"], leader)

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{served_ledger.unit("W01").version}"'
    quarter = _first_quarter(client, served_ledger)
    assert (quarter["total"], quarter["eligible"], quarter["rule"]) == ("5.5", False, "R-24")


def test_given_a_revoked_window_deduction_when_reading_the_figures_then_it_no_longer_counts(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    recorded = _record(client)

    response = _revoke(client, recorded.json()["number"], recorded.headers["etag"])

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{served_ledger.unit("W01").version}"'
    assert _first_quarter(client, served_ledger)["total"] == "2.0"


def test_given_the_leading_group_when_it_records_acting_as_such_then_the_event_says_so(
    client: TestClient, served_ledger: AssessmentLedger, leader: dict[str, str]
) -> None:
    response = client.post(f"{URL}?acting_as=leading_group", json=RECORDING, headers=leader)

    assert response.status_code == 201, response.text
    event = served_ledger.history(served_ledger.unit_stream("W01"))[-1]
    assert (event.payload["actor_id"], event.payload["actor_role"]) == ("L001", "leading_group")


def test_given_the_window_s_head_when_recording_a_window_deduction_then_403_names_the_clerk(
    client: TestClient, served_ledger: AssessmentLedger, sign_in: SignIn
) -> None:
    head = served_ledger.head_position()

    response = _record(client, sign_in("H001"))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "supervision_clerk" in response.json()["role_needed"]
    assert served_ledger.head_position() == head


def test_given_a_person_level_item_when_recorded_on_a_window_then_422_names_r02_and_records_nothing(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    head = served_ledger.head_position()

    response = _record(client, item_code="ATT-01")  # late arrival: applies to a person

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["rule"] == "R-02"
    assert served_ledger.head_position() == head


def test_given_a_per_incident_item_when_the_clerk_amends_its_quantity_then_422_names_r03(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    recorded = _record(client)
    head = served_ledger.head_position()

    response = client.post(
        f"{URL}/{recorded.json()['number']}/amendments",
        json={"effective_on": "2025-03-07", "reason": "unstaffed twice", "quantity": 2},
        headers={"If-Match": recorded.headers["etag"]},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["rule"] == "R-03"
    assert served_ledger.head_position() == head


def test_given_the_clerk_when_amending_an_entry_s_points_then_403_names_the_leading_group(
    client: TestClient,
) -> None:
    recorded = _record(client)

    response = client.post(
        f"{URL}/{recorded.json()['number']}/amendments",
        json=AMENDMENT,
        headers={"If-Match": recorded.headers["etag"]},
    )

    assert response.status_code == 403
    assert response.json()["role_needed"] == "leading_group"


def test_given_an_amendment_changing_nothing_when_sent_then_422_names_r40(
    client: TestClient,
) -> None:
    recorded = _record(client)

    response = client.post(
        f"{URL}/{recorded.json()['number']}/amendments",
        json={"effective_on": "2025-03-07", "reason": "recount", "quantity": 1},
        headers={"If-Match": recorded.headers["etag"]},
    )

    assert response.status_code == 422
    assert response.json()["rule"] == "R-40"


def test_given_no_if_match_when_amending_then_428(client: TestClient) -> None:
    number = _record(client).json()["number"]

    assert _amend(client, number, None).status_code == 428


def test_given_no_if_match_when_revoking_then_428(client: TestClient) -> None:
    number = _record(client).json()["number"]

    assert _revoke(client, number, None).status_code == 428


def test_given_a_stale_etag_when_amending_then_412_with_the_current_version(
    client: TestClient, served_ledger: AssessmentLedger, leader: dict[str, str]
) -> None:
    first = _record(client)
    _record(client, incident_ref="INC-W01-2")  # the window moves on

    response = _amend(client, first.json()["number"], first.headers["etag"], leader)

    assert response.status_code == 412
    assert response.json()["current_version"] == served_ledger.unit("W01").version


def test_given_two_revocations_with_one_etag_then_the_second_is_a_412(
    client: TestClient,
) -> None:
    recorded = _record(client)
    number, etag = recorded.json()["number"], recorded.headers["etag"]

    first = _revoke(client, number, etag)
    second = _revoke(client, number, etag)

    assert first.status_code == 200, first.text
    assert second.status_code == 412


def test_given_a_retry_with_the_same_idempotency_key_then_it_replays_and_records_nothing(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    key = {"Idempotency-Key": "7b2e9d10-0000-4000-8000-000000000001"}
    first = _record(client, key)
    head = served_ledger.head_position()

    again = _record(client, key)

    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert served_ledger.head_position() == head


def test_given_a_revocation_retried_with_its_key_then_it_replays_and_records_nothing(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    recorded = _record(client)
    headers = {
        "If-Match": recorded.headers["etag"],
        "Idempotency-Key": "7b2e9d10-0000-4000-8000-000000000002",
    }
    url = f"{URL}/{recorded.json()['number']}/revocation"
    client.post(url, json=REVOCATION, headers=headers)
    head = served_ledger.head_position()

    again = client.post(url, json=REVOCATION, headers=headers)

    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert served_ledger.head_position() == head


def test_given_recorded_and_revoked_entries_when_listing_then_each_stands_as_it_is(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    kept = _record(client).json()["number"]
    dropped = _record(client, incident_ref="INC-W01-2")
    _revoke(client, dropped.json()["number"], dropped.headers["etag"])

    response = client.get(URL)

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{served_ledger.unit("W01").version}"'
    items = response.json()["items"]
    assert [(item["number"], item["revoked"]) for item in items] == [
        (kept, False),
        (dropped.json()["number"], True),
    ]
    assert (items[0]["points_applied"], items[0]["occurred_on"]) == ("2.0", "2025-03-04")


def test_given_a_recorded_entry_when_following_its_location_then_it_reads_back(
    client: TestClient,
) -> None:
    location = _record(client).headers["location"]

    response = client.get(location)

    assert response.status_code == 200, response.text
    assert (response.json()["item_code"], response.json()["quantity"]) == ("ATT-07", 1)


def test_given_no_such_entry_when_reading_it_then_404_problem(client: TestClient) -> None:
    response = client.get(f"{URL}/999")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_given_the_window_s_head_when_listing_its_deductions_then_they_are_readable(
    client: TestClient, sign_in: SignIn
) -> None:
    assert client.get(URL, headers=sign_in("H001")).status_code == 200


def test_given_a_staff_member_of_the_window_when_listing_its_deductions_then_403(
    client: TestClient, sign_in: SignIn
) -> None:
    response = client.get(URL, headers=sign_in("S001"))

    assert response.status_code == 403
    assert response.json()["role_needed"]
