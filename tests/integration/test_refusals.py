"""Refusals (issue 2, item 4): a command that breaks a rule raises an error naming the rule and
records nothing. Every test runs on memory, a SQLite file and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    LEADER_AS_CLERK,
    OFFICE,
    SOURCE,
    STAFF,
    START,
    TODAY,
    UNASSIGNED,
    WINDOW,
    at,
    record,
    refused,
    seed_organisation,
)
from ledger.aggregates.bonus_sheet import BonusSheet
from ledger.aggregates.catalogue import CatalogueItem
from ledger.aggregates.incident import Incident
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.errors import RecordNotFound, RoleRequired
from ledger.values import (
    OPERATOR,
    Actor,
    AppliesTo,
    CatalogueUnit,
    DeductionSource,
    Role,
    StaffCategory,
    VetoCase,
)

# the catalogue, quantities and points


def test_r01_unknown_catalogue_code_is_refused(ledger: AssessmentLedger) -> None:
    """Given the catalogue, when a deduction names a code it does not have, then R-01."""
    seed_organisation(ledger)

    error = refused(ledger, lambda: record(ledger, "INC-1", item_code="XXX-99"), rule="R-01")

    assert error.fields == {"item_code": "XXX-99"}


def test_r01_item_defined_after_the_incident_date_is_refused(ledger: AssessmentLedger) -> None:
    """Given NEW-01 defined by a catalogue version in force from 2025-03-01, when an incident of
    2025-02-28 is recorded under it, then R-01 (the version in force that day lacks it); an
    incident of 2025-03-01 is recorded."""
    seed_organisation(ledger)
    new_item = CatalogueItem(
        "NEW-01", "新条目", "new item", Decimal("1"), CatalogueUnit.INCIDENT, AppliesTo.PERSON, ""
    )
    ledger.publish_catalogue(OPERATOR, [new_item], date(2025, 3, 1), "new item")

    refused(
        ledger,
        lambda: record(ledger, "INC-1", item_code="NEW-01", occurred_on=date(2025, 2, 28)),
        rule="R-01",
    )
    assert record(ledger, "INC-1", item_code="NEW-01", occurred_on=date(2025, 3, 1)).number


def test_r01_quantity_zero_is_refused(ledger: AssessmentLedger) -> None:
    """A quantity is a whole number of the item's unit, at least 1 (R-01)."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", item_code="ATT-05", quantity=0), rule="R-01")


def test_r01_negative_quantity_is_refused(ledger: AssessmentLedger) -> None:
    """A negative quantity would add points back: refused (R-01)."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", item_code="ATT-05", quantity=-1), rule="R-01")


def test_r03_quantity_two_of_a_per_incident_item_is_refused(ledger: AssessmentLedger) -> None:
    """An incident item counts each incident once: quantity 2 would record two incidents in one
    entry (R-03 with R-01's units)."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", item_code="ATT-01", quantity=2), rule="R-03")


def test_r01_points_not_a_multiple_of_half_are_refused(ledger: AssessmentLedger) -> None:
    """Given a leading-group override with a reason, when the points are 2.3, then R-01."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: record(
            ledger,
            "INC-1",
            actor=LEADER,
            points="2.3",
            override_reason="severity",
            decision_ref="D",
        ),
        rule="R-01",
    )

    assert error.fields == {"points": "2.3"}


def test_r01_points_override_without_a_reason_is_refused(ledger: AssessmentLedger) -> None:
    """Given the leading group, when it records points other than the catalogue's without a
    reason, then R-01 asks for the reason."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", actor=LEADER, points="2.0"), rule="R-01")


