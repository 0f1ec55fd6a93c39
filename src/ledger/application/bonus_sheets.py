"""Monthly and half-year bonus sheets (SPEC 4.3, issue 5 item 3): the supervision clerk prepares
the sheet after the period ends, the leading group decides each head-liability item (D-08) and
approves the sheet, which is the period's decision."""

from __future__ import annotations

from datetime import date
from typing import cast

from ledger.aggregates.assessment_round import AssessmentRound
from ledger.aggregates.base import member_of
from ledger.aggregates.bonus_sheet import (
    BonusSheet,
    HeadReduction,
    LiabilityItem,
    SheetContent,
    SheetLine,
)
from ledger.application.core import Changes, Outcome
from ledger.application.rounds import RoundCommands
from ledger.errors import RuleViolation
from ledger.policy import LedgerState, bonus, criticism_notice, head_liability
from ledger.policy.facts import StaffRecord
from ledger.procedure_status import ProcedureStatus, Step
from ledger.values import Actor, Period, PeriodKind, Role, format_points

__all__ = ["BonusSheetCommands", "sheet_content"]


def _on_the_sheet(staff: StaffRecord, period: Period) -> bool:
    """Whether the person belonged to a unit on some day of the period: the center's staff for
    that period (nobody else can have a deduction in it)."""
    return any(
        membership.start <= period.last_day
        and (membership.end is None or membership.end > period.first_day)
        for membership in staff.memberships
    )


def sheet_content(state: LedgerState, period: Period) -> SheetContent:
    """What the rules give for a period's sheet in a state: each staff member's bonus (R-26–R-29),
    the month's criticism notice (R-31, D-09) and the head-liability items (R-30)."""
    lines: list[SheetLine] = []
    items: list[LiabilityItem] = []
    notice: list[str] = []
    for number in sorted(state.staff):
        if not _on_the_sheet(state.staff[number], period):
            continue
        figure = bonus(state, number, period)
        lines.append(
            SheetLine(
                number,
                figure.status.value,
                format_points(figure.total),
                figure.rule,
                tuple(str(counted.ref) for counted in figure.trace.counted),
            )
        )
        if period.kind is PeriodKind.MONTH and criticism_notice(state, number, period):
            notice.append(number)
        item = head_liability(state, number, period)
        if item is not None:
            items.append(
                LiabilityItem(
                    number,
                    item.stream,
                    item.status.value,
                    str(item.crossing),
                    item.crossing_on.isoformat(),
                    item.unit_code,
                    item.owed_by,
                    item.owed_as.value,
                )
            )
    return SheetContent(
        prepared_at_position=state.position,
        policy_version=state.policy.in_force(period.last_day).version,
        lines=tuple(lines),
        criticism_notice=tuple(notice) if period.kind is PeriodKind.MONTH else None,
        head_liability=tuple(items),
    )


