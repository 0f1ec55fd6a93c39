"""Who may read what (SPEC section 5, "Reading follows the same scopes"): the center-wide roles
read everything; a head or leader in charge reads their unit and the people assigned to it; a
branch secretary the units of their branch and their people; a staff member their own records;
an appeal reviewer the people of the cases assigned to them. Lists of units and people show each
reader what they read one by one. Roles are those held today, from the grants and appointments
recorded as events.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends

from api.auth import CurrentAccount
from api.deps import LedgerDep
from api.schemas import StaffNumber, UnitCode
from ledger.aggregates.window import Window
from ledger.application import AssessmentLedger
from ledger.clock import local_date
from ledger.errors import RecordNotFound, RoleRequired
from ledger.values import Role

CENTER_WIDE = (Role.SUPERVISION_CLERK, Role.LEADING_GROUP, Role.PARTY_WORKING_COMMITTEE)
"""The roles that read the whole center (the dashboards)."""

STAFF_READERS = (
    "supervision_clerk, leading_group or party_working_committee; the person themselves; the "
    "head, leader in charge or branch secretary of a unit they were assigned to; or the appeal "
    "reviewer of their case"
)
UNIT_READERS = (
    "supervision_clerk, leading_group or party_working_committee; or the unit's head, leader in "
    "charge or branch secretary"
)
DIRECTORY_READERS = (
    "supervision_clerk, leading_group or party_working_committee; or a unit's head, leader in "
    "charge or branch secretary (their units and people)"
)
REGISTERED = "staff (any registered staff member)"


def _today(ledger: AssessmentLedger) -> date:
    return local_date(ledger.clock())


def reads_center(ledger: AssessmentLedger, person: str, today: date) -> bool:
    """Whether the person holds a center-wide reading role today."""
    organisation = ledger.organisation()
    return organisation is not None and any(
        organisation.holds(person, role, today) for role in CENTER_WIDE
    )


def reads_unit(ledger: AssessmentLedger, person: str, unit: Window, today: date) -> bool:
    """Whether the person reads this unit: center-wide, or its head, leader or secretary."""
    return reads_center(ledger, person, today) or _in_charge_of(ledger, person, unit, today)


def _in_charge_of(ledger: AssessmentLedger, person: str, unit: Window, today: date) -> bool:
    """Whether the person is the unit's head, leader in charge or branch secretary today."""
    if person in (unit.head_on(today), unit.leader_in_charge_on(today)):
        return True
    organisation = ledger.organisation()
    return organisation is not None and organisation.holds(
        person, Role.BRANCH_SECRETARY, today, unit.party_branch
    )


def readable_units(ledger: AssessmentLedger, person: str, today: date) -> frozenset[str] | None:
    """The codes of the units the person reads today; None when they read the whole center."""
    if reads_center(ledger, person, today):
        return None
    with ledger.policy_state() as state:
        codes = sorted(state.units)
    return frozenset(
        code for code in codes if _in_charge_of(ledger, person, ledger.unit(code), today)
    )


def reads_staff(ledger: AssessmentLedger, person: str, staff_number: str, today: date) -> bool:
    """Whether the person reads this staff member's records."""
    if person == staff_number or reads_center(ledger, person, today):
        return True
    organisation = ledger.organisation()
    if organisation is not None and any(
        subject == staff_number and reviewer == person
        for subject, reviewer in organisation.appeal_cases.values()
    ):
        return True
    staff = ledger.staff(staff_number)
    units = {assignment.unit_code for assignment in staff.assignments}
    return any(reads_unit(ledger, person, ledger.unit(code), today) for code in units)


def staff_reader(staff_number: StaffNumber, account: CurrentAccount, ledger: LedgerDep) -> str:
    """The person, if they may read this staff member (404 for an unknown number, 403)."""
    ledger.staff(staff_number)  # RecordNotFound (404) first: the number itself is no secret
    if not reads_staff(ledger, account.person_id, staff_number, _today(ledger)):
        raise RoleRequired(STAFF_READERS, f"{account.person_id} may not read {staff_number}")
    return account.person_id


def unit_reader(code: UnitCode, account: CurrentAccount, ledger: LedgerDep) -> str:
    """The person, if they may read this unit (404 for an unknown code, 403)."""
    unit = ledger.unit(code)  # RecordNotFound (404) first
    if not reads_unit(ledger, account.person_id, unit, _today(ledger)):
        raise RoleRequired(UNIT_READERS, f"{account.person_id} may not read unit {code}")
    return account.person_id


class Directory:
    """What a list of units or people shows its reader: every unit and person (center-wide
    roles), or the units they head, lead or are the branch secretary of and everyone ever
    assigned to one of them (whom they read one by one, `reads_staff`)."""

    def __init__(self, units: frozenset[str] | None) -> None:
        self.units = units
        """None: every unit."""

    @property
    def everything(self) -> bool:
        """Whether the reader reads the whole center."""
        return self.units is None

    def shows_unit(self, code: str) -> bool:
        """Whether the reader reads this unit."""
        return self.units is None or code in self.units

    def shows_person(self, units_ever: set[str]) -> bool:
        """Whether the reader reads someone ever assigned to these units."""
        return self.units is None or not self.units.isdisjoint(units_ever)


def directory_reader(account: CurrentAccount, ledger: LedgerDep) -> Directory:
    """What the person's lists show: 403 unless they read the center or some unit."""
    units = readable_units(ledger, account.person_id, _today(ledger))
    if units is not None and not units:
        raise RoleRequired(DIRECTORY_READERS, f"{account.person_id} reads no unit")
    return Directory(units)


def registered_reader(account: CurrentAccount, ledger: LedgerDep) -> str:
    """The person, if they are a registered staff member (what every staff member may read)."""
    try:
        ledger.staff(account.person_id)
    except RecordNotFound:
        raise RoleRequired(
            REGISTERED, f"{account.person_id} is not a registered staff member"
        ) from None
    return account.person_id


StaffReader = Annotated[str, Depends(staff_reader)]
UnitReader = Annotated[str, Depends(unit_reader)]
DirectoryReader = Annotated[Directory, Depends(directory_reader)]
RegisteredReader = Annotated[str, Depends(registered_reader)]
