"""The annual assessment over HTTP (issue 6 item 1 for issue 5 item 2): the staff member's own
forms, a head's evaluation and the clerk's countersignature, then from publicity to the higher
authority's receipt each step by its role (objection and its resolution, the committee's
approval, the results, notification, signature, filings), with If-Match on the deciding steps
(428, 412), and after a reopening the amended results and the amended filing; refusals by
role (403 naming it) and rule (422, nothing recorded); 404s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from builders import CLERK, COLLEAGUE, LEADER, STAFF, reopen_for_late_veto
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from procedures.annual_support import (
    APPROVED_ON,
    DECIDED_ON,
    EVALUATED_ON,
    FILED_ON,
    FILING_REFERENCE,
    FORMS_ON,
    HEAD_W01,
    NOTIFIED_ON,
    PRELIMINARY_ON,
    RECEIPT_ON,
    SIGNED_ON,
    YEAR,
    seed_annual_center,
    walk,
)

SignIn = Callable[[str], dict[str, str]]
URL = f"/api/v1/years/{YEAR}"
COMMITTEE, AUTHORITY = "P001", "R001"


@pytest.fixture
def center(served_ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The annual center of annual_support, the 2025 round open, the clock on 2026-03-10."""
    seed_annual_center(served_ledger, clock)
    return served_ledger


