"""The versions of the assessment policy (thresholds, D-xx readings) and when each takes effect."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, stream_id
from ledger.errors import RuleViolation
from ledger.values import Actor, Role


class PolicyBook(LedgerAggregate):
    """The one stream of adopted policy versions; a figure uses the version in force on the last
    day of its period (SPEC 4.8)."""

    TOPIC = "ledger.policy"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.policy.Created"

    @staticmethod
    def create_id() -> UUID:
        """There is one policy book per ledger."""
        return stream_id("policy", "measures")

    @event("Started", topic="ledger.policy.Started.v1")
    def __init__(self, actor_id: str, actor_role: Role) -> None:
        self.adopted: dict[str, tuple[date, dict[str, str]]] = {}

    def version_in_force(self, on: date) -> str | None:
        """The id of the policy version in force on a day."""
        candidates = [
            (effective_from, version)
            for version, (effective_from, _) in self.adopted.items()
            if effective_from <= on
        ]
        return max(candidates)[1] if candidates else None

    def adopt(
        self, actor: Actor, version: str, effective_from: date, parameters: dict[str, str]
    ) -> None:
        """Record the adoption of a policy version with its parameters."""
        if version in self.adopted:
            raise RuleViolation("POLICY_VERSIONS", f"policy version {version} is already adopted")
        if any(effective_from == other for other, _ in self.adopted.values()):
            raise RuleViolation(
                "POLICY_VERSIONS",
                f"another policy version already takes effect on {effective_from}",
            )
        self._adopt(actor.person_id, actor.role, version, effective_from, dict(parameters))

    @event("PolicyAdopted", topic="ledger.policy.PolicyAdopted.v1")
    def _adopt(
        self,
        actor_id: str,
        actor_role: Role,
        version: str,
        effective_from: date,
        parameters: dict[str, str],
    ) -> None:
        self.adopted[version] = (effective_from, parameters)