class BonusSheetCommands(RoundCommands):
    """Bonus sheets: prepare, decide head liability, approve (the period's decision).

    Over `RoundCommands` rather than the bare core: approval records the round's period decision
    through `_record_period_decision`, in the same transaction as the sheet's approval.
    """

    def prepare_bonus_sheet(
        self,
        actor: Actor,
        period_key: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Prepare a month's or half-year's bonus sheet on the figures as recorded now, or prepare
        it again (superseding the earlier preparation) until it is approved."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.SUPERVISION_CLERK, effective_on, command="prepare_bonus_sheet"
            )
            self._not_in_future(effective_on, today, "effective_on")
            period = self._sheet_period(period_key)
            reopened = self._open_round(period).reopened
            content = self._current_content(period)
            sheet_id = BonusSheet.create_id(period.key)
            if self._exists(sheet_id):
                sheet = cast(BonusSheet, self._load(sheet_id))
                sheet.prepare_again(actor, effective_on, content, reopened=reopened)
            else:
                sheet = BonusSheet.prepare(actor, period, effective_on, content)
            return Changes([sheet])

        return self._execute(
            "prepare_bonus_sheet",
            actor,
            idempotency_key,
            {"period_key": period_key, "effective_on": effective_on},
            decide,
        )

    def decide_head_liability(
        self,
        actor: Actor,
        period_key: str,
        staff_number: str,
        reduction: HeadReduction | str,
        reason: str,
        decision_ref: str,
        effective_on: date,
        *,
        amount: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the leading group's discretionary reduction of the debtor's own bonus for one
        head-liability item of the sheet (R-30, D-08): none, halved, cancelled, or an amount."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.LEADING_GROUP, effective_on, command="decide_head_liability"
            )
            self._not_in_future(effective_on, today, "effective_on")
            chosen = member_of(HeadReduction, reduction, rule="D-08", field="reduction")
            period = self._sheet_period(period_key)
            reopened = self._open_round(period).reopened
            sheet = self._sheet(period)
            sheet.decide_head_liability(
                actor,
                staff_number=staff_number,
                reduction=chosen,
                amount=amount,
                reason=reason,
                decision_ref=decision_ref,
                effective_on=effective_on,
                reopened=reopened,
            )
            return Changes([sheet])

        return self._execute(
            "decide_head_liability",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "staff_number": staff_number,
                "reduction": str(reduction),
                "amount": amount,
                "reason": reason,
                "decision_ref": decision_ref,
                "effective_on": effective_on,
            },
            decide,
        )

    def approve_bonus_sheet(
        self,
        actor: Actor,
        period_key: str,
        decision_ref: str,
        effective_on: date,
        decided_at_position: int | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """The leading group's period decision on the sheet: refused unless the round is open,
        the sheet is prepared and still shows the figures as recorded now, and every
        head-liability item is decided; records `Approved` on the sheet and `PeriodDecided` on
        the round in one transaction. After a reopening (D-13) the sheet prepared again is
        approved again: `Approved` once more and `PeriodDecisionAmended` on the round.

        The decision is taken on the figures as of `decided_at_position`, by default the log's
        head; a position given must not be before the sheet's preparation (the figures the sheet
        shows are checked against the head, and a position between the two is taken to show
        them too)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.LEADING_GROUP, effective_on, command="approve_bonus_sheet")
            self._not_in_future(effective_on, today, "effective_on")
            period = self._sheet_period(period_key)
            reopened = self._open_round(period).reopened
            sheet = self._sheet(period)
            prepared = sheet.preparation.content
            current = self._current_content(period)
            if not current.same_figures(prepared):
                changed = ", ".join(current.changed_staff(prepared)) or "the policy version"
                raise RuleViolation(
                    "STALE_SHEET",
                    f"the figures changed since the sheet of {period.key} was prepared at "
                    f"position {prepared.prepared_at_position} ({changed}): the supervision "
                    "clerk prepares it again",
                    fields={"prepared_at_position": prepared.prepared_at_position},
                )
            position = current.prepared_at_position
            if decided_at_position is not None:
                if not prepared.prepared_at_position <= decided_at_position <= position:
                    raise RuleViolation(
                        "AS_OF",
                        f"position {decided_at_position} is not between the sheet's preparation "
                        f"({prepared.prepared_at_position}) and the log's head ({position})",
                        fields={"decided_at_position": decided_at_position},
                    )
                position = decided_at_position
            sheet.approve(
                actor,
                decided_at_position=position,
                decision_ref=decision_ref,
                effective_on=effective_on,
                reopened=reopened,
            )
            assessment_round = self._record_period_decision(
                actor, period.key, decision_ref, effective_on, position, today
            )
            return Changes([sheet, assessment_round])

        return self._execute(
            "approve_bonus_sheet",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "decision_ref": decision_ref,
                "effective_on": effective_on,
                "decided_at_position": decided_at_position,
            },
            decide,
        )

    def bonus_sheet(self, period_key: str) -> BonusSheet:
        """A period's bonus sheet."""
        return cast(
            BonusSheet, self._get(BonusSheet.create_id(period_key), f"bonus sheet {period_key}")
        )

    # The steps the verbs share

    @staticmethod
    def _sheet_period(period_key: str) -> Period:
        """The period of a sheet: a month or a half-year."""
        try:
            period = Period.parse(period_key)
        except ValueError as error:
            raise RuleViolation("R-20", str(error), fields={"period": period_key}) from None
        if period.kind not in (PeriodKind.MONTH, PeriodKind.HALF_YEAR):
            raise RuleViolation(
                "R-20",
                f"{period.key} is a {period.kind.value}: bonus sheets are for months and "
                "half-years",
                fields={"period": period.key},
            )
        return period

    def _open_round(self, period: Period) -> AssessmentRound:
        """The period's round, opened and not decided yet, or decided and reopened for an
        amended decision (D-13) (read only)."""
        round_id = AssessmentRound.create_id(period.key)
        if not self._exists(round_id):
            raise RuleViolation(
                "STEP_ORDER",
                f"the round of {period.key} is not open: the supervision clerk opens it first",
                fields={"period": period.key},
            )
        assessment_round = cast(AssessmentRound, self._load(round_id, for_update=False))
        if assessment_round.decision is not None and not assessment_round.reopened:
            raise RuleViolation(
                "DECIDED_ONCE",
                f"the bonus sheet of {period.key} was decided on "
                f"{assessment_round.decision.effective_on}; a reopening is a late-entry "
                "resolution",
                fields={"period": period.key},
            )
        return assessment_round

    def _sheet(self, period: Period) -> BonusSheet:
        """The period's prepared sheet, for update."""
        sheet_id = BonusSheet.create_id(period.key)
        if not self._exists(sheet_id):
            raise RuleViolation(
                "STEP_ORDER",
                f"no bonus sheet of {period.key} is prepared: the supervision clerk prepares it "
                "first",
                fields={"period": period.key},
            )
        return cast(BonusSheet, self._load(sheet_id))

    def _current_content(self, period: Period) -> SheetContent:
        """The sheet the rules give on the log as saved now (inside a batch, the batch's own
        events are not in it yet)."""
        with self.policy_state() as state:
            return sheet_content(state, period)

    # Where it stands

    def _bonus_sheet_status(self, period: Period, today: date) -> ProcedureStatus | None:
        """Where a month's or half-year's bonus sheet stands: the round opened, the sheet
        prepared, each head-liability item decided, the sheet approved.

        No step has a deadline: the Measures set none for bonus sheets, so none is invented
        (no due date, nothing is flagged late). A period decided without a sheet (in a log
        recorded before this procedure existed, when `decide_period` decided alone) has no sheet
        steps: None, so the plain two-step status shows it.
        """
        round_id = AssessmentRound.create_id(period.key)
        opened = self._exists(round_id)
        assessment_round = (
            cast(AssessmentRound, self._load(round_id, for_update=False)) if opened else None
        )
        decision = assessment_round.decision if assessment_round is not None else None
        reopened = assessment_round is not None and assessment_round.reopened
        sheet_id = BonusSheet.create_id(period.key)
        sheet = (
            cast(BonusSheet, self._load(sheet_id, for_update=False))
            if self._exists(sheet_id)
            else None
        )
        if decision is not None and (sheet is None or sheet.approval is None):
            return None
        steps = [
            Step(
                "open_round",
                "Open the round",
                "R-07",
                Role.SUPERVISION_CLERK,
                done=opened,
                done_on=assessment_round.opened_on if assessment_round else None,
                missing=() if opened else (f"the round of {period.key}",),
            ),
            self._preparation_step(period, today, sheet, reopened),
            *self._liability_steps(sheet),
        ]
        approval = sheet.approval if sheet is not None else None
        missing: list[str] = []
        if approval is None or reopened:
            if sheet is None:
                missing.append("a prepared sheet")
            elif sheet.undecided:
                missing.append(f"{len(sheet.undecided)} head-liability decision(s)")
            missing.append("the leading group's approval")
        if reopened and assessment_round is not None:
            count = len(assessment_round.reopenings)
            missing[-1] = (
                f"the leading group's approval again, as the amended decision: the period was "
                f"reopened for {count} late entr{'y' if count == 1 else 'ies'}"
            )
        steps.append(
            Step(
                "approve_bonus_sheet",
                "The leading group approves the sheet (the period's decision)"
                if not reopened
                else "The leading group approves the sheet again (the amended decision, D-13)",
                "R-26" if period.kind is PeriodKind.MONTH else "R-28",
                Role.LEADING_GROUP,
                done=approval is not None and not reopened,
                done_on=approval.effective_on if approval and not reopened else None,
                missing=tuple(missing),
            )
        )
        return ProcedureStatus("the bonus sheet of", period.key, tuple(steps), decision is not None)

    def _preparation_step(
        self, period: Period, today: date, sheet: BonusSheet | None, reopened: bool
    ) -> Step:
        rule = "R-26" if period.kind is PeriodKind.MONTH else "R-28"
        title = "Prepare the bonus sheet" + (
            " and the criticism notice" if period.kind is PeriodKind.MONTH else ""
        )
        if sheet is None:
            missing = [f"the sheet, once the period has ended on {period.last_day}"]
            if today <= period.last_day:
                missing = [f"the period ends on {period.last_day}; then the sheet"]
            return Step(
                "prepare_bonus_sheet", title, rule, Role.SUPERVISION_CLERK, missing=tuple(missing)
            )
        stale: tuple[str, ...] = ()
        if sheet.approval is None or reopened:
            current = self._current_content(period)
            prepared = sheet.preparation.content
            if not current.same_figures(prepared):
                changed = ", ".join(current.changed_staff(prepared)) or "the policy version"
                stale = (f"a new preparation: the figures changed since ({changed})",)
        return Step(
            "prepare_bonus_sheet",
            title,
            rule,
            Role.SUPERVISION_CLERK,
            done=not stale,
            done_on=sheet.preparation.effective_on,
            missing=stale,
        )

    @staticmethod
    def _liability_steps(sheet: BonusSheet | None) -> list[Step]:
        if sheet is None:
            return [
                Step(
                    "decide_head_liability",
                    "The leading group decides each head-liability item",
                    "D-08",
                    Role.LEADING_GROUP,
                    missing=("the items, known once the sheet is prepared",),
                )
            ]
        items = sheet.preparation.content.head_liability
        if not items:
            return [
                Step(
                    "decide_head_liability",
                    "No head-liability item on the sheet",
                    "R-30",
                    Role.LEADING_GROUP,
                    done=True,
                )
            ]
        steps = []
        for item in items:
            decision = sheet.decisions.get(item.staff_number)
            debtor = item.owed_by or "nobody (post vacant)"
            steps.append(
                Step(
                    f"decide_head_liability:{item.staff_number}",
                    f"Decide the head liability for {item.staff_number}'s {item.status} bonus "
                    f"(owed by {debtor} as {item.owed_as})",
                    "D-08",
                    Role.LEADING_GROUP,
                    scope=item.staff_number,
                    done=decision is not None,
                    done_on=decision.effective_on if decision else None,
                    missing=() if decision else ("the leading group's decision",),
                )
            )
        return steps
