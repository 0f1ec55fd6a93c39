"""A veto case found after its year was decided (D-13, SPEC section 3): accepted, counted in the
year of the incident, listed as a conflict of the decided year (and quarter) until the leading
group records how it handled it, with the decided figures standing beside the current ones."""

from __future__ import annotations

from datetime import date

import pytest

from builders import (
    CLERK,
    LEADER,
    OFFICE,
    STAFF,
    START,
    approve_year,
    at,
    examine_quarter,
    ready_for_the_year,
    record,
    refused,
    seed_organisation,
)
from ledger.aggregates.staff import ObjectionOutcome
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.demo import package_calendar
from ledger.errors import RoleRequired
from ledger.policy import AnnualBonus, BonusStatus, ExcellentGrade, ExcellentIndividual
from ledger.projections.rounds import decided_figures, round_conflicts
from ledger.values import OPERATOR, Actor, DeductionSource, LateEntryResolution, Role, VetoCase

YEAR = "2025"
QUARTER = "2025-Q3"
FOUND_ON = date(2026, 1, 12)
"""The day the veto case is found and recorded, after the year's decision."""


@pytest.fixture
def decided_year(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """2025 with half a point for S001 in September, Q3 decided on 5 January 2026 and the year
    on 12 January, each through its procedure (C001 holding functional_office for OF1)."""
    seed_organisation(ledger)
    for year in (2025, 2026):
        statutory = package_calendar(year)
        ledger.load_calendar_year(
            OPERATOR, year, statutory.holidays, statutory.makeup_workdays, statutory.source
        )
    ready_for_the_year(ledger)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.FUNCTIONAL_OFFICE, START, scope=OFFICE)
    clock.set(at(FOUND_ON))
    record(ledger, "INC-SEP", item_code="ATT-01", occurred_on=date(2025, 9, 10))
    ledger.open_round(CLERK, QUARTER, date(2025, 10, 9))
    examine_quarter(ledger, QUARTER, date(2025, 10, 10))
    ledger.decide_period(LEADER, QUARTER, f"LG-{QUARTER}", date(2026, 1, 5))
    ledger.open_round(CLERK, YEAR, date(2026, 1, 4))
    approve_year(ledger, 2025, date(2026, 1, 4), FOUND_ON)
    ledger.decide_period(LEADER, YEAR, f"LG-{YEAR}", FOUND_ON)
    return ledger


def late_veto(ledger: AssessmentLedger) -> int:
    """Record a V6 veto case of 15 September 2025 on FOUND_ON; its number."""
    outcome = ledger.record_veto_case(
        CLERK,
        STAFF,
        VetoCase.V6,
        date(2025, 9, 15),
        "INC-LATE-VETO",
        "complaint file 2026-003",
        "verified with the complainant",
        DeductionSource.COMPLAINT,
    )
    assert outcome.number is not None
    return outcome.number


def test_d13_a_veto_against_a_decided_year_is_accepted_and_listed_for_the_year_and_quarter(
    decided_year: AssessmentLedger,
) -> None:
    # when a veto case of September 2025 is recorded in January 2026
    number = late_veto(decided_year)
    # then it is a conflict of the decided year and of the decided third quarter (D-14)
    ref = (str(decided_year.staff_stream(STAFF)), number)
    for period in (YEAR, QUARTER):
        (conflict,) = round_conflicts(decided_year, period)
        assert (conflict.stream_id, conflict.version) == ref
        assert (conflict.what, conflict.change, conflict.item) == ("veto", "recorded", "V6")
        assert conflict.decision_ref == f"LG-{period}"
        assert conflict.occurred_on == date(2025, 9, 15)


def test_d13_the_decided_figures_stand_beside_the_current_ones(
    decided_year: AssessmentLedger,
) -> None:
    # given a late veto of 2025
    late_veto(decided_year)
    # when the year's and the quarter's figures are read as decided and as they stand
    year = {f.key: f for f in decided_figures(decided_year, YEAR).figures}
    quarter = {f.key: f for f in decided_figures(decided_year, QUARTER).figures}
    # then the decided year paid the annual bonus and left the grade open; today it would not
    bonus = year[("annual_bonus", STAFF, YEAR)]
    assert isinstance(bonus.decided, AnnualBonus) and isinstance(bonus.current, AnnualBonus)
    assert (bonus.decided.status, bonus.current.status) == (
        BonusStatus.FULL,
        BonusStatus.WITHHELD,
    )
    grade = year[("excellent_grade", STAFF, YEAR)]
    assert isinstance(grade.decided, ExcellentGrade) and isinstance(grade.current, ExcellentGrade)
    assert grade.decided.eligible and not grade.current.eligible
    # and the third quarter's excellent-individual eligibility likewise (D-14)
    title = quarter[("excellent_individual", STAFF, QUARTER)]
    assert isinstance(title.decided, ExcellentIndividual)
    assert isinstance(title.current, ExcellentIndividual)
    assert title.decided.eligible and not title.current.eligible


