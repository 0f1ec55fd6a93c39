"""Bonus sheets over HTTP (issue 6 item 1 for issue 5 item 3): the clerk prepares February's
sheet (201, Location), reads it with its ETag; the leading group decides each head-liability
item and approves the sheet under If-Match (428, 412), which decides the period; refusals by
role (403 naming it) and rule (D-08 while an item is undecided, nothing recorded); 404s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from builders import CLERK, COLLEAGUE, LEADER, STAFF, START, WINDOW, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.values import OPERATOR, StaffCategory

SignIn = Callable[[str], dict[str, str]]
FEBRUARY = "2025-02"
HEAD = "H001"
SHEET = f"/api/v1/bonus-sheets/{FEBRUARY}"


@pytest.fixture
def february(served_ledger: AssessmentLedger) -> AssessmentLedger:
    """H001 heads W01; February's round open; S001 3 points (halved, an item owed by H001) and
    S002 5 points (cancelled, an item owed by nobody: W02 has no head)."""
    ledger = served_ledger
    seed_organisation(ledger)
    ledger.register_staff(OPERATOR, HEAD, "孙八", StaffCategory.CIVIL_SERVANT, "Tax bureau", START)
    ledger.assign_staff(OPERATOR, HEAD, WINDOW, START)
    ledger.appoint_head(OPERATOR, WINDOW, HEAD, START)
    record(ledger, "INC-S1-1", item_code="ATT-02", occurred_on=date(2025, 2, 5))
    record(ledger, "INC-S1-2", item_code="SRV-01", occurred_on=date(2025, 2, 12))
    record(
        ledger, "INC-S2-1", staff_number=COLLEAGUE, item_code="SUP-02", occurred_on=date(2025, 2, 6)
    )
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    return ledger


@pytest.fixture
def prepared(february: AssessmentLedger) -> AssessmentLedger:
    february.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))
    return february


DECISION = {
    "reduction": "halved",
    "reason": "two late arrivals in the window",
    "decision_ref": "LG-2025-10",
    "effective_on": "2025-03-04",
}
APPROVAL = {"decision_ref": "LG-2025-11", "effective_on": "2025-03-05"}


def test_the_clerk_prepares_the_sheet_and_reads_it(
    client: TestClient, february: AssessmentLedger, sign_in: SignIn
) -> None:
    clerk = sign_in(CLERK.person_id)
    response = client.post(
        f"{SHEET}/preparations", json={"effective_on": "2025-03-03"}, headers=clerk
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == SHEET
    read = client.get(SHEET, headers=clerk)
    assert read.status_code == 200
    assert read.headers["etag"] == response.headers["etag"]
    sheet = read.json()
    lines = {line["staff_number"]: line for line in sheet["lines"]}
    assert (lines[STAFF]["status"], lines[STAFF]["total"]) == ("halved", "3.0")
    assert lines[COLLEAGUE]["status"] == "cancelled"
    assert sheet["criticism_notice"] == [STAFF, COLLEAGUE]
    owed = {item["staff_number"]: item["owed_by"] for item in sheet["head_liability"]}
    assert owed == {STAFF: HEAD, COLLEAGUE: None}
    assert sheet["approval"] is None


def test_a_head_cannot_prepare_the_sheet_nor_read_it(
    client: TestClient, february: AssessmentLedger, sign_in: SignIn
) -> None:
    head = february.head_position()
    response = client.post(
        f"{SHEET}/preparations", json={"effective_on": "2025-03-03"}, headers=sign_in(HEAD)
    )
    assert response.status_code == 403
    assert response.json()["role_needed"] == "supervision_clerk"
    assert february.head_position() == head
    february.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))
    assert client.get(SHEET, headers=sign_in(HEAD)).status_code == 403


def test_preparing_a_quarters_sheet_is_a_422_naming_the_rule(
    client: TestClient, february: AssessmentLedger, sign_in: SignIn
) -> None:
    head = february.head_position()
    response = client.post(
        "/api/v1/bonus-sheets/2025-Q1/preparations",
        json={"effective_on": "2025-03-03"},
        headers=sign_in(CLERK.person_id),
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "R-20"
    assert february.head_position() == head


def test_the_leading_group_decides_an_item_under_if_match(
    client: TestClient, prepared: AssessmentLedger, sign_in: SignIn
) -> None:
    leader = sign_in(LEADER.person_id)
    url = f"{SHEET}/head-liability/{STAFF}/decision"
    etag = client.get(SHEET, headers=leader).headers["etag"]
    assert client.post(url, json=DECISION, headers=leader).status_code == 428
    assert client.post(url, json=DECISION, headers={**leader, "If-Match": '"99"'}).status_code == (
        412
    )
    clerk = client.post(url, json=DECISION, headers={**sign_in(CLERK.person_id), "If-Match": etag})
    assert clerk.status_code == 403
    assert clerk.json()["role_needed"] == "leading_group"
    response = client.post(url, json=DECISION, headers={**leader, "If-Match": etag})
    assert response.status_code == 200, response.text
    assert response.json()["record_version"] == int(etag.strip('"')) + 1
    item = next(
        i
        for i in client.get(SHEET, headers=leader).json()["head_liability"]
        if i["staff_number"] == STAFF
    )
    assert (item["reduction"], item["decision_ref"]) == ("halved", "LG-2025-10")


def test_approving_with_an_item_undecided_is_a_422_and_records_nothing(
    client: TestClient, prepared: AssessmentLedger, sign_in: SignIn
) -> None:
    leader = sign_in(LEADER.person_id)
    etag = client.get(SHEET, headers=leader).headers["etag"]
    head = prepared.head_position()
    response = client.post(f"{SHEET}/approval", json=APPROVAL, headers={**leader, "If-Match": etag})
    assert response.status_code == 422
    assert response.json()["rule"] == "D-08"
    assert prepared.head_position() == head


def test_the_approved_sheet_decides_the_period(
    client: TestClient, prepared: AssessmentLedger, sign_in: SignIn
) -> None:
    leader = sign_in(LEADER.person_id)
    etag = client.get(SHEET, headers=leader).headers["etag"]
    for number in (STAFF, COLLEAGUE):
        decided = client.post(
            f"{SHEET}/head-liability/{number}/decision",
            json={**DECISION, "reduction": "none"},
            headers={**leader, "If-Match": etag},
        )
        assert decided.status_code == 200, decided.text
        etag = decided.headers["etag"]
    assert client.post(f"{SHEET}/approval", json=APPROVAL, headers=leader).status_code == 428
    approved = client.post(f"{SHEET}/approval", json=APPROVAL, headers={**leader, "If-Match": etag})
    assert approved.status_code == 200, approved.text
    assert client.get(SHEET, headers=leader).json()["approval"]["decision_ref"] == "LG-2025-11"
    decision = client.get(f"/api/v1/rounds/{FEBRUARY}", headers=leader).json()["decision"]
    assert decision["decision_ref"] == "LG-2025-11"
    status = client.get(f"/api/v1/rounds/{FEBRUARY}/status", headers=leader).json()
    assert status["decided"] is True and status["current_step"] is None


def test_an_unknown_sheet_is_a_404(
    client: TestClient, february: AssessmentLedger, sign_in: SignIn
) -> None:
    leader = sign_in(LEADER.person_id)
    assert client.get("/api/v1/bonus-sheets/2025-01", headers=leader).status_code == 404
    response = client.post(
        "/api/v1/bonus-sheets/2025-01/approval",
        json=APPROVAL,
        headers={**leader, "If-Match": '"1"'},
    )
    assert response.status_code == 404
