"""Every error leaves as an RFC 9457 problem: domain refusals, bad requests, unknown paths and
unexpected failures."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from ledger.errors import (
    ConcurrentWrite,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    LedgerError,
    RecordNotFound,
    RoleRequired,
    RuleViolation,
)


def raising(app: FastAPI, error: Exception) -> str:
    """Mount a route that raises the error, and return its path."""

    def fail() -> None:
        raise error

    app.add_api_route("/test/raise", fail, methods=["GET"])
    return "/test/raise"


class Echo(BaseModel):
    """A body for the malformed-JSON test."""

    text: str


def echo(body: Echo) -> Echo:
    """Return the body as given."""
    return body


def test_given_an_unknown_path_when_requesting_it_then_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "instance": "/api/v1/nowhere",
    }


def test_given_a_read_only_path_when_posting_to_it_then_405_problem_with_allow(
    client: TestClient,
) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Allow"] == "GET"


def test_given_a_malformed_json_body_when_posting_then_400_problem(
    app: FastAPI, client: TestClient
) -> None:
    app.add_api_route("/test/echo", echo, methods=["POST"])

    response = client.post(
        "/test/echo", content=b'{"text": ', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/malformed-body"


@pytest.mark.parametrize(
    ("error", "status", "problem_type"),
    [
        (RecordNotFound("staff member S9 is not registered"), 404, "/problems/not-found"),
        (ConcurrentWrite("another writer came first"), 409, "/problems/concurrent-write"),
        (IdempotencyKeyReused("key k1 used before"), 422, "/problems/idempotency-key-reused"),
        (IdempotencyKeyInFlight("key k1 running"), 409, "/problems/idempotency-key-in-flight"),
        (LedgerError("refused"), 422, "/problems/refused"),
    ],
)
def test_given_a_domain_error_when_a_route_raises_it_then_its_status_and_type(
    app: FastAPI, client: TestClient, error: LedgerError, status: int, problem_type: str
) -> None:
    response = client.get(raising(app, error))

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == problem_type
    assert response.json()["detail"] == error.message


def test_given_a_rule_violation_when_a_route_raises_it_then_422_names_rule_and_fields(
    app: FastAPI, client: TestClient
) -> None:
    error = RuleViolation("R-01", "quantity must be at least 1", fields={"quantity": 0})

    response = client.get(raising(app, error))

    assert response.status_code == 422
    assert response.json() == {
        "type": "/problems/rule-violation",
        "title": "Rule violated",
        "status": 422,
        "detail": "R-01: quantity must be at least 1",
        "instance": "/test/raise",
        "rule": "R-01",
        "fields": {"quantity": 0},
    }


def test_given_a_missing_role_when_a_route_raises_it_then_403_names_the_role_needed(
    app: FastAPI, client: TestClient
) -> None:
    error = RoleRequired("supervision_clerk", "record_deduction needs supervision_clerk")

    response = client.get(raising(app, error))

    assert response.status_code == 403
    assert response.json()["type"] == "/problems/role-required"
    assert response.json()["role_needed"] == "supervision_clerk"


def test_given_an_unexpected_error_when_a_route_raises_it_then_500_problem_without_details(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    path = raising(app, RuntimeError("secret connection string"))

    # The server re-raises after answering; a client that does not re-raise sees the answer.
    with TestClient(app, raise_server_exceptions=False) as quiet, caplog.at_level(logging.ERROR):
        response = quiet.get(path)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert any(record.exc_info for record in caplog.records if record.name == "api.problems")


def test_given_the_openapi_document_then_operation_ids_are_the_route_names(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    listed = [
        operation["operationId"]
        for path_item in document["paths"].values()
        for operation in path_item.values()
    ]
    operation_ids = set(listed)
    assert len(listed) == len(operation_ids), "operation ids must be unique"
    assert operation_ids == {
        "check_liveness",
        "check_readiness",
        "sign_in",
        "read_me",
        "stream_events",
        "record_deduction",
        "notify_deduction",
        "amend_deduction",
        "revoke_deduction",
        "list_staff_deductions",
        "read_staff_deduction",
        "record_window_deduction",
        "amend_window_deduction",
        "revoke_window_deduction",
        "list_window_deductions",
        "read_window_deduction",
        "record_veto_case",
        "revoke_veto_case",
        "list_veto_cases",
        "read_veto_case",
        "list_staff",
        "read_staff_member",
        "list_staff_events",
        "list_units",
        "read_unit",
        "list_unit_members",
        "list_unit_events",
        "list_staff_figures",
        "list_unit_figures",
        "explain_staff_figure",
        "explain_unit_figure",
        # objections, reviews and appeals
        "notify_veto_case",
        "notify_amendment",
        "raise_objection",
        "decide_objection",
        "read_grade_challenge",
        "request_review",
        "decide_review",
        "lodge_appeal",
        "extend_appeal",
        "decide_appeal",
        # rounds
        "open_round",
        "read_round",
        "read_round_status",
        "list_round_conflicts",
        "read_decided_figures",
        "resolve_late_entry",
        # bonus sheets
        "read_bonus_sheet",
        "prepare_bonus_sheet",
        "decide_head_liability",
        "approve_bonus_sheet",
        # quarters
        "read_quarterly_evaluation",
        "submit_opinion",
        "compile_opinions",
        "open_mutual_evaluation",
        "cast_ballot",
        "tally_mutual_evaluation",
        "recommend",
        "examine_recommendations",
        "decide_quarter_results",
        "amend_quarter_results",
        # years
        "read_annual_assessment",
        "list_year_participants",
        "read_publicity",
        "read_annual_result",
        "submit_self_summary",
        "submit_registration_form",
        "submit_mutual_evaluation_form",
        "sign_result",
        "evaluate",
        "countersign",
        "submit_recommendation_form",
        "hold_joint_branch_meeting",
        "fix_preliminary_grades",
        "decide_annual_excellent_windows",
        "start_publicity",
        "raise_publicity_objection",
        "resolve_publicity_objection",
        "approve_excellent_list",
        "decide_year_results",
        "amend_year_results",
        "notify_result",
        "file_with_home_unit",
        "file_with_higher_authority",
        "record_filing_receipt",
        # integrity
        "list_checkpoints",
        "read_latest_checkpoint",
        "read_inclusion_proof",
        "read_consistency_proof",
        "export_center_filing",
        "export_staff_filing",
    }


def test_given_the_openapi_document_then_errors_are_declared_as_problem_json(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    responses = document["paths"]["/api/v1/staff/{staff_number}/events"]["get"]["responses"]
    for status in ("404", "422", "500", "503"):
        assert responses[status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
