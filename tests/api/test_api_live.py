"""Live updates (issue 6 item 5): the log as Server-Sent Events for the center-wide dashboards,
each event's id its log position, resumable with Last-Event-ID, live events delivered as they
are recorded; refused without a token or without a dashboard role."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from datetime import date
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import issue_token
from ledger.accounts import Accounts
from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.values import OPERATOR, Actor, DeductionSource, Role, StaffCategory
from live_server import serve

PASSWORD = "correct horse battery staple"


def _token(app: FastAPI, username: str, person: str) -> dict[str, str]:
    accounts: Accounts = app.state.accounts
    accounts.create(username, person, PASSWORD)
    token = issue_token(accounts.get(username), app.state.signing_key, 5)
    return {"Authorization": f"Bearer {token}"}


def _events(
    client: TestClient,
    headers: dict[str, str],
    count: int,
    once_open: Callable[[], object] = lambda: None,
    **params: int,
) -> list[dict[str, object]]:
    """The first `count` events of the stream; `once_open` runs when the stream is open."""
    received: list[dict[str, object]] = []
    current: dict[str, object] = {}
    with client.stream("GET", "/api/v1/events/stream", headers=headers, params=params) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        once_open()
        for line in response.iter_lines():
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                received.append(current)
                current = {}
                if len(received) == count:
                    break
    return received


def _record(ledger: AssessmentLedger, incident: str, day: date = date(2025, 3, 4)) -> int:
    """Record a deduction against S001 as the clerk; its last position."""
    outcome = ledger.record_deduction(
        Actor("C001", Role.SUPERVISION_CLERK),
        "S001",
        "ATT-01",
        day,
        incident,
        f"photo-{incident}",
        DeductionSource.SUPERVISION_INSPECTION,
    )
    return outcome.position


def test_a_resumed_stream_sends_every_event_after_the_last_id_in_log_order(
    app: FastAPI, client: TestClient, center: None, served_ledger: AssessmentLedger
) -> None:
    # given a clerk and a log of several events
    headers = _token(app, "clerk", "C001")
    history = served_ledger.recorder.select_notifications(start=1, limit=100)
    resume_from = history[-4].id
    # when the stream is resumed with Last-Event-ID
    received = _events(client, {**headers, "Last-Event-ID": str(resume_from)}, 3)
    # then the next three events come, ids being their positions
    assert [event["id"] for event in received] == [n.id for n in history[-3:]]
    assert [event["event"] for event in received] == [n.topic for n in history[-3:]]
    assert received[0]["data"] == {
        "position": history[-3].id,
        "stream_id": str(history[-3].originator_id),
        "version": history[-3].originator_version,
        "topic": history[-3].topic,
    }


def test_a_last_event_id_that_is_not_a_position_is_ignored(app: FastAPI) -> None:
    # A real server, because the test client re-encodes header values as UTF-8: "²" arrives
    # only as the one Latin-1 byte a browser or proxy may send.
    with serve(app, lifespan="on") as base:
        # given a clerk and a log of several events
        ledger: AssessmentLedger = app.state.ledger
        ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "initial")
        ledger.register_staff(
            OPERATOR, "C001", "李四", StaffCategory.CIVIL_SERVANT, "Center", date(2025, 1, 1)
        )
        ledger.grant_role(OPERATOR, "C001", Role.SUPERVISION_CLERK, date(2025, 1, 1))
        head = ledger.head_position()
        # when the stream is opened after the second-to-last event with a Last-Event-ID that is
        # a digit to Unicode but no number
        parts = urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.putrequest("GET", f"/api/v1/events/stream?after={head - 1}")
        connection.putheader("Authorization", _token(app, "clerk", "C001")["Authorization"])
        connection.putheader("Last-Event-ID", b"\xb2")
        connection.endheaders()
        try:
            response = connection.getresponse()
            # then the header is ignored and the stream starts after the position asked for
            assert response.status == 200
            first = b""
            while not first.startswith(b"id:"):
                first = response.fp.readline()
        finally:
            connection.close()
    assert int(first.split(b":")[1]) == head


def test_an_event_recorded_while_the_stream_is_open_is_delivered(
    app: FastAPI, client: TestClient, center: None, served_ledger: AssessmentLedger
) -> None:
    # given a stream open at the log's head
    headers = _token(app, "clerk", "C001")
    head = served_ledger.head_position()
    recorded: list[int] = []

    def record() -> None:
        recorded.append(_record(served_ledger, "INC-LIVE"))

    # when a deduction is recorded while it is open
    received = _events(client, headers, 1, once_open=record, after=head)
    # then the deduction's first event comes through the feed
    assert head < int(str(received[0]["id"])) <= recorded[0]


def test_the_stream_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/events/stream").status_code == 401


def test_a_staff_member_without_a_dashboard_role_is_refused(
    app: FastAPI, client: TestClient, center: None
) -> None:
    headers = _token(app, "zhangsan", "S001")
    response = client.get("/api/v1/events/stream", headers=headers)
    assert response.status_code == 403
    assert (
        response.json()["role_needed"]
        == "supervision_clerk or leading_group or party_working_committee"
    )


@pytest.mark.parametrize("after", [-1])
def test_a_negative_position_is_refused(
    app: FastAPI, client: TestClient, center: None, after: int
) -> None:
    headers = _token(app, "clerk", "C001")
    assert (
        client.get("/api/v1/events/stream", headers=headers, params={"after": after}).status_code
        == 422
    )


def test_a_position_no_log_can_reach_is_refused(
    app: FastAPI, client: TestClient, center: None
) -> None:
    headers = _token(app, "clerk", "C001")
    response = client.get("/api/v1/events/stream", headers=headers, params={"after": 2**53})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "after"]]


def test_events_recorded_while_no_stream_was_open_reach_the_next_stream_in_order(
    app: FastAPI, client: TestClient, center: None, served_ledger: AssessmentLedger
) -> None:
    # given a stream that was open and closed again (the feed reads the log only while one is
    # open), after which three deductions are recorded
    headers = _token(app, "clerk", "C001")
    head = served_ledger.head_position()
    _events(client, headers, 1, after=head - 1)
    for number in range(3):
        _record(served_ledger, f"INC-QUIET-{number}")
    written = served_ledger.recorder.select_notifications(start=head + 1, limit=100)
    # when a stream resumes from the last event it had seen
    received = _events(client, {**headers, "Last-Event-ID": str(head)}, len(written))
    # then every event since comes, in log order, none missed
    assert [event["id"] for event in received] == [n.id for n in written]


def test_a_stream_opened_without_a_position_starts_at_the_head_of_the_log(
    app: FastAPI, client: TestClient, center: None, served_ledger: AssessmentLedger
) -> None:
    # given events recorded while no stream was open
    headers = _token(app, "clerk", "C001")
    _record(served_ledger, "INC-BEFORE")
    head = served_ledger.head_position()
    recorded: list[int] = []

    def record() -> None:
        recorded.append(_record(served_ledger, "INC-AFTER", date(2025, 3, 5)))

    # when a stream is opened "from now" and a deduction is then recorded
    received = _events(client, headers, 1, once_open=record)
    # then the first event it sends is the new one, not one from before it opened
    assert head < int(str(received[0]["id"])) <= recorded[0]
