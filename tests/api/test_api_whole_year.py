"""A whole year of the small center over HTTP (issue 6, "done means"), on every store: the year of
`tests/procedures/test_whole_year.py`, where every step a non-operator role takes goes through
the API with that person's own bearer token, and every deciding step carries If-Match with the
ETag of a GET of its record. Only the operator's steps (the organisation, staff, appointments,
grants, calendars, appeal-case assignments) stay direct calls on the served ledger: SPEC section
5 makes the operator CLI-only. At the points where the application-level test checks a figure or
a refusal, the same check is made on what the API answers, so the two tests show the same year:
the deductions and the R-40 objection, the twelve sheets and two half-years (R-26–R-31), four
quarters (R-07–R-11, one unlinkable, the R-21 refusal), a late entry and a late veto listed and
resolved (D-13), the annual assessment to the authority's receipt (R-12–R-19, the D-20 refusal),
the review of an incompetent grade (R-41), the center's filing and its checkpoint (SPEC 7).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from year_over_http import SignIn, YearOverHttp

from api.app import create_app
from builders import (
    BRANCH,
    CLERK,
    COLLEAGUE,
    LEADER,
    OTHER_WINDOW,
    STAFF,
    WINDOW,
    at,
)
from ledger.aggregates.grade_challenge import ChallengeStage, GradeChallenge
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.filing.bundle import parse
from ledger.filing.verify import VerifierState, verify_bundle
from ledger.integrity.keys import KeyDirectory
from ledger.integrity.note import open_checkpoint, parse_verifier_key
from ledger.integrity.store_audit import verify_store
from ledger.policy.grades import Grade
from ledger.settings import Settings
from ledger.values import OPERATOR
from procedures.test_whole_year import (
    AUTHORITY,
    COMMITTEE,
    HALVES,
    MONTHS,
    OFFICER,
    QUARTERS,
    REVIEWER,
    SECRETARY,
    W01_STAFF,
    W02_STAFF,
    YEAR,
    decided_on,
    seed_small_center,
)

ORIGIN = "assessment-ledger.test/center"
YEAR_URL = f"/api/v1/years/{YEAR}"
Q1_VOTERS = {
    STAFF: WINDOW,
    W01_STAFF: WINDOW,
    "H001": WINDOW,
    COLLEAGUE: OTHER_WINDOW,
    W02_STAFF: OTHER_WINDOW,
    "H002": OTHER_WINDOW,
}
"""Q1's voters as in the application-level test: the windows' people, each with their window."""


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    """The log's key, so that every period decided over HTTP publishes a checkpoint."""
    KeyDirectory(tmp_path / "keys").generate(ORIGIN)
    return tmp_path / "keys"


@pytest.fixture
def app(store_url: str, key_dir: Path) -> FastAPI:
    """The API on each store, with the log's key in its key directory."""
    return create_app(
        Settings(
            database_url=store_url,
            jwt_secret="a test key for the API's tokens, not used anywhere else",
            key_dir=key_dir,
            log_origin=ORIGIN,
        )
    )


