"""Objections, reviews and appeals over HTTP (issue 6 item 1 for issue 5 item 4): the staff
member objects to their own notified entry (201, Location) and the leading group decides it,
the entry coming from the supervision office's own inspection, under If-Match on the staff
record (428, 412); a grade's review and appeal requested by the staff member and decided by the
assigned reviewer under If-Match on the challenge; refusals by role (403 naming it) and rule
(R-40, R-41; nothing recorded); 404s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from builders import CLERK, COLLEAGUE, LEADER, SOURCE, STAFF, seed_organisation
from ledger.aggregates.grade_challenge import ChallengeStage, GradeChallenge
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import Grade
from ledger.values import OPERATOR
from procedures.annual_support import (
    NOTIFIED_ON,
    YEAR,
    proposed_grades,
    seed_annual_center,
    walk,
)
from procedures.quarterly_support import load_calendar

SignIn = Callable[[str], dict[str, str]]
OBJECTIONS = f"/api/v1/staff/{STAFF}/objections"
REVIEWER = "R001"


@pytest.fixture
def seeded(served_ledger: AssessmentLedger) -> AssessmentLedger:
    """The minimal organisation and the 2025 calendar."""
    seed_organisation(served_ledger)
    load_calendar(served_ledger)
    return served_ledger


def entry(ledger: AssessmentLedger, incident: str, *, notified: bool = True) -> int:
    """An absence of two half days against S001 from the supervision office's inspection,
    notified on 4 March; its number."""
    outcome = ledger.record_deduction(
        CLERK, STAFF, "ATT-05", date(2025, 3, 3), incident, f"photo {incident}", SOURCE, quantity=2
    )
    assert outcome.number is not None
    if notified:
        ledger.notify_deduction(CLERK, STAFF, outcome.number, date(2025, 3, 4))
    return outcome.number


def test_the_staff_member_objects_and_the_leading_group_decides_under_if_match(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    number = entry(seeded, "INC-1")
    raised = client.post(
        OBJECTIONS,
        json={"entry": number, "grounds": "approved leave", "effective_on": "2025-03-05"},
        headers=sign_in(STAFF),
    )
    assert raised.status_code == 201, raised.text
    objection = raised.json()["number"]
    assert raised.headers["location"] == f"{OBJECTIONS}/{objection}"
    url = f"{OBJECTIONS}/{objection}/decision"
    decision = {
        "outcome": "revoked",
        "reason": "the leave was approved",
        "decision_ref": "LG-2025-17",
        "effective_on": "2025-03-07",
    }
    etag = raised.headers["etag"]
    leader = sign_in(LEADER.person_id)
    # the entry is from the supervision office's own inspection: not the clerk's to decide
    by_clerk = client.post(
        url, json=decision, headers={**sign_in(CLERK.person_id), "If-Match": etag}
    )
    assert by_clerk.status_code == 403
    assert by_clerk.json()["role_needed"] == "leading_group"
    assert client.post(url, json=decision, headers=leader).status_code == 428
    stale = client.post(
        f"{url}?acting_as=leading_group", json=decision, headers={**leader, "If-Match": '"2"'}
    )
    assert stale.status_code == 412
    decided = client.post(
        f"{url}?acting_as=leading_group", json=decision, headers={**leader, "If-Match": etag}
    )
    assert decided.status_code == 200, decided.text
    assert seeded.staff(STAFF).deductions[number].revoked


def test_a_colleague_cannot_object_for_someone_else(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    number = entry(seeded, "INC-2")
    head = seeded.head_position()
    response = client.post(
        OBJECTIONS,
        json={"entry": number, "grounds": "not me", "effective_on": "2025-03-05"},
        headers=sign_in(COLLEAGUE),
    )
    assert response.status_code == 403
    assert response.json()["role_needed"] == "staff"
    assert seeded.head_position() == head


def test_objecting_to_an_entry_not_notified_is_a_422_recording_nothing(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    number = entry(seeded, "INC-3", notified=False)
    head = seeded.head_position()
    response = client.post(
        OBJECTIONS,
        json={"entry": number, "grounds": "never told", "effective_on": "2025-03-05"},
        headers=sign_in(STAFF),
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "R-40"
    assert seeded.head_position() == head


def test_deciding_an_objection_of_an_unknown_staff_member_is_a_404(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.post(
        "/api/v1/staff/S999/objections/1/decision",
        json={
            "outcome": "upheld",
            "reason": "x",
            "decision_ref": "SV-1",
            "effective_on": "2025-03-07",
        },
        headers={**sign_in(CLERK.person_id), "If-Match": '"1"'},
    )
    assert response.status_code == 404


@pytest.fixture
def incompetent(served_ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The 2025 annual assessment with S002 graded incompetent, everybody notified on 3 March
    2026, both stages of S002's challenge assigned to R001; the clock on 10 March."""
    seed_annual_center(served_ledger, clock)
    grades = {**proposed_grades(served_ledger), COLLEAGUE: Grade.INCOMPETENT}
    walk(served_ledger, until="notification", grades=grades)
    for stage in ChallengeStage:
        case = GradeChallenge.case_id(COLLEAGUE, YEAR, stage)
        served_ledger.assign_appeal_case(OPERATOR, case, COLLEAGUE, REVIEWER, NOTIFIED_ON)
    return served_ledger


