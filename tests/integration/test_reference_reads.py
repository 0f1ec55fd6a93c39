"""The catalogue and the organisation are read from memory inside a command, and the store checks
under its write lock that they are still current: a command decided on a stale copy is decided
again on the new one (SPEC section 5: the role in force; R-01: the catalogue version in force)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from builders import CLERK, STAFF, START, TODAY, record, refused, seed_organisation
from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.errors import RoleRequired
from ledger.values import OPERATOR, Role


def test_given_a_role_revoked_by_another_process_when_the_clerk_records_then_it_is_refused(
    ledger: AssessmentLedger, other: AssessmentLedger
) -> None:
    seed_organisation(ledger)
    record(ledger, "INC-1")  # the organisation is now held in memory, clerk granted

    other.revoke_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, TODAY)

    refused(ledger, lambda: record(ledger, "INC-2"), RoleRequired)


def test_given_a_catalogue_changed_by_another_process_when_recording_then_the_new_version_applies(
    ledger: AssessmentLedger, other: AssessmentLedger
) -> None:
    """R-01: the points are those of the catalogue version in force on the incident date."""
    seed_organisation(ledger)
    record(ledger, "INC-1")  # the catalogue (version 1) is now held in memory
    late_arrival = next(item for item in shipped_catalogue() if item.code == "ATT-01")

    other.publish_catalogue(
        OPERATOR, [replace(late_arrival, points=Decimal("1.5"))], START, "stricter on lateness"
    )
    outcome = record(ledger, "INC-2", occurred_on=date(2025, 3, 4))

    assert outcome.number is not None
    deduction = ledger.staff(STAFF).deduction(outcome.number)
    assert (deduction.catalogue_version, deduction.points_applied) == (2, Decimal("1.5"))


def test_given_a_role_revoked_in_the_same_process_when_the_clerk_records_then_it_is_refused(
    ledger: AssessmentLedger,
) -> None:
    seed_organisation(ledger)
    record(ledger, "INC-1")

    ledger.revoke_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, TODAY)

    refused(ledger, lambda: record(ledger, "INC-2"), RoleRequired)
