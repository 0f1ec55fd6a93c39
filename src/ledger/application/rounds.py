"""Assessment rounds: opening a period, its decision, and the handling of late entries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.aggregates.assessment_round import AssessmentRound
from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.clock import local_date
from ledger.errors import RuleViolation
from ledger.policy import late_entries
from ledger.procedure_status import ProcedureStatus, Step
from ledger.values import Actor, LateEntryResolution, Period, PeriodKind, Role


class RoundCommands(LedgerCore):
    """Assessment rounds: opening a period, its decision, and the handling of late entries."""

    # Rounds and period decisions

    def open_round(
        self,
        actor: Actor,
        period_key: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Open the assessment round of a month, quarter, half-year or year."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, effective_on, command="open_round")
            self._not_in_future(effective_on, today, "effective_on")
            try:
                period = Period.parse(period_key)
            except ValueError as error:
                raise RuleViolation("R-20", str(error), fields={"period": period_key}) from None
            self._within_measures(period.last_day, "period end")
            if self._exists(AssessmentRound.create_id(period_key)):
                raise RuleViolation("UNIQUE_ROUND", f"the round of {period_key} is already open")
            assessment_round = AssessmentRound(
                actor_id=actor.person_id,
                actor_role=actor.role,
                period_kind=period.kind,
                period_key=period.key,
                effective_on=effective_on,
            )
            return Changes([assessment_round])

        return self._execute(
            "open_round",
            actor,
            idempotency_key,
            {"period_key": period_key, "effective_on": effective_on},
            decide,
        )

    if TYPE_CHECKING:  # the procedures' final steps, combined with this in AssessmentLedger

        def approve_bonus_sheet(
            self,
            actor: Actor,
            period_key: str,
            decision_ref: str,
            effective_on: date,
            decided_at_position: int | None = None,
            *,
            idempotency_key: str | None = None,
        ) -> Outcome: ...

        def decide_quarter_results(
            self,
            actor: Actor,
            period_key: str,
            decision_ref: str,
            effective_on: date,
            decided_at_position: int | None = None,
            *,
            idempotency_key: str | None = None,
        ) -> Outcome: ...

        def decide_year_results(
            self,
            actor: Actor,
            year: int,
            decision_ref: str,
            effective_on: date,
            decided_at_position: int | None = None,
            *,
            idempotency_key: str | None = None,
        ) -> Outcome: ...

    def decide_period(
        self,
        actor: Actor,
        period_key: str,
        decision_ref: str,
        effective_on: date,
        *,
        decided_at_position: int | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the period's decision through its procedure's last step: a month's or
        half-year's bonus sheet approved (`approve_bonus_sheet`), a quarter's results
        (`decide_quarter_results`), a year's results (`decide_year_results`). Every precondition
        of the procedure applies, and a refusal names the missing step; nothing decides a period
        outside its procedure."""
        try:
            period = Period.parse(period_key)
        except ValueError as error:
            raise RuleViolation("R-20", str(error), fields={"period": period_key}) from None
        if period.kind in (PeriodKind.MONTH, PeriodKind.HALF_YEAR):
            return self.approve_bonus_sheet(
                actor,
                period.key,
                decision_ref,
                effective_on,
                decided_at_position,
                idempotency_key=idempotency_key,
            )
        if period.kind is PeriodKind.QUARTER:
            return self.decide_quarter_results(
                actor,
                period.key,
                decision_ref,
                effective_on,
                decided_at_position,
                idempotency_key=idempotency_key,
            )
        return self.decide_year_results(
            actor,
            int(period.key),
            decision_ref,
            effective_on,
            decided_at_position,
            idempotency_key=idempotency_key,
        )

    def procedure_status(self, period_key: str, today: date | None = None) -> ProcedureStatus:
        """Where the period's procedure stands: its steps, what is missing, who acts, by when."""
        try:
            period = Period.parse(period_key)
        except ValueError as error:
            raise RuleViolation("R-20", str(error), fields={"period": period_key}) from None
        day = today if today is not None else local_date(self.clock())
        if period.kind in (PeriodKind.MONTH, PeriodKind.HALF_YEAR):
            status = self._bonus_sheet_status(period, day)
        elif period.kind is PeriodKind.QUARTER:
            status = self._quarter_status(period, day)
        else:
            status = self._year_status(period, day)
        return status if status is not None else self._decision_status(period)

    def _decision_status(self, period: Period) -> ProcedureStatus:
        """The two steps every period has: its round opened and its decision."""
        opened = self._exists(AssessmentRound.create_id(period.key))
        decision = self.round(period.key).decision if opened else None
        what = (
            "bonus sheet" if period.kind in (PeriodKind.MONTH, PeriodKind.HALF_YEAR) else "results"
        )
        return ProcedureStatus(
            f"the {what} of",
            period.key,
            (
                Step("open_round", "Open the round", "R-07", Role.SUPERVISION_CLERK, done=opened),
                Step(
                    "decide_period",
                    f"The leading group decides the {what}",
                    "R-11" if what == "results" else "R-26",
                    Role.LEADING_GROUP,
                    done=decision is not None,
                    done_on=decision.effective_on if decision else None,
                ),
            ),
            decision is not None,
        )

    def _record_period_decision(
        self,
        actor: Actor,
        period_key: str,
        decision_ref: str,
        effective_on: date,
        decided_at_position: int | None,
        today: date,
    ) -> AssessmentRound:
        """The period's round with its decision recorded (not saved): taken on the figures as of
        `decided_at_position` (the log's head when None). Every procedure's final step records
        its period decision through this, after checking its own role and steps."""
        self._not_in_future(effective_on, today, "effective_on")
        head = self.recorder.max_notification_id() or 0
        position = head if decided_at_position is None else decided_at_position
        if not 0 < position <= head:
            raise RuleViolation(
                "AS_OF",
                f"position {position} is not in the log (1..{head})",
                fields={"decided_at_position": position},
            )
        assessment_round = self.round(period_key)
        if assessment_round.decision is None:
            assessment_round.decide(
                actor,
                decided_at_position=position,
                decision_ref=decision_ref,
                effective_on=effective_on,
            )
            return assessment_round
        if assessment_round.reopened:
            self._every_late_entry_resolved(period_key)
        assessment_round.amend_decision(
            actor,
            decided_at_position=position,
            decision_ref=decision_ref,
            effective_on=effective_on,
        )
        return assessment_round

    def _every_late_entry_resolved(self, period_key: str) -> None:
        """Refuse an amended decision while an entry recorded after the decision it replaces is
        unresolved: the new decision would take it in unseen (D-13)."""
        with self.policy_state() as state:
            open_entries = [
                late for late in late_entries(state, period_key) if late.resolution is None
            ]
        if open_entries:
            listed = ", ".join(
                f"{late.subject}'s {late.what.replace('_', ' ')} of {late.occurred_on} "
                f"({late.change})"
                for late in open_entries
            )
            raise RuleViolation(
                "LATE_ENTRY",
                f"{len(open_entries)} entr{'y' if len(open_entries) == 1 else 'ies'} recorded "
                f"after the decision of {period_key} await the leading group's resolution before "
                f"the amended decision: {listed}",
                fields={"unresolved": len(open_entries)},
            )

    def resolve_late_entry(
        self,
        actor: Actor,
        period_key: str,
        entry_stream: UUID,
        entry_version: int,
        resolution: LateEntryResolution,
        reason: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record how the leading group handled an entry recorded after its period was decided."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.LEADING_GROUP, effective_on, command="resolve_late_entry")
            self._not_in_future(effective_on, today, "effective_on")
            assessment_round = self.round(period_key)
            entry = self._logged_event(entry_stream, entry_version)
            occurred_on = self._incident_date(entry_stream, json.loads(entry.state))
            if occurred_on is None or not assessment_round.period.contains(
                date.fromisoformat(occurred_on)
            ):
                raise RuleViolation(
                    "LATE_ENTRY",
                    f"entry {entry_stream}/{entry_version} is not an entry for {period_key}",
                    fields={"entry_version": entry_version},
                )
            assessment_round.resolve_late_entry(
                actor,
                entry_stream=str(entry_stream),
                entry_version=entry_version,
                entry_position=entry.position,
                resolution=resolution,
                reason=reason,
                effective_on=effective_on,
            )
            return Changes([assessment_round])

        return self._execute(
            "resolve_late_entry",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "entry_stream": entry_stream,
                "entry_version": entry_version,
                "resolution": resolution,
                "reason": reason,
                "effective_on": effective_on,
            },
            decide,
        )

    def _incident_date(self, stream: UUID, payload: Mapping[str, Any]) -> str | None:
        """The incident date an entry is about: its own, or that of the deduction or veto case
        an amendment or revocation changes."""
        if "occurred_on" in payload:
            return str(payload["occurred_on"])
        for reference in ("deduction", "veto"):
            if isinstance(payload.get(reference), int):
                original = json.loads(self._logged_event(stream, payload[reference]).state)
                return str(original["occurred_on"]) if "occurred_on" in original else None
        return None
