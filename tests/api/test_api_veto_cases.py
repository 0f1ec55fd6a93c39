"""Veto cases over HTTP (issue 6 item 1; SPEC 4.4, R-32–R-35, D-13, D-14): recorded by the
clerk and revoked by the clerk or the leading group, with the actor from the token, 201 with
Location and ETag, If-Match on revoke (428, 412), Idempotency-Key replays, 403 naming the role,
422 naming the rule, the person's figures following them, and the reads under the staff
record's read scope.

The center (conftest): S001 in W01 with four deductions in force in March 2025 (2.0 points),
eligible for every excellence of 2025 until a veto case."""

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

URL = "/api/v1/staff/S001/veto-cases"
RECORDING = {
    "case": "V5",
    "occurred_on": "2025-03-05",
    "incident_ref": "INC-V-1",
    "evidence_ref": "complaint-0412",
    "verification": "complaint verified by the supervision office on 2025-03-07",
    "source": "complaint",
}
REVOCATION = {"effective_on": "2025-03-10", "reason": "the complaint was withdrawn as unfounded"}


def _record(client: TestClient, headers: dict[str, str] | None = None, **changes: Any) -> Any:
    return client.post(URL, json={**RECORDING, **changes}, headers=headers or {})


def _revoke(
    client: TestClient, number: int, etag: str | None, headers: dict[str, str] | None = None
) -> httpx.Response:
    if etag is not None:
        headers = {**(headers or {}), "If-Match": etag}
    return client.post(f"{URL}/{number}/revocation", json=REVOCATION, headers=headers)


def _figures(client: TestClient, ledger: AssessmentLedger) -> dict[tuple[str, str], Any]:
    """S001's figures of 2025 by (period, figure), at least as fresh as the last write."""
    head = ledger.head_position()
    # On PostgreSQL the figures are kept by a worker process: do its work here.
    InProcessProjection(ledger).catch_up()
    page = client.get(f"/api/v1/staff/S001/figures?min_position={head}&year=2025")
    assert page.status_code == 200, page.text
    return {(item["period"], item["figure"]): item["record"] for item in page.json()["items"]}


@pytest.fixture
def leader(served_ledger: AssessmentLedger, sign_in: SignIn) -> dict[str, str]:
    """Bearer headers of L001, a member of the leading group."""
    served_ledger.register_staff(
        OPERATOR, "L001", "赵六", StaffCategory.CIVIL_SERVANT, "Center", date(2025, 1, 1)
    )
    served_ledger.appoint_leading_group_member(OPERATOR, "L001", date(2025, 1, 2))
    return sign_in("L001")


