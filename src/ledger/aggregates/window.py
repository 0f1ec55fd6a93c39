"""A unit of the hall: a department's window or a center office, its head, leader in charge and
window-level deductions (R-02)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, member_of, stream_id
from ledger.aggregates.organisation import Tenure
from ledger.aggregates.staff import Deduction
from ledger.errors import RecordNotFound, RuleViolation
from ledger.values import Actor, DeductionSource, Role, UnitKind


class Window(LedgerAggregate):
    """One window or office; membership is not kept here but derived from Staff assignments."""

    TOPIC = "ledger.window"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.window.Created"

    @staticmethod
    def create_id(code: str) -> UUID:
        """Unit streams are keyed by unit code."""
        return stream_id("window", code)

    @event("Opened", topic="ledger.window.Opened.v1")
    def __init__(
        self,
        actor_id: str,
        actor_role: Role,
        code: str,
        name: str,
        kind: UnitKind,
        department: str,
        party_branch: str,
        effective_on: date,
    ) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.department = department
        self.party_branch = party_branch
        self.opened_on = effective_on
        self.heads: list[tuple[str, Tenure]] = []
        self.leaders_in_charge: list[tuple[str, Tenure]] = []
        self.deductions: dict[int, Deduction] = {}

    @property
    def head_role(self) -> Role:
        """The role its head holds: window_head or office_head."""
        return Role.WINDOW_HEAD if self.kind is UnitKind.WINDOW else Role.OFFICE_HEAD

    @staticmethod
    def _holder_on(terms: list[tuple[str, Tenure]], day: date) -> str | None:
        for person_id, tenure in reversed(terms):
            if tenure.covers(day):
                return person_id
        return None

    def head_on(self, day: date) -> str | None:
        """Who was head of the unit on the day."""
        return self._holder_on(self.heads, day)

    def leader_in_charge_on(self, day: date) -> str | None:
        """Which center leader was in charge of the unit on the day."""
        return self._holder_on(self.leaders_in_charge, day)

    def _check_term_date(self, terms: list[tuple[str, Tenure]], effective_on: date) -> None:
        earliest = (terms[-1][1].end or terms[-1][1].start) if terms else self.opened_on
        if effective_on < earliest:
            raise RuleViolation(
                "DATED_RECORDS",
                f"appointments to {self.code} change in date order, not before {earliest}",
                fields={"effective_on": effective_on.isoformat()},
            )

    def appoint_head(self, actor: Actor, person_id: str, effective_on: date) -> None:
        """Record a head's appointment; the previous head's term ends the day before."""
        self._check_term_date(self.heads, effective_on)
        self._appoint_head(actor.person_id, actor.role, person_id, effective_on)

    @event("HeadAppointed", topic="ledger.window.HeadAppointed.v1")
    def _appoint_head(
        self, actor_id: str, actor_role: Role, person_id: str, effective_on: date
    ) -> None:
        if self.heads and self.heads[-1][1].end is None:
            self.heads[-1][1].end = effective_on
        self.heads.append((person_id, Tenure(effective_on)))

    def end_head_term(self, actor: Actor, effective_on: date) -> None:
        """Record that the head left the post, vacant from that day until the next appointment."""
        if not self.heads or self.heads[-1][1].end is not None:
            raise RuleViolation("HEAD_TERM", f"{self.code} has no head in post")
        person_id, tenure = self.heads[-1]
        if effective_on <= tenure.start:
            raise RuleViolation(
                "DATED_RECORDS",
                f"{person_id} became head of {self.code} on {tenure.start}",
                fields={"effective_on": effective_on.isoformat()},
            )
        self._end_head_term(actor.person_id, actor.role, person_id, effective_on)

    @event("HeadTermEnded", topic="ledger.window.HeadTermEnded.v1")
    def _end_head_term(
        self, actor_id: str, actor_role: Role, person_id: str, effective_on: date
    ) -> None:
        self.heads[-1][1].end = effective_on

    def appoint_leader_in_charge(self, actor: Actor, person_id: str, effective_on: date) -> None:
        """Record which center leader is in charge of the unit from a date."""
        self._check_term_date(self.leaders_in_charge, effective_on)
        self._appoint_leader_in_charge(actor.person_id, actor.role, person_id, effective_on)

    @event("LeaderInChargeAppointed", topic="ledger.window.LeaderInChargeAppointed.v1")
    def _appoint_leader_in_charge(
        self, actor_id: str, actor_role: Role, person_id: str, effective_on: date
    ) -> None:
        if self.leaders_in_charge and self.leaders_in_charge[-1][1].end is None:
            self.leaders_in_charge[-1][1].end = effective_on
        self.leaders_in_charge.append((person_id, Tenure(effective_on)))

    # Window-level deductions (R-02: they count only towards this window's total)

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
        """Record a window-level deduction and return its number."""
        source = member_of(DeductionSource, source, rule="R-01", field="source")
        if self.kind is not UnitKind.WINDOW:
            raise RuleViolation(
                "R-02", f"{self.code} is an office; window-level items apply to windows only"
            )
        if occurred_on < self.opened_on:
            raise RuleViolation(
                "DATED_RECORDS",
                f"{self.code} opened on {self.opened_on}",
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

    @event("DeductionRecorded", topic="ledger.window.DeductionRecorded.v1")
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
        number = self.version + 1
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
        deduction = self.deductions.get(number)
        if deduction is None:
            raise RecordNotFound(f"{self.code} has no deduction {number}")
        if deduction.revoked:
            raise RuleViolation("R-42", f"deduction {number} of {self.code} is already revoked")
        return deduction

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
        """Record new quantity and points for a window-level deduction."""
        deduction = self._live_deduction(number)
        if quantity == deduction.quantity and points_applied == deduction.points_applied:
            raise RuleViolation("R-40", "an amendment must change the quantity or the points")
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

    @event("DeductionAmended", topic="ledger.window.DeductionAmended.v1")
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
        """Record that a window-level deduction no longer counts."""
        self._live_deduction(number)
        self._revoke_deduction(
            actor.person_id, actor.role, number, reason, decision_ref, effective_on
        )

    @event("DeductionRevoked", topic="ledger.window.DeductionRevoked.v1")
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