def test_a_staff_member_hands_in_their_own_forms(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    me = sign_in(STAFF)
    summary = client.post(
        f"{URL}/self-summary", json={"text": "我的一年", "effective_on": str(FORMS_ON)}, headers=me
    )
    assert summary.status_code == 200, summary.text
    form = client.post(
        f"{URL}/registration-form",
        json={"category": "civil_servant", "effective_on": str(FORMS_ON)},
        headers=me,
    )
    assert form.status_code == 200, form.text
    assert form.headers["etag"] == f'"{center.staff(STAFF).version}"'
    forms = center.staff(STAFF).annual_forms(YEAR)
    assert forms.self_summary_on == forms.registration_form_on == FORMS_ON
    # a second self-summary breaks R-12 and records nothing
    head = center.head_position()
    again = client.post(
        f"{URL}/self-summary", json={"text": "again", "effective_on": str(FORMS_ON)}, headers=me
    )
    assert again.status_code == 422
    assert again.json()["rule"] == "R-12"
    assert center.head_position() == head


def test_a_head_evaluates_and_the_clerk_countersigns_but_a_colleague_may_not_evaluate(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    walk(center, until="forms")
    body = {
        "subject": STAFF,
        "evaluation": "does the job well",
        "proposed_grade": "excellent",
        "effective_on": str(EVALUATED_ON),
    }
    head = center.head_position()
    refused = client.post(f"{URL}/evaluations", json=body, headers=sign_in(COLLEAGUE))
    assert refused.status_code == 403
    assert refused.json()["role_needed"] == "window_head"
    assert center.head_position() == head
    evaluated = client.post(
        f"{URL}/evaluations?acting_as=window_head", json=body, headers=sign_in(HEAD_W01)
    )
    assert evaluated.status_code == 201, evaluated.text
    assert evaluated.headers["location"] == URL
    countersigned = client.post(
        f"{URL}/evaluations/{STAFF}/countersignature",
        json={"effective_on": str(EVALUATED_ON)},
        headers=sign_in(CLERK.person_id),
    )
    assert countersigned.status_code == 200, countersigned.text
    proposals = client.get(URL, headers=sign_in(CLERK.person_id)).json()["proposals"]
    assert proposals[0]["countersigned_by"] == CLERK.person_id


def test_preliminary_grades_before_the_countersignatures_are_a_422_recording_nothing(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    walk(center, until="forms")
    head = center.head_position()
    response = client.post(
        f"{URL}/preliminary-grades",
        json={"grades": {STAFF: "competent"}, "effective_on": str(PRELIMINARY_ON)},
        headers=sign_in(LEADER.person_id),
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "R-17"
    assert center.head_position() == head


def test_from_publicity_to_the_receipt_over_http(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    walk(center, until="publicity")
    leader, clerk = sign_in(LEADER.person_id), sign_in(CLERK.person_id)
    # R-18: a colleague objects to S001's title; the leading group dismisses it under If-Match
    objection = client.post(
        f"{URL}/publicity/objections",
        json={"subject": STAFF, "text": "was absent in May", "effective_on": "2026-02-13"},
        headers=sign_in(COLLEAGUE),
    )
    assert objection.status_code == 201, objection.text
    number = objection.json()["number"]
    resolution = {"outcome": "dismissed", "reason": "it was leave", "effective_on": "2026-02-24"}
    url = f"{URL}/publicity/objections/{number}/resolution"
    assert client.post(url, json=resolution, headers=leader).status_code == 428
    assert client.post(url, json=resolution, headers={**leader, "If-Match": '"1"'}).status_code == (
        412
    )
    etag = client.get(URL, headers=leader).headers["etag"]
    resolved = client.post(url, json=resolution, headers={**leader, "If-Match": etag})
    assert resolved.status_code == 200, resolved.text
    # D-22: the committee approves, not the clerk
    approval = {"effective_on": str(APPROVED_ON)}
    etag = resolved.headers["etag"]
    by_clerk = client.post(f"{URL}/approval", json=approval, headers={**clerk, "If-Match": etag})
    assert by_clerk.status_code == 403
    assert by_clerk.json()["role_needed"] == "party_working_committee"
    approved = client.post(
        f"{URL}/approval", json=approval, headers={**sign_in(COMMITTEE), "If-Match": etag}
    )
    assert approved.status_code == 200, approved.text
    # the results, the notification and the staff member's signature on their own record
    decided = client.post(
        f"{URL}/results",
        json={"decision_ref": "LG-2026-03", "effective_on": str(DECIDED_ON)},
        headers={**leader, "If-Match": approved.headers["etag"]},
    )
    assert decided.status_code == 200, decided.text
    for number in center.year_roster(YEAR).participants:
        notified = client.post(
            f"{URL}/notifications",
            json={"staff_number": number, "effective_on": str(NOTIFIED_ON)},
            headers=clerk,
        )
        assert notified.status_code == 200, notified.text
    me = sign_in(STAFF)
    signature = {"opinion": "I agree", "agrees": True, "effective_on": str(SIGNED_ON)}
    assert client.post(f"{URL}/signature", json=signature, headers=me).status_code == 428
    mine = client.get(f"/api/v1/staff/{STAFF}", headers=me).headers["etag"]
    signed = client.post(f"{URL}/signature", json=signature, headers={**me, "If-Match": mine})
    assert signed.status_code == 200, signed.text
    assert center.staff(STAFF).annual_forms(YEAR).signed_on == SIGNED_ON
    filed = client.post(
        f"{URL}/home-unit-filings",
        json={
            "staff_number": STAFF,
            "home_unit": center.staff(STAFF).home_unit,
            "reference": "HU-S001",
            "effective_on": str(FILED_ON),
        },
        headers=clerk,
    )
    assert filed.status_code == 200, filed.text
    filing = {"reference": "checkpoint 120", "effective_on": str(FILED_ON)}
    sent = client.post(f"{URL}/higher-authority-filing", json=filing, headers=clerk)
    assert sent.status_code == 200, sent.text
    receipt = {"reference": "checkpoint 120", "effective_on": str(RECEIPT_ON)}
    by_clerk_receipt = client.post(
        f"{URL}/higher-authority-filing/receipt", json=receipt, headers=clerk
    )
    assert by_clerk_receipt.status_code == 403
    received = client.post(
        f"{URL}/higher-authority-filing/receipt", json=receipt, headers=sign_in(AUTHORITY)
    )
    assert received.status_code == 200, received.text
    year = client.get(URL, headers=clerk).json()
    assert (year["decided_on"], year["receipt_on"]) == (str(DECIDED_ON), str(RECEIPT_ON))
    assert year["objections"][0]["outcome"] == "dismissed"
    status = client.get(f"/api/v1/rounds/{YEAR}/status", headers=leader).json()
    assert status["decided"] is True


def test_signing_someone_elses_form_is_not_possible(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    # the signature always acts for the token's person: a colleague's ETag does not sign S001's
    walk(center, until="notification")
    colleague = sign_in(COLLEAGUE)
    etag = client.get(f"/api/v1/staff/{COLLEAGUE}", headers=colleague).headers["etag"]
    client.post(
        f"{URL}/signature",
        json={"opinion": "ok", "agrees": True, "effective_on": str(SIGNED_ON)},
        headers={**colleague, "If-Match": etag},
    )
    assert center.staff(STAFF).annual_forms(YEAR).signed_on is None


def test_an_unknown_year_is_a_404(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    leader = sign_in(LEADER.person_id)
    assert client.get("/api/v1/years/2024", headers=leader).status_code == 404
    response = client.post(
        "/api/v1/years/2024/results",
        json={"decision_ref": "LG-X", "effective_on": str(DECIDED_ON)},
        headers={**leader, "If-Match": '"1"'},
    )
    assert response.status_code == 404
    assert client.get(URL, headers=sign_in(STAFF)).status_code == 403


def test_d13_a_reopened_years_results_are_amended_and_filed_again_over_http(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    # given the year filed and received, then S001's veto case of 2025 found and the year
    # reopened for it (S001's excellent grade cannot stand: R-35)
    walk(center)
    reopen_for_late_veto(center, str(YEAR), STAFF, date(2025, 9, 15), date(2026, 3, 10))
    leader, clerk = sign_in(LEADER.person_id), sign_in(CLERK.person_id)
    etag = client.get(URL, headers=leader).headers["etag"]
    amendment = {"grades": {}, "decision_ref": "LG-2026-07", "effective_on": "2026-03-10"}
    # when the amended results keep the barred grade: a 422 naming R-35, nothing recorded
    kept = client.post(
        f"{URL}/results/amendment", json=amendment, headers={**leader, "If-Match": etag}
    )
    assert kept.status_code == 422 and kept.json()["rule"] == "R-35", kept.text
    # when they lower it
    amended = client.post(
        f"{URL}/results/amendment",
        json={**amendment, "grades": {STAFF: "competent"}},
        headers={**leader, "If-Match": etag},
    )
    assert amended.status_code == 200, amended.text
    year = client.get(URL, headers=clerk).json()
    assert (year["grades"][STAFF], year["amended_on"], year["refiling_due"]) == (
        "competent",
        "2026-03-10",
        True,
    )
    # then the clerk files the amended results with a reference of their own
    filing = {"reference": "checkpoint 150", "effective_on": "2026-03-10"}
    sent = client.post(f"{URL}/higher-authority-filing", json=filing, headers=clerk)
    assert sent.status_code == 200, sent.text
    year = client.get(URL, headers=clerk).json()
    assert year["filing_reference"] == "checkpoint 150" and year["refiling_due"] is False
    assert [f["reference"] for f in year["superseded_filings"]] == [FILING_REFERENCE]
    assert year["receipt_on"] is None
