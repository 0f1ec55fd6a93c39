"""Late entries (SPEC section 3, D-13): an entry recorded after its period was decided is listed
as a conflict of the round until the leading group resolves it, and the decided figures stay as
decided beside the current ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    SOURCE,
    STAFF,
    approve_year,
    at,
    prepare_sheet,
    ready_for_the_year,
    record,
    seed_organisation,
)
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import AnnualBonus, Bonus, BonusStatus, EventRef
from ledger.projections.rounds import decided_figures, round_conflicts
from ledger.values import LateEntryResolution, VetoCase

FEBRUARY = "2025-02"


def decided_february(ledger: AssessmentLedger) -> int:
    """Seed, record 2 points for S001 in February (bonus full), decide February; return the
    decision's position."""
    seed_organisation(ledger)
    record(ledger, "INC-EARLY", item_code="SRV-01", occurred_on=date(2025, 2, 10))
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    prepare_sheet(ledger, FEBRUARY, date(2025, 3, 7))
    return ledger.decide_period(LEADER, FEBRUARY, "LG-2025-09", date(2025, 3, 7)).position


def test_given_a_decided_month_when_a_deduction_is_recorded_after_then_it_is_a_conflict(
    ledger: AssessmentLedger,
) -> None:
    decided_february(ledger)
    late = record(ledger, "INC-LATE", item_code="ATT-02", occurred_on=date(2025, 2, 20))
    assert late.number is not None

    (conflict,) = round_conflicts(ledger, FEBRUARY)

    assert conflict.ref == EventRef(str(ledger.staff_stream(STAFF)), late.number)
    assert (conflict.what, conflict.change, conflict.subject) == ("deduction", "recorded", STAFF)
    assert (conflict.item, conflict.occurred_on) == ("ATT-02", date(2025, 2, 20))
    # the command wrote the deduction, then its incident record: the outcome is the last position
    assert conflict.decided_at_position < conflict.position <= late.position
    assert conflict.decision_ref == "LG-2025-09"
    assert "LG-2025-09" in conflict.why and f"position {conflict.position}" in conflict.why


def test_entries_known_at_the_decision_or_of_another_period_are_no_conflicts(
    ledger: AssessmentLedger,
) -> None:
    decided_february(ledger)
    record(ledger, "INC-MARCH", occurred_on=date(2025, 3, 3))

    assert round_conflicts(ledger, FEBRUARY) == ()
    assert round_conflicts(ledger, "2025-03") == ()  # not decided: nothing is late
    assert round_conflicts(ledger, "2025-01") == ()  # no round at all


def test_given_a_late_deduction_then_the_decided_bonus_stands_beside_the_changed_current_one(
    ledger: AssessmentLedger,
) -> None:
    decision = decided_february(ledger)
    record(ledger, "INC-LATE", item_code="ATT-02", occurred_on=date(2025, 2, 20))

    both = decided_figures(ledger, FEBRUARY)

    assert both.decided_at_position is not None and both.decided_at_position < decision
    assert both.position == ledger.head_position()
    beside = {f.key: f for f in both.figures}
    bonus = beside[("bonus", STAFF, FEBRUARY)]
    assert isinstance(bonus.decided, Bonus) and isinstance(bonus.current, Bonus)
    assert (bonus.decided.status, bonus.decided.total) == (BonusStatus.FULL, Decimal(2))
    assert (bonus.current.status, bonus.current.total) == (BonusStatus.HALVED, Decimal(3))
    assert bonus.changed
    assert {key[1] for key in beside} == {STAFF}  # only the subject the late entry touches


