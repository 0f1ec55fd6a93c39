"""Rounds over HTTP (issue 6 item 1 for issue 5 item 7 and D-13): the clerk opens a round (201,
Location, ETag); its status step by step for the center-wide roles, and for a head only what
concerns their unit's people; the late-entry conflicts of a decided period, listed and in its
status until resolved (a head: those about their unit's people), and its decided figures;
the leading group's resolution of a late entry under If-Match (428, 412), and after a reopening the
sheet prepared and approved again (the amended decision); refusals by role (403
naming it) and rule (422, nothing recorded); unknown rounds 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from builders import CLERK, COLLEAGUE, LEADER, STAFF, START, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.values import OPERATOR, LateEntryResolution

FEBRUARY = "2025-02"
SignIn = Callable[[str], dict[str, str]]


@pytest.fixture
def seeded(served_ledger: AssessmentLedger) -> AssessmentLedger:
    """The minimal organisation: clerk C001, leading-group member L001, S001 in W01, S002 in
    W02 (its head from START)."""
    seed_organisation(served_ledger)
    served_ledger.appoint_head(OPERATOR, "W02", COLLEAGUE, START)
    return served_ledger


def test_the_clerk_opens_a_round_and_reads_it_back_with_its_etag(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    # when the clerk opens February's round
    response = client.post(
        "/api/v1/rounds",
        json={"period": FEBRUARY, "effective_on": "2025-03-03"},
        headers=sign_in(CLERK.person_id),
    )
    # then it is created where Location says, with its version as ETag
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/rounds/{FEBRUARY}"
    assert response.json()["position"] == seeded.head_position()
    read = client.get(response.headers["location"], headers=sign_in(LEADER.person_id))
    assert read.status_code == 200
    assert read.headers["etag"] == response.headers["etag"] == '"1"'
    assert read.json()["opened_on"] == "2025-03-03"
    assert read.json()["decision"] is None


def test_a_staff_member_cannot_open_a_round(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    head = seeded.head_position()
    response = client.post(
        "/api/v1/rounds",
        json={"period": FEBRUARY, "effective_on": "2025-03-03"},
        headers=sign_in(STAFF),
    )
    assert response.status_code == 403
    assert response.json()["role_needed"] == "supervision_clerk"
    assert seeded.head_position() == head


def test_opening_a_round_twice_is_a_422_naming_the_rule_and_records_nothing(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    seeded.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    head = seeded.head_position()
    response = client.post(
        "/api/v1/rounds",
        json={"period": FEBRUARY, "effective_on": "2025-03-04"},
        headers=sign_in(CLERK.person_id),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["rule"] == "UNIQUE_ROUND"
    assert seeded.head_position() == head


def test_a_round_never_opened_is_a_404_and_a_malformed_period_a_422(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    assert client.get("/api/v1/rounds/2025-05", headers=sign_in(CLERK.person_id)).status_code == 404
    malformed = client.get("/api/v1/rounds/2025-13/status", headers=sign_in(CLERK.person_id))
    assert malformed.status_code == 422
    assert malformed.json()["rule"] == "R-20"


def test_the_status_names_each_step_who_acts_and_what_is_missing(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    seeded.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    response = client.get(f"/api/v1/rounds/{FEBRUARY}/status", headers=sign_in(LEADER.person_id))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decided"] is False
    assert body["partial"] is False
    assert body["current_step"] == "prepare_bonus_sheet"
    keys = [step["key"] for step in body["steps"]]
    assert keys[0] == "open_round" and keys[-1] == "approve_bonus_sheet"
    approval = body["steps"][-1]
    assert approval["role"] == "leading_group"
    assert "the leading group's approval" in approval["missing"]


def test_a_head_reads_the_status_without_other_units_people_and_a_staff_member_not_at_all(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    # given February's sheet prepared with an item about S001 (W01) and one about S002 (W02)
    record(seeded, "INC-1", item_code="ATT-02", occurred_on=date(2025, 2, 5))
    record(seeded, "INC-2", item_code="SRV-01", occurred_on=date(2025, 2, 12))
    record(
        seeded, "INC-3", staff_number=COLLEAGUE, item_code="SUP-02", occurred_on=date(2025, 2, 6)
    )
    seeded.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    seeded.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))
    url = f"/api/v1/rounds/{FEBRUARY}/status"
    # when the head of W02 reads the status
    response = client.get(url, headers=sign_in(COLLEAGUE))
    # then they see the item about their own person, not the one about W01's
    assert response.status_code == 200, response.text
    keys = [step["key"] for step in response.json()["steps"]]
    assert f"decide_head_liability:{COLLEAGUE}" in keys
    assert f"decide_head_liability:{STAFF}" not in keys
    assert response.json()["partial"] is True
    everything = client.get(url, headers=sign_in(CLERK.person_id)).json()
    assert f"decide_head_liability:{STAFF}" in [step["key"] for step in everything["steps"]]
    # and a staff member who heads nothing is refused, told who may read
    refused = client.get(url, headers=sign_in(STAFF))
    assert refused.status_code == 403
    assert "head" in refused.json()["role_needed"]


@pytest.fixture
def late_entry(seeded: AssessmentLedger) -> int:
    """February decided (its sheet approved on 5 March), then a February deduction recorded:
    a conflict until the leading group resolves it. Returns the late deduction's number."""
    record(seeded, "INC-ON-TIME", item_code="ATT-01", occurred_on=date(2025, 2, 5))
    seeded.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    seeded.prepare_bonus_sheet(CLERK, FEBRUARY, date(2025, 3, 3))
    seeded.approve_bonus_sheet(LEADER, FEBRUARY, "LG-2025-02", date(2025, 3, 5))
    late = record(seeded, "INC-LATE", item_code="ATT-01", occurred_on=date(2025, 2, 20))
    assert late.number is not None
    return late.number


