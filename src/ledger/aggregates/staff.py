"""A staff member: identity, dated assignments, and the deductions and veto cases against them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, ValueRecord, member_of, stream_id
from ledger.errors import RecordNotFound, RuleViolation
from ledger.values import Actor, DeductionSource, Role, StaffCategory, VetoCase


@dataclass
class Assignment(ValueRecord):
    """Membership of a window or office: from `start` (inclusive) to the day before `end`."""

    unit_code: str
    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the person was a member on the day."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass
class Deduction(ValueRecord):
    """A deduction as it stands now; `number` is the version of the event that recorded it."""

    number: int
    item_code: str
    catalogue_version: int
    quantity: int
    points_applied: Decimal
    occurred_on: date
    incident_ref: str
    source: DeductionSource
    notified_on: date | None = None
    revoked: bool = False


@dataclass
class Veto(ValueRecord):
    """A veto case as it stands now; `number` is the version of the event that recorded it."""

    number: int
    case: VetoCase
    occurred_on: date
    incident_ref: str
    revoked: bool = False


class Staff(LedgerAggregate):
    """One staff member's stream: the one source of truth for membership (SPEC section 5)."""

    TOPIC = "ledger.staff"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.staff.Created"

    @staticmethod
    def create_id(staff_number: str) -> UUID:
        """Staff streams are keyed by staff number."""
        return stream_id("staff", staff_number)

    @event("Registered", topic="ledger.staff.Registered.v1")
    def __init__(
        self,
        actor_id: str,
        actor_role: Role,
        staff_number: str,
        name: str,
        category: StaffCategory,
        home_unit: str,
        effective_on: date,
    ) -> None:
        self.staff_number = staff_number
        self.name = name
        self.category = category
        self.home_unit = home_unit
        self.registered_on = effective_on
        self.assignments: list[Assignment] = []
        self.deductions: dict[int, Deduction] = {}
        self.vetoes: dict[int, Veto] = {}

    # Membership (R-23–R-25 date boundaries: an assignment counts from its date, a release ends
    # it the day before, so on a same-day transfer the person belongs to the new unit).

    @property
    def current_assignment(self) -> Assignment | None:
        """The open assignment, if any."""
        if self.assignments and self.assignments[-1].end is None:
            return self.assignments[-1]
        return None

    def unit_on(self, day: date) -> str | None:
        """The window or office the person belonged to on the day."""
        for assignment in reversed(self.assignments):
            if assignment.covers(day):
                return assignment.unit_code
        return None

    def _check_membership_date(self, effective_on: date) -> None:
        if effective_on < self.registered_on:
            raise RuleViolation(
                "DATED_RECORDS",
                f"{self.staff_number} was registered on {self.registered_on}",
                fields={"effective_on": effective_on.isoformat()},
            )
        if self.assignments:
            last = self.assignments[-1]
            last_change = last.end or last.start
            if effective_on < last_change:
                raise RuleViolation(
                    "DATED_RECORDS",
                    f"assignments change in date order; the last change was on {last_change}",
                    fields={"effective_on": effective_on.isoformat()},
                )

    def assign(self, actor: Actor, unit_code: str, effective_on: date) -> None:
        """Record an assignment to a unit; refused while another assignment is open."""
        current = self.current_assignment
        if current is not None:
            raise RuleViolation(
                "ONE_ASSIGNMENT",
                f"{self.staff_number} is assigned to {current.unit_code} since {current.start}; "
                "release or transfer them",
                fields={"unit_code": unit_code},
            )
        self._check_membership_date(effective_on)
        self._assign(actor.person_id, actor.role, unit_code, effective_on)

    @event("Assigned", topic="ledger.staff.Assigned.v1")
    def _assign(self, actor_id: str, actor_role: Role, unit_code: str, effective_on: date) -> None:
        self.assignments.append(Assignment(unit_code, effective_on))

    def release(self, actor: Actor, effective_on: date) -> None:
        """Record the end of the open assignment; the person is a member until the day before."""
        current = self.current_assignment
        if current is None:
            raise RuleViolation("ONE_ASSIGNMENT", f"{self.staff_number} is not assigned anywhere")
        self._check_membership_date(effective_on)
        if effective_on == current.start:
            raise RuleViolation(
                "DATED_RECORDS",
                "a release on the day of the assignment would leave an empty membership",
                fields={"effective_on": effective_on.isoformat()},
            )
        self._release(actor.person_id, actor.role, current.unit_code, effective_on)

    @event("Released", topic="ledger.staff.Released.v1")
    def _release(self, actor_id: str, actor_role: Role, unit_code: str, effective_on: date) -> None:
        assignment = self.current_assignment
        assert assignment is not None and assignment.unit_code == unit_code
        assignment.end = effective_on

    def transfer(self, actor: Actor, unit_code: str, effective_on: date) -> None:
        """Record a release from the current unit and an assignment to another on the same day."""
        current = self.current_assignment
        if current is None:
            raise RuleViolation("ONE_ASSIGNMENT", f"{self.staff_number} is not assigned anywhere")
        if current.unit_code == unit_code:
            raise RuleViolation(
                "ONE_ASSIGNMENT", f"{self.staff_number} is already assigned to {unit_code}"
            )
        self.release(actor, effective_on)
        self.assign(actor, unit_code, effective_on)

    # Deductions

    def deduction(self, number: int) -> Deduction:
        """The deduction recorded at that version, or RecordNotFound."""
        try:
            return self.deductions[number]
        except KeyError:
            raise RecordNotFound(f"{self.staff_number} has no deduction {number}") from None

    def record_deduction(
        self,
        actor: Actor,
        *,
        item_code: str,
        catalogue_version: int,
        quantity: int,
        points_applied: Decimal,
        override_reason: str | None,
        occurred_on: date,
        incident_ref: str,
        evidence_ref: str,
        source: DeductionSource,
        decision_ref: str | None,
    ) -> int:
        """Record a deduction for the person and return its number; the person must be a member
        of a unit on the incident date."""
        source = member_of(DeductionSource, source, rule="R-01", field="source")
        if self.unit_on(occurred_on) is None:
            raise RuleViolation(
                "R-01",
                f"{self.staff_number} was not assigned to any window or office on {occurred_on}",
                fields={"occurred_on": occurred_on.isoformat()},
            )
        self._record_deduction(
            actor.person_id,
            actor.role,
            item_code,
            catalogue_version,
            quantity,
            points_applied,
            override_reason,
            occurred_on,
            incident_ref,
            evidence_ref,
            source,
            decision_ref,
        )
        return self.version

    @event("DeductionRecorded", topic="ledger.staff.DeductionRecorded.v1")
    def _record_deduction(
        self,
        actor_id: str,
        actor_role: Role,
        item_code: str,
        catalogue_version: int,
        quantity: int,
        points_applied: Decimal,
        override_reason: str | None,
        occurred_on: date,
        incident_ref: str,
        evidence_ref: str,
        source: DeductionSource,
        decision_ref: str | None,
    ) -> None:
        number = self.version + 1  # the version this event is about to get
        self.deductions[number] = Deduction(
            number,
            item_code,
            catalogue_version,
            quantity,
            points_applied,
            occurred_on,
            incident_ref,
            source,
        )

    def _live_deduction(self, number: int) -> Deduction:
        deduction = self.deduction(number)
        if deduction.revoked:
            raise RuleViolation(
                "R-42",
                f"deduction {number} of {self.staff_number} is already revoked",
                fields={"deduction": number},
            )
        return deduction

    def notify_deduction(self, actor: Actor, number: int, effective_on: date) -> None:
        """Record that the person was notified of a deduction (starts the R-40 objection clock)."""
        deduction = self._live_deduction(number)
        if deduction.notified_on is not None:
            raise RuleViolation(
                "R-40",
                f"deduction {number} was already notified on {deduction.notified_on}",
                fields={"deduction": number},
            )
        self._notify_deduction(actor.person_id, actor.role, number, effective_on)

    @event("DeductionNotified", topic="ledger.staff.DeductionNotified.v1")
    def _notify_deduction(
        self, actor_id: str, actor_role: Role, deduction: int, effective_on: date
    ) -> None:
        self.deductions[deduction].notified_on = effective_on

    def amend_deduction(
        self,
        actor: Actor,
        number: int,
        *,
        quantity: int,
        points_applied: Decimal,
        reason: str,
        decision_ref: str | None,
        effective_on: date,
    ) -> None:
        """Record new quantity and points for a deduction, naming why (R-40, R-42)."""
        deduction = self._live_deduction(number)
        if quantity == deduction.quantity and points_applied == deduction.points_applied:
            raise RuleViolation(
                "R-40",
                "an amendment must change the quantity or the points",
                fields={"deduction": number},
            )
        self._amend_deduction(
            actor.person_id,
            actor.role,
            number,
            quantity,
            points_applied,
            reason,
            decision_ref,
            effective_on,
        )

    @event("DeductionAmended", topic="ledger.staff.DeductionAmended.v1")
    def _amend_deduction(
        self,
        actor_id: str,
        actor_role: Role,
        deduction: int,
        quantity: int,
        points_applied: Decimal,
        reason: str,
        decision_ref: str | None,
        effective_on: date,
    ) -> None:
        self.deductions[deduction].quantity = quantity
        self.deductions[deduction].points_applied = points_applied

    def revoke_deduction(
        self,
        actor: Actor,
        number: int,
        *,
        reason: str,
        decision_ref: str | None,
        effective_on: date,
    ) -> None:
        """Record that a deduction no longer counts; refused if it is already revoked."""
        self._live_deduction(number)
        self._revoke_deduction(
            actor.person_id, actor.role, number, reason, decision_ref, effective_on
        )

    @event("DeductionRevoked", topic="ledger.staff.DeductionRevoked.v1")
    def _revoke_deduction(
        self,
        actor_id: str,
        actor_role: Role,
        deduction: int,
        reason: str,
        decision_ref: str | None,
        effective_on: date,
    ) -> None:
        self.deductions[deduction].revoked = True

    # Veto cases (SPEC 4.4)

    def record_veto_case(
        self,
        actor: Actor,
        *,
        case: VetoCase,
        occurred_on: date,
        incident_ref: str,
        evidence_ref: str,
        verification: str,
        source: DeductionSource,
        decision_ref: str | None,
    ) -> int:
        """Record a one-vote veto case against the person and return its number."""
        case = member_of(VetoCase, case, rule="V1-V8", field="case")
        source = member_of(DeductionSource, source, rule="R-01", field="source")
        self._record_veto_case(
            actor.person_id,
            actor.role,
            case,
            occurred_on,
            incident_ref,
            evidence_ref,
            verification,
            source,
            decision_ref,
        )
        return self.version

    @event("VetoCaseRecorded", topic="ledger.staff.VetoCaseRecorded.v1")
    def _record_veto_case(
        self,
        actor_id: str,
        actor_role: Role,
        case: VetoCase,
        occurred_on: date,
        incident_ref: str,
        evidence_ref: str,
        verification: str,
        source: DeductionSource,
        decision_ref: str | None,
    ) -> None:
        number = self.version + 1
        self.vetoes[number] = Veto(number, case, occurred_on, incident_ref)

    def revoke_veto_case(
        self,
        actor: Actor,
        number: int,
        *,
        reason: str,
        decision_ref: str | None,
        effective_on: date,
    ) -> None:
        """Record that a veto case no longer counts; refused if it is already revoked."""
        veto = self.vetoes.get(number)
        if veto is None:
            raise RecordNotFound(f"{self.staff_number} has no veto case {number}")
        if veto.revoked:
            raise RuleViolation(
                "R-42", f"veto case {number} of {self.staff_number} is already revoked"
            )
        self._revoke_veto_case(
            actor.person_id, actor.role, number, reason, decision_ref, effective_on
        )

    @event("VetoCaseRevoked", topic="ledger.staff.VetoCaseRevoked.v1")
    def _revoke_veto_case(
        self,
        actor_id: str,
        actor_role: Role,
        veto: int,
        reason: str,
        decision_ref: str | None,
        effective_on: date,
    ) -> None:
        self.vetoes[veto].revoked = True