def test_r01_points_override_by_a_supervision_clerk_needs_the_leading_group(
    ledger: AssessmentLedger,
) -> None:
    """Given a supervision clerk, when they override the points even with a reason, then
    RoleRequired names leading_group (R-01: any other value needs the leading group's role)."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: record(ledger, "INC-1", points="2.0", override_reason="severity"),
        RoleRequired,
        rule="ROLES",
    )

    assert isinstance(error, RoleRequired)
    assert error.needed == "leading_group"
    assert "leading group" in error.message


def test_r01_points_override_by_the_leading_group_with_a_reason_is_recorded(
    ledger: AssessmentLedger,
) -> None:
    """Given the leading group and a reason, when it overrides the points, then the deduction
    records the points applied and the reason."""
    seed_organisation(ledger)

    outcome = record(ledger, "INC-1", actor=LEADER, points="2.0", override_reason="repeated")

    assert outcome.number is not None
    deduction = ledger.staff(STAFF).deduction(outcome.number)
    assert str(deduction.points_applied) == "2.0"
    payload = ledger.history(ledger.staff_stream(STAFF), newest_first=True, limit=1)[0].payload
    assert (payload["points_applied"], payload["override_reason"]) == ("2.0", "repeated")


def test_r01_points_equal_to_the_catalogues_need_no_override(ledger: AssessmentLedger) -> None:
    """Stating the catalogue's own points is no override: a clerk may do it without a reason."""
    seed_organisation(ledger)

    outcome = record(ledger, "INC-1", item_code="ATT-05", quantity=2, points="6")

    assert outcome.number is not None
    assert ledger.staff(STAFF).deduction(outcome.number).points_applied == Decimal("6")


# incident dates


def test_r20_incident_date_in_the_future_is_refused(ledger: AssessmentLedger) -> None:
    """Given today 2025-03-10 at the center, when an incident of tomorrow is recorded, then
    R-20 refuses it."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: record(ledger, "INC-1", occurred_on=TODAY + timedelta(days=1)),
        rule="R-20",
    )

    assert error.fields == {"occurred_on": "2025-03-11"}


def test_r20_today_is_the_calendar_day_at_the_center(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Given 00:30 on 2025-03-11 in Shanghai (still 2025-03-10 in UTC), when an incident of
    2025-03-11 is recorded, then it is not in the future."""
    seed_organisation(ledger)
    clock.set(at(date(2025, 3, 11), 0, 30))

    outcome = record(ledger, "INC-1", occurred_on=date(2025, 3, 11))

    assert outcome.number is not None


def test_r20_incident_before_the_measures_took_effect_is_refused(ledger: AssessmentLedger) -> None:
    """The Measures apply from 2009-02-01 (SPEC 4.8): an incident of 2009-01-31 is refused."""
    seed_organisation(ledger)

    error = refused(
        ledger, lambda: record(ledger, "INC-1", occurred_on=date(2009, 1, 31)), rule="R-20"
    )

    assert error.fields == {"occurred_on": "2009-01-31"}


# Membership on the incident date, and R-02


def test_r01_person_item_for_someone_assigned_nowhere_that_day_is_refused(
    ledger: AssessmentLedger,
) -> None:
    """Given a registered staff member assigned to no unit, when a person item is recorded
    against them, then it is refused naming the rule and the date."""
    seed_organisation(ledger)

    error = refused(ledger, lambda: record(ledger, "INC-1", staff_number=UNASSIGNED), rule="R-01")

    assert error.fields == {"occurred_on": "2025-03-03"}


def test_r01_person_item_dated_before_the_assignment_is_refused(ledger: AssessmentLedger) -> None:
    """Given an assignment from 2025-01-01, when an incident of 2024-12-31 is recorded, then the
    person was not assigned anywhere that day."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", occurred_on=date(2024, 12, 31)), rule="R-01")


def test_deduction_against_an_unregistered_staff_number_is_refused(
    ledger: AssessmentLedger,
) -> None:
    """A deduction names a registered staff member, or RecordNotFound."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", staff_number="S999"), RecordNotFound)


def test_r02_person_item_recorded_on_a_window_is_refused(ledger: AssessmentLedger) -> None:
    """R-02: ATT-01 applies to a person, so it cannot be a window-level deduction."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.record_window_deduction(
            CLERK, WINDOW, "ATT-01", date(2025, 3, 3), "INC-1", "photo", SOURCE
        ),
        rule="R-02",
    )


def test_r02_window_item_recorded_on_a_person_is_refused(ledger: AssessmentLedger) -> None:
    """R-02: ATT-07 (window left unstaffed) applies to the window, not to a person."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", item_code="ATT-07"), rule="R-02")


def test_r02_window_item_recorded_on_the_window_counts_there(ledger: AssessmentLedger) -> None:
    """R-02: a window item is recorded on the window's own record, not on its staff."""
    seed_organisation(ledger)
    staff_version = ledger.staff(STAFF).version

    outcome = ledger.record_window_deduction(
        CLERK, WINDOW, "ATT-07", date(2025, 3, 3), "INC-1", "photo", SOURCE
    )

    assert outcome.number is not None
    assert ledger.unit(WINDOW).deductions[outcome.number].points_applied == Decimal("2")
    assert ledger.staff(STAFF).version == staff_version


