"""The quarterly evaluation over HTTP (issue 6 item 1 for issue 5 item 1): a whole quarter walked
through the API by the right people (an office's opinion, the clerk's compilation, both branches'
mutual evaluations, one unlinkable, every ballot, the tallies and recommendations, the leading
group's examination and results under If-Match, amended after a reopening); an unlinkable
ballot's receipt links nothing; refusals by role (403 naming it) and rule (R-21 naming the
events, nothing recorded); 404s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient

from builders import (
    BRANCH,
    CLERK,
    LEADER,
    STAFF,
    UNASSIGNED,
    WINDOW,
    record,
    reopen_for_late_veto,
)
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from procedures.quarterly_support import (
    AFTER_Q1,
    B1_SECRETARY,
    B1_VOTERS,
    B2_MEMBER,
    B2_SECRETARY,
    COMPILED_ON,
    OFFICE_ACTOR,
    OFFICER,
    OPINION_ON,
    OTHER_BRANCH,
    OWN_WINDOW,
    Q1,
    SECRETARY,
    W04,
    examined,
    opened,
    ratings_for,
    seed_center,
    tallied,
)

SignIn = Callable[[str], dict[str, str]]
QUARTER = f"/api/v1/quarters/{Q1}"


@pytest.fixture
def center(served_ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """Two branches, Q1's round open, the clock after the quarter (quarterly_support)."""
    seed_center(served_ledger, clock)
    return served_ledger


def _ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, object] = response.json()
    return body