def test_given_a_verified_case_when_the_clerk_records_it_then_201_names_it_and_the_etag(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    response = _record(client)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{URL}/{body['number']}"
    assert response.headers["etag"] == f'"{served_ledger.staff("S001").version}"'
    assert body["position"] == served_ledger.head_position()


def test_given_a_recorded_veto_case_then_the_staff_record_holds_it_by_the_clerk(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    _record(client)

    event = served_ledger.history(served_ledger.staff_stream("S001"))[-1]
    assert event.event == "ledger.staff.VetoCaseRecorded.v1"
    assert (event.payload["actor_id"], event.payload["actor_role"]) == ("C001", "supervision_clerk")
    assert (event.payload["case"], event.payload["occurred_on"]) == ("V5", "2025-03-05")


def test_given_a_veto_case_then_the_person_is_not_eligible_for_the_annual_excellent_grade(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    assert _figures(client, served_ledger)[("2025", "excellent_grade")]["eligible"] is True

    _record(client)

    grade = _figures(client, served_ledger)[("2025", "excellent_grade")]
    assert grade["eligible"] is False
    assert "R-35" in grade["barred_by"]


def test_given_a_veto_case_in_q1_then_every_quarter_of_its_year_is_barred(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    _record(client)

    figures = _figures(client, served_ledger)
    quarters = [f"2025-Q{n}" for n in range(1, 5)]
    assert [figures[(q, "excellent_individual")]["eligible"] for q in quarters] == [False] * 4


def test_given_a_veto_case_then_the_annual_bonus_of_its_year_is_withheld(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    _record(client)

    bonus = _figures(client, served_ledger)[("2025", "annual_bonus")]
    assert (bonus["rule"], bonus["notice"]) == ("R-32", True)


def test_given_a_revoked_veto_case_then_the_person_is_eligible_again(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    recorded = _record(client)

    response = _revoke(client, recorded.json()["number"], recorded.headers["etag"])

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{served_ledger.staff("S001").version}"'
    assert _figures(client, served_ledger)[("2025", "excellent_grade")]["eligible"] is True


def test_given_the_leading_group_when_it_revokes_acting_as_such_then_the_event_says_so(
    client: TestClient, served_ledger: AssessmentLedger, leader: dict[str, str]
) -> None:
    recorded = _record(client)
    number, etag = recorded.json()["number"], recorded.headers["etag"]

    response = client.post(
        f"{URL}/{number}/revocation?acting_as=leading_group",
        json=REVOCATION,
        headers={**leader, "If-Match": etag},
    )

    assert response.status_code == 200, response.text
    event = served_ledger.history(served_ledger.staff_stream("S001"))[-1]
    assert event.event == "ledger.staff.VetoCaseRevoked.v1"
    assert (event.payload["actor_id"], event.payload["actor_role"]) == ("L001", "leading_group")


@pytest.mark.parametrize("person", ["H001", "S001"])
def test_given_anyone_but_the_clerk_when_recording_a_veto_case_then_403_names_the_clerk(
    client: TestClient, served_ledger: AssessmentLedger, sign_in: SignIn, person: str
) -> None:
    head = served_ledger.head_position()

    response = _record(client, sign_in(person))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["role_needed"] == "supervision_clerk"
    assert served_ledger.head_position() == head


def test_given_the_window_s_head_when_revoking_a_veto_case_then_403_names_the_clerk(
    client: TestClient, sign_in: SignIn
) -> None:
    recorded = _record(client)

    response = _revoke(client, recorded.json()["number"], recorded.headers["etag"], sign_in("H001"))

    assert response.status_code == 403
    assert "supervision_clerk" in response.json()["role_needed"]


def test_given_an_incident_already_recorded_as_a_deduction_then_422_names_r03_and_records_nothing(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    head = served_ledger.head_position()

    response = _record(client, incident_ref="INC-1")  # one of S001's deductions

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["rule"] == "R-03"
    assert served_ledger.head_position() == head


def test_given_a_revoked_veto_case_when_revoked_again_then_422_names_r42(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    recorded = _record(client)
    number = recorded.json()["number"]
    revoked = _revoke(client, number, recorded.headers["etag"])

    response = _revoke(client, number, revoked.headers["etag"])

    assert response.status_code == 422
    assert response.json()["rule"] == "R-42"


def test_given_no_if_match_when_revoking_then_428(client: TestClient) -> None:
    number = _record(client).json()["number"]

    assert _revoke(client, number, None).status_code == 428


def test_given_a_stale_etag_when_revoking_then_412_with_the_current_version(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    first = _record(client)
    _record(client, incident_ref="INC-V-2")  # the staff record moves on

    response = _revoke(client, first.json()["number"], first.headers["etag"])

    assert response.status_code == 412
    assert response.json()["current_version"] == served_ledger.staff("S001").version


def test_given_a_retry_with_the_same_idempotency_key_then_it_replays_and_records_nothing(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    key = {"Idempotency-Key": "5d0c3a4e-0000-4000-8000-000000000001"}
    first = _record(client, key)
    head = served_ledger.head_position()

    again = _record(client, key)

    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert served_ledger.head_position() == head


def test_given_the_same_idempotency_key_with_another_case_then_422(client: TestClient) -> None:
    key = {"Idempotency-Key": "5d0c3a4e-0000-4000-8000-000000000002"}
    _record(client, key)

    response = _record(client, key, case="V7")

    assert response.status_code == 422
    assert response.json()["rule"] == "IDEMPOTENCY_KEY_REUSED"


def test_given_recorded_and_revoked_cases_when_listing_then_each_stands_as_it_is(
    client: TestClient, served_ledger: AssessmentLedger
) -> None:
    kept = _record(client).json()["number"]
    dropped = _record(client, incident_ref="INC-V-2", case="V7")
    _revoke(client, dropped.json()["number"], dropped.headers["etag"])

    response = client.get(URL)

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{served_ledger.staff("S001").version}"'
    assert [
        (item["number"], item["case"], item["revoked"]) for item in response.json()["items"]
    ] == [
        (kept, "V5", False),
        (dropped.json()["number"], "V7", True),
    ]


def test_given_a_notified_veto_case_when_following_its_location_then_it_shows_the_notice(
    client: TestClient,
) -> None:
    recorded = _record(client)
    location = recorded.headers["location"]
    client.post(f"{location}/notification", json={"effective_on": "2025-03-10"})

    response = client.get(location)

    assert response.status_code == 200, response.text
    assert (response.json()["case"], response.json()["notified_on"]) == ("V5", "2025-03-10")


def test_given_no_such_case_when_reading_it_then_404_problem(client: TestClient) -> None:
    response = client.get(f"{URL}/999")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_given_the_staff_member_when_listing_their_own_veto_cases_then_they_are_readable(
    client: TestClient, sign_in: SignIn
) -> None:
    assert client.get(URL, headers=sign_in("S001")).status_code == 200


def test_given_a_staff_member_when_listing_a_colleague_s_veto_cases_then_403(
    client: TestClient, sign_in: SignIn
) -> None:
    response = client.get("/api/v1/staff/H001/veto-cases", headers=sign_in("S001"))

    assert response.status_code == 403
    assert "the person themselves" in response.json()["role_needed"]
