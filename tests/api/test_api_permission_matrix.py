"""The permission matrix of SPEC section 5: every route under /api/v1 x every role.

The routes are enumerated from the app, so a route added without a row here fails
`test_every_route_has_a_row`. Each (route, role) pair is one test case, named by both.

The center (built with the application, as the operator would): branch B1; window W01 and
office O01 (both of B1); staff member S001 assigned to W01; rounds 2025-03, 2025-Q1 and 2025
opened by the clerk. One person per role, with the scope noted:

    C001  supervision_clerk        center-wide (granted)
    F001  functional_office        office O01 (granted per office)
    B001  branch_secretary         branch B1 (appointment)
    H001  window_head              unit W01 (head appointment)
    K001  office_head              unit O01 (head appointment)
    P001  leader_in_charge         unit W01 (appointment)
    L001  leading_group            center-wide (membership)
    M001  party_working_committee  center-wide (membership)
    S001  staff                    own records (registered)
    A001  appeal_reviewer          cases review/ and appeal/S001/2025 (assigned)
    X001  higher_authority         center-wide (granted)

The requests name S001, W01, B1 and the periods above, so the scoped roles are in scope for
them, except the office head and the functional office, whose unit is O01 (so they read
neither S001 nor W01). An "allowed" cell means the role is not refused (no 401 or 403); the
request may still be refused for what it says (404 no such objection, 409, 412, 422 rule,
428) since bodies are minimal. A "-" cell must be 403, problem+json naming `role_needed`.

Everyone above is a registered staff member (an account is opened only for a registered person,
and roles are granted only to one), so everyone holds `staff` for their own records (SPEC
section 5): the routes that act on the caller's own records (ballot, self-summary, forms,
signature, publicity objection) are open to every role, and refuse the non-participants by rule
(422 R-10, R-12 ...); the staff routes that name S001 are S001's only.

Cells, by route group (C clerk, F functional office, B branch secretary, H window head, K
office head, P leader in charge, L leading group, M committee, S staff, A appeal reviewer,
X higher authority; "x" allowed):

    route group                                       C F B H K P L M S A X
    staff record, events, figures, explanations,
      grade challenge (S001)                          x - x x - x x x x x -
    staff's deductions, one deduction, annual
      result (S001)                                   x - x x - x x x x x -
    staff list, unit list (their units' people)       x - x x x x x x - - -
    unit members on a day (W01)                       x - x x - x x x - - -
    unit record, events, figures, explanations (W01)  x - x x - x x x - - -
    live event stream (dashboards)                    x - - - - - x x - - -
    record / amend / revoke deduction (acting_as)     x - - - - - x - - - -
    notify deduction / veto case / amendment          x - - - - - - - - - -
    read veto cases, one veto case (S001)             x - x x - x x x x x -
    read window deductions, one entry (W01)           x - x x - x x x - - -
    record / amend / revoke window deduction
      (acting_as)                                     x - - - - - x - - - -
    record veto case                                  x - - - - - - - - - -
    revoke veto case (acting_as)                      x - - - - - x - - - -
    raise objection, request review, lodge appeal     - - - - - - - - x - -
    decide objection (acting_as)                      x - - - - - x - - - -
    decide review, extend / decide appeal             - - - - - - - - - x -
    open round                                        x - - - - - - - - - -
    read round, round status, round conflicts,
      year participants (procedure readers)           x - x x x x x x - - -
    decided figures, bonus sheet, quarterly
      evaluation, annual assessment reads             x - - - - - x x - - -
    publicity (every staff member)                    x x x x x x x x x x x
    late-entry resolution                             - - - - - - x - - - -
    prepare bonus sheet                               x - - - - - - - - - -
    head liability, approve bonus sheet               - - - - - - x - - - -
    submit opinion (office O01)                       - x - - - - - - - - -
    compile opinions                                  x - - - - - - - - - -
    mutual evaluation, tally, recommend, joint
      branch meeting (branch B1)                      - - x - - - - - - - -
    cast ballot (own)                                 x x x x x x x x x x x
    examination, quarter results                      - - - - - - x - - - -
    self-summary, registration form, mutual-
      evaluation form, signature, publicity objection
      (own)                                           x x x x x x x x x x x
    evaluate S001 (acting_as a head or leader)        - - - x - - - - - - -
    countersign (acting_as)                           x - - - - x x - - - -
    recommendation form (W01)                         - - - x - - - - - - -
    preliminary grades, excellent windows,
      publicity objection resolution, year results    - - - - - - x - - - -
    approve the excellent list                        - - - - - - - x - - -
    start publicity, notify result, filings           x - - - - - - - - - -
    filing receipt                                    - - - - - - - - - - x
    checkpoints, proofs, filings (reads)              x - - - - - x - - - x

Run on the memory store only, with one center built for the module: who may do what is decided
above the store, and a center per case (about 800) took minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.app import create_app
from api.auth import issue_token
from api.problems import PROBLEM_MEDIA_TYPE
from ledger.accounts import Accounts
from ledger.aggregates.grade_challenge import ChallengeStage, GradeChallenge
from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.settings import Settings
from ledger.values import OPERATOR, Actor, DeductionSource, Role, StaffCategory, UnitKind

SignIn = Callable[[str], dict[str, str]]

START = date(2025, 1, 2)
TODAY = "2025-03-10"
CLERK = Actor("C001", Role.SUPERVISION_CLERK)
SOURCE = DeductionSource.SUPERVISION_INSPECTION

PEOPLE: dict[Role, str] = {
    Role.SUPERVISION_CLERK: "C001",
    Role.FUNCTIONAL_OFFICE: "F001",
    Role.BRANCH_SECRETARY: "B001",
    Role.WINDOW_HEAD: "H001",
    Role.OFFICE_HEAD: "K001",
    Role.LEADER_IN_CHARGE: "P001",
    Role.LEADING_GROUP: "L001",
    Role.PARTY_WORKING_COMMITTEE: "M001",
    Role.STAFF: "S001",
    Role.APPEAL_REVIEWER: "A001",
    Role.HIGHER_AUTHORITY: "X001",
}
ROLES = list(PEOPLE)

C, F, B, H, K, P, L, M, S, A, X = ROLES

STAFF_READERS = {C, B, H, P, L, M, S, A}
UNIT_READERS = {C, B, H, P, L, M}
DASHBOARD = {C, L, M}
PROCEDURE_READERS = {C, B, H, K, P, L, M}
OWN_RECORDS = set(ROLES)  # every person of the center is a registered staff member
INTEGRITY_READERS = {C, L, X}

MATRIX: dict[str, set[Role]] = {
    # staff and unit records (scoped reads)
    "read_staff_member": STAFF_READERS,
    "list_staff_events": STAFF_READERS,
    "list_staff_figures": STAFF_READERS,
    "explain_staff_figure": STAFF_READERS,
    "read_grade_challenge": STAFF_READERS,
    "list_staff_deductions": STAFF_READERS,
    "read_staff_deduction": STAFF_READERS,
    "read_annual_result": STAFF_READERS,
    "list_staff": PROCEDURE_READERS,  # those who read some unit: its people
    "list_units": PROCEDURE_READERS,
    "list_unit_members": UNIT_READERS,
    "read_unit": UNIT_READERS,
    "list_unit_events": UNIT_READERS,
    "list_unit_figures": UNIT_READERS,
    "explain_unit_figure": UNIT_READERS,
    "stream_events": DASHBOARD,
    # deductions
    "record_deduction": {C, L},
    "amend_deduction": {C, L},
    "revoke_deduction": {C, L},
    "notify_deduction": {C},
    "notify_veto_case": {C},
    "notify_amendment": {C},
    # window deductions and veto cases
    "list_window_deductions": UNIT_READERS,
    "read_window_deduction": UNIT_READERS,
    "record_window_deduction": {C, L},
    "amend_window_deduction": {C, L},
    "revoke_window_deduction": {C, L},
    "list_veto_cases": STAFF_READERS,
    "read_veto_case": STAFF_READERS,
    "record_veto_case": {C},
    "revoke_veto_case": {C, L},
    # objections, reviews and appeals
    "raise_objection": {S},
    "decide_objection": {C, L},
    "request_review": {S},
    "lodge_appeal": {S},
    "decide_review": {A},
    "extend_appeal": {A},
    "decide_appeal": {A},
    # rounds
    "open_round": {C},
    "read_round": PROCEDURE_READERS,
    "read_round_status": PROCEDURE_READERS,
    "list_round_conflicts": PROCEDURE_READERS,
    "read_decided_figures": DASHBOARD,
    "resolve_late_entry": {L},
    # bonus sheets
    "read_bonus_sheet": DASHBOARD,
    "prepare_bonus_sheet": {C},
    "decide_head_liability": {L},
    "approve_bonus_sheet": {L},
    # the quarterly evaluation
    "read_quarterly_evaluation": DASHBOARD,
    "submit_opinion": {F},
    "compile_opinions": {C},
    "open_mutual_evaluation": {B},
    "cast_ballot": OWN_RECORDS,
    "tally_mutual_evaluation": {B},
    "recommend": {B},
    "examine_recommendations": {L},
    "decide_quarter_results": {L},
    "amend_quarter_results": {L},
    # the annual assessment
    "read_annual_assessment": DASHBOARD,
    "list_year_participants": PROCEDURE_READERS,
    "read_publicity": OWN_RECORDS,
    "submit_self_summary": OWN_RECORDS,
    "submit_registration_form": OWN_RECORDS,
    "submit_mutual_evaluation_form": OWN_RECORDS,
    "sign_result": OWN_RECORDS,
    "evaluate": {H},  # the leader in charge evaluates heads, not staff
    "countersign": {C, P, L},
    "submit_recommendation_form": {H},
    "hold_joint_branch_meeting": {B},
    "fix_preliminary_grades": {L},
    "decide_annual_excellent_windows": {L},
    "start_publicity": {C},
    "raise_publicity_objection": OWN_RECORDS,
    "resolve_publicity_objection": {L},
    "approve_excellent_list": {M},
    "decide_year_results": {L},
    "amend_year_results": {L},
    "notify_result": {C},
    "file_with_home_unit": {C},
    "file_with_higher_authority": {C},
    "record_filing_receipt": {X},
    # integrity
    "list_checkpoints": INTEGRITY_READERS,
    "read_latest_checkpoint": INTEGRITY_READERS,
    "read_inclusion_proof": INTEGRITY_READERS,
    "read_consistency_proof": INTEGRITY_READERS,
    "export_center_filing": INTEGRITY_READERS,
    "export_staff_filing": INTEGRITY_READERS,
}
"""Who may call each route (by its operation id); everyone else gets 403."""

KNOWN_GAPS: set[str] = set()
"""Routes whose refused cells do not yet hold (strict xfail: a cell that holds fails as XPASS,
so fixed routes leave the set): none since the role is checked before the record's state."""