# Records


def test_duplicate_staff_number_is_refused(ledger: AssessmentLedger) -> None:
    """Staff numbers are unique: registering S001 twice is refused."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: ledger.register_staff(
            OPERATOR, STAFF, "Another", StaffCategory.CIVIL_SERVANT, "Tax bureau", START
        ),
        rule="UNIQUE_STAFF_NUMBER",
    )

    assert error.fields == {"staff_number": STAFF}


def test_r42_revoking_an_already_revoked_deduction_is_refused(ledger: AssessmentLedger) -> None:
    """Given a revoked deduction, when it is revoked again, then refused: it no longer counts."""
    seed_organisation(ledger)
    number = record(ledger, "INC-1").number
    assert number is not None
    ledger.revoke_deduction(CLERK, STAFF, number, TODAY, "wrong person")

    refused(
        ledger,
        lambda: ledger.revoke_deduction(CLERK, STAFF, number, TODAY, "again"),
        rule="R-42",
    )


def test_r42_revocation_without_a_reason_is_refused(ledger: AssessmentLedger) -> None:
    """Every revocation says why (SPEC section 1)."""
    seed_organisation(ledger)
    number = record(ledger, "INC-1").number
    assert number is not None

    refused(ledger, lambda: ledger.revoke_deduction(CLERK, STAFF, number, TODAY, "  "), rule="R-42")


# Roles on the command's date (SPEC section 5)


def test_actor_without_any_grant_is_refused(ledger: AssessmentLedger) -> None:
    """Given a person who was never granted supervision_clerk, when they act as one, then
    RoleRequired."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, "INC-1", actor=LEADER_AS_CLERK), RoleRequired, "ROLES")


def test_actor_in_a_role_the_command_does_not_accept_is_refused(ledger: AssessmentLedger) -> None:
    """Recording deductions needs supervision_clerk or leading_group; a staff member's own role
    does not do."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: record(ledger, "INC-1", actor=Actor(COLLEAGUE, Role.STAFF)),
        RoleRequired,
        "ROLES",
    )

    assert isinstance(error, RoleRequired)
    assert error.needed == "supervision_clerk or leading_group"


def test_operator_commands_need_the_bootstrap_operator(ledger: AssessmentLedger) -> None:
    """Only the CLI's operator acts as operator: anyone else claiming it is refused."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.form_party_branch(Actor("C001", Role.OPERATOR), "B2", "Second", START),
        RoleRequired,
        "ROLES",
    )


def test_grant_revoked_before_the_command_date_no_longer_holds(ledger: AssessmentLedger) -> None:
    """Given the clerk's grant revoked from 2025-03-01, when they record on 2025-03-10, then
    RoleRequired."""
    seed_organisation(ledger)
    ledger.revoke_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, date(2025, 3, 1))

    refused(ledger, lambda: record(ledger, "INC-1"), RoleRequired, "ROLES")


def test_revoked_grant_still_held_the_day_before_its_revocation(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """A grant revoked from 2025-03-01 is held until 2025-02-28 (a revocation ends it the day
    before its date)."""
    seed_organisation(ledger)
    ledger.revoke_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, date(2025, 3, 1))
    clock.set(at(date(2025, 2, 28), 17, 0))

    outcome = record(ledger, "INC-1", occurred_on=date(2025, 2, 27))

    assert outcome.number is not None


