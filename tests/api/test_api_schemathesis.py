"""Schemathesis over the app's own OpenAPI document (issue 6 item 7): requests made from the
document for every operation, sent as the people of the permission matrix, get no 5xx and no
status code the document does not list for that operation.

Two tests per operation: Hypothesis draws the document's examples and valid and invalid
requests (`EXAMPLES` of them, derandomized, so CI sends the same requests every run), and
Schemathesis's coverage phase sends its fixed list of boundary values, missing and mistyped
fields, and methods and media types the operation does not take. Each response is checked by
`not_a_server_error` and `status_code_conformance`.

One app on a SQLite file (its integers have a bound a request can exceed) with the permission
matrix's center (S001 with a deduction, W01, B1, rounds 2025-03, 2025-Q1 and 2025 open), and
one test client entered once for the module: Schemathesis's own ASGI transport would start the
app's lifespan again, which opens an empty store. Schemathesis's pytest plugin is not used (it
is broken under pytest 9); the cases are sent through the test client here. The person is one
the matrix lets call the operation, one it does not, or nobody (no token); half the generated
paths name the center's records, so requests get past 404 to the handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.generation.meta import REQUEST_SHAPE_PROBES, coverage_scenario
from schemathesis.specs.openapi.checks import status_code_conformance
from test_api_permission_matrix import MATRIX, PATH_VALUES, PEOPLE, PERIODS, _staff_the_center

from api.app import create_app
from api.auth import issue_token
from ledger.accounts import Accounts
from ledger.application import AssessmentLedger
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.settings import Settings

EXAMPLES = 12
"""Drawn requests per operation: about 1,000 in all (and about 4,000 coverage requests); the
module takes about 30 s on SQLite."""

SCHEMA = schemathesis.openapi.from_dict(create_app().openapi())
OPERATIONS: dict[str, APIOperation] = {
    operation.definition.raw["operationId"]: operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
}

STREAMED = {"stream_events"}
"""Its 200 is a Server-Sent Events stream that never ends: only its status is checked (the
stream's content is tested in test_api_live)."""

CHECKS = [not_a_server_error, status_code_conformance]

Client = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """The running app on a SQLite file with the matrix's center, and each person's bearer
    header."""
    path: Path = tmp_path_factory.mktemp("schemathesis") / "ledger.sqlite3"
    app: FastAPI = create_app(
        Settings(
            database_url=f"sqlite:///{path}",
            jwt_secret="a key for the Schemathesis run's tokens, not used elsewhere",
        )
    )
    # A 500 must reach the checks as a response (the body of the test), not as an exception.
    with TestClient(app, raise_server_exceptions=False) as client:
        ledger: AssessmentLedger = app.state.ledger
        ledger.clock = SettableClock(datetime(2025, 3, 10, 9, 30, tzinfo=CENTER_TIMEZONE))
        _staff_the_center(ledger)
        accounts = Accounts(ledger, PasswordHash((Argon2Hasher(1, 8, 1),)))
        headers = {
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
        yield client, headers


def _people(name: str) -> list[str | None]:
    """Who sends the operation's requests: the people allowed to call it, one who is not, and
    nobody (None: no token)."""
    allowed = [person for role, person in PEOPLE.items() if role in MATRIX.get(name, PEOPLE)]
    refused = [person for person in PEOPLE.values() if person not in allowed]
    return [*allowed, *refused[:1], None]


def _cases(operation: APIOperation) -> st.SearchStrategy[Case]:
    """The document's examples (requests plausible enough to be carried out), valid requests
    and invalid ones, for one operation."""
    return st.one_of(
        *SCHEMA.get_strategies_from_examples(operation),
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


def _known_path(operation: APIOperation, generated: dict[str, Any]) -> dict[str, Any]:
    """The path parameters naming the center's records instead of generated ones."""
    known = dict(generated)
    for name in generated:
        if name == "period":
            known[name] = next(
                (value for part, value in PERIODS.items() if part in operation.path), "2025-03"
            )
        elif name in PATH_VALUES:
            known[name] = PATH_VALUES[name]
    return known


def _send(client: TestClient, case: Case, headers: dict[str, str]) -> httpx.Response:
    """The case as Schemathesis would send it (its transport's keyword arguments, which are
    `requests`'), through the test client."""
    sent = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    body: dict[str, Any] = {}
    if "json" in sent:
        body["json"] = sent["json"]
    elif isinstance(sent.get("data"), dict):
        # A form body (sign-in); generated extra fields may hold lists and objects.
        body["content"] = urlencode(sent["data"], doseq=True).encode()
    elif "data" in sent:
        body["content"] = sent["data"]
    if case.operation.definition.raw["operationId"] in STREAMED:
        with client.stream(
            sent["method"], sent["url"], params=sent["params"], headers=sent["headers"], **body
        ) as streamed:
            # Leave the (endless) stream unread: the status and headers are what is checked.
            checked = httpx.Response(
                streamed.status_code, headers=streamed.headers, request=streamed.request
            )
        checked.elapsed = streamed.elapsed
        return checked
    return client.request(
        sent["method"], sent["url"], params=sent["params"], headers=sent["headers"], **body
    )


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # No target phase: it spends examples steering numbers, and the budget is small.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_a_generated_request_gets_no_server_error_and_only_documented_statuses(
    name: str, served: Client, data: st.DataObject
) -> None:
    client, tokens = served
    operation = OPERATIONS[name]
    case = data.draw(_cases(operation), label="case")
    if data.draw(st.booleans(), label="the center's records in the path"):
        case.path_parameters.update(_known_path(operation, case.path_parameters))
    person = data.draw(st.sampled_from(_people(name)), label="person")

    response = _send(client, case, tokens[person] if person else {})

    case.validate_response(response, checks=CHECKS)


def _coverage_cases(operation: APIOperation) -> list[Case]:
    """Schemathesis's coverage phase for the operation: a fixed list of boundary values,
    missing and mistyped fields, wrong methods and media types (valid and invalid requests)."""
    return list(
        SCHEMA.iter_coverage_cases(
            operation,
            generation_modes=list(GenerationMode),
            generation_config=SCHEMA.config.generation_for(operation=operation, phase="coverage"),
        )
    )


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_coverage_request_gets_no_server_error_and_only_documented_statuses(
    name: str, served: Client
) -> None:
    client, tokens = served
    operation = OPERATIONS[name]
    people = _people(name)
    failures = []
    for index, case in enumerate(_coverage_cases(operation)):
        person = people[index % len(people)]
        response = _send(client, case, tokens[person] if person else {})
        # A request malformed on purpose (a method or media type the operation does not take)
        # may be refused with any 4xx; only a server error is a finding.
        checks = CHECKS if coverage_scenario(case) not in REQUEST_SHAPE_PROBES else CHECKS[:1]
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as failure:
            failures.append(f"as {person}: {failure}")
    assert not failures, "\n".join(failures)