def test_a_review_and_an_appeal_requested_and_decided_over_http(
    client: TestClient, incompetent: AssessmentLedger, sign_in: SignIn
) -> None:
    base = f"/api/v1/staff/{COLLEAGUE}/grade-challenges/{YEAR}"
    me, reviewer = sign_in(COLLEAGUE), sign_in(REVIEWER)
    requested = client.post(f"{base}/review", json={"effective_on": "2026-03-10"}, headers=me)
    assert requested.status_code == 201, requested.text
    assert requested.headers["location"] == base
    read = client.get(base, headers=reviewer)
    assert read.status_code == 200, read.text
    assert read.json()["grade"] == "incompetent"
    decision = {"decision_ref": "REV-1", "reason": "stands", "effective_on": "2026-03-10"}
    assert client.post(f"{base}/review/decision", json=decision, headers=reviewer).status_code == (
        428
    )
    by_clerk = client.post(
        f"{base}/review/decision",
        json=decision,
        headers={**sign_in(CLERK.person_id), "If-Match": read.headers["etag"]},
    )
    assert by_clerk.status_code == 403
    assert by_clerk.json()["role_needed"] == "appeal_reviewer"
    reviewed = client.post(
        f"{base}/review/decision",
        json=decision,
        headers={**reviewer, "If-Match": read.headers["etag"]},
    )
    assert reviewed.status_code == 200, reviewed.text
    appealed = client.post(f"{base}/appeal", json={"effective_on": "2026-03-10"}, headers=me)
    assert appealed.status_code == 201, appealed.text
    extension = {"reason": "witnesses to hear", "effective_on": "2026-03-10"}
    stale = client.post(
        f"{base}/appeal/extension",
        json=extension,
        headers={**reviewer, "If-Match": reviewed.headers["etag"]},
    )
    assert stale.status_code == 412
    extended = client.post(
        f"{base}/appeal/extension",
        json=extension,
        headers={**reviewer, "If-Match": appealed.headers["etag"]},
    )
    assert extended.status_code == 200, extended.text
    decided = client.post(
        f"{base}/appeal/decision",
        json={**decision, "decision_ref": "APP-1", "grade": "basically_competent"},
        headers={**reviewer, "If-Match": extended.headers["etag"]},
    )
    assert decided.status_code == 200, decided.text
    challenge = client.get(base, headers=me).json()
    assert challenge["standing_grade"] == "basically_competent"
    assert challenge["appeal"]["extended"] is True
    assert challenge["appeal"]["outcome"] == "changed"


def test_a_competent_grade_cannot_be_reviewed_and_nothing_is_recorded(
    client: TestClient, incompetent: AssessmentLedger, sign_in: SignIn
) -> None:
    head = incompetent.head_position()
    response = client.post(
        f"/api/v1/staff/{STAFF}/grade-challenges/{YEAR}/review",
        json={"effective_on": "2026-03-10"},
        headers=sign_in(STAFF),
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "R-41"
    assert incompetent.head_position() == head
    missing = client.get(
        f"/api/v1/staff/{STAFF}/grade-challenges/{YEAR}", headers=sign_in(CLERK.person_id)
    )
    assert missing.status_code == 404