EVERYONE = set(ROLES)
OPEN_TO_ANY_ACCOUNT = {"sign_in": EVERYONE, "read_me": EVERYONE}
"""Signing in and asking who the token names need no role."""

PATH_VALUES = {
    "staff_number": "S001",
    "subject": "S001",
    "code": "W01",
    "branch": "B1",
    "year": "2025",
    "number": "1",
    "figure": "excellent_individual",
}
PERIODS = {"/bonus-sheets/": "2025-03", "/quarters/": "2025-Q1", "/rounds/": "2025-Q1"}

BODY_OVERRIDES: dict[str, dict[str, Any]] = {
    "submit_opinion": {"office": "O01"},
    "evaluate": {"subject": "S001"},
    # A round already open (the clerk is refused by rule, so the center does not change), and
    # a stream id in the form the request needs.
    "open_round": {"period": "2025-03"},
    "resolve_late_entry": {"entry_stream": str(AssessmentLedger.staff_stream("S001"))},
}
"""Fields set so that a request is valid and an allowed role is in scope (the rest come from
the document)."""


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route under /api/v1, as the app serves it."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and (context.path or "").startswith("/api/v1"):
            found.append(route)
    return found


ROUTES = {route.name: route for route in api_routes(create_app())}


def test_every_route_has_a_row() -> None:
    assert set(ROUTES) == set(MATRIX) | set(OPEN_TO_ANY_ACCOUNT)


