"""Deductions as recorded (R-01): points applied = points × quantity under the catalogue version
in force on the incident date, stored canonically, with the actor and the source."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from builders import CLERK, STAFF, record, seed_organisation
from ledger.aggregates.catalogue import CatalogueItem
from ledger.application import AssessmentLedger
from ledger.values import OPERATOR, AppliesTo, CatalogueUnit


def last_payload(ledger: AssessmentLedger) -> dict[str, object]:
    return ledger.history(ledger.staff_stream(STAFF), newest_first=True, limit=1)[0].payload


def test_r01_points_applied_are_points_times_quantity_for_a_half_day_item(
    ledger: AssessmentLedger,
) -> None:
    """Given ATT-05 (unauthorised absence, 3 points per half day), when 3 half days are
    recorded, then 9.0 points are applied."""
    seed_organisation(ledger)

    outcome = record(ledger, "INC-1", item_code="ATT-05", quantity=3)

    assert outcome.number is not None
    deduction = ledger.staff(STAFF).deduction(outcome.number)
    assert (deduction.quantity, deduction.points_applied) == (3, Decimal("9"))


def test_r01_points_applied_are_stored_with_one_decimal_place(ledger: AssessmentLedger) -> None:
    """SPEC section 5: ATT-05 × 3 is stored as "9.0", with the quantity and catalogue version."""
    seed_organisation(ledger)

    record(ledger, "INC-1", item_code="ATT-05", quantity=3)

    payload = last_payload(ledger)
    assert payload["points_applied"] == "9.0"
    assert (payload["item_code"], payload["quantity"], payload["catalogue_version"]) == (
        "ATT-05",
        3,
        1,
    )


def test_r01_deduction_uses_the_catalogue_version_in_force_on_the_incident_date(
    ledger: AssessmentLedger,
) -> None:
    """Given ATT-01 changed from 0.5 to 1 point from 2025-03-01 (version 2), then an incident of
    2025-02-28 is priced by version 1 and one of 2025-03-01 by version 2."""
    seed_organisation(ledger)
    changed = CatalogueItem(
        "ATT-01", "迟到", "late", Decimal("1"), CatalogueUnit.INCIDENT, AppliesTo.PERSON, "review"
    )
    ledger.publish_catalogue(OPERATOR, [changed], date(2025, 3, 1), "annual review")

    before = record(ledger, "INC-1", occurred_on=date(2025, 2, 28)).number
    after = record(ledger, "INC-2", occurred_on=date(2025, 3, 1)).number

    staff = ledger.staff(STAFF)
    assert before is not None and after is not None
    assert (staff.deduction(before).catalogue_version, staff.deduction(before).points_applied) == (
        1,
        Decimal("0.5"),
    )
    assert (staff.deduction(after).catalogue_version, staff.deduction(after).points_applied) == (
        2,
        Decimal("1"),
    )


def test_deduction_records_its_actor_source_evidence_and_incident(
    ledger: AssessmentLedger,
) -> None:
    """Every event carries the actor (id and role) and, for entries, source, evidence and
    incident reference (SPEC section 5)."""
    seed_organisation(ledger)

    record(ledger, "INC-1")

    payload = last_payload(ledger)
    assert {key: payload[key] for key in ("actor_id", "actor_role", "source")} == {
        "actor_id": CLERK.person_id,
        "actor_role": "supervision_clerk",
        "source": "supervision_inspection",
    }
    assert (payload["incident_ref"], payload["evidence_ref"], payload["occurred_on"]) == (
        "INC-1",
        "evidence of INC-1",
        "2025-03-03",
    )


def test_outcome_names_the_entry_and_the_records_it_changed(ledger: AssessmentLedger) -> None:
    """The outcome gives the deduction's number (its version on the staff stream), the records
    changed with their new versions, and the log position written."""
    seed_organisation(ledger)
    version = ledger.staff(STAFF).version

    outcome = record(ledger, "INC-1")

    assert outcome.number == version + 1
    assert (str(ledger.staff_stream(STAFF)), version + 1) in outcome.records
    assert outcome.position == ledger.head_position()
    assert outcome.replayed is False
