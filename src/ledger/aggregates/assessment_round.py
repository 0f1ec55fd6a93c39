"""One period's procedure and decision: the month's or half-year's bonus sheet, the quarter's or
year's results (SPEC section 3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, stream_id
from ledger.errors import RuleViolation
from ledger.values import Actor, LateEntryResolution, Period, PeriodKind, Role


@dataclass(frozen=True)
class Decision:
    """A period decision and the log position whose figures it decided on."""

    decided_at_position: int
    decision_ref: str
    effective_on: date


class AssessmentRound(LedgerAggregate):
    """One period's round; the procedure issue adds the steps between opening and decision."""

    TOPIC = "ledger.round"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.round.Created"

    @staticmethod
    def create_id(period_key: str) -> UUID:
        """Round streams are keyed by period (2025-03, 2025-Q1, 2025-H1, 2025)."""
        return stream_id("round", period_key)

    @event("Opened", topic="ledger.round.Opened.v1")
    def __init__(
        self,
        actor_id: str,
        actor_role: Role,
        period_kind: PeriodKind,
        period_key: str,
        effective_on: date,
    ) -> None:
        self.period = Period(period_kind, period_key)
        self.opened_on = effective_on
        self.decision: Decision | None = None
        self.resolved_late_entries: dict[tuple[str, int], LateEntryResolution] = {}

    @property
    def decision_name(self) -> str:
        """What the period's decision is called: a bonus sheet or the results."""
        if self.period.kind in (PeriodKind.MONTH, PeriodKind.HALF_YEAR):
            return "bonus sheet"
        return "results"

    def decide(
        self, actor: Actor, *, decided_at_position: int, decision_ref: str, effective_on: date
    ) -> None:
        """Record the period's decision, taken on the figures as of a log position."""
        if self.decision is not None:
            raise RuleViolation(
                "DECIDED_ONCE",
                f"the {self.decision_name} of {self.period.key} was decided on "
                f"{self.decision.effective_on}; a reopening is a late-entry resolution",
            )
        if effective_on < self.period.last_day:
            raise RuleViolation(
                "DATED_RECORDS",
                f"the {self.decision_name} of {self.period.key} cannot be decided before its "
                f"last day, {self.period.last_day}",
                fields={"effective_on": effective_on.isoformat()},
            )
        self._decide(actor.person_id, actor.role, decided_at_position, decision_ref, effective_on)

    @event("PeriodDecided", topic="ledger.round.PeriodDecided.v1")
    def _decide(
        self,
        actor_id: str,
        actor_role: Role,
        decided_at_position: int,
        decision_ref: str,
        effective_on: date,
    ) -> None:
        self.decision = Decision(decided_at_position, decision_ref, effective_on)

    def resolve_late_entry(
        self,
        actor: Actor,
        *,
        entry_stream: str,
        entry_version: int,
        entry_position: int,
        resolution: LateEntryResolution,
        reason: str,
        effective_on: date,
    ) -> None:
        """Record how the leading group handled an entry recorded after the period was decided."""
        if self.decision is None:
            raise RuleViolation(
                "LATE_ENTRY", f"the {self.decision_name} of {self.period.key} is not decided yet"
            )
        if entry_position <= self.decision.decided_at_position:
            raise RuleViolation(
                "LATE_ENTRY",
                f"entry at position {entry_position} was known when the period was decided "
                f"(position {self.decision.decided_at_position}); it is not late",
                fields={"entry_position": entry_position},
            )
        if (entry_stream, entry_version) in self.resolved_late_entries:
            raise RuleViolation("LATE_ENTRY", "this late entry is already resolved")
        self._resolve_late_entry(
            actor.person_id,
            actor.role,
            entry_stream,
            entry_version,
            entry_position,
            resolution,
            reason,
            effective_on,
        )

    @event("LateEntryResolved", topic="ledger.round.LateEntryResolved.v1")
    def _resolve_late_entry(
        self,
        actor_id: str,
        actor_role: Role,
        entry_stream: str,
        entry_version: int,
        entry_position: int,
        resolution: LateEntryResolution,
        reason: str,
        effective_on: date,
    ) -> None:
        self.resolved_late_entries[(entry_stream, entry_version)] = resolution
