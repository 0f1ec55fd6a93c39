"""Helpers of the projection tests: a history that exercises every way a fact changes figures,
and the figures recomputed from scratch with the pure policy."""

from __future__ import annotations

import json
from datetime import date

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    SOURCE,
    STAFF,
    START,
    UNASSIGNED,
    WINDOW,
    at,
    full_scenario,
    record,
    seed_organisation,
)
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import (
    Fact,
    Figure,
    active_years,
    all_figures,
    canonical_bytes,
    canonical_record,
    compact_bytes,
    compact_record,
    fold,
)
from ledger.projections.figures import FiguresView, figures_checksum
from ledger.projections.projector import InProcessProjection
from ledger.values import OPERATOR, StaffCategory, VetoCase


def recomputed_checksum(ledger: AssessmentLedger, up_to: int | None = None) -> str:
    """The checksum of every figure of every active year, folded from the log (up to a position)
    straight through the pure policy: no projection code."""
    head = ledger.head_position() if up_to is None else up_to
    facts = [
        Fact.decode(e.originator_id, e.originator_version, e.position, e.topic, e.state)
        for e in ledger.ledger_recorder.select_logged(range(1, head + 1))
    ]
    state = fold(facts)
    figures = [f for year in active_years(state) for f in all_figures(state, year)]
    for figure in figures:
        # The direct encoder writes exactly what json.dumps makes of the records.
        assert canonical_bytes(figure) == reference_bytes(figure), figure.key
        assert compact_bytes(figure) == reference_bytes(figure, compact=True), figure.key
    return figures_checksum(figures)


def reference_bytes(figure: Figure, *, compact: bool = False) -> bytes:
    """The canonical (or compact) bytes by definition: the record through json.dumps."""
    record = compact_record(figure) if compact else canonical_record(figure)
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def varied_history(ledger: AssessmentLedger, clock: SettableClock) -> None:
    """Deductions that cross thresholds, amendments and revocations, a window deduction, a
    transfer into another window, a veto case and its revocation, changes of head recorded after
    a crossing they cover, a policy adopted mid-year and a deduction that opens a new year."""
    seed_organisation(ledger)
    clock.set(at(date(2026, 1, 10)))
    ledger.register_staff(OPERATOR, "H001", "head", StaffCategory.CIVIL_SERVANT, "Center", START)
    ledger.appoint_head(OPERATOR, WINDOW, "H001", START)
    ledger.appoint_leader_in_charge(OPERATOR, WINDOW, LEADER.person_id, START)
    first = record(ledger, "INC-V-1", item_code="ATT-02", occurred_on=date(2025, 2, 3))
    record(ledger, "INC-V-2", item_code="DSC-07", occurred_on=date(2025, 2, 4))
    record(
        ledger, "INC-V-3", staff_number=COLLEAGUE, item_code="SRV-01", occurred_on=date(2025, 5, 6)
    )
    ledger.record_window_deduction(
        CLERK, WINDOW, "ATT-07", date(2025, 3, 5), "INC-V-4", "evidence", SOURCE
    )
    ledger.transfer_staff(OPERATOR, COLLEAGUE, WINDOW, date(2025, 6, 1))
    record(
        ledger, "INC-V-5", staff_number=COLLEAGUE, item_code="DSC-07", occurred_on=date(2025, 6, 10)
    )
    assert first.number is not None
    ledger.amend_deduction(
        LEADER, STAFF, first.number, date(2026, 1, 10), "review", points="2", decision_ref="LG-1"
    )
    wrong = record(ledger, "INC-V-6", item_code="SRV-01", occurred_on=date(2025, 9, 9))
    assert wrong.number is not None
    ledger.revoke_deduction(CLERK, STAFF, wrong.number, date(2026, 1, 10), "wrong person")
    veto = ledger.record_veto_case(
        CLERK, UNASSIGNED, VetoCase.V7, date(2025, 8, 1), "INC-V-7", "evidence", "verified", SOURCE
    )
    record(ledger, "INC-V-8", staff_number=COLLEAGUE, occurred_on=date(2025, 7, 7))
    ledger.appoint_head(OPERATOR, WINDOW, UNASSIGNED, date(2025, 2, 1))
    ledger.appoint_head(OPERATOR, WINDOW, COLLEAGUE, date(2025, 7, 1))
    ledger.adopt_policy(
        OPERATOR, "tightened-2025", date(2025, 7, 1), {"month_bonus_halved_at": "2"}
    )
    assert veto.number is not None
    ledger.revoke_veto_case(CLERK, UNASSIGNED, veto.number, date(2026, 1, 10), "not proven")
    record(ledger, "INC-V-9", item_code="DSC-07", occurred_on=date(2026, 1, 5))


def projected_full_scenario(ledger: AssessmentLedger, clock: SettableClock) -> FiguresView:
    """The full scenario's figures, projected live up to the head."""
    full_scenario(ledger, clock)
    projection = InProcessProjection(ledger)
    projection.catch_up()
    return projection.view


def projected_varied_history(ledger: AssessmentLedger, clock: SettableClock) -> FiguresView:
    """The varied history's figures, projected live up to the head."""
    varied_history(ledger, clock)
    projection = InProcessProjection(ledger)
    projection.catch_up()
    return projection.view
