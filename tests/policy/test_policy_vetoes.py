"""One-vote veto (SPEC 4.4): the annual bonus withheld with a notice (R-32), the recommendation
to the home unit (R-33), ineligibility (R-35, D-14), in the year of the incident (D-13), for
every case V1–V8 (D-10, D-11), and no automatic effect on the window (D-12)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from policy_support import deduct, number_of, state_of, veto

from builders import CLERK, LEADER, SOURCE, STAFF, WINDOW, approve_year, ready_for_the_year
from ledger.application import AssessmentLedger
from ledger.policy import (
    BonusStatus,
    Reason,
    annual_bonus,
    excellent_grade,
    excellent_individual,
    excellent_window,
    home_unit_recommendation,
    late_entries,
    other_period,
)
from ledger.values import OPERATOR, LateEntryResolution, Period, VetoCase

YEAR = Period.parse("2025")


def quarter(n: int, year: int = 2025) -> Period:
    return Period.parse(f"{year}-Q{n}")


def test_R32_a_veto_withholds_the_annual_bonus_and_circulates_a_notice(
    center: AssessmentLedger,
) -> None:
    """Given a veto case in 2025, then the 2025 annual bonus is withheld and a notice circulated,
    under R-32, counting the case."""
    case = veto(center, date(2025, 6, 3))

    figure = annual_bonus(state_of(center), STAFF, YEAR)

    assert (figure.rule, figure.status, figure.notice) == ("R-32", BonusStatus.WITHHELD, True)
    assert [c.ref.version for c in figure.trace.counted] == [number_of(case)]


def test_R32_a_revoked_veto_withholds_nothing_and_says_why(center: AssessmentLedger) -> None:
    """Given a veto case that was revoked, then the annual bonus is full, no notice, and the case
    is left out as revoked, naming the revocation."""
    case = veto(center, date(2025, 6, 3))
    revocation = center.revoke_veto_case(
        CLERK, STAFF, number_of(case), date(2026, 1, 10), "appeal upheld"
    )

    figure = annual_bonus(state_of(center), STAFF, YEAR)

    assert (figure.status, figure.notice) == (BonusStatus.FULL, False)
    (left,) = figure.trace.left_out
    assert left.reason is Reason.REVOKED
    assert left.by is not None and left.by.version == revocation.records[0][1]


def test_R33_a_veto_recommends_withholding_to_the_home_unit(center: AssessmentLedger) -> None:
    """Given a veto case in 2025, then the center records an R-33 recommendation to the person's
    home unit; without one there is none."""
    veto(center, date(2025, 6, 3))

    state = state_of(center)
    recommendation = home_unit_recommendation(state, STAFF, YEAR)

    assert recommendation is not None
    assert (recommendation.rule, recommendation.home_unit) == ("R-33", "Tax bureau")
    assert home_unit_recommendation(state, "S002", YEAR) is None


def test_R35_a_veto_in_q3_bars_q3_q4_and_the_year_but_not_q2(center: AssessmentLedger) -> None:
    """Given no points and a veto case on 5 August (Q3), then quarterly excellent individual
    stays open in Q1 and Q2 and is barred in Q3 and Q4 under R-35, and the annual excellent
    grade is barred."""
    veto(center, date(2025, 8, 5))

    state = state_of(center)
    quarters = {n: excellent_individual(state, STAFF, quarter(n)) for n in (1, 2, 3, 4)}
    grade = excellent_grade(state, STAFF, YEAR)

    assert [quarters[n].eligible for n in (1, 2, 3, 4)] == [True, True, False, False]
    assert quarters[3].barred_by == ("R-35",) and quarters[3].rule == "R-35"
    assert (grade.eligible, grade.barred_by) == (False, ("R-35",))


def test_R35_points_and_a_veto_both_bar_and_both_are_named(center: AssessmentLedger) -> None:
    """Given 3 points and a veto case in Q3, then Q3 is barred by R-21 and R-35."""
    deduct(center, date(2025, 8, 1), "3")
    veto(center, date(2025, 8, 5))

    figure = excellent_individual(state_of(center), STAFF, quarter(3))

    assert figure.barred_by == ("R-21", "R-35")


def test_D14_titles_of_earlier_quarters_stand_and_the_later_veto_is_left_out_as_later(
    center: AssessmentLedger,
) -> None:
    """Given a veto case in Q3, when Q2 is explained, then the case is left out as another
    (later) period under D-14 (not in Q2's stored trace: it belongs to Q3)."""
    case = veto(center, date(2025, 8, 5))
    state = state_of(center)

    figure = excellent_individual(state, STAFF, quarter(2))

    assert figure.eligible
    assert figure.trace.left_out == ()
    (left,) = other_period(state, figure)
    assert (left.ref.version, left.reason) == (number_of(case), Reason.OTHER_PERIOD)
    assert "D-14" in left.detail


def test_D14_a_veto_does_not_reach_into_the_next_year(center: AssessmentLedger) -> None:
    """Given a veto case in Q4 2025, then Q1 2026 and the 2026 grade are unaffected."""
    veto(center, date(2025, 11, 5))

    state = state_of(center)

    assert excellent_individual(state, STAFF, quarter(1, 2026)).eligible
    assert excellent_grade(state, STAFF, Period.parse("2026")).eligible


def test_D14_a_policy_with_the_whole_year_reading_bars_every_quarter(
    center: AssessmentLedger,
) -> None:
    """Given a policy version adopting the whole-year reading and a veto in Q3, then Q1 and Q2
    are barred as well, and the figures name that version."""
    center.adopt_policy(
        OPERATOR, "whole-year", date(2025, 1, 1), {"veto_bars_quarters": "whole_year"}
    )
    veto(center, date(2025, 8, 5))

    state = state_of(center)

    assert [excellent_individual(state, STAFF, quarter(n)).eligible for n in (1, 2, 3, 4)] == [
        False
    ] * 4
    assert excellent_individual(state, STAFF, quarter(1)).policy_version == "whole-year"


@pytest.mark.parametrize("case", list(VetoCase))
def test_D10_D11_every_veto_case_has_the_same_effects(
    center: AssessmentLedger, case: VetoCase
) -> None:
    """Given a veto case of any kind (V3 is an overdue case, D-10; V4 either failure, D-11),
    then the annual bonus is withheld and the grade barred."""
    veto(center, date(2025, 6, 3), case=case)

    state = state_of(center)

    assert annual_bonus(state, STAFF, YEAR).status is BonusStatus.WITHHELD
    assert not excellent_grade(state, STAFF, YEAR).eligible


def test_D10_an_overdue_case_is_a_veto_not_points(center: AssessmentLedger) -> None:
    """Given an overdue case recorded as V3 (D-10: 超时, not "working overtime"), then it adds no
    points to any total and bars the quarter under R-35 alone."""
    veto(center, date(2025, 6, 3), case=VetoCase.V3)

    figure = excellent_individual(state_of(center), STAFF, quarter(2))

    assert figure.total == 0
    assert figure.barred_by == ("R-35",)


def test_D11_a_service_card_not_handed_in_alone_triggers_v4(center: AssessmentLedger) -> None:
    """Given a V4 case verified for the service card alone (the project was filed), then it has
    the veto effects: either failure triggers V4 (D-11)."""
    center.record_veto_case(
        CLERK,
        STAFF,
        VetoCase.V4,
        date(2025, 6, 3),
        "INC-V4-CARD",
        "evidence",
        "project filed; service card not handed to the center",
        SOURCE,
    )

    assert annual_bonus(state_of(center), STAFF, YEAR).status is BonusStatus.WITHHELD


def test_D12_a_members_veto_has_no_automatic_effect_on_the_window(
    center: AssessmentLedger,
) -> None:
    """Given a veto case against W01's only member in Q1, then W01's Q1 total stays 0 and it
    stays eligible; the case is not even in its trace."""
    veto(center, date(2025, 2, 3))

    figure = excellent_window(state_of(center), WINDOW, quarter(1))

    assert (figure.total, figure.eligible) == (Decimal(0), True)
    assert figure.trace.counted == () and figure.trace.left_out == ()


def test_D13_a_veto_found_the_next_year_counts_in_the_year_of_the_incident(
    center: AssessmentLedger,
) -> None:
    """Given a veto case recorded in January 2026 for an incident of December 2025, then the
    2025 annual bonus is withheld and 2026's is not."""
    veto(center, date(2025, 12, 20))

    state = state_of(center)

    assert annual_bonus(state, STAFF, YEAR).status is BonusStatus.WITHHELD
    assert annual_bonus(state, STAFF, Period.parse("2026")).status is BonusStatus.FULL


def test_D13_a_veto_found_after_the_years_decision_is_a_late_entry_until_resolved(
    center: AssessmentLedger,
) -> None:
    """Given the 2025 results decided on 9 January 2026 and a 2025 veto case recorded after, then
    the current figures bar the grade, and the case is listed as a late entry of the year's
    round, unresolved until the leading group records a resolution."""
    center.open_round(CLERK, "2025", date(2026, 1, 2))
    ready_for_the_year(center)
    approve_year(center, 2025, date(2026, 1, 2), date(2026, 1, 9))
    center.decide_period(LEADER, "2025", "LG-2026-01", date(2026, 1, 9))
    case = veto(center, date(2025, 9, 1))

    before = state_of(center)
    (late,) = late_entries(before, "2025")
    center.resolve_late_entry(
        LEADER,
        "2025",
        center.staff_stream(STAFF),
        number_of(case),
        LateEntryResolution.NO_CHANGE,
        "decision stands; reconsider at reopening",
        date(2026, 1, 10),
    )
    (resolved,) = late_entries(state_of(center), "2025")

    assert not excellent_grade(before, STAFF, YEAR).eligible
    assert (late.what, late.change, late.ref.version, late.resolution) == (
        "veto",
        "recorded",
        number_of(case),
        None,
    )
    assert resolved.resolution == "no_change"
