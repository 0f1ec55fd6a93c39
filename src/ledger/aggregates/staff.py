"""A staff member: identity, dated assignments, and the deductions and veto cases against them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, ValueRecord, member_of, stream_id
from ledger.errors import RecordNotFound, RuleViolation
from ledger.policy.working_days import Deadline
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

    # The annual assessment: the person's self-summary and registration form of a
    # year, and their signature with an opinion on the result they were told.

    @dataclass
    class AnnualForms(ValueRecord):
        """What the person handed in for one year's annual assessment."""

        year: int
        self_summary_on: date | None = None
        registration_form_on: date | None = None
        signed_on: date | None = None
        agrees: bool | None = None
        signed_grade: str | None = None
        """The grade the person signed for (after amended results, the form of a changed grade
        is signed again)."""

    def annual_forms(self, year: int) -> Staff.AnnualForms:
        """The person's forms of a year's assessment (all empty if nothing was handed in)."""
        # Kept out of the registration state so that this block stands on its own.
        forms: dict[int, Staff.AnnualForms] = self.__dict__.get("_annual_forms", {})
        return forms.get(year) or Staff.AnnualForms(year)

    def _annual_forms_for(self, year: int) -> Staff.AnnualForms:
        forms: dict[int, Staff.AnnualForms] = self.__dict__.setdefault("_annual_forms", {})
        return forms.setdefault(year, Staff.AnnualForms(year))

    def submit_self_summary(
        self, actor: Actor, *, year: int, text: str, effective_on: date
    ) -> None:
        """Record the person's self-summary of a year, once (R-12)."""
        done = self.annual_forms(year).self_summary_on
        if done is not None:
            raise RuleViolation(
                "R-12", f"{self.staff_number} submitted the {year} self-summary on {done}"
            )
        if not text.strip():
            raise RuleViolation("R-12", "a self-summary needs its text", fields={"text": ""})
        self._submit_self_summary(actor.person_id, actor.role, year, text, effective_on)

    @event("SelfSummarySubmitted", topic="ledger.staff.SelfSummarySubmitted.v1")
    def _submit_self_summary(
        self, actor_id: str, actor_role: Role, year: int, text: str, effective_on: date
    ) -> None:
        self._annual_forms_for(year).self_summary_on = effective_on

    def submit_registration_form(
        self,
        actor: Actor,
        *,
        year: int,
        category: StaffCategory,
        grade_scheme: str,
        effective_on: date,
    ) -> None:
        """Record the person's registration form of a year, once, on the form of their
        registered category (R-12); `grade_scheme` names the scheme in force that year."""
        category = member_of(StaffCategory, category, rule="R-12", field="category")
        if category is not self.category:
            raise RuleViolation(
                "R-12",
                f"{self.staff_number} is registered as {self.category.value} staff: the "
                f"{category.value} form is not theirs",
                fields={"category": category.value},
            )
        done = self.annual_forms(year).registration_form_on
        if done is not None:
            raise RuleViolation(
                "R-12", f"{self.staff_number} submitted the {year} registration form on {done}"
            )
        self._submit_registration_form(
            actor.person_id, actor.role, year, category, grade_scheme, effective_on
        )

    @event("RegistrationFormSubmitted", topic="ledger.staff.RegistrationFormSubmitted.v1")
    def _submit_registration_form(
        self,
        actor_id: str,
        actor_role: Role,
        year: int,
        category: StaffCategory,
        grade_scheme: str,
        effective_on: date,
    ) -> None:
        self._annual_forms_for(year).registration_form_on = effective_on

    def sign_registration_form(
        self,
        actor: Actor,
        *,
        year: int,
        grade: str,
        opinion: str,
        agrees: bool,
        notified_on: date,
        effective_on: date,
    ) -> None:
        """Record the person's signature and opinion on the result they were told, once per
        grade (R-19: again only for a grade changed by amended results, D-13); disagreeing is
        recorded, it does not stop the procedure."""
        forms = self.annual_forms(year)
        if forms.signed_on is not None and forms.signed_grade in (None, grade):
            raise RuleViolation(
                "R-19",
                f"{self.staff_number} signed the {year} registration form on {forms.signed_on}",
            )
        if not opinion.strip():
            raise RuleViolation("R-19", "a signature carries an opinion", fields={"opinion": ""})
        if effective_on < notified_on:
            raise RuleViolation(
                "DATED_RECORDS",
                f"{self.staff_number} was told the {year} result on {notified_on}",
                fields={"effective_on": effective_on.isoformat()},
            )
        self._sign_registration_form(
            actor.person_id, actor.role, year, grade, opinion, agrees, effective_on
        )

    @event("RegistrationFormSigned", topic="ledger.staff.RegistrationFormSigned.v1")
    def _sign_registration_form(
        self,
        actor_id: str,
        actor_role: Role,
        year: int,
        grade: str,
        opinion: str,
        agrees: bool,
        effective_on: date,
    ) -> None:
        forms = self._annual_forms_for(year)
        forms.signed_on = effective_on
        forms.agrees = agrees
        forms.signed_grade = grade

    # Objections to entries: the person objects to a notified deduction or veto
    # case; the supervision office, or for its own inspections the leading group, decides.

    @property
    def objection_book(self) -> ObjectionBook:
        """The person's objections and the later notices of their entries."""
        # Kept out of the registration state, so the block stands on its own; created on
        # first use, and copied with the record like any other attribute.
        book: ObjectionBook | None = self.__dict__.get("_objection_book")
        if book is None:
            book = ObjectionBook()
            self.__dict__["_objection_book"] = book
        return book

    def objection(self, number: int) -> Objection:
        """The objection raised at that version, or RecordNotFound."""
        try:
            return self.objection_book.objections[number]
        except KeyError:
            raise RecordNotFound(f"{self.staff_number} has no objection {number}") from None

    def entry_kind(self, number: int) -> str:
        """Whether an entry number is a "deduction" or a "veto" case, or RecordNotFound."""
        if number in self.deductions:
            return "deduction"
        if number in self.vetoes:
            return "veto"
        raise RecordNotFound(f"{self.staff_number} has no deduction or veto case {number}")

    def _live_entry(self, number: int) -> str:
        kind = self.entry_kind(number)
        revoked = (
            self.deductions[number].revoked if kind == "deduction" else self.vetoes[number].revoked
        )
        if revoked:
            raise RuleViolation(
                "R-40",
                f"{kind} {number} of {self.staff_number} is revoked: there is nothing to object to",
                fields={"entry": number},
            )
        return kind

    def entry_notice(self, number: int) -> tuple[int, date] | None:
        """Which notice of an entry is the latest (1 for the entry's own notification, then one
        more per notified amendment) and its day, or None if the person was not notified."""
        later = self.objection_book.notices.get(number)
        if later is not None:
            return later
        deduction = self.deductions.get(number)
        if deduction is not None and deduction.notified_on is not None:
            return 1, deduction.notified_on
        return None

    def notify_veto_case(self, actor: Actor, number: int, effective_on: date) -> None:
        """Record that the person was notified of a veto case (starts the R-40 objection clock)."""
        veto = self.vetoes.get(number)
        if veto is None:
            raise RecordNotFound(f"{self.staff_number} has no veto case {number}")
        if veto.revoked:
            raise RuleViolation(
                "R-42", f"veto case {number} of {self.staff_number} is already revoked"
            )
        notice = self.entry_notice(number)
        if notice is not None:
            raise RuleViolation(
                "R-40",
                f"veto case {number} was already notified on {notice[1]}",
                fields={"veto": number},
            )
        self._notify_veto_case(actor.person_id, actor.role, number, effective_on)

    @event("VetoCaseNotified", topic="ledger.staff.VetoCaseNotified.v1")
    def _notify_veto_case(
        self, actor_id: str, actor_role: Role, veto: int, effective_on: date
    ) -> None:
        self.objection_book.notices[veto] = (1, effective_on)

    def notify_amendment(
        self, actor: Actor, number: int, amendment: int, effective_on: date
    ) -> None:
        """Record that the person was notified of an amendment of a deduction they were notified
        of; it opens a new R-40 objection window (the caller checks the amendment is newer
        than the last notice)."""
        self._live_deduction(number)
        notice = self.entry_notice(number)
        if notice is None:
            raise RuleViolation(
                "R-40",
                f"deduction {number} was never notified: notify the deduction itself",
                fields={"deduction": number},
            )
        if effective_on < notice[1]:
            raise RuleViolation(
                "DATED_RECORDS",
                f"deduction {number} was last notified on {notice[1]}",
                fields={"effective_on": effective_on.isoformat()},
            )
        self._notify_amendment(actor.person_id, actor.role, number, amendment, effective_on)

    @event("DeductionAmendmentNotified", topic="ledger.staff.DeductionAmendmentNotified.v1")
    def _notify_amendment(
        self, actor_id: str, actor_role: Role, deduction: int, amendment: int, effective_on: date
    ) -> None:
        notice = self.entry_notice(deduction)
        self.objection_book.notices[deduction] = ((notice[0] if notice else 0) + 1, effective_on)

    def raise_objection(
        self,
        actor: Actor,
        number: int,
        grounds: str,
        deadline: Deadline,
        effective_on: date,
        *,
        veto_source: DeductionSource | None = None,
    ) -> int:
        """Record an objection to a notified entry within its window (R-40) and return its
        number; one objection per notice, and one open objection per entry. A veto case's
        source comes from its recording event (`veto_source`), which this record does not keep."""
        kind = self._live_entry(number)
        if not grounds.strip():
            raise RuleViolation("R-40", "an objection needs its grounds", fields={"grounds": ""})
        notice = self.entry_notice(number)
        if notice is None:
            raise RuleViolation(
                "R-40",
                f"{kind} {number} of {self.staff_number} was not notified: the objection window "
                "opens with the notification",
                fields={"entry": number},
            )
        count, notified_on = notice
        if effective_on < notified_on:
            raise RuleViolation(
                "R-40",
                f"{kind} {number} was notified on {notified_on}, after {effective_on}",
                fields={"effective_on": effective_on.isoformat()},
            )
        for objection in self.objection_book.objections.values():
            if objection.entry != number:
                continue
            if objection.outcome is None:
                raise RuleViolation(
                    "R-40",
                    f"objection {objection.number} to {kind} {number} is still open",
                    fields={"objection": objection.number},
                )
            if objection.notice == count:
                raise RuleViolation(
                    "R-40",
                    f"objection {objection.number} already answered this notification of "
                    f"{kind} {number}; only a notified amendment opens another",
                    fields={"objection": objection.number},
                )
        if deadline.counted_from != notified_on:
            raise ValueError("the deadline must be counted from the notification")
        if not deadline.met_by(effective_on):
            raise RuleViolation(
                "R-40",
                f"the objection window to {kind} {number} closed on {deadline.due_on} "
                f"({deadline.describe()})",
                fields={
                    "deadline": deadline.due_on.isoformat(),
                    "notified_on": notified_on.isoformat(),
                    "calendar_versions": list(deadline.calendar_versions),
                },
            )
        if kind == "deduction":
            source = self.deductions[number].source
        elif veto_source is not None:
            source = member_of(DeductionSource, veto_source, rule="R-01", field="source")
        else:
            raise ValueError(f"the source of veto case {number} is needed")
        self._raise_objection(
            actor.person_id,
            actor.role,
            number,
            kind,
            source,
            count,
            notified_on,
            grounds,
            deadline.due_on,
            deadline.calendar_versions,
            effective_on,
        )
        return self.version

    @event("ObjectionRaised", topic="ledger.staff.ObjectionRaised.v1")
    def _raise_objection(
        self,
        actor_id: str,
        actor_role: Role,
        entry: int,
        entry_kind: str,
        source: DeductionSource,
        notice: int,
        notified_on: date,
        grounds: str,
        deadline: date,
        calendar_versions: tuple[str, ...],
        effective_on: date,
    ) -> None:
        number = self.version + 1
        self.objection_book.objections[number] = Objection(
            number, entry, entry_kind, source, notice, effective_on
        )

    def decide_objection(
        self,
        actor: Actor,
        number: int,
        *,
        outcome: ObjectionOutcome,
        reason: str,
        decision_ref: str,
        effective_on: date,
        quantity: int | None = None,
        points_applied: Decimal | None = None,
    ) -> None:
        """Record the decision on an objection (R-40) and, for amended or revoked, the
        amendment or revocation of the entry naming that decision (R-42), in that order."""
        objection = self.objection(number)
        outcome = member_of(ObjectionOutcome, outcome, rule="R-40", field="outcome")
        if objection.outcome is not None:
            raise RuleViolation(
                "R-40",
                f"objection {number} was decided ({objection.outcome.value}) on "
                f"{objection.decided_on}",
                fields={"objection": number},
            )
        if effective_on < objection.raised_on:
            raise RuleViolation(
                "DATED_RECORDS",
                f"objection {number} was raised on {objection.raised_on}",
                fields={"effective_on": effective_on.isoformat()},
            )
        if not reason.strip() or not decision_ref.strip():
            raise RuleViolation(
                "R-42", "an objection's decision needs its reason and the decision it records"
            )
        entry, kind = objection.entry, objection.entry_kind
        changes_entry = outcome is not ObjectionOutcome.UPHELD
        if changes_entry:
            self._live_entry(entry)
        if outcome is ObjectionOutcome.AMENDED:
            if kind != "deduction":
                raise RuleViolation(
                    "R-40",
                    f"veto case {entry} has no points to amend: uphold it or revoke it",
                    fields={"outcome": outcome.value},
                )
            current = self.deductions[entry]
            if quantity is None or points_applied is None:
                raise RuleViolation("R-40", "an amended outcome needs the new quantity and points")
            if (quantity, points_applied) == (current.quantity, current.points_applied):
                raise RuleViolation(
                    "R-40",
                    "an amended outcome must change the quantity or the points",
                    fields={"objection": number},
                )
        elif quantity is not None or points_applied is not None:
            raise RuleViolation(
                "R-40",
                f"only an amended outcome takes new quantity or points, not {outcome.value}",
                fields={"outcome": outcome.value},
            )
        self._decide_objection(
            actor.person_id, actor.role, number, entry, outcome, reason, decision_ref, effective_on
        )
        why = f"objection {number} {outcome.value}: {reason}"
        if outcome is ObjectionOutcome.AMENDED:
            assert quantity is not None and points_applied is not None
            self.amend_deduction(
                actor,
                entry,
                quantity=quantity,
                points_applied=points_applied,
                reason=why,
                decision_ref=decision_ref,
                effective_on=effective_on,
            )
        elif outcome is ObjectionOutcome.REVOKED and kind == "deduction":
            self.revoke_deduction(
                actor, entry, reason=why, decision_ref=decision_ref, effective_on=effective_on
            )
        elif outcome is ObjectionOutcome.REVOKED:
            self.revoke_veto_case(
                actor, entry, reason=why, decision_ref=decision_ref, effective_on=effective_on
            )

    @event("ObjectionDecided", topic="ledger.staff.ObjectionDecided.v1")
    def _decide_objection(
        self,
        actor_id: str,
        actor_role: Role,
        objection: int,
        entry: int,
        outcome: ObjectionOutcome,
        reason: str,
        decision_ref: str,
        effective_on: date,
    ) -> None:
        decided = self.objection_book.objections[objection]
        decided.outcome = outcome
        decided.decided_on = effective_on


# Objections to entries: the records the Staff aggregate's objection block keeps.


class ObjectionOutcome(StrEnum):
    """异议决定 / How an objection to an entry was decided (R-40): `upheld` 维持 (the entry
    stands), `amended` 更正 (its points or quantity changed), `revoked` 撤销 (the entry
    withdrawn)."""

    UPHELD = "upheld"
    AMENDED = "amended"
    REVOKED = "revoked"


@dataclass
class Objection(ValueRecord):
    """An objection as it stands now; `number` is the version of the event that raised it."""

    number: int
    entry: int
    entry_kind: str
    """"deduction" or "veto"."""
    source: DeductionSource
    """The entry's source: who decides the objection (R-40)."""
    notice: int
    """Which notice of the entry it answers (1: the entry's own notification)."""
    raised_on: date
    outcome: ObjectionOutcome | None = None
    decided_on: date | None = None


@dataclass
class ObjectionBook:
    """One person's objections, and the notices of their entries besides a deduction's own."""

    objections: dict[int, Objection] = field(default_factory=dict)
    notices: dict[int, tuple[int, date]] = field(default_factory=dict)
    """Per entry: the count and day of its latest notice, when that is a veto case's
    notification or a notified amendment (a deduction's own notification is on the Deduction)."""
