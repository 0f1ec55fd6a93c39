"""Deductions and veto cases: recorded, notified, amended and revoked (supervision office;
overrides by the leading group)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.errors import RecordNotFound, RuleViolation
from ledger.values import Actor, AppliesTo, DeductionSource, Role, VetoCase


class DeductionCommands(LedgerCore):
    """Deductions and veto cases: recorded, notified, amended and revoked (supervision office;"""

    # Deductions and veto cases (supervision office; overrides by the leading group)

    def record_deduction(
        self,
        actor: Actor,
        staff_number: str,
        item_code: str,
        occurred_on: date,
        incident_ref: str,
        evidence_ref: str,
        source: DeductionSource,
        *,
        quantity: int = 1,
        points: str | Decimal | None = None,
        override_reason: str | None = None,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a deduction against a staff member under a catalogue item (R-01, R-03, R-20)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                (Role.SUPERVISION_CLERK, Role.LEADING_GROUP),
                today,
                command="record_deduction",
            )
            self._within_measures(occurred_on, "occurred_on")
            self._not_in_future(occurred_on, today, "occurred_on")
            version, applied, kept_reason = self._priced_item(
                actor, item_code, quantity, occurred_on, points, override_reason, AppliesTo.PERSON
            )
            staff = self.staff(staff_number)
            number = staff.record_deduction(
                actor,
                item_code=item_code,
                catalogue_version=version,
                quantity=quantity,
                points_applied=applied,
                override_reason=kept_reason,
                occurred_on=occurred_on,
                incident_ref=incident_ref,
                evidence_ref=evidence_ref,
                source=source,
                decision_ref=decision_ref,
            )
            incident, created = self._incident(
                actor, incident_ref, f"staff/{staff_number}/{number}", decision_ref
            )
            return Changes([staff, incident], number, incident if created else None)

        return self._execute(
            "record_deduction",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "item_code": item_code,
                "occurred_on": occurred_on,
                "incident_ref": incident_ref,
                "evidence_ref": evidence_ref,
                "source": source,
                "quantity": quantity,
                "points": str(points) if points is not None else None,
                "override_reason": override_reason,
                "decision_ref": decision_ref,
            },
            decide,
        )

    def record_window_deduction(
        self,
        actor: Actor,
        unit_code: str,
        item_code: str,
        occurred_on: date,
        incident_ref: str,
        evidence_ref: str,
        source: DeductionSource,
        *,
        quantity: int = 1,
        points: str | Decimal | None = None,
        override_reason: str | None = None,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a window-level deduction, counted only towards that window (R-02)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                (Role.SUPERVISION_CLERK, Role.LEADING_GROUP),
                today,
                command="record_window_deduction",
            )
            self._within_measures(occurred_on, "occurred_on")
            self._not_in_future(occurred_on, today, "occurred_on")
            version, applied, kept_reason = self._priced_item(
                actor, item_code, quantity, occurred_on, points, override_reason, AppliesTo.WINDOW
            )
            unit = self.unit(unit_code)
            number = unit.record_deduction(
                actor,
                item_code=item_code,
                catalogue_version=version,
                quantity=quantity,
                points_applied=applied,
                override_reason=kept_reason,
                occurred_on=occurred_on,
                incident_ref=incident_ref,
                evidence_ref=evidence_ref,
                source=source,
                decision_ref=decision_ref,
            )
            incident, created = self._incident(
                actor, incident_ref, f"window/{unit_code}/{number}", decision_ref
            )
            return Changes([unit, incident], number, incident if created else None)

        return self._execute(
            "record_window_deduction",
            actor,
            idempotency_key,
            {
                "unit_code": unit_code,
                "item_code": item_code,
                "occurred_on": occurred_on,
                "incident_ref": incident_ref,
                "evidence_ref": evidence_ref,
                "source": source,
                "quantity": quantity,
                "points": str(points) if points is not None else None,
                "override_reason": override_reason,
                "decision_ref": decision_ref,
            },
            decide,
        )

    def notify_deduction(
        self,
        actor: Actor,
        staff_number: str,
        deduction: int,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a staff member was notified of a deduction (R-40's clock starts)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, effective_on, command="notify_deduction")
            self._not_in_future(effective_on, today, "effective_on")
            staff = self.staff(staff_number)
            staff.notify_deduction(actor, deduction, effective_on)
            return Changes([staff])

        return self._execute(
            "notify_deduction",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "deduction": deduction, "effective_on": effective_on},
            decide,
        )

    def _amended_points(
        self,
        actor: Actor,
        item_code: str,
        catalogue_version: int,
        quantity: int,
        points: str | Decimal | None,
        reason: str,
    ) -> Decimal:
        item = self.catalogue().item(item_code, catalogue_version)
        assert item is not None, "a recorded deduction names an item of its catalogue version"
        # The amendment's own reason justifies points other than the catalogue's.
        override_reason = reason if points is not None else None
        applied, _ = self._checked_points(actor, item, quantity, points, override_reason)
        return applied

    def amend_deduction(
        self,
        actor: Actor,
        staff_number: str,
        deduction: int,
        effective_on: date,
        reason: str,
        *,
        quantity: int | None = None,
        points: str | Decimal | None = None,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record an amendment of a deduction's quantity or points, with its reason (R-40, R-42)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                (Role.SUPERVISION_CLERK, Role.LEADING_GROUP),
                effective_on,
                command="amend_deduction",
            )
            self._not_in_future(effective_on, today, "effective_on")
            if not reason.strip():
                raise RuleViolation("R-42", "an amendment needs a reason")
            staff = self.staff(staff_number)
            current = staff.deduction(deduction)
            new_quantity = current.quantity if quantity is None else quantity
            applied = self._amended_points(
                actor, current.item_code, current.catalogue_version, new_quantity, points, reason
            )
            staff.amend_deduction(
                actor,
                deduction,
                quantity=new_quantity,
                points_applied=applied,
                reason=reason,
                decision_ref=decision_ref,
                effective_on=effective_on,
            )
            return Changes([staff])

        return self._execute(
            "amend_deduction",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "deduction": deduction,
                "effective_on": effective_on,
                "reason": reason,
                "quantity": quantity,
                "points": str(points) if points is not None else None,
                "decision_ref": decision_ref,
            },
            decide,
        )

    def revoke_deduction(
        self,
        actor: Actor,
        staff_number: str,
        deduction: int,
        effective_on: date,
        reason: str,
        *,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a deduction no longer counts; refused if it is already revoked (R-42)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                (Role.SUPERVISION_CLERK, Role.LEADING_GROUP),
                effective_on,
                command="revoke_deduction",
            )
            self._not_in_future(effective_on, today, "effective_on")
            if not reason.strip():
                raise RuleViolation("R-42", "a revocation needs a reason")
            staff = self.staff(staff_number)
            staff.revoke_deduction(
                actor,
                deduction,
                reason=reason,
                decision_ref=decision_ref,
                effective_on=effective_on,
            )
            return Changes([staff])

        return self._execute(
            "revoke_deduction",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "deduction": deduction,
                "effective_on": effective_on,
                "reason": reason,
                "decision_ref": decision_ref,
            },
            decide,
        )

    def amend_window_deduction(
        self,
        actor: Actor,
        unit_code: str,
        deduction: int,
        effective_on: date,
        reason: str,
        *,
        quantity: int | None = None,
        points: str | Decimal | None = None,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record an amendment of a window-level deduction."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                (Role.SUPERVISION_CLERK, Role.LEADING_GROUP),
                effective_on,
                command="amend_window_deduction",
            )
            self._not_in_future(effective_on, today, "effective_on")
            if not reason.strip():
                raise RuleViolation("R-42", "an amendment needs a reason")
            unit = self.unit(unit_code)
            current = unit.deductions.get(deduction)
            if current is None:
                raise RecordNotFound(f"{unit_code} has no deduction {deduction}")
            new_quantity = current.quantity if quantity is None else quantity
            applied = self._amended_points(
                actor, current.item_code, current.catalogue_version, new_quantity, points, reason
            )
            unit.amend_deduction(
                actor,
                deduction,
                quantity=new_quantity,
                points_applied=applied,
                reason=reason,
                decision_ref=decision_ref,
                effective_on=effective_on,
            )
            return Changes([unit])

        return self._execute(
            "amend_window_deduction",
            actor,
            idempotency_key,
            {
                "unit_code": unit_code,
                "deduction": deduction,
                "effective_on": effective_on,
                "reason": reason,
                "quantity": quantity,
                "points": str(points) if points is not None else None,
                "decision_ref": decision_ref,
            },
            decide,
        )

    def revoke_window_deduction(
        self,
        actor: Actor,
        unit_code: str,
        deduction: int,
        effective_on: date,
        reason: str,
        *,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a window-level deduction no longer counts."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                (Role.SUPERVISION_CLERK, Role.LEADING_GROUP),
                effective_on,
                command="revoke_window_deduction",
            )
            self._not_in_future(effective_on, today, "effective_on")
            if not reason.strip():
                raise RuleViolation("R-42", "a revocation needs a reason")
            unit = self.unit(unit_code)
            unit.revoke_deduction(
                actor,
                deduction,
                reason=reason,
                decision_ref=decision_ref,
                effective_on=effective_on,
            )
            return Changes([unit])

        return self._execute(
            "revoke_window_deduction",
            actor,
            idempotency_key,
            {
                "unit_code": unit_code,
                "deduction": deduction,
                "effective_on": effective_on,
                "reason": reason,
                "decision_ref": decision_ref,
            },
            decide,
        )

    def record_veto_case(
        self,
        actor: Actor,
        staff_number: str,
        case: VetoCase,
        occurred_on: date,
        incident_ref: str,
        evidence_ref: str,
        verification: str,
        source: DeductionSource,
        *,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a one-vote veto case (V1–V8) with its evidence and verification (SPEC 4.4)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, today, command="record_veto_case")
            self._within_measures(occurred_on, "occurred_on")
            self._not_in_future(occurred_on, today, "occurred_on")
            if not verification.strip():
                raise RuleViolation(
                    "V1-V8", "a veto case needs its verification", fields={"verification": ""}
                )
            staff = self.staff(staff_number)
            number = staff.record_veto_case(
                actor,
                case=case,
                occurred_on=occurred_on,
                incident_ref=incident_ref,
                evidence_ref=evidence_ref,
                verification=verification,
                source=source,
                decision_ref=decision_ref,
            )
            incident, created = self._incident(
                actor, incident_ref, f"staff/{staff_number}/{number}", decision_ref
            )
            return Changes([staff, incident], number, incident if created else None)

        return self._execute(
            "record_veto_case",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "case": case,
                "occurred_on": occurred_on,
                "incident_ref": incident_ref,
                "evidence_ref": evidence_ref,
                "verification": verification,
                "source": source,
                "decision_ref": decision_ref,
            },
            decide,
        )

    def revoke_veto_case(
        self,
        actor: Actor,
        staff_number: str,
        veto: int,
        effective_on: date,
        reason: str,
        *,
        decision_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a veto case no longer counts."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                (Role.SUPERVISION_CLERK, Role.LEADING_GROUP),
                effective_on,
                command="revoke_veto_case",
            )
            self._not_in_future(effective_on, today, "effective_on")
            if not reason.strip():
                raise RuleViolation("R-42", "a revocation needs a reason")
            staff = self.staff(staff_number)
            staff.revoke_veto_case(
                actor, veto, reason=reason, decision_ref=decision_ref, effective_on=effective_on
            )
            return Changes([staff])

        return self._execute(
            "revoke_veto_case",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "veto": veto,
                "effective_on": effective_on,
                "reason": reason,
                "decision_ref": decision_ref,
            },
            decide,
        )
