"""Two clients racing on one record over real HTTP (issue 6 items 4, 7): both send the same
If-Match at the same moment from their own threads and connections to a running server; one
wins, the other is told the record moved on (412, or 409 when both passed the check and the
store's optimistic concurrency caught the second), and exactly one change is recorded."""

from __future__ import annotations

import threading
from datetime import date

import httpx
from fastapi import FastAPI

from api.auth import issue_token
from ledger.accounts import Accounts
from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.values import OPERATOR, Actor, DeductionSource, Role, StaffCategory, UnitKind
from live_server import serve

CLERK = Actor("C001", Role.SUPERVISION_CLERK)


def _center(ledger: AssessmentLedger) -> int:
    """A clerk and a staff member with one deduction; its number."""
    ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "initial")
    ledger.form_party_branch(OPERATOR, "B1", "First branch", date(2025, 1, 1))
    ledger.open_unit(OPERATOR, "W01", "Tax", UnitKind.WINDOW, "Tax bureau", "B1", date(2025, 1, 1))
    for number in ("S001", "C001"):
        ledger.register_staff(
            OPERATOR, number, "张三", StaffCategory.CIVIL_SERVANT, "Tax bureau", date(2025, 1, 1)
        )
    ledger.grant_role(OPERATOR, "C001", Role.SUPERVISION_CLERK, date(2025, 1, 1))
    ledger.assign_staff(OPERATOR, "S001", "W01", date(2025, 1, 2))
    recorded = ledger.record_deduction(
        CLERK, "S001", "ATT-01", date(2025, 3, 3), "INC-RACE", "photo", DeductionSource.COMPLAINT
    )
    assert recorded.number is not None
    return recorded.number


def test_two_clients_revoking_with_the_same_etag_record_one_revocation(app: FastAPI) -> None:
    with serve(app, lifespan="on") as base:
        # given a deduction and two clerks' clients holding the record's ETag
        ledger: AssessmentLedger = app.state.ledger
        number = _center(ledger)
        account = Accounts(ledger).create("clerk", "C001", "the clerk's long password")
        headers = {
            "Authorization": f"Bearer {issue_token(account, app.state.signing_key, 5)}",
            "If-Match": f'"{ledger.staff("S001").version}"',
        }
        head = ledger.head_position()
        start = threading.Barrier(2)
        statuses: list[int] = []

        def revoke() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                start.wait()
                response = client.post(
                    f"/api/v1/staff/S001/deductions/{number}/revocation",
                    json={"effective_on": "2025-03-05", "reason": "recorded in error"},
                )
                statuses.append(response.status_code)

        # when both send the revocation at the same moment
        racers = [threading.Thread(target=revoke) for _ in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(30)
        # then one wins and the other is told the record changed or collided
        assert sorted(statuses)[0] == 200
        assert sorted(statuses)[1] in (409, 412)
        # and exactly one revocation is recorded
        revocations = [
            item
            for item in ledger.history(ledger.staff_stream("S001"))
            if item.position > head and item.event.endswith("DeductionRevoked.v1")
        ]
        assert len(revocations) == 1
