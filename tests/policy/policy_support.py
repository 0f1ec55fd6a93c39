"""Helpers of the policy tests: real events from an in-memory ledger, read back from the log and
decoded into the policy's plain facts, and short ways to record what a test needs."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from builders import (
    CLERK,
    LEADER,
    OTHER_WINDOW,
    SOURCE,
    STAFF,
    START,
    WINDOW,
    at,
    seed_organisation,
)
from ledger.application import AssessmentLedger, Outcome
from ledger.clock import SettableClock
from ledger.policy import Fact, LedgerState, fold
from ledger.values import OPERATOR, StaffCategory, VetoCase

HEAD = "H001"
"""Head of W01 from START, not assigned to it (so not counted in its headcount)."""
OTHER_HEAD = "H002"
"""Head of W02 from START, not assigned to it."""
LEADER_IN_CHARGE = "L001"
"""The leader in charge of W01 and W02 from START (the seeded leading-group member)."""

LATER = date(2026, 1, 10)
"""The day the policy tests issue their commands: every day of 2025 is in the past."""

PERSON_ITEMS = {
    Decimal("0.5"): "ATT-01",
    Decimal("1"): "ATT-02",
    Decimal("2"): "SRV-01",
    Decimal("3"): "DSC-07",
    Decimal("4"): "REC-02",
    Decimal("5"): "FEE-01",
}
"""Catalogue items (per incident) worth these points, so most deductions need no override."""

WINDOW_ITEMS = {Decimal("0.5"): "APP-05", Decimal("1"): "REC-04", Decimal("2"): "ATT-07"}

_incidents = itertools.count(1)


def facts_of(ledger: AssessmentLedger, up_to: int | None = None) -> list[Fact]:
    """The ledger's log (up to a position) as the policy's facts, decoded from the stored
    canonical payloads."""
    head = ledger.head_position() if up_to is None else up_to
    return [
        Fact.decode(e.originator_id, e.originator_version, e.position, e.topic, e.state)
        for e in ledger.ledger_recorder.select_logged(range(1, head + 1))
    ]


def state_of(ledger: AssessmentLedger, up_to: int | None = None) -> LedgerState:
    """The policy's state folded from the ledger's log (up to a position)."""
    return fold(facts_of(ledger, up_to))


def seed_center(ledger: AssessmentLedger, clock: SettableClock) -> None:
    """The builders' organisation (S001 at W01, S002 at W02), heads for both windows who are not
    members, L001 in charge of both; then the clock moves to LATER."""
    seed_organisation(ledger)
    for number in (HEAD, OTHER_HEAD):
        ledger.register_staff(
            OPERATOR, number, f"head {number}", StaffCategory.CIVIL_SERVANT, "Center", START
        )
    ledger.appoint_head(OPERATOR, WINDOW, HEAD, START)
    ledger.appoint_head(OPERATOR, OTHER_WINDOW, OTHER_HEAD, START)
    ledger.appoint_leader_in_charge(OPERATOR, WINDOW, LEADER_IN_CHARGE, START)
    ledger.appoint_leader_in_charge(OPERATOR, OTHER_WINDOW, LEADER_IN_CHARGE, START)
    clock.set(at(LATER))


def register(ledger: AssessmentLedger, number: str, unit: str | None, on: date = START) -> None:
    """Register a staff member and assign them to a unit (unless None) from a date."""
    ledger.register_staff(
        OPERATOR, number, f"staff {number}", StaffCategory.CIVIL_SERVANT, "Tax bureau", START
    )
    if unit is not None:
        ledger.assign_staff(OPERATOR, number, unit, on)


def deduct(ledger: AssessmentLedger, on: date, points: str, staff_number: str = STAFF) -> Outcome:
    """Record a deduction of exactly these points against a staff member: a catalogue item worth
    them, else the leading group's override with a reason."""
    value = Decimal(points)
    item = PERSON_ITEMS.get(value)
    options: dict[str, object] = {}
    actor = CLERK
    if item is None:
        item, actor = "ATT-02", LEADER
        options = {"points": points, "override_reason": "test points", "decision_ref": "LG-T"}
    return ledger.record_deduction(
        actor,
        staff_number,
        item,
        on,
        f"INC-P-{next(_incidents)}",
        "evidence",
        SOURCE,
        **options,  # type: ignore[arg-type]
    )


def deduct_window(ledger: AssessmentLedger, on: date, points: str, unit: str = WINDOW) -> Outcome:
    """Record a window-level deduction of exactly these points (R-02)."""
    value = Decimal(points)
    item = WINDOW_ITEMS.get(value)
    options: dict[str, object] = {}
    actor = CLERK
    if item is None:
        item, actor = "ATT-07", LEADER
        options = {"points": points, "override_reason": "test points", "decision_ref": "LG-T"}
    return ledger.record_window_deduction(
        actor,
        unit,
        item,
        on,
        f"INC-W-{next(_incidents)}",
        "evidence",
        SOURCE,
        **options,  # type: ignore[arg-type]
    )


def veto(
    ledger: AssessmentLedger, on: date, staff_number: str = STAFF, case: VetoCase = VetoCase.V7
) -> Outcome:
    """Record a verified veto case against a staff member."""
    return ledger.record_veto_case(
        CLERK,
        staff_number,
        case,
        on,
        f"INC-V-{next(_incidents)}",
        "evidence",
        "verified",
        SOURCE,
    )


def number_of(outcome: Outcome) -> int:
    """The entry number (version) a recording command returned."""
    assert outcome.number is not None
    return outcome.number