def test_a_whole_year_over_http_each_step_by_its_role_r07_r19_r26_r31_r40_r41_d13_d20(
    client: TestClient,
    served_ledger: AssessmentLedger,
    sign_in: SignIn,
    clock: SettableClock,
    key_dir: Path,
) -> None:
    """R-07–R-19, R-26–R-31, R-40, R-41, D-13, D-20 over HTTP: the same year, the same figures."""
    ledger = served_ledger
    http = YearOverHttp(client, sign_in, ledger, clock)
    clerk, leader = CLERK.person_id, LEADER.person_id

    # given the small center and its calendars, recorded by the operator (CLI-only, SPEC 5)
    clock.set(at(date(2025, 1, 2)))
    seed_small_center(ledger)
    members = {row["staff_number"]: row["unit_code"] for row in http.participants(YEAR)}

    # January: the clerk records S001 curt with a client (2 points); the sheet is approved
    clock.set(at(date(2025, 1, 17)))
    http.record("INC-JAN", staff_number=STAFF, item_code="SRV-01", occurred_on=date(2025, 1, 15))
    http.decide_sheet(MONTHS[0], decided_on(ledger, MONTHS[0]))

    # February: S002 absent two half days (6 points) on a complaint, notified; S002 objects and
    # the clerk amends it to one half day under If-Match on S002's record (R-40)
    clock.set(at(date(2025, 2, 12)))
    absence = http.record(
        "INC-FEB",
        staff_number=COLLEAGUE,
        item_code="ATT-05",
        occurred_on=date(2025, 2, 10),
        source="complaint",
        quantity=2,
        evidence_ref="complaint 2025-014",
    )
    entry = f"/api/v1/staff/{COLLEAGUE}/deductions/{absence}"
    http.step(clerk, f"{entry}/notification", {"effective_on": "2025-02-12"})
    clock.set(at(date(2025, 2, 14)))
    objection = http.post(
        COLLEAGUE,
        f"/api/v1/staff/{COLLEAGUE}/objections",
        {"entry": absence, "grounds": "I was off sick half a day", "effective_on": "2025-02-13"},
        expect=201,
    ).json()["number"]
    http.step(
        clerk,
        f"/api/v1/staff/{COLLEAGUE}/objections/{objection}/decision",
        {
            "outcome": "amended",
            "reason": "sick note for the afternoon",
            "decision_ref": "SO-2025-02",
            "effective_on": "2025-02-14",
            "quantity": 1,
        },
        if_match=http.etag(clerk, f"/api/v1/staff/{COLLEAGUE}"),
    )
    # S002 reads the entry as it now stands: one half day, the objection decided
    amended = http.read(COLLEAGUE, entry)
    assert (amended["quantity"], amended["points_applied"]) == (1, "3.0")
    assert [o["outcome"] for o in amended["objections"]] == ["amended"]
    http.decide_sheet(MONTHS[1], decided_on(ledger, MONTHS[1]))
    # then the sheet over HTTP shows S002's bonus halved at 3 points and W02's head liable
    #
    sheet = http.read(leader, f"/api/v1/bonus-sheets/{MONTHS[1]}")
    (line,) = [x for x in sheet["lines"] if x["staff_number"] == COLLEAGUE]
    assert (line["status"], line["total"]) == ("halved", "3.0")
    (item,) = sheet["head_liability"]
    assert (item["staff_number"], item["owed_by"]) == (COLLEAGUE, "H002")
    assert sheet["criticism_notice"] == [COLLEAGUE]
    assert sheet["approval"]["decision_ref"] == f"LG-{MONTHS[1]}"

    # March: S001 late by 40 minutes (1 point: 3 in Q1)
    clock.set(at(date(2025, 3, 14)))
    http.record("INC-MAR", staff_number=STAFF, item_code="ATT-02", occurred_on=date(2025, 3, 12))
    http.decide_sheet(MONTHS[2], decided_on(ledger, MONTHS[2]))

    # Q1 by hand, open ballots from the windows' people
    quarter, day = QUARTERS[0], decided_on(ledger, QUARTERS[0], 2)
    clock.set(at(day, 17))
    http.open_round(quarter, day)
    http.opinion_and_compilation(quarter, OFFICER.person_id, W01_STAFF, day)
    compilation = http.read(clerk, f"/api/v1/quarters/{quarter}")["compilation"]
    assert compilation["late"] is False  # D-16
    http.mutual_evaluation(quarter, BRANCH, SECRETARY.person_id, "open", Q1_VOTERS, day)
    # when the secretary recommends S001, with 3 points in Q1: a 422 naming R-21 and the events
    refusal = http.refused(
        SECRETARY.person_id,
        f"/api/v1/quarters/{quarter}/branches/{BRANCH}/recommendations",
        {"excellent_individuals": [STAFF], "excellent_windows": [], "effective_on": str(day)},
        "R-21",
    )
    assert (refusal["fields"]["subject"], refusal["fields"]["barred_by"]) == (STAFF, ["R-21"])
    events = refusal["fields"]["events"]  # S001's January and March deductions
    assert [ref.split("/")[0] for ref in events] == [str(ledger.staff_stream(STAFF))] * 2
    http.recommendations(quarter, BRANCH, SECRETARY.person_id, [W01_STAFF], [], day)
    http.examine(quarter, [W01_STAFF], [], day)
    assert http.decide_quarter(quarter, day)["individuals"] == [W01_STAFF]

    # April to June: S004 refuses an instruction in May (3 points: halved, head liability)
    http.decide_sheet(MONTHS[3], decided_on(ledger, MONTHS[3]))
    clock.set(at(date(2025, 5, 8)))
    http.record("INC-MAY", staff_number=W01_STAFF, item_code="DSC-07", occurred_on=date(2025, 5, 6))
    for period_key in (*MONTHS[4:6], HALVES[0]):
        http.decide_sheet(period_key, decided_on(ledger, period_key))
    may = http.read(leader, f"/api/v1/bonus-sheets/{MONTHS[4]}")
    assert [(i["staff_number"], i["owed_by"]) for i in may["head_liability"]] == [
        (W01_STAFF, "H001")
    ]
    # Q2 with unlinkable ballots from every member of B1
    quarter, day = QUARTERS[1], decided_on(ledger, QUARTERS[1], 2)
    clock.set(at(day, 17))
    http.open_round(quarter, day)
    http.examine_quarter(
        quarter,
        day,
        officer=OFFICER.person_id,
        subject=min(members),
        branch=BRANCH,
        secretary=SECRETARY.person_id,
        members=members,
        mode="unlinkable",
    )
    http.decide_quarter(quarter, day)
    (evaluation,) = http.read(leader, f"/api/v1/quarters/{quarter}")["mutual_evaluations"]
    assert (evaluation["mode"], evaluation["ballot_count"]) == ("unlinkable", 9)

    # when the clerk records a June deduction after the quarter's decision (SPEC section 3)
    clock.set(at(date(2025, 7, 15)))
    late = http.record(
        "INC-JUN-LATE", staff_number=W02_STAFF, item_code="ATT-02", occurred_on=date(2025, 6, 20)
    )
    # then the round lists it as a conflict of Q2 (and of June and H1) until the leading group
    # resolves it over HTTP
    (conflict,) = http.read(leader, f"/api/v1/rounds/{quarter}/conflicts")
    assert (conflict["subject"], conflict["version"], conflict["change"]) == (
        W02_STAFF,
        late,
        "recorded",
    )
    # and the status, still decided (the result stands), lists it for the leading group (D-13)
    status = http.status(quarter)
    assert (status["decided"], status["current_step"]) == (True, "resolve_late_entries")
    assert [c["version"] for c in status["conflicts"]] == [late]
    listed = http.resolve_conflicts([MONTHS[5], QUARTERS[1], HALVES[0]], date(2025, 7, 15))
    assert QUARTERS[1] in listed and MONTHS[5] in listed

    # July to September: S001 loses a seal in September (4 points: 7 in the year, R-22)
    for period_key in MONTHS[6:8]:
        http.decide_sheet(period_key, decided_on(ledger, period_key))
    clock.set(at(date(2025, 9, 5)))
    http.record("INC-SEP", staff_number=STAFF, item_code="REC-02", occurred_on=date(2025, 9, 3))
    http.decide_sheet(MONTHS[8], decided_on(ledger, MONTHS[8]))
    quarter, day = QUARTERS[2], decided_on(ledger, QUARTERS[2], 2)
    clock.set(at(day, 17))
    http.open_round(quarter, day)
    http.examine_quarter(
        quarter,
        day,
        officer=OFFICER.person_id,
        subject=min(members),
        branch=BRANCH,
        secretary=SECRETARY.person_id,
        members=members,
        individuals=[COLLEAGUE],
        windows=[OTHER_WINDOW],
    )
    results = http.decide_quarter(quarter, day)
    assert (results["individuals"], results["windows"]) == ([COLLEAGUE], [OTHER_WINDOW])

    # October to December, the second half-year and the fourth quarter
    for period_key in (*MONTHS[9:12], HALVES[1]):
        http.decide_sheet(period_key, decided_on(ledger, period_key))
    quarter, day = QUARTERS[3], decided_on(ledger, QUARTERS[3], 2)
    clock.set(at(day, 17))
    http.open_round(quarter, day)
    http.examine_quarter(
        quarter,
        day,
        officer=OFFICER.person_id,
        subject=min(members),
        branch=BRANCH,
        secretary=SECRETARY.person_id,
        members=members,
    )
    http.decide_quarter(quarter, day)

    # the annual assessment: S001 (7 points) proposed incompetent, H002 excellent
    clock.set(at(date(2026, 1, 12), 17))
    http.open_round(str(YEAR), date(2026, 1, 5))
    grades = http.evaluate_year(
        YEAR,
        date(2026, 1, 9),
        secretaries={BRANCH: SECRETARY.person_id},
        grades={STAFF: Grade.INCOMPETENT, "H002": Grade.EXCELLENT},
    )
    # when two of the seven civil servants are graded excellent: a 422 naming D-20 (limit 1)
    refusal = http.refused(
        leader,
        f"{YEAR_URL}/preliminary-grades",
        {"grades": {**grades, "H003": Grade.EXCELLENT}, "effective_on": "2026-01-12"},
        "D-20",
    )
    assert refusal["fields"] == {"category": "civil_servant", "limit": 1}
    http.step(
        leader, f"{YEAR_URL}/preliminary-grades", {"grades": grades, "effective_on": "2026-01-12"}
    )
    http.step(
        leader, f"{YEAR_URL}/excellent-windows", {"windows": [], "effective_on": "2026-01-12"}
    )
    http.step(clerk, f"{YEAR_URL}/publicity", {"effective_on": "2026-01-12"})
    assert http.read(leader, YEAR_URL)["publicity"]["excellent_staff"] == ["H002"]
    # S001 reads the publicity and objects to H002; the leading group dismisses it
    publicity = http.read(STAFF, f"{YEAR_URL}/publicity")
    assert [row["staff_number"] for row in publicity["excellent_staff"]] == ["H002"]
    clock.set(at(date(2026, 1, 20), 17))
    raised = http.post(
        STAFF,
        f"{YEAR_URL}/publicity/objections",
        {"subject": "H002", "text": "the head was absent in May", "effective_on": "2026-01-14"},
        expect=201,
    ).json()["number"]
    http.step(
        leader,
        f"{YEAR_URL}/publicity/objections/{raised}/resolution",
        {"outcome": "dismissed", "reason": "attendance records", "effective_on": "2026-01-15"},
        if_match=http.etag(leader, YEAR_URL),
    )
    # the Party Working Committee approves the list (D-22), the leading group the results
    http.step(
        COMMITTEE.person_id,
        f"{YEAR_URL}/approval",
        {"effective_on": "2026-01-20"},
        if_match=http.etag(COMMITTEE.person_id, YEAR_URL),
    )
    clock.set(at(date(2026, 1, 27), 17))
    http.step(
        leader,
        f"{YEAR_URL}/results",
        {"decision_ref": "LG-2026-03", "effective_on": "2026-01-21"},
        if_match=http.etag(leader, YEAR_URL),
    )
    # each participant notified, signing on their own record's ETag, filed with the home unit
    participants = sorted(http.read(clerk, YEAR_URL)["grades"])
    assert participants == sorted(members)
    for number in participants:
        http.step(
            clerk,
            f"{YEAR_URL}/notifications",
            {"staff_number": number, "effective_on": "2026-01-22"},
        )
        mine = f"/api/v1/staff/{number}"
        http.step(
            number,
            f"{YEAR_URL}/signature",
            {"opinion": "seen", "agrees": number != STAFF, "effective_on": "2026-01-23"},
            if_match=http.etag(number, mine),
        )
        http.step(
            clerk,
            f"{YEAR_URL}/home-unit-filings",
            {
                "staff_number": number,
                "home_unit": http.read(clerk, mine)["home_unit"],
                "reference": f"HU-{number}",
                "effective_on": "2026-01-26",
            },
        )
    filing = {"reference": "filing 2025/1"}
    filed_at = http.step(
        clerk, f"{YEAR_URL}/higher-authority-filing", {**filing, "effective_on": "2026-01-26"}
    )["position"]
    http.step(
        AUTHORITY.person_id,
        f"{YEAR_URL}/higher-authority-filing/receipt",
        {**filing, "effective_on": "2026-01-27"},
    )
    annual = http.read(leader, YEAR_URL)
    assert annual["receipt_on"] == "2026-01-27"
    assert (annual["grades"][STAFF], annual["grades"]["H002"]) == ("incompetent", "excellent")
    assert set(annual["notified"]) == set(annual["filed_with_home_unit"]) == set(participants)

    # when the clerk records a November veto case against S002 after the year's decision (D-13)
    clock.set(at(date(2026, 2, 2), 17))
    veto = http.post(
        clerk,
        f"/api/v1/staff/{COLLEAGUE}/veto-cases",
        {
            "case": "V7",
            "occurred_on": "2025-11-10",
            "incident_ref": "INC-NOV-VETO",
            "evidence_ref": "monitoring record 2025-11-10",
            "verification": "verified",
            "source": "e_supervision_system",
        },
        expect=201,
    ).json()["number"]
    # then the decided year lists it, and the leading group resolves it there and in Q4
    year_conflicts = http.read(leader, f"/api/v1/rounds/{YEAR}/conflicts")
    assert [(c["version"], c["what"]) for c in year_conflicts] == [(veto, "veto")]
    listed = http.resolve_conflicts(
        [MONTHS[10], QUARTERS[3], HALVES[1], str(YEAR)], date(2026, 2, 2)
    )
    assert {str(YEAR), QUARTERS[3]} <= set(listed)

    # S001 asks for a review of the incompetent grade; the assigned reviewer upholds it
    for stage in ChallengeStage:  # the operator assigns the case (CLI-only)
        case = GradeChallenge.case_id(STAFF, YEAR, stage)
        ledger.assign_appeal_case(OPERATOR, case, STAFF, REVIEWER.person_id, date(2026, 1, 22))
    challenge = f"/api/v1/staff/{STAFF}/grade-challenges/{YEAR}"
    result = http.read(STAFF, f"/api/v1/staff/{STAFF}/years/{YEAR}")
    assert (result["grade"], result["clock"]["may_request_review"]) == ("incompetent", True)
    http.post(STAFF, f"{challenge}/review", {"effective_on": "2026-02-02"}, expect=201)
    clock.set(at(date(2026, 2, 10), 17))
    reviewer = REVIEWER.person_id
    http.step(
        reviewer,
        f"{challenge}/review/decision",
        {"decision_ref": "RV-2026-01", "reason": "the points stand", "effective_on": "2026-02-10"},
        if_match=http.etag(reviewer, challenge),
    )
    decided = http.read(STAFF, challenge)
    assert decided["review"]["outcome"] == "upheld"
    assert decided["standing_grade"] == "incompetent"

    # the center's filing of the year, exported over HTTP to the higher authority, verifies
    # offline at the latest checkpoint, which the filing with the higher authority published
    # (R-19, SPEC 7): it covers the notifications, signatures and home-unit filings before it.
    # Nothing after it publishes one (the operator's `ledger checkpoint publish` would), so the
    # late veto and the review are not in it.
    vkey = (key_dir / "log.vkey").read_text(encoding="utf-8").strip()
    note = http.get(AUTHORITY.person_id, "/api/v1/checkpoints/latest").text
    checkpoint, _ = open_checkpoint(note, [parse_verifier_key(vkey)], origin=ORIGIN)
    decision = http.read(leader, f"/api/v1/rounds/{YEAR}")["decision"]
    assert checkpoint.size > decision["decided_at_position"]
    exported = parse(http.get(AUTHORITY.person_id, f"/api/v1/filings/{YEAR}").content)
    assert exported.checkpoint == note
    # the filing is the last event the checkpoint covers (its stream-heads leaf follows it)
    assert max(event.position for event in exported.events) == filed_at
    report = verify_bundle(exported, [vkey], state=VerifierState())
    assert report.verified, report.text()
    (filed,) = [d for d in exported.decisions if d.kind == "year-results"]
    assert filed.decided is not None and filed.decided["grades"] == annual["grades"]

    # at the end every period's status over HTTP says decided with no conflict left open, and the
    # store's audit passes
    for period_key in (*MONTHS, *HALVES, *QUARTERS, str(YEAR)):
        status = http.status(period_key)
        assert status["decided"] is True, period_key
        assert status["conflicts"] == [], period_key
        assert http.read(leader, f"/api/v1/rounds/{period_key}")["decision"] is not None
    audit = verify_store(ledger)
    assert audit.ok, audit.problem