@pytest.fixture(scope="module")
def center() -> Iterator[tuple[FastAPI, TestClient, SignIn]]:
    """The center of the module's docstring, on the memory store, built once for the module
    (a command an allowed role gets through changes nothing any other cell depends on)."""
    app = create_app(
        Settings(
            database_url="memory://",
            jwt_secret="a key for the permission matrix tokens, not used elsewhere",
        )
    )
    with TestClient(app) as client:
        ledger: AssessmentLedger = app.state.ledger
        ledger.clock = SettableClock(datetime(2025, 3, 10, 9, 30, tzinfo=CENTER_TIMEZONE))
        _staff_the_center(ledger)
        accounts = Accounts(ledger, PasswordHash((Argon2Hasher(1, 8, 1),)))
        tokens = {
            person: {
                "Authorization": "Bearer "
                + issue_token(
                    accounts.create(person.lower(), person, "a test password, unused"),
                    app.state.signing_key,
                    60,
                )
            }
            for person in PEOPLE.values()
        }
        yield app, client, tokens.__getitem__


def _staff_the_center(ledger: AssessmentLedger) -> None:
    ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "initial")
    ledger.form_party_branch(OPERATOR, "B1", "First branch", date(2025, 1, 1))
    ledger.open_unit(OPERATOR, "W01", "Tax", UnitKind.WINDOW, "Tax bureau", "B1", date(2025, 1, 1))
    ledger.open_unit(
        OPERATOR, "O01", "Supervision", UnitKind.OFFICE, "Center", "B1", date(2025, 1, 1)
    )
    for person in PEOPLE.values():
        ledger.register_staff(
            OPERATOR, person, f"name {person}", StaffCategory.CIVIL_SERVANT, "Center", START
        )
    ledger.assign_staff(OPERATOR, "S001", "W01", START)
    ledger.grant_role(OPERATOR, "C001", Role.SUPERVISION_CLERK, START)
    ledger.grant_role(OPERATOR, "F001", Role.FUNCTIONAL_OFFICE, START, scope="O01")
    ledger.grant_role(OPERATOR, "X001", Role.HIGHER_AUTHORITY, START)
    ledger.appoint_branch_secretary(OPERATOR, "B1", "B001", START)
    ledger.appoint_head(OPERATOR, "W01", "H001", START)
    ledger.appoint_head(OPERATOR, "O01", "K001", START)
    ledger.appoint_leader_in_charge(OPERATOR, "W01", "P001", START)
    ledger.appoint_leading_group_member(OPERATOR, "L001", START)
    ledger.appoint_committee_member(OPERATOR, "M001", START)
    for stage in (ChallengeStage.REVIEW, ChallengeStage.APPEAL):
        case = GradeChallenge.case_id("S001", 2025, stage)
        ledger.assign_appeal_case(OPERATOR, case, "S001", "A001", START)
    ledger.record_deduction(CLERK, "S001", "ATT-01", date(2025, 3, 3), "INC-1", "photo-1", SOURCE)
    for period in ("2025-03", "2025-Q1", "2025"):
        ledger.open_round(CLERK, period, date(2025, 3, 10))


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _has_dates(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether an object's fields include dates (its examples' dates are not today's)."""
    return any(
        _resolve(document, field).get("format") == "date"
        or any(_resolve(document, o).get("format") == "date" for o in field.get("anyOf", []))
        for field in schema.get("properties", {}).values()
    )


def _value(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A plausible value for a schema: its example, else the simplest value of its type."""
    schema = _resolve(document, schema)
    if schema.get("format") == "date":
        return TODAY
    if schema.get("examples") and not _has_dates(document, schema):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(document, o).get("type") != "null"]
            return _value(document, options[0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _value(document, schema["properties"][name])
            for name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    return "x"


def _request(
    document: dict[str, Any], route: APIRoute, role: Role
) -> tuple[str, str, dict[str, Any], dict[str, str], Any]:
    """Method, URL, query, headers and JSON body of a minimal plausible request."""
    method = sorted(route.methods)[0]
    operation = document["paths"][route.path][method.lower()]
    path = route.path
    params: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        if where == "path":
            if name == "period":
                value = next((v for k, v in PERIODS.items() if k in route.path), "2025-03")
            else:
                value = PATH_VALUES.get(name) or str(_value(document, parameter["schema"]))
            path = path.replace("{" + name + "}", value)
        elif where == "query":
            schema = _resolve(document, parameter["schema"])
            if name == "acting_as":
                params[name] = role.value if role.value in schema["enum"] else schema["enum"][0]
            elif parameter.get("required"):
                params[name] = _value(document, schema)
        elif where == "header" and name == "If-Match":
            headers[name] = '"1"'
    headers["Idempotency-Key"] = f"matrix-{route.name}-{role.value}"
    body = None
    if "requestBody" in operation:
        content = operation["requestBody"]["content"]
        if "application/json" in content:
            body = _value(document, content["application/json"]["schema"])
            body.update(BODY_OVERRIDES.get(route.name, {}))
    return method, path, params, headers, body


@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_a_route_is_open_to_its_roles_and_refused_to_the_others(
    name: str,
    role: Role,
    center: tuple[FastAPI, TestClient, SignIn],
    request: pytest.FixtureRequest,
) -> None:
    app, client, sign_in = center
    if name in KNOWN_GAPS and role not in MATRIX[name]:
        request.applymarker(pytest.mark.xfail(reason="refused before the role is checked"))
    route = ROUTES[name]
    document = app.openapi()
    method, path, params, headers, body = _request(document, route, role)
    if "If-Match" in headers and path.startswith("/api/v1/staff/"):
        # The staff record's ETag as read, so a stale version is not what refuses the request.
        record = client.get("/api/v1/staff/S001", headers=sign_in("C001"))
        headers["If-Match"] = record.headers["ETag"]
    if "If-Match" in headers and path.startswith("/api/v1/units/"):
        # Likewise the window's record (window-level deductions).
        record = client.get("/api/v1/units/W01", headers=sign_in("C001"))
        headers["If-Match"] = record.headers["ETag"]
    headers.update(sign_in(PEOPLE[role]))
    if name == "stream_events" and role in MATRIX[name]:
        with client.stream(method, path, params=params, headers=headers) as response:
            status = response.status_code
        assert status == 200
        return
    response = client.request(method, path, params=params, headers=headers, json=body)
    if role in MATRIX[name]:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.json()["role_needed"]