def test_given_a_late_deduction_when_it_is_resolved_then_the_conflict_is_gone_but_was_listed_as_of_before(  # noqa: E501
    ledger: AssessmentLedger,
) -> None:
    decided_february(ledger)
    late = record(ledger, "INC-LATE", item_code="ATT-02", occurred_on=date(2025, 2, 20))
    assert late.number is not None
    other = record(
        ledger,
        "INC-LATE-2",
        staff_number=COLLEAGUE,
        item_code="ATT-01",
        occurred_on=date(2025, 2, 21),
    )

    ledger.resolve_late_entry(
        LEADER,
        FEBRUARY,
        ledger.staff_stream(STAFF),
        late.number,
        LateEntryResolution.NO_CHANGE,
        "the sheet stands",
        date(2025, 3, 10),
    )

    assert [c.subject for c in round_conflicts(ledger, FEBRUARY)] == [COLLEAGUE]
    assert [c.subject for c in round_conflicts(ledger, FEBRUARY, as_of=other.position)] == [
        STAFF,
        COLLEAGUE,
    ]
    both = decided_figures(ledger, FEBRUARY)
    assert [(c.subject, c.resolution) for c in both.late] == [
        (STAFF, LateEntryResolution.NO_CHANGE.value),
        (COLLEAGUE, None),
    ]
    bonus = {f.key: f for f in both.figures}[("bonus", STAFF, FEBRUARY)]
    assert isinstance(bonus.decided, Bonus) and bonus.decided.status is BonusStatus.FULL


def test_given_a_decided_month_when_a_known_deduction_is_revoked_after_then_the_revocation_is_the_conflict(  # noqa: E501
    ledger: AssessmentLedger,
) -> None:
    seed_organisation(ledger)
    early = record(ledger, "INC-EARLY", item_code="DSC-07", occurred_on=date(2025, 2, 10))
    assert early.number is not None
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    prepare_sheet(ledger, FEBRUARY, date(2025, 3, 7))
    ledger.decide_period(LEADER, FEBRUARY, "LG-2025-09", date(2025, 3, 7))
    revoked = ledger.revoke_deduction(CLERK, STAFF, early.number, date(2025, 3, 10), "wrong")

    (conflict,) = round_conflicts(ledger, FEBRUARY)

    assert (conflict.change, conflict.position) == ("revoked", revoked.position)
    assert conflict.entry == EventRef(str(ledger.staff_stream(STAFF)), early.number)
    bonus = {f.key: f for f in decided_figures(ledger, FEBRUARY).figures}[
        ("bonus", STAFF, FEBRUARY)
    ]
    assert isinstance(bonus.decided, Bonus) and isinstance(bonus.current, Bonus)
    assert (bonus.decided.status, bonus.current.status) == (BonusStatus.HALVED, BonusStatus.FULL)


def test_D13_a_veto_found_after_the_years_decision_is_a_conflict_of_the_year(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    clock.set(at(date(2026, 1, 12)))
    ledger.open_round(CLERK, "2025", date(2026, 1, 2))
    ready_for_the_year(ledger)
    approve_year(ledger, 2025, date(2026, 1, 2), date(2026, 1, 12))
    ledger.decide_period(LEADER, "2025", "LG-2026-01", date(2026, 1, 12))
    case = ledger.record_veto_case(
        CLERK, STAFF, VetoCase.V6, date(2025, 9, 1), "INC-VETO", "evidence", "verified", SOURCE
    )
    assert case.number is not None

    (conflict,) = round_conflicts(ledger, "2025")

    assert (conflict.what, conflict.subject, conflict.item) == ("veto", STAFF, "V6")
    assert conflict.decided_at_position < conflict.position <= case.position
    beside = {f.key: f for f in decided_figures(ledger, "2025").figures}
    annual = beside[("annual_bonus", STAFF, "2025")]
    assert isinstance(annual.decided, AnnualBonus) and isinstance(annual.current, AnnualBonus)
    assert annual.decided.status is BonusStatus.FULL and not annual.decided.notice
    assert annual.current.status is BonusStatus.WITHHELD and annual.current.notice

    ledger.resolve_late_entry(
        LEADER,
        "2025",
        ledger.staff_stream(STAFF),
        case.number,
        LateEntryResolution.NO_CHANGE,
        "decision stands; reconsider at reopening",
        date(2026, 1, 12),
    )
    assert round_conflicts(ledger, "2025") == ()
