"""What the annual assessment's users read over HTTP (issue 6 item 1; R-12–R-19, R-41, D-17,
D-21): the year's participants for the procedure readers (a head: their unit's people); the
publicity of the excellent list for every staff member once it has started, objectors named
only to the center-wide roles and to themselves; a staff member's own result (grade,
notification, signature, challenge, and whether and by when a review or appeal may still be
lodged), read by them and by those who read them; refusals 403, unknown records 404.

The center (annual_support): B1 with W01 (H001 head; S001, S004), W02 (H002 head; S002) and
OF1 (H003 head; C001, L001); S003 in no unit; the clock on 2026-03-10."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from builders import CLERK, COLLEAGUE, LEADER, STAFF, UNASSIGNED, at
from ledger.aggregates.annual_assessment import ObjectionOutcome
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import Grade
from ledger.values import Actor, Role
from procedures.annual_support import (
    HEAD_OF1,
    HEAD_W01,
    HEAD_W02,
    PI_STAFF,
    YEAR,
    proposed_grades,
    seed_annual_center,
    walk,
)

SignIn = Callable[[str], dict[str, str]]
YEAR_URL = f"/api/v1/years/{YEAR}"
PARTICIPANTS = sorted(
    [CLERK.person_id, LEADER.person_id, STAFF, COLLEAGUE, PI_STAFF, HEAD_W01, HEAD_W02, HEAD_OF1]
)
DURING_PUBLICITY = date(2026, 2, 13)
"""The day after publicity started (12 February; its last day is 26 February)."""


def result_url(number: str, year: int = YEAR) -> str:
    """A staff member's annual result."""
    return f"/api/v1/staff/{number}/years/{year}"


