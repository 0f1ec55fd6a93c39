"""A small center for the quarterly evaluation tests (R-08–R-11): two party branches with two
windows each, a functional office, a secretary per branch, the 2025 calendar, and the quarter's
round open.

    B1: W01 (S001, S004), W02 (S002, a one-person window), OF1 (C001, L001), OF2 (F001)
    B2: W03 (S005), W04 (S006)

S004 is B1's secretary, S005 B2's; F001 holds functional_office for OF2; S003 is in no unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from builders import (
    BRANCH,
    CLERK,
    COLLEAGUE,
    LEADER,
    OTHER_WINDOW,
    STAFF,
    START,
    WINDOW,
    at,
    seed_organisation,
)
from ledger.aggregates.quarterly_evaluation import BallotMode
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.demo import package_calendar
from ledger.values import OPERATOR, Actor, Role, StaffCategory, UnitKind

Q1 = "2025-Q1"
Q3 = "2025-Q3"
OTHER_BRANCH = "B2"
FUNCTIONAL = "OF2"
W03, W04 = "W03", "W04"
B1_SECRETARY = "S004"
"""A clerk of W01 and B1's secretary."""
B2_SECRETARY = "S005"
"""The one member of W03 and B2's secretary."""
B2_MEMBER = "S006"
OFFICER = "F001"
"""OF2's officer, holding functional_office for OF2."""

SECRETARY = Actor(B1_SECRETARY, Role.BRANCH_SECRETARY)
OTHER_SECRETARY = Actor(B2_SECRETARY, Role.BRANCH_SECRETARY)
OFFICE_ACTOR = Actor(OFFICER, Role.FUNCTIONAL_OFFICE)

B1_VOTERS = ("C001", OFFICER, "L001", STAFF, COLLEAGUE, B1_SECRETARY)
"""Everybody assigned to a unit of B1: the branch's electorate."""

OPINION_ON = date(2025, 3, 28)
COMPILED_ON = date(2025, 4, 2)
"""Before the D-16 deadline of Q1 (3 working days after 31 March: 3 April)."""
AFTER_Q1 = date(2025, 4, 15)
"""The clock's day once Q1's procedure runs."""


def staff_actor(number: str) -> Actor:
    """A staff member acting over their own records."""
    return Actor(number, Role.STAFF)


def load_calendar(ledger: AssessmentLedger, year: int = 2025) -> None:
    """The statutory calendar of a year, from the chinese-calendar package."""
    statutory = package_calendar(year)
    ledger.load_calendar_year(
        OPERATOR, year, statutory.holidays, statutory.makeup_workdays, statutory.source
    )


def seed_center(ledger: AssessmentLedger, clock: SettableClock, quarter: str = Q1) -> None:
    """The small center on 2025-03-10 with the quarter's round open; the clock then stands on
    AFTER_Q1 (or 2025-10-20 for Q3)."""
    seed_organisation(ledger)
    ledger.form_party_branch(OPERATOR, OTHER_BRANCH, "Second branch", START)
    ledger.open_unit(OPERATOR, FUNCTIONAL, "General", UnitKind.OFFICE, "Center", BRANCH, START)
    ledger.open_unit(OPERATOR, W03, "Police", UnitKind.WINDOW, "Police", OTHER_BRANCH, START)
    ledger.open_unit(OPERATOR, W04, "Notary", UnitKind.WINDOW, "Notary", OTHER_BRANCH, START)
    for number, unit in (
        (B1_SECRETARY, WINDOW),
        (B2_SECRETARY, W03),
        (B2_MEMBER, W04),
        (OFFICER, FUNCTIONAL),
    ):
        ledger.register_staff(OPERATOR, number, number, StaffCategory.CIVIL_SERVANT, "Dept", START)
        ledger.assign_staff(OPERATOR, number, unit, START)
    ledger.appoint_branch_secretary(OPERATOR, BRANCH, B1_SECRETARY, START)
    ledger.appoint_branch_secretary(OPERATOR, OTHER_BRANCH, B2_SECRETARY, START)
    ledger.grant_role(OPERATOR, OFFICER, Role.FUNCTIONAL_OFFICE, START, scope=FUNCTIONAL)
    load_calendar(ledger)
    if quarter == Q1:
        ledger.open_round(CLERK, Q1, date(2025, 3, 10))
        clock.set(at(AFTER_Q1))
    else:
        clock.set(at(date(2025, 10, 20)))
        ledger.open_round(CLERK, quarter, date(2025, 10, 9))


def ratings_for(
    voter_window: str | None, branch: str = BRANCH, mark: str = "good"
) -> dict[str, str]:
    """A valid ballot: every window of the branch but the voter's own, all with one mark."""
    windows = (WINDOW, OTHER_WINDOW) if branch == BRANCH else (W03, W04)
    return {code: mark for code in windows if code != voter_window}


OWN_WINDOW: Mapping[str, str | None] = {
    STAFF: WINDOW,
    B1_SECRETARY: WINDOW,
    COLLEAGUE: OTHER_WINDOW,
    "C001": None,
    "L001": None,
    OFFICER: None,
    B2_SECRETARY: W03,
    B2_MEMBER: W04,
}


def compiled(ledger: AssessmentLedger, quarter: str = Q1) -> None:
    """An opinion from OF2 and its compilation, in time."""
    ledger.submit_opinion(OFFICE_ACTOR, quarter, STAFF, "punctual and courteous", OPINION_ON)
    ledger.compile_opinions(CLERK, quarter, COMPILED_ON)


def opened(ledger: AssessmentLedger, mode: BallotMode = BallotMode.OPEN, quarter: str = Q1) -> None:
    """Compiled, and both branches' mutual evaluations opened in `mode`."""
    compiled(ledger, quarter)
    ledger.open_mutual_evaluation(SECRETARY, quarter, BRANCH, mode)
    ledger.open_mutual_evaluation(OTHER_SECRETARY, quarter, OTHER_BRANCH, mode)


def vote_all(ledger: AssessmentLedger, branch: str = BRANCH, quarter: str = Q1) -> None:
    """Every member of the branch casts a valid ballot."""
    voters = B1_VOTERS if branch == BRANCH else (B2_SECRETARY, B2_MEMBER)
    for voter in voters:
        ledger.cast_ballot(
            staff_actor(voter), quarter, branch, ratings_for(OWN_WINDOW[voter], branch)
        )


def tallied(ledger: AssessmentLedger, mode: BallotMode = BallotMode.OPEN) -> None:
    """Both branches voted and tallied."""
    opened(ledger, mode)
    vote_all(ledger, BRANCH)
    vote_all(ledger, OTHER_BRANCH)
    ledger.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)
    ledger.tally_mutual_evaluation(OTHER_SECRETARY, Q1, OTHER_BRANCH)


def recommended(
    ledger: AssessmentLedger,
    individuals: tuple[str, ...] = (B1_SECRETARY,),
    windows: tuple[str, ...] = (WINDOW,),
) -> None:
    """Both branches tallied; B1 recommends `individuals` and `windows`, B2 recommends W04."""
    tallied(ledger)
    ledger.recommend(SECRETARY, Q1, BRANCH, individuals, windows, AFTER_Q1)
    ledger.recommend(OTHER_SECRETARY, Q1, OTHER_BRANCH, (B2_MEMBER,), (W04,), AFTER_Q1)


def examined(ledger: AssessmentLedger) -> None:
    """Recommended, and the leading group accepts S004, W01 and W04 (not S006)."""
    recommended(ledger)
    ledger.examine_recommendations(LEADER, Q1, (B1_SECRETARY,), (WINDOW, W04), AFTER_Q1)
