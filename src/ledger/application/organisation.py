"""The organisation and its units: party branches, the leading group and the Party Working
Committee, role grants, appeal-case assignments, windows and offices with their heads and
leaders in charge (operator, on the center's instruction)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ledger.aggregates.organisation import Organisation
from ledger.aggregates.window import Window
from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.errors import RuleViolation
from ledger.values import Actor, Role, UnitKind


class OrganisationCommands(LedgerCore):
    """The organisation and its units: party branches, the leading group and the Party Working"""

    # Organisation (operator, on the center's instruction)

    def form_party_branch(
        self,
        actor: Actor,
        code: str,
        name: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a party branch was formed."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="form_party_branch")
            self._not_in_future(effective_on, today, "effective_on")
            organisation = self._organisation_for_update(actor, today)
            organisation.form_party_branch(actor, code, name, effective_on)
            return Changes([organisation])

        return self._execute(
            "form_party_branch",
            actor,
            idempotency_key,
            {"code": code, "name": name, "effective_on": effective_on},
            decide,
        )

    def appoint_branch_secretary(
        self,
        actor: Actor,
        branch_code: str,
        person_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a party branch secretary's appointment (branch_secretary for that branch)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="appoint_branch_secretary")
            self._not_in_future(effective_on, today, "effective_on")
            self._registered_by(person_id, effective_on)
            organisation = self._organisation_for_update(actor, today)
            organisation.appoint_branch_secretary(actor, branch_code, person_id, effective_on)
            return Changes([organisation])

        return self._execute(
            "appoint_branch_secretary",
            actor,
            idempotency_key,
            {"branch_code": branch_code, "person_id": person_id, "effective_on": effective_on},
            decide,
        )

    def _membership_command(
        self,
        command: str,
        actor: Actor,
        person_id: str,
        effective_on: date,
        idempotency_key: str | None,
        change: Callable[[Organisation], Callable[[Actor, str, date], None]],
    ) -> Outcome:
        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command=command)
            self._not_in_future(effective_on, today, "effective_on")
            self._registered_by(person_id, effective_on)
            organisation = self._organisation_for_update(actor, today)
            change(organisation)(actor, person_id, effective_on)
            return Changes([organisation])

        return self._execute(
            command,
            actor,
            idempotency_key,
            {"person_id": person_id, "effective_on": effective_on},
            decide,
        )

    def appoint_leading_group_member(
        self,
        actor: Actor,
        person_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a person joined the assessment leading group."""
        return self._membership_command(
            "appoint_leading_group_member",
            actor,
            person_id,
            effective_on,
            idempotency_key,
            lambda organisation: organisation.appoint_leading_group_member,
        )

    def end_leading_group_membership(
        self,
        actor: Actor,
        person_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a person left the leading group."""
        return self._membership_command(
            "end_leading_group_membership",
            actor,
            person_id,
            effective_on,
            idempotency_key,
            lambda organisation: organisation.end_leading_group_membership,
        )

    def appoint_committee_member(
        self,
        actor: Actor,
        person_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a person joined the Party Working Committee."""
        return self._membership_command(
            "appoint_committee_member",
            actor,
            person_id,
            effective_on,
            idempotency_key,
            lambda organisation: organisation.appoint_committee_member,
        )

    def end_committee_membership(
        self,
        actor: Actor,
        person_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a person left the Party Working Committee."""
        return self._membership_command(
            "end_committee_membership",
            actor,
            person_id,
            effective_on,
            idempotency_key,
            lambda organisation: organisation.end_committee_membership,
        )

    def grant_role(
        self,
        actor: Actor,
        person_id: str,
        role: Role,
        effective_on: date,
        *,
        scope: str = "",
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a grant: supervision_clerk, functional_office (per office), higher_authority."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="grant_role")
            self._not_in_future(effective_on, today, "effective_on")
            self._registered_by(person_id, effective_on)
            if role is Role.FUNCTIONAL_OFFICE and scope:
                office = self.unit(scope)
                if office.kind is not UnitKind.OFFICE:
                    raise RuleViolation("ROLES", f"{scope} is a window, not a center office")
            organisation = self._organisation_for_update(actor, today)
            organisation.grant_role(actor, person_id, role, scope, effective_on)
            return Changes([organisation])

        return self._execute(
            "grant_role",
            actor,
            idempotency_key,
            {"person_id": person_id, "role": role, "scope": scope, "effective_on": effective_on},
            decide,
        )

    def revoke_role(
        self,
        actor: Actor,
        person_id: str,
        role: Role,
        effective_on: date,
        *,
        scope: str = "",
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a granted role ends (held until the day before)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="revoke_role")
            self._not_in_future(effective_on, today, "effective_on")
            organisation = self._organisation_for_update(actor, today)
            organisation.revoke_role(actor, person_id, role, scope, effective_on)
            return Changes([organisation])

        return self._execute(
            "revoke_role",
            actor,
            idempotency_key,
            {"person_id": person_id, "role": role, "scope": scope, "effective_on": effective_on},
            decide,
        )

    def assign_appeal_case(
        self,
        actor: Actor,
        case_id: str,
        staff_number: str,
        reviewer_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a review or appeal case was assigned to a reviewer."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="assign_appeal_case")
            self._not_in_future(effective_on, today, "effective_on")
            self.staff(staff_number)
            organisation = self._organisation_for_update(actor, today)
            organisation.assign_appeal_case(actor, case_id, staff_number, reviewer_id, effective_on)
            return Changes([organisation])

        return self._execute(
            "assign_appeal_case",
            actor,
            idempotency_key,
            {
                "case_id": case_id,
                "staff_number": staff_number,
                "reviewer_id": reviewer_id,
                "effective_on": effective_on,
            },
            decide,
        )

    # Units

    def open_unit(
        self,
        actor: Actor,
        code: str,
        name: str,
        kind: UnitKind,
        department: str,
        party_branch: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a window or office was opened, in a party branch."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="open_unit")
            self._not_in_future(effective_on, today, "effective_on")
            if self._exists(Window.create_id(code)):
                raise RuleViolation("UNIQUE_UNIT", f"unit {code} is already open")
            organisation = self.organisation()
            if organisation is None or party_branch not in organisation.branches:
                raise RuleViolation(
                    "UNKNOWN_BRANCH",
                    f"party branch {party_branch} does not exist",
                    fields={"party_branch": party_branch},
                )
            unit = Window(
                actor_id=actor.person_id,
                actor_role=actor.role,
                code=code,
                name=name,
                kind=kind,
                department=department,
                party_branch=party_branch,
                effective_on=effective_on,
            )
            return Changes([unit])

        return self._execute(
            "open_unit",
            actor,
            idempotency_key,
            {
                "code": code,
                "name": name,
                "kind": kind,
                "department": department,
                "party_branch": party_branch,
                "effective_on": effective_on,
            },
            decide,
        )

    def _appointment_command(
        self,
        command: str,
        actor: Actor,
        unit_code: str,
        person_id: str,
        effective_on: date,
        idempotency_key: str | None,
        appoint: Callable[[Window], Callable[[Actor, str, date], None]],
    ) -> Outcome:
        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command=command)
            self._not_in_future(effective_on, today, "effective_on")
            self._registered_by(person_id, effective_on)
            unit = self.unit(unit_code)
            appoint(unit)(actor, person_id, effective_on)
            return Changes([unit])

        return self._execute(
            command,
            actor,
            idempotency_key,
            {"unit_code": unit_code, "person_id": person_id, "effective_on": effective_on},
            decide,
        )

    def appoint_head(
        self,
        actor: Actor,
        unit_code: str,
        person_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a unit head's appointment (window_head or office_head for it)."""
        return self._appointment_command(
            "appoint_head",
            actor,
            unit_code,
            person_id,
            effective_on,
            idempotency_key,
            lambda unit: unit.appoint_head,
        )

    def appoint_leader_in_charge(
        self,
        actor: Actor,
        unit_code: str,
        person_id: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record which center leader is in charge of a unit (leader_in_charge for it)."""
        return self._appointment_command(
            "appoint_leader_in_charge",
            actor,
            unit_code,
            person_id,
            effective_on,
            idempotency_key,
            lambda unit: unit.appoint_leader_in_charge,
        )

    def end_head_term(
        self,
        actor: Actor,
        unit_code: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a unit's head left the post (vacant until the next appointment)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="end_head_term")
            self._not_in_future(effective_on, today, "effective_on")
            unit = self.unit(unit_code)
            unit.end_head_term(actor, effective_on)
            return Changes([unit])

        return self._execute(
            "end_head_term",
            actor,
            idempotency_key,
            {"unit_code": unit_code, "effective_on": effective_on},
            decide,
        )
