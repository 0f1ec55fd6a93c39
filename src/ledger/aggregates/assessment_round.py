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


@dataclass(frozen=True)
class Reopening:
    """A late entry the leading group reopened the period for (D-13): the amended decision
    that answers it must count it."""

    entry_stream: str
    entry_version: int
    entry_position: int
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
        """The decision in force: the first, or the last amended decision."""
        self.superseded: list[Decision] = []
        """Earlier decisions, each replaced by an amended decision after a reopening."""
        self.resolved_late_entries: dict[tuple[str, int], LateEntryResolution] = {}
        self.reopenings: list[Reopening] = []
        """Reopenings not yet answered by an amended decision (D-13)."""

    @property
    def reopened(self) -> bool:
        """Whether the period is decided and reopened: an amended decision is due."""
        return bool(self.reopenings)

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
        self._check_after_period(effective_on)
        self._decide(actor.person_id, actor.role, decided_at_position, decision_ref, effective_on)

    def _check_after_period(self, effective_on: date) -> None:
        if effective_on < self.period.last_day:
            raise RuleViolation(
                "DATED_RECORDS",
                f"the {self.decision_name} of {self.period.key} cannot be decided before its "
                f"last day, {self.period.last_day}",
                fields={"effective_on": effective_on.isoformat()},
            )

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

    def amend_decision(
        self, actor: Actor, *, decided_at_position: int, decision_ref: str, effective_on: date
    ) -> None:
        """Record the amended decision of a reopened period (SPEC section 3, D-13): taken on
        figures that count every reopened entry, dated on or after the decision it replaces and
        the reopenings; the replaced decision is kept."""
        current = self.decision
        if current is None:
            raise RuleViolation(
                "STEP_ORDER",
                f"the {self.decision_name} of {self.period.key} is not decided yet: nothing to "
                "amend",
            )
        if not self.reopenings:
            raise RuleViolation(
                "DECIDED_ONCE",
                f"the {self.decision_name} of {self.period.key} was decided on "
                f"{current.effective_on}; a reopening is a late-entry resolution",
            )
        self._check_after_period(effective_on)
        last_act = max([current.effective_on, *(r.effective_on for r in self.reopenings)])
        if effective_on < last_act:
            raise RuleViolation(
                "DATED_RECORDS",
                f"the amended decision of {self.period.key} cannot be dated before {last_act}, "
                "the decision it replaces or the reopening",
                fields={"effective_on": effective_on.isoformat()},
            )
        needed = max(r.entry_position for r in self.reopenings)
        if decided_at_position < needed:
            raise RuleViolation(
                "D-13",
                f"the amended decision of {self.period.key} must count the reopened entries: "
                f"position {decided_at_position} is before the one recorded at {needed}",
                fields={"decided_at_position": decided_at_position},
            )
        self._amend_decision(
            actor.person_id,
            actor.role,
            decided_at_position,
            decision_ref,
            effective_on,
            current.decision_ref,
            current.decided_at_position,
            tuple(f"{r.entry_stream}/{r.entry_version}" for r in self.reopenings),
        )

    @event("PeriodDecisionAmended", topic="ledger.round.PeriodDecisionAmended.v1")
    def _amend_decision(
        self,
        actor_id: str,
        actor_role: Role,
        decided_at_position: int,
        decision_ref: str,
        effective_on: date,
        supersedes: str,
        superseded_position: int,
        reopened_for: tuple[str, ...],
    ) -> None:
        if self.decision is not None:
            self.superseded.append(self.decision)
        self.decision = Decision(decided_at_position, decision_ref, effective_on)
        self.reopenings = []

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
        if resolution == LateEntryResolution.REOPEN:
            self.reopenings.append(
                Reopening(entry_stream, entry_version, entry_position, effective_on)
            )