def test_the_conflicts_and_the_decided_figures_of_a_decided_period(
    client: TestClient, seeded: AssessmentLedger, late_entry: int, sign_in: SignIn
) -> None:
    headers = sign_in(LEADER.person_id)
    conflicts = client.get(f"/api/v1/rounds/{FEBRUARY}/conflicts", headers=headers)
    assert conflicts.status_code == 200, conflicts.text
    [conflict] = conflicts.json()
    assert (conflict["subject"], conflict["version"], conflict["change"]) == (
        STAFF,
        late_entry,
        "recorded",
    )
    assert conflict["stream_id"] == str(seeded.staff_stream(STAFF))
    beside = client.get(f"/api/v1/rounds/{FEBRUARY}/decided-figures", headers=headers)
    assert beside.status_code == 200, beside.text
    assert beside.json()["decision_ref"] == "LG-2025-02"
    assert any(figure["changed"] for figure in beside.json()["figures"])
    # a staff member does not read the center's conflicts
    assert client.get(
        f"/api/v1/rounds/{FEBRUARY}/conflicts", headers=sign_in(STAFF)
    ).status_code == (403)


def test_the_leading_group_resolves_a_late_entry_under_if_match(
    client: TestClient, seeded: AssessmentLedger, late_entry: int, sign_in: SignIn
) -> None:
    url = f"/api/v1/rounds/{FEBRUARY}/late-entry-resolutions"
    body = {
        "entry_stream": str(seeded.staff_stream(STAFF)),
        "entry_version": late_entry,
        "resolution": "no_change",
        "reason": "the decision stands",
        "effective_on": "2025-03-10",
    }
    leader = sign_in(LEADER.person_id)
    etag = client.get(f"/api/v1/rounds/{FEBRUARY}", headers=leader).headers["etag"]
    # without If-Match: 428; with a stale one: 412
    assert client.post(url, json=body, headers=leader).status_code == 428
    stale = client.post(url, json=body, headers={**leader, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == int(etag.strip('"'))
    # the clerk may not resolve it
    clerk = client.post(url, json=body, headers={**sign_in(CLERK.person_id), "If-Match": etag})
    assert clerk.status_code == 403
    assert clerk.json()["role_needed"] == "leading_group"
    # the leading group with the round's ETag resolves it
    response = client.post(url, json=body, headers={**leader, "If-Match": etag})
    assert response.status_code == 200, response.text
    assert response.headers["etag"] != etag
    assert client.get(f"/api/v1/rounds/{FEBRUARY}/conflicts", headers=leader).json() == []
    resolved = client.get(f"/api/v1/rounds/{FEBRUARY}", headers=leader).json()
    assert resolved["resolved_late_entries"][0]["resolution"] == "no_change"


def test_resolving_an_entry_that_is_not_late_is_a_422_and_records_nothing(
    client: TestClient, seeded: AssessmentLedger, late_entry: int, sign_in: SignIn
) -> None:
    leader = sign_in(LEADER.person_id)
    etag = client.get(f"/api/v1/rounds/{FEBRUARY}", headers=leader).headers["etag"]
    head = seeded.head_position()
    response = client.post(
        f"/api/v1/rounds/{FEBRUARY}/late-entry-resolutions",
        json={
            "entry_stream": str(seeded.staff_stream(STAFF)),
            "entry_version": late_entry - 1,  # the on-time deduction, known at the decision
            "resolution": "reopen",
            "reason": "no reason",
            "effective_on": "2025-03-10",
        },
        headers={**leader, "If-Match": etag},
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "LATE_ENTRY"
    assert seeded.head_position() == head


def test_resolving_in_a_round_never_opened_is_a_404(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.post(
        "/api/v1/rounds/2025-07/late-entry-resolutions",
        json={
            "entry_stream": str(seeded.staff_stream(STAFF)),
            "entry_version": 1,
            "resolution": "reopen",
            "reason": "x",
            "effective_on": "2025-03-10",
        },
        headers={**sign_in(LEADER.person_id), "If-Match": '"1"'},
    )
    assert response.status_code == 404


def test_unknown_fields_are_refused(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.post(
        "/api/v1/rounds",
        json={"period": FEBRUARY, "effective_on": "2025-03-03", "actor": "L001"},
        headers=sign_in(CLERK.person_id),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "extra_forbidden"


def test_given_a_late_entry_the_status_stays_decided_and_lists_it_for_the_leading_group(
    client: TestClient, seeded: AssessmentLedger, late_entry: int, sign_in: SignIn
) -> None:
    # when the leading group reads February's status after a late February entry
    response = client.get(f"/api/v1/rounds/{FEBRUARY}/status", headers=sign_in(LEADER.person_id))
    # then the decision stands, the conflict is listed, and the last step is the leading
    # group's resolution of it under D-13
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decided"] is True
    [conflict] = body["conflicts"]
    assert (conflict["subject"], conflict["version"]) == (STAFF, late_entry)
    assert body["current_step"] == "resolve_late_entries"
    step = body["steps"][-1]
    assert (step["key"], step["rule"], step["role"], step["done"]) == (
        "resolve_late_entries",
        "D-13",
        "leading_group",
        False,
    )
    [line] = step["missing"]
    assert line.startswith(f"{STAFF}: deduction ATT-01 of 2025-02-20 recorded")


def test_given_the_late_entry_resolved_the_status_lists_no_conflict_and_every_step_done(
    client: TestClient, seeded: AssessmentLedger, late_entry: int, sign_in: SignIn
) -> None:
    seeded.resolve_late_entry(
        LEADER,
        FEBRUARY,
        seeded.staff_stream(STAFF),
        late_entry,
        LateEntryResolution.NO_CHANGE,
        "the decision stands",
        date(2025, 3, 10),
    )

    body = client.get(f"/api/v1/rounds/{FEBRUARY}/status", headers=sign_in(LEADER.person_id)).json()

    assert (body["decided"], body["current_step"], body["conflicts"]) == (True, None, [])
    assert "resolve_late_entries" not in [step["key"] for step in body["steps"]]


def test_a_head_reads_the_conflicts_about_their_unit_s_people_only(
    client: TestClient, seeded: AssessmentLedger, late_entry: int, sign_in: SignIn
) -> None:
    # given a late February entry about S002 (W02) beside the one about S001 (W01)
    colleague_s = record(
        seeded, "INC-LATE-2", staff_number=COLLEAGUE, occurred_on=date(2025, 2, 21)
    ).number
    # when W02's head reads the conflicts and the status
    head = sign_in(COLLEAGUE)
    conflicts = client.get(f"/api/v1/rounds/{FEBRUARY}/conflicts", headers=head)
    status = client.get(f"/api/v1/rounds/{FEBRUARY}/status", headers=head).json()
    # then they get the one about their own person, as in the status, which says it is partial
    assert conflicts.status_code == 200, conflicts.text
    assert [(c["subject"], c["version"]) for c in conflicts.json()] == [(COLLEAGUE, colleague_s)]
    assert [c["subject"] for c in status["conflicts"]] == [COLLEAGUE]
    assert [line.split(":")[0] for line in status["steps"][-1]["missing"]] == [COLLEAGUE]
    assert status["partial"] is True
    # while the leading group gets both
    everything = client.get(
        f"/api/v1/rounds/{FEBRUARY}/conflicts", headers=sign_in(LEADER.person_id)
    ).json()
    assert [c["subject"] for c in everything] == [STAFF, COLLEAGUE]


def test_d13_after_a_reopening_the_sheet_is_prepared_and_approved_again_over_http(
    client: TestClient, seeded: AssessmentLedger, late_entry: int, sign_in: SignIn
) -> None:
    leader, clerk = sign_in(LEADER.person_id), sign_in(CLERK.person_id)
    # given the late entry resolved as a reopening
    etag = client.get(f"/api/v1/rounds/{FEBRUARY}", headers=leader).headers["etag"]
    reopening = client.post(
        f"/api/v1/rounds/{FEBRUARY}/late-entry-resolutions",
        json={
            "entry_stream": str(seeded.staff_stream(STAFF)),
            "entry_version": late_entry,
            "resolution": "reopen",
            "reason": "the sheet must count it",
            "effective_on": "2025-03-10",
        },
        headers={**leader, "If-Match": etag},
    )
    assert reopening.status_code == 200, reopening.text
    assert client.get(f"/api/v1/rounds/{FEBRUARY}", headers=leader).json()["reopened"] is True
    # when the clerk prepares the sheet again and the leading group approves it again
    prepared = client.post(
        f"/api/v1/bonus-sheets/{FEBRUARY}/preparations",
        json={"effective_on": "2025-03-10"},
        headers=clerk,
    )
    assert prepared.status_code == 201, prepared.text
    approved = client.post(
        f"/api/v1/bonus-sheets/{FEBRUARY}/approval",
        json={"decision_ref": "LG-2025-05", "effective_on": "2025-03-10"},
        headers={**leader, "If-Match": prepared.headers["etag"]},
    )
    assert approved.status_code == 200, approved.text
    # then the round shows the amended decision in force and the first one superseded
    after = client.get(f"/api/v1/rounds/{FEBRUARY}", headers=leader).json()
    assert after["decision"]["decision_ref"] == "LG-2025-05"
    assert [d["decision_ref"] for d in after["superseded_decisions"]] == ["LG-2025-02"]
    assert after["reopened"] is False
    # and the sheet its approval in force, with the earlier one kept
    sheet = client.get(f"/api/v1/bonus-sheets/{FEBRUARY}", headers=leader).json()
    assert sheet["approval"]["decision_ref"] == "LG-2025-05"
    assert [a["decision_ref"] for a in sheet["superseded_approvals"]] == ["LG-2025-02"]
