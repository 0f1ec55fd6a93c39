"""What every procedure step stands on (issue 5 items 5-6): the staff role over one's own records,
deadlines counted on the loaded calendar (a year not loaded is refused, naming how to load it),
and the policy's view of the log kept current between commands."""

from __future__ import annotations

from datetime import date

import pytest

from builders import COLLEAGUE, STAFF, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.demo import package_calendar
from ledger.errors import RoleRequired, RuleViolation
from ledger.values import OPERATOR, Actor, Role


@pytest.fixture
def seeded(ledger: AssessmentLedger) -> AssessmentLedger:
    seed_organisation(ledger)
    return ledger


def _load(ledger: AssessmentLedger, year: int) -> None:
    statutory = package_calendar(year)
    ledger.load_calendar_year(
        OPERATOR, year, statutory.holidays, statutory.makeup_workdays, statutory.source
    )


def test_a_staff_member_holds_the_staff_role_over_their_own_records(
    seeded: AssessmentLedger,
) -> None:
    seeded._authorise(
        Actor(STAFF, Role.STAFF), Role.STAFF, date(2025, 3, 3), command="t", scope=STAFF
    )


def test_the_staff_role_does_not_reach_a_colleagues_records(seeded: AssessmentLedger) -> None:
    with pytest.raises(RoleRequired, match="did not hold staff for S002"):
        seeded._authorise(
            Actor(STAFF, Role.STAFF), Role.STAFF, date(2025, 3, 3), command="t", scope=COLLEAGUE
        )


def test_the_staff_role_starts_on_the_day_of_registration(seeded: AssessmentLedger) -> None:
    with pytest.raises(RoleRequired):
        seeded._authorise(
            Actor(STAFF, Role.STAFF), Role.STAFF, date(2024, 12, 31), command="t", scope=STAFF
        )


def test_a_deadline_is_counted_on_the_loaded_calendar_and_records_its_version(
    seeded: AssessmentLedger,
) -> None:
    # given the loaded 2025 calendar (National Day holidays 1-8 October, 11 October made up)
    _load(seeded, 2025)
    # when three working days after 30 September are counted (R-09, D-16)
    deadline = seeded.working_days_after(date(2025, 9, 30), 3)
    # then the make-up Saturday is the last day, and the load is named
    assert deadline.due_on == date(2025, 10, 11)
    assert deadline.calendar_versions == (f"2025: {package_calendar(2025).source} (v1)",)


def test_a_deadline_in_a_year_not_loaded_is_refused_naming_the_command_to_load_it(
    seeded: AssessmentLedger,
) -> None:
    with pytest.raises(RuleViolation, match="ledger calendar load 2025") as refusal:
        seeded.working_days_after(date(2025, 9, 30), 3)
    assert refusal.value.rule == "CALENDAR"


def test_the_policy_state_follows_the_log_between_commands(seeded: AssessmentLedger) -> None:
    # given the policy's view read once
    with seeded.policy_state() as state:
        assert not state.staff[STAFF].deductions
        first = state.position
    # when a deduction is recorded
    record(seeded, "INC-FOUNDATIONS")
    # then the next read has it, folded from where the last one stopped
    with seeded.policy_state() as state:
        assert len(state.staff[STAFF].deductions) == 1
        assert state.position == seeded.head_position() > first