def test_d13_the_conflict_stays_until_the_leading_group_resolves_it(
    decided_year: AssessmentLedger,
) -> None:
    # given a late veto of 2025
    number = late_veto(decided_year)
    stream = decided_year.staff_stream(STAFF)
    # when the supervision clerk tries to resolve it, it is refused naming the leading group
    refusal = refused(
        decided_year,
        lambda: decided_year.resolve_late_entry(
            CLERK, YEAR, stream, number, LateEntryResolution.NO_CHANGE, "stands", FOUND_ON
        ),
        RoleRequired,
    )
    assert isinstance(refusal, RoleRequired) and refusal.needed == "leading_group"
    assert len(round_conflicts(decided_year, YEAR)) == 1
    # then the leading group reopens the year and keeps the quarter as decided
    decided_year.resolve_late_entry(
        LEADER,
        YEAR,
        stream,
        number,
        LateEntryResolution.REOPEN,
        "annual bonus to withhold",
        FOUND_ON,
    )
    assert round_conflicts(decided_year, YEAR) == ()
    assert len(round_conflicts(decided_year, QUARTER)) == 1
    decided_year.resolve_late_entry(
        LEADER, QUARTER, stream, number, LateEntryResolution.NO_CHANGE, "title stands", FOUND_ON
    )
    assert round_conflicts(decided_year, QUARTER) == ()
    # and the decision as taken is still shown beside the figures now, with the resolution
    both = decided_figures(decided_year, YEAR)
    assert [(c.version, c.resolution) for c in both.late] == [(number, "reopen")]
    bonus = {f.key: f for f in both.figures}[("annual_bonus", STAFF, YEAR)]
    assert isinstance(bonus.decided, AnnualBonus) and bonus.decided.status is BonusStatus.FULL
    assert isinstance(bonus.current, AnnualBonus) and bonus.current.status is BonusStatus.WITHHELD


def test_d13_a_late_veto_revoked_on_objection_is_a_further_conflict(
    decided_year: AssessmentLedger,
) -> None:
    # given a late veto, resolved with no change, then notified and objected to
    number = late_veto(decided_year)
    stream = decided_year.staff_stream(STAFF)
    decided_year.resolve_late_entry(
        LEADER, YEAR, stream, number, LateEntryResolution.NO_CHANGE, "await objection", FOUND_ON
    )
    decided_year.notify_veto_case(CLERK, STAFF, number, FOUND_ON)
    objection = decided_year.raise_objection(
        Actor(STAFF, Role.STAFF), STAFF, number, "the complainant withdrew", FOUND_ON
    )
    assert objection.number is not None
    # when the supervision office revokes it on the objection
    decided_year.decide_objection(
        CLERK,
        STAFF,
        objection.number,
        ObjectionOutcome.REVOKED,
        "complaint withdrawn",
        "SO-2026-01",
        FOUND_ON,
    )
    # then the revocation is the year's new conflict, and today's annual bonus is full again
    (conflict,) = round_conflicts(decided_year, YEAR)
    assert (conflict.what, conflict.change, conflict.entry.version) == ("veto", "revoked", number)
    bonus = {f.key: f for f in decided_figures(decided_year, YEAR).figures}[
        ("annual_bonus", STAFF, YEAR)
    ]
    assert isinstance(bonus.current, AnnualBonus) and bonus.current.status is BonusStatus.FULL
    decided_year.resolve_late_entry(
        LEADER,
        YEAR,
        stream,
        conflict.version,
        LateEntryResolution.NO_CHANGE,
        "nothing was paid differently",
        FOUND_ON,
    )
    assert round_conflicts(decided_year, YEAR) == ()