def test_role_granted_from_a_later_date_does_not_hold_yet(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Given a grant from 2025-03-10, when its holder records on 2025-03-09, then
    RoleRequired; from 2025-03-10 on the grant holds."""
    seed_organisation(ledger)
    ledger.grant_role(OPERATOR, COLLEAGUE, Role.SUPERVISION_CLERK, TODAY)
    new_clerk = Actor(COLLEAGUE, Role.SUPERVISION_CLERK)
    clock.set(at(date(2025, 3, 9), 17, 0))

    refused(ledger, lambda: record(ledger, "INC-1", actor=new_clerk), RoleRequired, "ROLES")

    clock.set(at(TODAY))
    assert record(ledger, "INC-1", actor=new_clerk).number is not None


def test_leading_group_role_ends_with_the_membership(ledger: AssessmentLedger) -> None:
    """Given a leading-group member who left on 2025-03-01, when they override points on
    2025-03-10, then RoleRequired."""
    seed_organisation(ledger)
    ledger.end_leading_group_membership(OPERATOR, LEADER.person_id, date(2025, 3, 1))

    refused(
        ledger,
        lambda: record(ledger, "INC-1", actor=LEADER, points="2.0", override_reason="x"),
        RoleRequired,
        "ROLES",
    )


def test_a_role_never_held_is_refused_before_a_missing_record(ledger: AssessmentLedger) -> None:
    """SPEC section 5: given no bonus sheet for 2025-02, when a staff member acting as
    leading_group approves it (If-Match on the sheet), then RoleRequired naming leading_group,
    not RecordNotFound: a refused role learns nothing of the record; the leading-group member
    is told the sheet is not recorded."""
    seed_organisation(ledger)
    sheet = BonusSheet.create_id("2025-02")

    def approve(actor: Actor) -> object:
        with ledger.expecting(sheet, 1, "bonus sheet 2025-02"):
            return ledger.approve_bonus_sheet(actor, "2025-02", "LG-1", TODAY)

    error = refused(ledger, lambda: approve(Actor(STAFF, Role.LEADING_GROUP)), RoleRequired)

    assert isinstance(error, RoleRequired)
    assert error.needed == "leading_group"
    missing = refused(ledger, lambda: approve(LEADER), RecordNotFound)
    assert str(missing) == "bonus sheet 2025-02 is not recorded"


def test_a_role_no_longer_held_is_refused_before_a_missing_record(
    ledger: AssessmentLedger,
) -> None:
    """SPEC section 5: given a leading-group member who left on 2025-03-01 and no bonus sheet
    for 2025-02, when they approve it on 2025-03-10 (If-Match on the sheet), then RoleRequired,
    not RecordNotFound."""
    seed_organisation(ledger)
    ledger.end_leading_group_membership(OPERATOR, LEADER.person_id, date(2025, 3, 1))

    def approve() -> object:
        with ledger.expecting(BonusSheet.create_id("2025-02"), 1, "bonus sheet 2025-02"):
            return ledger.approve_bonus_sheet(LEADER, "2025-02", "LG-1", TODAY)

    refused(ledger, approve, RoleRequired, "ROLES")


def test_a_role_never_held_is_refused_before_the_step_order(ledger: AssessmentLedger) -> None:
    """SPEC section 5: given nothing of the 2025 assessment recorded, when a staff member acting
    as leader_in_charge (which they never were) countersigns, then RoleRequired naming it; the
    clerk, and a leader in charge of some unit, who may countersign, are told the step comes
    later (R-14)."""
    seed_organisation(ledger)
    ledger.appoint_leader_in_charge(OPERATOR, OFFICE, LEADER.person_id, START)

    def countersign(actor: Actor) -> object:
        return ledger.countersign(actor, 2025, COLLEAGUE, TODAY)

    error = refused(ledger, lambda: countersign(Actor(STAFF, Role.LEADER_IN_CHARGE)), RoleRequired)

    assert isinstance(error, RoleRequired)
    assert error.needed == "leader_in_charge"
    refused(ledger, lambda: countersign(CLERK), rule="R-14")
    refused(
        ledger, lambda: countersign(Actor(LEADER.person_id, Role.LEADER_IN_CHARGE)), rule="R-14"
    )


# one incident, one entry


def test_r03_second_entry_for_the_same_incident_is_refused(ledger: AssessmentLedger) -> None:
    """Given an entry for INC-1, when another entry (other person, other item) names INC-1
    without a leading-group decision, then R-03 and nothing is recorded."""
    seed_organisation(ledger)
    record(ledger, "INC-1")

    error = refused(
        ledger,
        lambda: record(ledger, "INC-1", staff_number=COLLEAGUE, item_code="ATT-02"),
        rule="R-03",
    )

    assert error.fields == {"incident_ref": "INC-1"}
    assert len(ledger.staff(COLLEAGUE).deductions) == 0


def test_r03_window_entry_for_an_incident_already_recorded_on_a_person_is_refused(
    ledger: AssessmentLedger,
) -> None:
    """The incident index spans persons and windows."""
    seed_organisation(ledger)
    record(ledger, "INC-1")

    refused(
        ledger,
        lambda: ledger.record_window_deduction(
            CLERK, WINDOW, "ATT-07", date(2025, 3, 3), "INC-1", "photo", SOURCE
        ),
        rule="R-03",
    )


def test_r03_veto_case_for_an_incident_already_recorded_as_points_is_refused(
    ledger: AssessmentLedger,
) -> None:
    """A veto case for an incident already recorded as a deduction needs a leading-group
    decision too."""
    seed_organisation(ledger)
    record(ledger, "INC-1")

    refused(
        ledger,
        lambda: ledger.record_veto_case(
            CLERK,
            STAFF,
            VetoCase.V6,
            date(2025, 3, 3),
            "INC-1",
            "recording",
            "verified",
            DeductionSource.COMPLAINT,
        ),
        rule="R-03",
    )


def test_r03_second_entry_citing_a_leading_group_decision_is_recorded(
    ledger: AssessmentLedger,
) -> None:
    """Given an entry for INC-1, when a second entry cites the leading group's decision, then it
    is recorded and the incident lists both entries."""
    seed_organisation(ledger)
    record(ledger, "INC-1")

    outcome = record(
        ledger, "INC-1", staff_number=COLLEAGUE, item_code="ATT-02", decision_ref="LG-2025-03"
    )

    assert outcome.number is not None
    assert ledger.staff(COLLEAGUE).deduction(outcome.number).incident_ref == "INC-1"
    incident = ledger.repository.get(Incident.create_id("INC-1"))
    assert incident.entries == [f"staff/{STAFF}/3", f"staff/{COLLEAGUE}/3"]
    further = ledger.history(Incident.create_id("INC-1"), newest_first=True, limit=1)[0]
    assert further.event == "ledger.incident.FurtherEntryRecorded.v1"
    assert further.payload["decision_ref"] == "LG-2025-03"


def test_r03_entry_without_an_incident_ref_is_refused(ledger: AssessmentLedger) -> None:
    """Every entry carries an incident_ref (R-03)."""
    seed_organisation(ledger)

    refused(ledger, lambda: record(ledger, " "), rule="R-03")


def test_r01_points_out_of_any_sane_range_are_refused(ledger: AssessmentLedger) -> None:
    """Points like 1e400 overflow the decimal context: refused as R-01, not a crash."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: record(ledger, "INC-1", actor=LEADER, points="1e400", override_reason="x"),
        rule="R-01",
    )


