"""The center's organisation: party branches, leading group, Party Working Committee, roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, ValueRecord, stream_id
from ledger.errors import RuleViolation
from ledger.values import GRANTABLE_ROLES, Actor, Role


@dataclass
class Tenure(ValueRecord):
    """A dated holding: from `start` (inclusive) until the day before `end`, or open-ended."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the holding was in force on the day."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass
class PartyBranch:
    """A party branch and the dated terms of its secretaries."""

    code: str
    name: str
    formed_on: date
    secretaries: list[tuple[str, Tenure]]


class Organisation(LedgerAggregate):
    """The one stream of who belongs to which body and who holds which role, on which days."""

    TOPIC = "ledger.organisation"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.organisation.Created"

    @staticmethod
    def create_id() -> UUID:
        """There is one organisation per ledger."""
        return stream_id("organisation", "center")

    @event("Established", topic="ledger.organisation.Established.v1")
    def __init__(self, actor_id: str, actor_role: Role, effective_on: date) -> None:
        self.branches: dict[str, PartyBranch] = {}
        # (person, role, scope) -> dated holdings; scope is a unit, branch or case, or "" if none.
        self.holdings: dict[tuple[str, Role, str], list[Tenure]] = {}
        self.appeal_cases: dict[str, tuple[str, str]] = {}

    def holds(self, person_id: str, role: Role, on: date, scope: str = "") -> bool:
        """Whether the person held the role (with that scope) on the day."""
        return any(t.covers(on) for t in self.holdings.get((person_id, role, scope), []))

    def ever_held(self, person_id: str, role: Role) -> bool:
        """Whether the person held the role, in any scope, for at least one day."""
        return any(
            # A holding ended on the day it began covered no day at all.
            any(t.end is None or t.start < t.end for t in tenures)
            for (holder, held, _scope), tenures in self.holdings.items()
            if holder == person_id and held == role
        )

    def _open_holding(self, person_id: str, role: Role, scope: str, start: date) -> None:
        self.holdings.setdefault((person_id, role, scope), []).append(Tenure(start))

    def _close_holding(self, person_id: str, role: Role, scope: str, end: date) -> None:
        for tenure in self.holdings.get((person_id, role, scope), []):
            if tenure.end is None:
                tenure.end = end

    def _require_open(
        self, person_id: str, role: Role, scope: str, rule: str, ending_on: date
    ) -> None:
        tenures = self.holdings.get((person_id, role, scope), [])
        open_tenures = [t for t in tenures if t.end is None]
        if not open_tenures:
            raise RuleViolation(
                rule, f"{person_id} does not hold {role.value}{f' for {scope}' if scope else ''}"
            )
        started = max(t.start for t in open_tenures)
        if ending_on < started:
            raise RuleViolation(
                "DATED_RECORDS",
                f"{person_id} holds {role.value} since {started}; it cannot end before that",
                fields={"effective_on": ending_on.isoformat()},
            )

    def _require_not_open(self, person_id: str, role: Role, scope: str, rule: str) -> None:
        tenures = self.holdings.get((person_id, role, scope), [])
        if any(t.end is None for t in tenures):
            raise RuleViolation(
                rule,
                f"{person_id} already holds {role.value}{f' for {scope}' if scope else ''}",
            )

    # Party branches

    def form_party_branch(self, actor: Actor, code: str, name: str, effective_on: date) -> None:
        """Record that a party branch was formed."""
        if code in self.branches:
            raise RuleViolation("UNIQUE_BRANCH", f"party branch {code} already exists")
        self._form_party_branch(actor.person_id, actor.role, code, name, effective_on)

    @event("PartyBranchFormed", topic="ledger.organisation.PartyBranchFormed.v1")
    def _form_party_branch(
        self, actor_id: str, actor_role: Role, code: str, name: str, effective_on: date
    ) -> None:
        self.branches[code] = PartyBranch(code, name, effective_on, [])

    def appoint_branch_secretary(
        self, actor: Actor, branch_code: str, person_id: str, effective_on: date
    ) -> None:
        """Record the appointment of a branch's secretary; the previous term ends the day before."""
        branch = self.branches.get(branch_code)
        if branch is None:
            raise RuleViolation("UNKNOWN_BRANCH", f"party branch {branch_code} does not exist")
        if effective_on < branch.formed_on:
            raise RuleViolation(
                "DATED_RECORDS", f"branch {branch_code} was formed on {branch.formed_on}"
            )
        current = [tenure.start for _, tenure in branch.secretaries if tenure.end is None]
        if current and effective_on < current[-1]:
            # The previous term would end before it began: appointments change in date order.
            raise RuleViolation(
                "DATED_RECORDS",
                f"the secretary of {branch_code} was appointed on {current[-1]}; a successor "
                "cannot take over before that",
                fields={"effective_on": effective_on.isoformat()},
            )
        self._appoint_branch_secretary(
            actor.person_id, actor.role, branch_code, person_id, effective_on
        )

    @event("BranchSecretaryAppointed", topic="ledger.organisation.BranchSecretaryAppointed.v1")
    def _appoint_branch_secretary(
        self, actor_id: str, actor_role: Role, branch_code: str, person_id: str, effective_on: date
    ) -> None:
        branch = self.branches[branch_code]
        for previous, tenure in branch.secretaries:
            if tenure.end is None:
                tenure.end = effective_on
                self._close_holding(previous, Role.BRANCH_SECRETARY, branch_code, effective_on)
        branch.secretaries.append((person_id, Tenure(effective_on)))
        self._open_holding(person_id, Role.BRANCH_SECRETARY, branch_code, effective_on)

    # Leading group and Party Working Committee

    def appoint_leading_group_member(
        self, actor: Actor, person_id: str, effective_on: date
    ) -> None:
        """Record that a person joined the assessment leading group."""
        self._require_not_open(person_id, Role.LEADING_GROUP, "", "UNIQUE_MEMBERSHIP")
        self._appoint_leading_group_member(actor.person_id, actor.role, person_id, effective_on)

    @event(
        "LeadingGroupMemberAppointed", topic="ledger.organisation.LeadingGroupMemberAppointed.v1"
    )
    def _appoint_leading_group_member(
        self, actor_id: str, actor_role: Role, person_id: str, effective_on: date
    ) -> None:
        self._open_holding(person_id, Role.LEADING_GROUP, "", effective_on)

    def end_leading_group_membership(
        self, actor: Actor, person_id: str, effective_on: date
    ) -> None:
        """Record that a person left the leading group (member until the day before)."""
        self._require_open(person_id, Role.LEADING_GROUP, "", "MEMBERSHIP", effective_on)
        self._end_leading_group_membership(actor.person_id, actor.role, person_id, effective_on)

    @event("LeadingGroupMemberLeft", topic="ledger.organisation.LeadingGroupMemberLeft.v1")
    def _end_leading_group_membership(
        self, actor_id: str, actor_role: Role, person_id: str, effective_on: date
    ) -> None:
        self._close_holding(person_id, Role.LEADING_GROUP, "", effective_on)

    def appoint_committee_member(self, actor: Actor, person_id: str, effective_on: date) -> None:
        """Record that a person joined the Party Working Committee."""
        self._require_not_open(person_id, Role.PARTY_WORKING_COMMITTEE, "", "UNIQUE_MEMBERSHIP")
        self._appoint_committee_member(actor.person_id, actor.role, person_id, effective_on)

    @event("CommitteeMemberAppointed", topic="ledger.organisation.CommitteeMemberAppointed.v1")
    def _appoint_committee_member(
        self, actor_id: str, actor_role: Role, person_id: str, effective_on: date
    ) -> None:
        self._open_holding(person_id, Role.PARTY_WORKING_COMMITTEE, "", effective_on)

    def end_committee_membership(self, actor: Actor, person_id: str, effective_on: date) -> None:
        """Record that a person left the Party Working Committee."""
        self._require_open(person_id, Role.PARTY_WORKING_COMMITTEE, "", "MEMBERSHIP", effective_on)
        self._end_committee_membership(actor.person_id, actor.role, person_id, effective_on)

    @event("CommitteeMemberLeft", topic="ledger.organisation.CommitteeMemberLeft.v1")
    def _end_committee_membership(
        self, actor_id: str, actor_role: Role, person_id: str, effective_on: date
    ) -> None:
        self._close_holding(person_id, Role.PARTY_WORKING_COMMITTEE, "", effective_on)

    # Explicit grants

    def grant_role(
        self, actor: Actor, person_id: str, role: Role, scope: str, effective_on: date
    ) -> None:
        """Record a grant of a role that is not implied by an appointment."""
        if role not in GRANTABLE_ROLES:
            raise RuleViolation(
                "ROLES",
                f"{role.value} follows from an appointment or registration, it is not granted",
            )
        if role is Role.FUNCTIONAL_OFFICE and not scope:
            raise RuleViolation("ROLES", "functional_office is granted per office: give its code")
        if role is Role.APPEAL_REVIEWER:
            raise RuleViolation("ROLES", "appeal_reviewer is given by assigning an appeal case")
        self._require_not_open(person_id, role, scope, "ROLES")
        self._grant_role(actor.person_id, actor.role, person_id, role, scope, effective_on)

    @event("RoleGranted", topic="ledger.organisation.RoleGranted.v1")
    def _grant_role(
        self,
        actor_id: str,
        actor_role: Role,
        person_id: str,
        role: Role,
        scope: str,
        effective_on: date,
    ) -> None:
        self._open_holding(person_id, role, scope, effective_on)

    def revoke_role(
        self, actor: Actor, person_id: str, role: Role, scope: str, effective_on: date
    ) -> None:
        """Record that a granted role ends (held until the day before)."""
        if role not in GRANTABLE_ROLES:
            raise RuleViolation("ROLES", f"{role.value} is not a granted role")
        self._require_open(person_id, role, scope, "ROLES", effective_on)
        self._revoke_role(actor.person_id, actor.role, person_id, role, scope, effective_on)

    @event("RoleRevoked", topic="ledger.organisation.RoleRevoked.v1")
    def _revoke_role(
        self,
        actor_id: str,
        actor_role: Role,
        person_id: str,
        role: Role,
        scope: str,
        effective_on: date,
    ) -> None:
        self._close_holding(person_id, role, scope, effective_on)

    def assign_appeal_case(
        self, actor: Actor, case_id: str, staff_number: str, reviewer_id: str, effective_on: date
    ) -> None:
        """Record a review or appeal case's assignment (appeal_reviewer for that case)."""
        if case_id in self.appeal_cases:
            raise RuleViolation("UNIQUE_CASE", f"appeal case {case_id} is already assigned")
        self._assign_appeal_case(
            actor.person_id, actor.role, case_id, staff_number, reviewer_id, effective_on
        )

    @event("AppealCaseAssigned", topic="ledger.organisation.AppealCaseAssigned.v1")
    def _assign_appeal_case(
        self,
        actor_id: str,
        actor_role: Role,
        case_id: str,
        staff_number: str,
        reviewer_id: str,
        effective_on: date,
    ) -> None:
        self.appeal_cases[case_id] = (staff_number, reviewer_id)
        self._open_holding(reviewer_id, Role.APPEAL_REVIEWER, case_id, effective_on)
