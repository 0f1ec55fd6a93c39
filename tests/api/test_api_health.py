"""The liveness and readiness probes."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from ledger.application import AssessmentLedger
from ledger.settings import Settings


def test_when_probing_liveness_then_the_process_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_given_an_empty_store_when_probing_readiness_then_it_is_ready_at_position_zero(
    client: TestClient, store_url: str
) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "store": Settings(database_url=store_url).store,
        "head_position": 0,
    }


def test_given_recorded_events_when_probing_readiness_then_it_reports_the_newest_position(
    client: TestClient, served_ledger: AssessmentLedger, center: None
) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["head_position"] == served_ledger.head_position() > 0


def test_given_a_store_that_does_not_answer_when_probing_readiness_then_503_problem(
    client: TestClient, served_ledger: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> int:
        raise OperationalError("connection refused")

    monkeypatch.setattr(served_ledger, "head_position", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/store-unavailable"
    assert "connection refused" not in response.text