# the closed list of sources; V1–V8


def test_r01_source_outside_the_closed_list_is_refused(ledger: AssessmentLedger) -> None:
    """Given a source that is not one of R-01's six, when a deduction names it, then R-01 and
    nothing is stored (stored, it would make the staff member's stream unreadable)."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: ledger.record_deduction(
            CLERK,
            STAFF,
            "ATT-01",
            date(2025, 3, 3),
            "INC-1",
            "e",
            "gossip",
        ),
        rule="R-01",
    )

    assert error.fields == {"source": "gossip"}
    assert ledger.staff(STAFF).deductions == {}


def test_r01_window_deduction_source_outside_the_closed_list_is_refused(
    ledger: AssessmentLedger,
) -> None:
    """The same closed list guards window-level deductions."""
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.record_window_deduction(
            CLERK,
            WINDOW,
            "ATT-07",
            date(2025, 3, 3),
            "INC-1",
            "e",
            "rumour",
        ),
        rule="R-01",
    )


def test_r01_source_given_by_its_value_is_recorded_as_that_source(
    ledger: AssessmentLedger,
) -> None:
    """A source named by its value (as an API passes it) is the same source."""
    seed_organisation(ledger)

    outcome = ledger.record_deduction(
        CLERK,
        STAFF,
        "ATT-01",
        date(2025, 3, 3),
        "INC-1",
        "e",
        "complaint",
    )

    assert outcome.number is not None
    assert ledger.staff(STAFF).deduction(outcome.number).source is DeductionSource.COMPLAINT


def test_veto_case_outside_v1_to_v8_is_refused(ledger: AssessmentLedger) -> None:
    """SPEC 4.4 lists eight veto cases; a ninth is refused."""
    seed_organisation(ledger)

    error = refused(
        ledger,
        lambda: ledger.record_veto_case(
            CLERK,
            STAFF,
            "V9",
            date(2025, 3, 3),
            "INC-1",
            "e",
            "verified",
            SOURCE,
        ),
        rule="V1-V8",
    )

    assert error.fields == {"case": "V9"}
