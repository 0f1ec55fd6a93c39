"""Staff members and their dated assignments to units (one active at a time)."""

from __future__ import annotations

from datetime import date

from ledger.aggregates.staff import Staff
from ledger.aggregates.window import Window
from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.errors import RuleViolation
from ledger.values import Actor, Role, StaffCategory


class StaffCommands(LedgerCore):
    """Staff members and their dated assignments to units (one active at a time)."""

    # Staff and membership

    def register_staff(
        self,
        actor: Actor,
        staff_number: str,
        name: str,
        category: StaffCategory,
        home_unit: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's registration; staff numbers are unique."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="register_staff")
            self._not_in_future(effective_on, today, "effective_on")
            if not staff_number.strip() or not name.strip() or not home_unit.strip():
                raise RuleViolation(
                    "STAFF_IDENTITY", "staff number, name and home unit must not be blank"
                )
            if self._exists(Staff.create_id(staff_number)):
                raise RuleViolation(
                    "UNIQUE_STAFF_NUMBER",
                    f"staff number {staff_number} is already registered",
                    fields={"staff_number": staff_number},
                )
            staff = Staff(
                actor_id=actor.person_id,
                actor_role=actor.role,
                staff_number=staff_number,
                name=name,
                category=category,
                home_unit=home_unit,
                effective_on=effective_on,
            )
            return Changes([staff])

        return self._execute(
            "register_staff",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "name": name,
                "category": category,
                "home_unit": home_unit,
                "effective_on": effective_on,
            },
            decide,
        )

    def _open_unit_on(self, unit_code: str, day: date) -> Window:
        unit = self.unit(unit_code)
        if day < unit.opened_on:
            raise RuleViolation(
                "DATED_RECORDS",
                f"unit {unit_code} opened on {unit.opened_on}",
                fields={"effective_on": day.isoformat()},
            )
        return unit

    def assign_staff(
        self,
        actor: Actor,
        staff_number: str,
        unit_code: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's assignment to a unit from a date."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="assign_staff")
            self._not_in_future(effective_on, today, "effective_on")
            self._open_unit_on(unit_code, effective_on)
            staff = self.staff(staff_number)
            staff.assign(actor, unit_code, effective_on)
            return Changes([staff])

        return self._execute(
            "assign_staff",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "unit_code": unit_code, "effective_on": effective_on},
            decide,
        )

    def release_staff(
        self,
        actor: Actor,
        staff_number: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the end of a staff member's assignment (member until the day before)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="release_staff")
            self._not_in_future(effective_on, today, "effective_on")
            staff = self.staff(staff_number)
            staff.release(actor, effective_on)
            return Changes([staff])

        return self._execute(
            "release_staff",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "effective_on": effective_on},
            decide,
        )

    def transfer_staff(
        self,
        actor: Actor,
        staff_number: str,
        unit_code: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a transfer: release and new assignment on the same day (new unit that day)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="transfer_staff")
            self._not_in_future(effective_on, today, "effective_on")
            self._open_unit_on(unit_code, effective_on)
            staff = self.staff(staff_number)
            staff.transfer(actor, unit_code, effective_on)
            return Changes([staff])

        return self._execute(
            "transfer_staff",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "unit_code": unit_code, "effective_on": effective_on},
            decide,
        )