def test_a_whole_quarter_over_http(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    # an office's opinion and the clerk's compilation
    opinion = client.post(
        f"{QUARTER}/opinions",
        json={"subject": STAFF, "opinion": "punctual", "effective_on": str(OPINION_ON)},
        headers=sign_in(OFFICER),
    )
    assert opinion.status_code == 201, opinion.text
    assert opinion.headers["location"] == QUARTER
    _ok(
        client.post(
            f"{QUARTER}/compilation",
            json={"effective_on": str(COMPILED_ON)},
            headers=sign_in(CLERK.person_id),
        )
    )
    # B1 unlinkable, B2 open; every member votes; both tally and recommend
    for branch, secretary, mode in (
        (BRANCH, B1_SECRETARY, "unlinkable"),
        (OTHER_BRANCH, B2_SECRETARY, "open"),
    ):
        _ok(
            client.post(
                f"{QUARTER}/branches/{branch}/mutual-evaluation",
                json={"mode": mode},
                headers=sign_in(secretary),
            )
        )
    for branch, voters in ((BRANCH, B1_VOTERS), (OTHER_BRANCH, (B2_SECRETARY, B2_MEMBER))):
        for voter in voters:
            _ok(
                client.post(
                    f"{QUARTER}/branches/{branch}/ballots",
                    json={"ratings": ratings_for(OWN_WINDOW[voter], branch)},
                    headers=sign_in(voter),
                )
            )
    for branch, secretary, people, windows in (
        (BRANCH, B1_SECRETARY, [B1_SECRETARY], [WINDOW]),
        (OTHER_BRANCH, B2_SECRETARY, [B2_MEMBER], [W04]),
    ):
        _ok(client.post(f"{QUARTER}/branches/{branch}/tally", json={}, headers=sign_in(secretary)))
        _ok(
            client.post(
                f"{QUARTER}/branches/{branch}/recommendations",
                json={
                    "excellent_individuals": people,
                    "excellent_windows": windows,
                    "effective_on": str(AFTER_Q1),
                },
                headers=sign_in(secretary),
            )
        )
    # the leading group examines and decides, each time on the ETag it read
    leader = sign_in(LEADER.person_id)
    read = client.get(QUARTER, headers=leader)
    tallies = {m["branch"]: m for m in read.json()["mutual_evaluations"]}
    assert tallies[BRANCH]["ballot_count"] == len(B1_VOTERS)
    examined = client.post(
        f"{QUARTER}/examination",
        json={
            "accepted_individuals": [B1_SECRETARY],
            "accepted_windows": [WINDOW, W04],
            "effective_on": str(AFTER_Q1),
        },
        headers={**leader, "If-Match": read.headers["etag"]},
    )
    assert examined.status_code == 200, examined.text
    decided = client.post(
        f"{QUARTER}/results",
        json={"decision_ref": "LG-2025-Q1", "effective_on": str(AFTER_Q1)},
        headers={**leader, "If-Match": examined.headers["etag"]},
    )
    assert decided.status_code == 200, decided.text
    # then the quarter is decided and its results published
    results = client.get(QUARTER, headers=leader).json()["results"]
    assert results == {
        "individuals": [B1_SECRETARY],
        "windows": [WINDOW, W04],
        "effective_on": str(AFTER_Q1),
        "decision_ref": "LG-2025-Q1",
    }
    status = client.get(f"/api/v1/rounds/{Q1}/status", headers=leader).json()
    assert status["decided"] is True
    assert all(step["done"] for step in status["steps"])


def test_an_unlinkable_ballots_receipt_links_nothing(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    center.submit_opinion(OFFICE_ACTOR, Q1, STAFF, "fine", OPINION_ON)
    center.compile_opinions(CLERK, Q1, COMPILED_ON)
    client.post(
        f"{QUARTER}/branches/{BRANCH}/mutual-evaluation",
        json={"mode": "unlinkable"},
        headers=sign_in(B1_SECRETARY),
    )
    ratings = ratings_for(OWN_WINDOW[STAFF], BRANCH)
    headers = {**sign_in(STAFF), "Idempotency-Key": "ballot-1"}
    response = client.post(
        f"{QUARTER}/branches/{BRANCH}/ballots", json={"ratings": ratings}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accepted": True,
        "mode": "unlinkable",
        "position": None,
        "replayed": False,
    }
    assert "etag" not in response.headers and "location" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    for code in ratings:
        assert code not in response.text
    # a retry replays without echoing anything either
    again = client.post(
        f"{QUARTER}/branches/{BRANCH}/ballots", json={"ratings": ratings}, headers=headers
    )
    assert again.json() == {**response.json(), "replayed": True}
    assert "etag" not in again.headers


def test_a_staff_member_cannot_submit_an_opinion(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    head = center.head_position()
    response = client.post(
        f"{QUARTER}/opinions",
        json={"subject": STAFF, "opinion": "x", "effective_on": str(OPINION_ON)},
        headers=sign_in(STAFF),
    )
    assert response.status_code == 403
    assert response.json()["role_needed"] == "functional_office"
    assert center.head_position() == head


def test_a_ballot_by_someone_outside_the_branch_is_a_422_and_records_nothing(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    opened(center)
    head = center.head_position()
    response = client.post(
        f"{QUARTER}/branches/{BRANCH}/ballots",
        json={"ratings": ratings_for(None, BRANCH)},
        headers=sign_in(UNASSIGNED),
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "R-10"
    assert center.head_position() == head


def test_recommending_an_ineligible_person_is_a_422_naming_the_events(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    # given 3 points on S004 in Q1 and both branches tallied
    deduction = record(center, "INC-R21", staff_number=B1_SECRETARY, item_code="DSC-07")
    tallied(center)
    head = center.head_position()
    # when B1's secretary recommends S004
    response = client.post(
        f"{QUARTER}/branches/{BRANCH}/recommendations",
        json={
            "excellent_individuals": [B1_SECRETARY],
            "excellent_windows": [],
            "effective_on": str(AFTER_Q1),
        },
        headers=sign_in(B1_SECRETARY),
    )
    # then it is refused under R-21 naming the deduction, and nothing is recorded
    assert response.status_code == 422
    body = response.json()
    assert body["rule"] == "R-21"
    assert body["fields"]["events"] == [f"{center.staff_stream(B1_SECRETARY)}/{deduction.number}"]
    assert center.head_position() == head


def test_the_examination_needs_if_match_and_the_current_version(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    tallied(center)
    center.recommend(SECRETARY, Q1, BRANCH, (B1_SECRETARY,), (WINDOW,), AFTER_Q1)
    body = {"accepted_individuals": [], "accepted_windows": [], "effective_on": str(AFTER_Q1)}
    leader = sign_in(LEADER.person_id)
    assert client.post(f"{QUARTER}/examination", json=body, headers=leader).status_code == 428
    stale = client.post(f"{QUARTER}/examination", json=body, headers={**leader, "If-Match": '"2"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == center.quarterly_evaluation(Q1).version


def test_an_unknown_quarter_is_a_404(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    leader = sign_in(LEADER.person_id)
    assert client.get("/api/v1/quarters/2025-Q2", headers=leader).status_code == 404
    response = client.post(
        "/api/v1/quarters/2025-Q2/results",
        json={"decision_ref": "LG-X", "effective_on": str(AFTER_Q1)},
        headers={**leader, "If-Match": '"1"'},
    )
    assert response.status_code == 404


def test_d13_d14_a_reopened_quarters_results_are_amended_over_http(
    client: TestClient, center: AssessmentLedger, sign_in: SignIn
) -> None:
    # given Q1 decided with S004's title, then S004's veto in March found and Q1 reopened
    examined(center)
    center.decide_quarter_results(LEADER, Q1, "LG-2025-Q1", AFTER_Q1)
    reopen_for_late_veto(center, Q1, B1_SECRETARY, date(2025, 3, 25), AFTER_Q1)
    leader = sign_in(LEADER.person_id)
    etag = client.get(QUARTER, headers=leader).headers["etag"]
    amendment = {
        "individuals": [B1_SECRETARY],
        "windows": [WINDOW, W04],
        "decision_ref": "LG-2025-Q1-A",
        "effective_on": str(AFTER_Q1),
    }
    # when the amended results keep the barred title: a 422 naming R-35, nothing recorded
    head = center.head_position()
    kept = client.post(
        f"{QUARTER}/results/amendment", json=amendment, headers={**leader, "If-Match": etag}
    )
    assert kept.status_code == 422 and kept.json()["rule"] == "R-35", kept.text
    assert center.head_position() == head
    # when they leave it out, with the evaluation's ETag
    amended = client.post(
        f"{QUARTER}/results/amendment",
        json={**amendment, "individuals": []},
        headers={**leader, "If-Match": etag},
    )
    assert amended.status_code == 200, amended.text
    # then the amended results are in force and the published ones kept
    read = client.get(QUARTER, headers=leader).json()
    assert read["results"]["individuals"] == []
    assert read["results"]["decision_ref"] == "LG-2025-Q1-A"
    assert [r["decision_ref"] for r in read["superseded_results"]] == ["LG-2025-Q1"]
