"""Dated membership (SPEC 4.2, D-03): an assignment counts from its date inclusive, a release
ends it the day before its date, a same-day transfer puts the person in the new unit that day,
and a person has at most one active assignment."""

from __future__ import annotations

from datetime import date

from builders import (
    OTHER_WINDOW,
    STAFF,
    START,
    UNASSIGNED,
    WINDOW,
    record,
    refused,
    seed_organisation,
)
from ledger.application import AssessmentLedger
from ledger.values import OPERATOR

FEB_1 = date(2025, 2, 1)
MAR_1 = date(2025, 3, 1)


def test_assignment_counts_from_its_date_inclusive(ledger: AssessmentLedger) -> None:
    """Given an assignment to W01 on 2025-02-01, then the person is in W01 on 2025-02-01 and
    in no unit on 2025-01-31."""
    seed_organisation(ledger)

    ledger.assign_staff(OPERATOR, UNASSIGNED, WINDOW, FEB_1)

    staff = ledger.staff(UNASSIGNED)
    assert staff.unit_on(date(2025, 1, 31)) is None
    assert staff.unit_on(FEB_1) == WINDOW
    assert staff.unit_on(date(2025, 3, 10)) == WINDOW


def test_deduction_on_the_assignment_date_is_accepted_and_the_day_before_refused(
    ledger: AssessmentLedger,
) -> None:
    """The membership boundary decides whether a person item can be recorded (D-03)."""
    seed_organisation(ledger)
    ledger.assign_staff(OPERATOR, UNASSIGNED, WINDOW, FEB_1)

    refused(
        ledger,
        lambda: record(ledger, "INC-1", staff_number=UNASSIGNED, occurred_on=date(2025, 1, 31)),
        rule="R-01",
    )
    assert record(ledger, "INC-2", staff_number=UNASSIGNED, occurred_on=FEB_1).number


def test_release_ends_the_membership_the_day_before_its_date(ledger: AssessmentLedger) -> None:
    """Given a release on 2025-03-01, then the person is in W01 on 2025-02-28 and in no unit
    on 2025-03-01."""
    seed_organisation(ledger)

    ledger.release_staff(OPERATOR, STAFF, MAR_1)

    staff = ledger.staff(STAFF)
    assert staff.unit_on(date(2025, 2, 28)) == WINDOW
    assert staff.unit_on(MAR_1) is None
    assert staff.current_assignment is None


def test_deduction_on_the_release_date_is_refused_and_the_day_before_accepted(
    ledger: AssessmentLedger,
) -> None:
    """After a release on 2025-03-01 a person item of that day is refused, one of 2025-02-28
    is recorded."""
    seed_organisation(ledger)
    ledger.release_staff(OPERATOR, STAFF, MAR_1)

    refused(ledger, lambda: record(ledger, "INC-1", occurred_on=MAR_1), rule="R-01")
    assert record(ledger, "INC-2", occurred_on=date(2025, 2, 28)).number


def test_same_day_transfer_puts_the_person_in_the_new_unit_that_day(
    ledger: AssessmentLedger,
) -> None:
    """Given a transfer from W01 to W02 on 2025-03-01, then the person is in W01 on 2025-02-28
    and in W02 on 2025-03-01 (SPEC 4.2)."""
    seed_organisation(ledger)

    ledger.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, MAR_1)

    staff = ledger.staff(STAFF)
    assert staff.unit_on(date(2025, 2, 28)) == WINDOW
    assert staff.unit_on(MAR_1) == OTHER_WINDOW
    assert staff.current_assignment is not None
    assert staff.current_assignment.unit_code == OTHER_WINDOW


def test_transfer_records_a_release_and_an_assignment_in_one_command(
    ledger: AssessmentLedger,
) -> None:
    """A transfer is the release and the new assignment, same date, saved together."""
    seed_organisation(ledger)

    outcome = ledger.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, MAR_1)

    last_two = ledger.history(ledger.staff_stream(STAFF), newest_first=True, limit=2)[::-1]
    assert [item.event for item in last_two] == [
        "ledger.staff.Released.v1",
        "ledger.staff.Assigned.v1",
    ]
    assert [item.payload["unit_code"] for item in last_two] == [WINDOW, OTHER_WINDOW]
    assert {item.payload["effective_on"] for item in last_two} == {"2025-03-01"}
    assert last_two[-1].position == outcome.position
    assert last_two[0].recorded_at == last_two[1].recorded_at


def test_at_most_one_active_assignment(ledger: AssessmentLedger) -> None:
    """Given a person assigned to W01, when assigned to W02 without a release, then refused
    (ONE_ASSIGNMENT) and nothing is recorded."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: ledger.assign_staff(OPERATOR, STAFF, OTHER_WINDOW, MAR_1),
        rule="ONE_ASSIGNMENT",
    )

    assert error.fields == {"unit_code": OTHER_WINDOW}
    assert ledger.staff(STAFF).unit_on(MAR_1) == WINDOW


def test_release_of_someone_assigned_nowhere_is_refused(ledger: AssessmentLedger) -> None:
    """Only an open assignment can end."""
    seed_organisation(ledger)

    refused(
        ledger, lambda: ledger.release_staff(OPERATOR, UNASSIGNED, MAR_1), rule="ONE_ASSIGNMENT"
    )


def test_transfer_to_the_current_unit_is_refused(ledger: AssessmentLedger) -> None:
    """A transfer must change the unit."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.transfer_staff(OPERATOR, STAFF, WINDOW, MAR_1),
        rule="ONE_ASSIGNMENT",
    )


def test_release_on_the_assignment_date_is_refused(ledger: AssessmentLedger) -> None:
    """A release on the day the assignment starts would leave an empty membership."""
    seed_organisation(ledger)

    refused(ledger, lambda: ledger.release_staff(OPERATOR, STAFF, START), rule="DATED_RECORDS")


def test_membership_changes_are_recorded_in_date_order(ledger: AssessmentLedger) -> None:
    """Given a transfer on 2025-03-01, when a release dated 2025-02-15 follows, then refused:
    it would rewrite the dated history."""
    seed_organisation(ledger)
    ledger.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, MAR_1)

    refused(
        ledger,
        lambda: ledger.release_staff(OPERATOR, STAFF, date(2025, 2, 15)),
        rule="DATED_RECORDS",
    )


def test_assignment_to_a_unit_before_it_opened_is_refused(ledger: AssessmentLedger) -> None:
    """Units opened on 2025-01-01 have no members the day before."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.assign_staff(OPERATOR, UNASSIGNED, WINDOW, date(2024, 12, 31)),
        rule="DATED_RECORDS",
    )


def test_reassignment_after_a_release_starts_a_new_membership(ledger: AssessmentLedger) -> None:
    """Released on 2025-02-01 and assigned to W02 on 2025-03-01: in W01 until 2025-01-31, in no
    unit in February, in W02 from 2025-03-01."""
    seed_organisation(ledger)
    ledger.release_staff(OPERATOR, STAFF, FEB_1)

    ledger.assign_staff(OPERATOR, STAFF, OTHER_WINDOW, MAR_1)

    staff = ledger.staff(STAFF)
    assert [staff.unit_on(day) for day in (date(2025, 1, 31), FEB_1, date(2025, 2, 28), MAR_1)] == [
        WINDOW,
        None,
        None,
        OTHER_WINDOW,
    ]
