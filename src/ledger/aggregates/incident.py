"""The index of incidents: one incident is recorded once, under the most specific item (R-03)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, stream_id
from ledger.errors import RuleViolation
from ledger.values import Actor, Role


class Incident(LedgerAggregate):
    """Saved with the first entry for an incident, so a second entry collides atomically."""

    TOPIC = "ledger.incident"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.incident.Created"

    @staticmethod
    def create_id(incident_ref: str) -> UUID:
        """Incident streams are keyed by the incident reference."""
        return stream_id("incident", incident_ref)

    @event("FirstEntryRecorded", topic="ledger.incident.FirstEntryRecorded.v1")
    def __init__(self, actor_id: str, actor_role: Role, incident_ref: str, entry: str) -> None:
        self.incident_ref = incident_ref
        self.entries = [entry]

    def add_entry(self, actor: Actor, entry: str, decision_ref: str | None) -> None:
        """Record a further entry for the incident, which needs a leading-group decision (R-03)."""
        if not decision_ref:
            raise RuleViolation(
                "R-03",
                f"incident {self.incident_ref} is already recorded ({', '.join(self.entries)}); "
                "a second entry must cite a leading-group decision",
                fields={"incident_ref": self.incident_ref},
            )
        self._add_entry(actor.person_id, actor.role, entry, decision_ref)

    @event("FurtherEntryRecorded", topic="ledger.incident.FurtherEntryRecorded.v1")
    def _add_entry(self, actor_id: str, actor_role: Role, entry: str, decision_ref: str) -> None:
        self.entries.append(entry)
