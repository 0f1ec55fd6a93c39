"""The records around the spine (SPEC section 5): the catalogue as versioned data (R-01) and the
organisation's dated holdings, so that who was allowed to do what on any day can be replayed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from builders import BRANCH, COLLEAGUE, LEADER, STAFF, UNASSIGNED, refused, seed_organisation
from ledger.aggregates.catalogue import CatalogueItem
from ledger.application import AssessmentLedger
from ledger.values import OPERATOR, AppliesTo, CatalogueUnit, Role


def item(code: str, points: str) -> CatalogueItem:
    return CatalogueItem(
        code, "条目", "item", Decimal(points), CatalogueUnit.INCIDENT, AppliesTo.PERSON, "basis"
    )


# The catalogue


@pytest.mark.parametrize("points", ["0.3", "0.25", "1.75"])
def test_r01_catalogue_item_points_off_the_half_point_steps_are_refused(
    ledger: AssessmentLedger, points: str
) -> None:
    """Given an item worth 0.3, 0.25 or 1.75 points, when published, then R-01: points are
    steps of 0.5 (R-20) and must be storable with one decimal place."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: ledger.publish_catalogue(OPERATOR, [item("X-1", points)], date(2025, 3, 1), "r"),
        rule="R-01",
    )

    assert error.fields == {"points": points}


@pytest.mark.parametrize("points", ["0", "-1"])
def test_r01_catalogue_item_must_deduct_positive_points(
    ledger: AssessmentLedger, points: str
) -> None:
    """An item that deducts nothing (or adds points, D-07) is refused."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.publish_catalogue(OPERATOR, [item("X-1", points)], date(2025, 3, 1), "r"),
        rule="R-01",
    )


def test_r01_catalogue_versions_take_effect_in_order(ledger: AssessmentLedger) -> None:
    """Given version 2 in force from 2025-03-01, when version 3 would start 2025-02-01, then
    R-01: the catalogue in force on a day must not change after the fact."""
    seed_organisation(ledger)
    ledger.publish_catalogue(OPERATOR, [item("X-1", "1")], date(2025, 3, 1), "new")

    refused(
        ledger,
        lambda: ledger.publish_catalogue(OPERATOR, [item("X-2", "1")], date(2025, 2, 1), "back"),
        rule="R-01",
    )


def test_r01_catalogue_change_is_a_new_version_and_the_old_one_stays(
    ledger: AssessmentLedger,
) -> None:
    """Changing ATT-01 publishes version 2; version 1's ATT-01 is still readable as it was."""
    seed_organisation(ledger)

    outcome = ledger.publish_catalogue(OPERATOR, [item("ATT-01", "1")], date(2025, 3, 1), "review")

    catalogue = ledger.catalogue()
    assert outcome.number == 2
    assert catalogue.version_in_force(date(2025, 2, 28)) == 1
    assert catalogue.version_in_force(date(2025, 3, 1)) == 2
    old, new = catalogue.item("ATT-01", 1), catalogue.item("ATT-01", 2)
    assert old is not None and new is not None
    assert (old.points, new.points) == (Decimal("0.5"), Decimal("1"))


# Dated holdings


def test_role_grant_holds_from_its_date_until_the_day_before_its_revocation(
    ledger: AssessmentLedger,
) -> None:
    """Grant from 2025-02-01, revoke from 2025-03-01: held 2025-02-01 to 2025-02-28."""
    seed_organisation(ledger)
    ledger.grant_role(OPERATOR, COLLEAGUE, Role.SUPERVISION_CLERK, date(2025, 2, 1))
    ledger.revoke_role(OPERATOR, COLLEAGUE, Role.SUPERVISION_CLERK, date(2025, 3, 1))

    organisation = ledger.organisation()

    assert organisation is not None
    held = [
        organisation.holds(COLLEAGUE, Role.SUPERVISION_CLERK, day)
        for day in (date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 28), date(2025, 3, 1))
    ]
    assert held == [False, True, True, False]


def test_revocation_dated_before_the_grant_started_is_refused(ledger: AssessmentLedger) -> None:
    """Given a grant from 2025-03-01, when revoked from 2025-02-01, then refused: the holding
    would end before it began."""
    seed_organisation(ledger)
    ledger.grant_role(OPERATOR, COLLEAGUE, Role.SUPERVISION_CLERK, date(2025, 3, 1))

    refused(
        ledger,
        lambda: ledger.revoke_role(OPERATOR, COLLEAGUE, Role.SUPERVISION_CLERK, date(2025, 2, 1)),
        rule="DATED_RECORDS",
    )


def test_leaving_the_leading_group_before_joining_is_refused(ledger: AssessmentLedger) -> None:
    """L001 joined on 2025-01-01; an end of membership dated 2024-06-01 is refused."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.end_leading_group_membership(OPERATOR, LEADER.person_id, date(2024, 6, 1)),
        rule="DATED_RECORDS",
    )


def test_revoking_a_role_not_held_is_refused(ledger: AssessmentLedger) -> None:
    """Only an open holding can be revoked."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.revoke_role(OPERATOR, COLLEAGUE, Role.SUPERVISION_CLERK, date(2025, 3, 1)),
        rule="ROLES",
    )


def test_roles_implied_by_appointments_are_not_granted(ledger: AssessmentLedger) -> None:
    """leading_group follows from membership, not from a grant (SPEC section 5)."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.grant_role(OPERATOR, COLLEAGUE, Role.LEADING_GROUP, date(2025, 3, 1)),
        rule="ROLES",
    )


def test_branch_secretary_successor_takes_over_on_the_appointment_date(
    ledger: AssessmentLedger,
) -> None:
    """S001 secretary from 2025-01-01, S003 from 2025-03-01: S001 holds branch_secretary for
    B1 until 2025-02-28, S003 from 2025-03-01."""
    seed_organisation(ledger)
    ledger.appoint_branch_secretary(OPERATOR, BRANCH, STAFF, date(2025, 1, 1))
    ledger.appoint_branch_secretary(OPERATOR, BRANCH, UNASSIGNED, date(2025, 3, 1))

    organisation = ledger.organisation()

    assert organisation is not None
    role = Role.BRANCH_SECRETARY
    assert organisation.holds(STAFF, role, date(2025, 2, 28), BRANCH)
    assert not organisation.holds(STAFF, role, date(2025, 3, 1), BRANCH)
    assert organisation.holds(UNASSIGNED, role, date(2025, 3, 1), BRANCH)


def test_branch_secretary_successor_cannot_take_over_before_the_incumbent_started(
    ledger: AssessmentLedger,
) -> None:
    """Given S001 secretary from 2025-03-01, when S003 is appointed from 2025-02-01, then
    refused: S001's term would end before it began."""
    seed_organisation(ledger)
    ledger.appoint_branch_secretary(OPERATOR, BRANCH, STAFF, date(2025, 3, 1))

    refused(
        ledger,
        lambda: ledger.appoint_branch_secretary(OPERATOR, BRANCH, UNASSIGNED, date(2025, 2, 1)),
        rule="DATED_RECORDS",
    )