@pytest.fixture
def center(served_ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The annual center, the 2025 round open, the clock on 2026-03-10."""
    seed_annual_center(served_ledger, clock)
    return served_ledger


@pytest.fixture
def publicised(center: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The 2025 assessment up to publicity (S001 and W01 proposed excellent), the clock on
    13 February 2026, during publicity."""
    walk(center, until="publicity")
    clock.set(at(DURING_PUBLICITY))
    return center


@pytest.fixture
def incompetent(center: AssessmentLedger) -> AssessmentLedger:
    """The 2025 results decided with S002 graded incompetent and everybody notified on 3 March
    2026."""
    walk(
        center,
        until="notification",
        grades={**proposed_grades(center), COLLEAGUE: Grade.INCOMPETENT},
    )
    return center


def _objection(ledger: AssessmentLedger) -> int:
    """S002 objects to S001's title during publicity; the objection's number."""
    number = ledger.raise_publicity_objection(
        Actor(COLLEAGUE, Role.STAFF), YEAR, STAFF, "was absent in May", DURING_PUBLICITY
    ).number
    assert number is not None
    return number


# The year's participants


def test_the_clerk_reads_every_participant_with_their_unit_evaluator_and_countersigner(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get(f"{YEAR_URL}/participants", headers=sign_in(CLERK.person_id))

    assert response.status_code == 200, response.text
    body = response.json()
    rows = {row["staff_number"]: row for row in body["participants"]}
    assert (list(rows), body["partial"]) == (PARTICIPANTS, False)
    mine = rows[STAFF]
    assert (mine["unit_code"], mine["branch"], mine["on"], mine["head"]) == (
        "W01",
        "B1",
        "2025-12-31",
        False,
    )
    assert (mine["evaluator_role"], mine["countersigner_role"]) == (
        "window_head",
        "supervision_clerk",
    )
    office_head = rows[HEAD_OF1]
    assert (office_head["head"], office_head["evaluator_role"]) == (True, "leader_in_charge")
    assert office_head["countersigner_role"] == "leading_group"  # D-17 for an office head
    assert rows[HEAD_W02]["category"] == "reference_managed"


def test_a_head_reads_the_participants_of_their_unit_only(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    body = client.get(f"{YEAR_URL}/participants", headers=sign_in(HEAD_W01)).json()

    assert [row["staff_number"] for row in body["participants"]] == [HEAD_W01, STAFF, PI_STAFF]
    assert body["partial"] is True


def test_a_staff_member_who_heads_nothing_may_not_read_the_participants(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get(f"{YEAR_URL}/participants", headers=sign_in(STAFF))

    assert response.status_code == 403


# The publicity (R-18, D-21)


def test_any_staff_member_reads_who_is_publicised_and_until_when(
    client: TestClient, publicised: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get(f"{YEAR_URL}/publicity", headers=sign_in(UNASSIGNED))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["started_on"], body["last_day"], body["running"]) == (
        "2026-02-12",
        "2026-02-26",
        True,
    )
    assert body["excellent_staff"] == [
        {"staff_number": STAFF, "name": "张三", "unit_code": "W01", "withdrawn": False}
    ]
    assert body["excellent_windows"] == [{"code": "W01", "name": "Tax", "withdrawn": False}]
    assert (body["approved_on"], body["objections_raised"], body["objections"]) == (None, 0, [])


def test_the_objector_is_named_to_themselves_and_the_clerk_but_not_to_other_staff(
    client: TestClient, publicised: AssessmentLedger, sign_in: SignIn
) -> None:
    _objection(publicised)

    def objector(person: str) -> str | None:
        body = client.get(f"{YEAR_URL}/publicity", headers=sign_in(person)).json()
        assert (body["objections_raised"], body["objections_open"]) == (1, 1)
        raised_by: str | None = body["objections"][0]["raised_by"]
        return raised_by

    assert objector(UNASSIGNED) is None
    assert objector(STAFF) is None  # not even the person objected to
    assert objector(COLLEAGUE) == COLLEAGUE
    assert objector(CLERK.person_id) == COLLEAGUE


def test_an_upheld_objection_shows_its_outcome_and_the_title_withdrawn(
    client: TestClient, publicised: AssessmentLedger, sign_in: SignIn
) -> None:
    number = _objection(publicised)
    publicised.resolve_publicity_objection(
        LEADER,
        YEAR,
        number,
        ObjectionOutcome.UPHELD,
        "the absence is recorded",
        DURING_PUBLICITY,
        new_grade=Grade.COMPETENT,
    )

    body = client.get(f"{YEAR_URL}/publicity", headers=sign_in(UNASSIGNED)).json()

    assert body["excellent_staff"][0]["withdrawn"] is True
    objection = body["objections"][0]
    assert (objection["outcome"], objection["resolved_on"]) == ("upheld", "2026-02-13")
    assert body["objections_open"] == 0


def test_the_publicity_is_a_404_until_it_has_started(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    walk(center, until="windows")

    response = client.get(f"{YEAR_URL}/publicity", headers=sign_in(CLERK.person_id))

    assert response.status_code == 404


# A staff member's own result


def test_a_staff_member_reads_their_preliminary_grade_and_forms(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    walk(center, until="preliminary")

    response = client.get(result_url(STAFF), headers=sign_in(STAFF))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["participant"], body["unit_code"]) == (True, "W01")
    assert (body["self_summary_on"], body["registration_form_on"]) == ("2026-01-05", "2026-01-05")
    assert (body["grade"], body["grade_standing"]) == ("excellent", "preliminary")
    assert (body["notified_on"], body["signature"], body["challenge"]) == (None, None, None)
    assert body["clock"]["challengeable"] is False


def test_a_staff_member_reads_their_final_grade_notification_and_signature(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    walk(center, until="signature")

    body = client.get(result_url(STAFF), headers=sign_in(STAFF)).json()

    assert (body["grade"], body["grade_standing"]) == ("excellent", "final")
    assert (body["results_decided_on"], body["notified_on"]) == ("2026-03-02", "2026-03-03")
    assert body["signature"] == {"signed_on": "2026-03-04", "agrees": True, "opinion": "I agree"}


def test_an_incompetent_grade_says_a_review_or_appeal_may_be_lodged_and_by_when_r41(
    client: TestClient, incompetent: AssessmentLedger, sign_in: SignIn
) -> None:
    body = client.get(result_url(COLLEAGUE), headers=sign_in(COLLEAGUE)).json()

    assert (body["grade"], body["challenge"]) == ("incompetent", None)
    # 30 calendar days after the notice of 3 March 2026 (a civil servant): Thursday 2 April
    assert body["clock"] == {
        "challengeable": True,
        "may_request_review": True,
        "review_request_due_on": "2026-04-02",
        "may_lodge_appeal": True,
        "appeal_due_on": "2026-04-02",
    }


def test_once_a_review_is_requested_the_result_shows_it_and_no_other_request_is_open(
    client: TestClient, incompetent: AssessmentLedger, sign_in: SignIn
) -> None:
    incompetent.request_review(Actor(COLLEAGUE, Role.STAFF), COLLEAGUE, YEAR, date(2026, 3, 10))

    body = client.get(result_url(COLLEAGUE), headers=sign_in(COLLEAGUE)).json()

    challenge = body["challenge"]
    assert (challenge["standing_grade"], challenge["appeal"]) == ("incompetent", None)
    assert challenge["review"]["lodged_on"] == "2026-03-10"
    assert body["clock"]["may_request_review"] is False
    assert body["clock"]["may_lodge_appeal"] is False  # the appeal follows the review's decision


def test_a_competent_grade_cannot_be_challenged(
    client: TestClient, incompetent: AssessmentLedger, sign_in: SignIn
) -> None:
    clock = client.get(result_url(STAFF), headers=sign_in(STAFF)).json()["clock"]

    assert (clock["challengeable"], clock["may_request_review"], clock["may_lodge_appeal"]) == (
        False,
        False,
        False,
    )


def test_someone_in_no_unit_reads_that_they_take_no_part(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    walk(center, until="preliminary")

    body = client.get(result_url(UNASSIGNED), headers=sign_in(UNASSIGNED)).json()

    assert (body["participant"], body["unit_code"], body["grade"]) == (False, None, None)
    assert body["grade_standing"] == "none"


def test_the_head_reads_their_staff_member_s_result_but_a_colleague_may_not(
    client: TestClient, incompetent: AssessmentLedger, sign_in: SignIn
) -> None:
    assert client.get(result_url(COLLEAGUE), headers=sign_in(HEAD_W02)).status_code == 200
    refused = client.get(result_url(COLLEAGUE), headers=sign_in(STAFF))
    assert refused.status_code == 403
    assert "the person themselves" in refused.json()["role_needed"]


def test_a_result_is_a_404_for_a_year_not_begun_or_an_unknown_person(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    clerk = sign_in(CLERK.person_id)
    assert client.get(result_url(STAFF, 2024), headers=clerk).status_code == 404
    assert client.get(result_url("S999"), headers=clerk).status_code == 404
