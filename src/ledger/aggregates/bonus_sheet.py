"""A month's or half-year's bonus sheet (SPEC 4.3): each staff member's bonus status (R-26–R-29),
the month's public criticism notice (R-31, D-09), the head-liability items (R-30) with the leading
group's discretionary decisions on them (D-08), and its approval, the period's decision.

The sheet holds what the pure rules gave as of the log position it was prepared at, as plain
values (staff numbers, statuses, totals as "3.0", event refs as "stream/version"), so a reader of
the canonical payload needs no code of ours. It may be prepared again, superseding the earlier
preparation by name, until it is approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, ValueRecord, stream_id
from ledger.errors import RuleViolation
from ledger.values import Actor, Period, PeriodKind, Role

Payload = Mapping[str, Any]
"""One line or item of a sheet as stored: a JSON object of plain values."""


class HeadReduction(StrEnum):
    """负责人奖金扣减 / How the leading group reduces the debtor's own bonus for one
    head-liability item (D-08): `none` 不扣减 (no reduction), `halved` 减半 (halved),
    `cancelled` 取消 (cancelled), `amount` 按金额 (by a stated amount of yuan)."""

    NONE = "none"
    HALVED = "halved"
    CANCELLED = "cancelled"
    AMOUNT = "amount"
    """By a stated amount of money (yuan), given beside it."""


@dataclass(frozen=True)
class SheetLine(ValueRecord):
    """One staff member's bonus for the period (R-26–R-29) and the deductions it counted."""

    staff_number: str
    status: str
    """"full", "halved" or "cancelled"."""
    total: str
    """The period's deduction total in canonical form ("3.0")."""
    rule: str
    """The rule that decided the status (the halving rule when the bonus is full)."""
    counted: tuple[str, ...]
    """The deductions counted, as "stream/version"."""

    def payload(self) -> dict[str, Any]:
        """The line as stored."""
        return {
            "counted": list(self.counted),
            "rule": self.rule,
            "staff_number": self.staff_number,
            "status": self.status,
            "total": self.total,
        }

    @classmethod
    def of(cls, data: Payload) -> SheetLine:
        """The line from its stored form."""
        return cls(
            str(data["staff_number"]),
            str(data["status"]),
            str(data["total"]),
            str(data["rule"]),
            tuple(str(ref) for ref in data["counted"]),
        )


@dataclass(frozen=True)
class LiabilityItem(ValueRecord):
    """A head-liability item (R-30): one per staff member, period and bonus stream, owed by the
    head of the person's unit on the date of the crossing deduction (or the unit's leader in
    charge when the person is that head)."""

    staff_number: str
    stream: str
    """The bonus stream: "month" or "half_year"."""
    status: str
    """The person's bonus: "halved" or "cancelled"."""
    crossing: str
    """The deduction at which the running total reached the halving threshold, "stream/version"."""
    crossing_on: str
    """Its incident date (ISO)."""
    unit_code: str | None
    owed_by: str | None
    """Who owes it; None when the post was vacant on that date."""
    owed_as: str
    """"head", "leader_in_charge" or "vacant"."""

    def payload(self) -> dict[str, Any]:
        """The item as stored."""
        return {
            "crossing": self.crossing,
            "crossing_on": self.crossing_on,
            "owed_as": self.owed_as,
            "owed_by": self.owed_by,
            "staff_number": self.staff_number,
            "status": self.status,
            "stream": self.stream,
            "unit_code": self.unit_code,
        }

    @classmethod
    def of(cls, data: Payload) -> LiabilityItem:
        """The item from its stored form."""
        unit_code, owed_by = data["unit_code"], data["owed_by"]
        return cls(
            str(data["staff_number"]),
            str(data["stream"]),
            str(data["status"]),
            str(data["crossing"]),
            str(data["crossing_on"]),
            None if unit_code is None else str(unit_code),
            None if owed_by is None else str(owed_by),
            str(data["owed_as"]),
        )


@dataclass(frozen=True)
class SheetContent:
    """What the rules give for a sheet as of one log position (computed by the application)."""

    prepared_at_position: int
    policy_version: str
    lines: tuple[SheetLine, ...]
    criticism_notice: tuple[str, ...] | None
    """Staff numbers named in the month's notice (R-31); None for a half-year."""
    head_liability: tuple[LiabilityItem, ...]

    def same_figures(self, other: SheetContent) -> bool:
        """Whether two contents show the same figures (wherever they were computed)."""
        return (
            self.policy_version,
            self.lines,
            self.criticism_notice,
            self.head_liability,
        ) == (other.policy_version, other.lines, other.criticism_notice, other.head_liability)

    def changed_staff(self, other: SheetContent) -> tuple[str, ...]:
        """The staff numbers whose line, notice entry or item differs between two contents."""
        mine = _by_staff(self)
        theirs = _by_staff(other)
        return tuple(sorted(n for n in mine.keys() | theirs.keys() if mine.get(n) != theirs.get(n)))


def _by_staff(content: SheetContent) -> dict[str, tuple[object, ...]]:
    notice = set(content.criticism_notice or ())
    items = {item.staff_number: item for item in content.head_liability}
    numbers = {line.staff_number for line in content.lines} | notice | items.keys()
    lines = {line.staff_number: line for line in content.lines}
    return {n: (lines.get(n), n in notice, items.get(n)) for n in numbers}


@dataclass(frozen=True)
class Preparation(ValueRecord):
    """The sheet as prepared by one event (`version`), on the figures of a log position."""

    version: int
    effective_on: date
    content: SheetContent


@dataclass(frozen=True)
class LiabilityDecision(ValueRecord):
    """The leading group's discretionary decision on one head-liability item (D-08)."""

    version: int
    item: LiabilityItem
    """The item as it stood when decided: a re-preparation keeps the decision only while the
    item is unchanged."""
    reduction: HeadReduction
    amount: str | None
    reason: str
    decision_ref: str
    effective_on: date


@dataclass(frozen=True)
class Approval(ValueRecord):
    """The leading group's approval of the sheet: the period's decision."""

    version: int
    prepared: int
    decided_at_position: int
    decision_ref: str
    effective_on: date


def _lines(lines: tuple[Payload, ...]) -> tuple[SheetLine, ...]:
    return tuple(SheetLine.of(line) for line in lines)


def _items(items: tuple[Payload, ...]) -> tuple[LiabilityItem, ...]:
    return tuple(LiabilityItem.of(item) for item in items)


class BonusSheet(LedgerAggregate):
    """One month's or half-year's bonus sheet, keyed by its period."""

    TOPIC = "ledger.bonus_sheet"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.bonus_sheet.Created"

    @staticmethod
    def create_id(period_key: str) -> UUID:
        """Bonus-sheet streams are keyed by period (2025-03, 2025-H1)."""
        return stream_id("bonus_sheet", period_key)

    @classmethod
    def prepare(
        cls, actor: Actor, period: Period, effective_on: date, content: SheetContent
    ) -> BonusSheet:
        """The first preparation of a period's sheet, after the period has ended."""
        _check_period(period, content, effective_on)
        return cls(
            actor_id=actor.person_id,
            actor_role=actor.role,
            period_kind=period.kind,
            period_key=period.key,
            effective_on=effective_on,
            prepared_at_position=content.prepared_at_position,
            policy_version=content.policy_version,
            lines=tuple(line.payload() for line in content.lines),
            criticism_notice=content.criticism_notice,
            head_liability=tuple(item.payload() for item in content.head_liability),
        )

    @event("Prepared", topic="ledger.bonus_sheet.Prepared.v1")
    def __init__(
        self,
        actor_id: str,
        actor_role: Role,
        period_kind: PeriodKind,
        period_key: str,
        effective_on: date,
        prepared_at_position: int,
        policy_version: str,
        lines: tuple[Payload, ...],
        criticism_notice: tuple[str, ...] | None,
        head_liability: tuple[Payload, ...],
    ) -> None:
        self.period = Period(period_kind, period_key)
        self.preparation = Preparation(
            self.version,
            effective_on,
            SheetContent(
                prepared_at_position,
                policy_version,
                _lines(lines),
                None if criticism_notice is None else tuple(criticism_notice),
                _items(head_liability),
            ),
        )
        self.decisions: dict[str, LiabilityDecision] = {}
        self.approval: Approval | None = None
        """The approval in force: the first, or the last one after a reopening (D-13)."""
        self.superseded_approvals: list[Approval] = []

    # What the sheet says

    @property
    def items(self) -> dict[str, LiabilityItem]:
        """The head-liability items of the current preparation, by staff number."""
        return {item.staff_number: item for item in self.preparation.content.head_liability}

    @property
    def undecided(self) -> tuple[LiabilityItem, ...]:
        """The head-liability items still awaiting the leading group's decision (D-08)."""
        return tuple(
            item
            for item in self.preparation.content.head_liability
            if item.staff_number not in self.decisions
        )

    @property
    def last_act_on(self) -> date:
        """The date of the sheet's latest act (a later act may not be dated before it)."""
        days = [self.preparation.effective_on, *(d.effective_on for d in self.decisions.values())]
        if self.approval is not None:
            days.append(self.approval.effective_on)
        return max(days)

    def _check_open(self, what: str, reopened: bool) -> None:
        """Refuse `what` once the sheet is approved, unless its round is reopened (D-13): then
        the sheet is prepared, decided and approved again as the amended decision."""
        if self.approval is not None and not reopened:
            raise RuleViolation(
                "DECIDED_ONCE",
                f"the bonus sheet of {self.period.key} was approved on "
                f"{self.approval.effective_on} ({self.approval.decision_ref}); {what} is closed",
            )

    def _check_not_before(self, effective_on: date, last: date, what: str) -> None:
        if effective_on < last:
            raise RuleViolation(
                "DATED_RECORDS",
                f"{what} cannot be dated before the sheet's last act on {last}",
                fields={"effective_on": effective_on.isoformat()},
            )

    # Preparing it again

    def prepare_again(
        self, actor: Actor, effective_on: date, content: SheetContent, *, reopened: bool = False
    ) -> None:
        """Prepare the sheet again on newer figures, superseding the current preparation; refused
        once approved (unless the round is `reopened`), and when the figures have not changed."""
        self._check_open("preparing it again", reopened)
        _check_period(self.period, content, effective_on)
        last = self.preparation.effective_on
        if self.approval is not None:
            last = max(last, self.approval.effective_on)
        self._check_not_before(effective_on, last, "a new preparation")
        if content.same_figures(self.preparation.content):
            raise RuleViolation(
                "NO_CHANGE",
                f"the sheet of {self.period.key} prepared at position "
                f"{self.preparation.content.prepared_at_position} still shows the figures",
            )
        self._prepare_again(
            actor.person_id,
            actor.role,
            self.preparation.version,
            effective_on,
            content.prepared_at_position,
            content.policy_version,
            tuple(line.payload() for line in content.lines),
            content.criticism_notice,
            tuple(item.payload() for item in content.head_liability),
        )

    @event("Reprepared", topic="ledger.bonus_sheet.Reprepared.v1")
    def _prepare_again(
        self,
        actor_id: str,
        actor_role: Role,
        supersedes: int,
        effective_on: date,
        prepared_at_position: int,
        policy_version: str,
        lines: tuple[Payload, ...],
        criticism_notice: tuple[str, ...] | None,
        head_liability: tuple[Payload, ...],
    ) -> None:
        content = SheetContent(
            prepared_at_position,
            policy_version,
            _lines(lines),
            None if criticism_notice is None else tuple(criticism_notice),
            _items(head_liability),
        )
        self.preparation = Preparation(self.version + 1, effective_on, content)
        items = self.items
        # A decision was taken on an item as it stood: it stands only while the item does.
        self.decisions = {
            number: decision
            for number, decision in self.decisions.items()
            if items.get(number) == decision.item
        }

    # The leading group's discretionary decisions (D-08)

    def decide_head_liability(
        self,
        actor: Actor,
        *,
        staff_number: str,
        reduction: HeadReduction,
        amount: str | None,
        reason: str,
        decision_ref: str,
        effective_on: date,
        reopened: bool = False,
    ) -> None:
        """Record the leading group's reduction of the debtor's own bonus for one item."""
        self._check_open("deciding its head-liability items", reopened)
        item = self.items.get(staff_number)
        if item is None:
            raise RuleViolation(
                "R-30",
                f"the sheet of {self.period.key} has no head-liability item for {staff_number}",
                fields={"staff_number": staff_number},
            )
        if staff_number in self.decisions:
            earlier = self.decisions[staff_number]
            raise RuleViolation(
                "DECIDED_ONCE",
                f"the head-liability item of {staff_number} was decided on "
                f"{earlier.effective_on} ({earlier.decision_ref})",
                fields={"staff_number": staff_number},
            )
        if item.owed_by is None and reduction is not HeadReduction.NONE:
            raise RuleViolation(
                "D-08",
                f"nobody owes the item of {staff_number} (the post was vacant on "
                f"{item.crossing_on}): no bonus to reduce",
                fields={"reduction": reduction.value},
            )
        if not reason.strip() or not decision_ref.strip():
            raise RuleViolation(
                "D-08",
                "a head-liability decision needs a reason and the leading group's decision "
                "reference",
                fields={"reason": reason, "decision_ref": decision_ref},
            )
        amount = _amount(reduction, amount)
        self._check_not_before(effective_on, self.preparation.effective_on, "a decision")
        self._decide_head_liability(
            actor.person_id,
            actor.role,
            self.preparation.version,
            staff_number,
            item.stream,
            item.owed_by,
            reduction,
            amount,
            reason,
            decision_ref,
            effective_on,
        )

    @event("HeadLiabilityDecided", topic="ledger.bonus_sheet.HeadLiabilityDecided.v1")
    def _decide_head_liability(
        self,
        actor_id: str,
        actor_role: Role,
        prepared: int,
        staff_number: str,
        stream: str,
        owed_by: str | None,
        reduction: HeadReduction,
        amount: str | None,
        reason: str,
        decision_ref: str,
        effective_on: date,
    ) -> None:
        self.decisions[staff_number] = LiabilityDecision(
            self.version + 1,
            self.items[staff_number],
            reduction,
            amount,
            reason,
            decision_ref,
            effective_on,
        )

    # Approval: the period's decision

    def approve(
        self,
        actor: Actor,
        *,
        decided_at_position: int,
        decision_ref: str,
        effective_on: date,
        reopened: bool = False,
    ) -> None:
        """Record the leading group's approval (again, as the amended decision, when the round is
        `reopened`); refused while a head-liability item is undecided."""
        self._check_open("approving it again", reopened)
        undecided = self.undecided
        if undecided:
            names = ", ".join(item.staff_number for item in undecided)
            raise RuleViolation(
                "D-08",
                f"the head-liability items of {names} await the leading group's decision",
                fields={"undecided": names},
            )
        self._check_not_before(effective_on, self.last_act_on, "the approval")
        self._approve(
            actor.person_id,
            actor.role,
            self.preparation.version,
            decided_at_position,
            decision_ref,
            effective_on,
        )

    @event("Approved", topic="ledger.bonus_sheet.Approved.v1")
    def _approve(
        self,
        actor_id: str,
        actor_role: Role,
        prepared: int,
        decided_at_position: int,
        decision_ref: str,
        effective_on: date,
    ) -> None:
        if self.approval is not None:
            self.superseded_approvals.append(self.approval)
        self.approval = Approval(
            self.version + 1, prepared, decided_at_position, decision_ref, effective_on
        )


def _amount(reduction: HeadReduction, amount: str | None) -> str | None:
    """The amount of a reduction by amount, in canonical form (yuan, two decimals); no other
    reduction takes one."""
    if reduction is not HeadReduction.AMOUNT:
        if amount is not None:
            raise RuleViolation(
                "D-08",
                f"a reduction '{reduction.value}' takes no amount; use '{HeadReduction.AMOUNT}'",
                fields={"amount": amount},
            )
        return None
    try:
        value = Decimal(str(amount))
        exact = value.is_finite() and value > 0 and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise RuleViolation(
            "D-08",
            f"a reduction by amount needs a positive amount in yuan with at most two decimals, "
            f"not {amount!r}",
            fields={"amount": amount},
        )
    return f"{value:.2f}"


def _check_period(period: Period, content: SheetContent, effective_on: date) -> None:
    """A sheet is for a month or a half-year, prepared after the period ended; only a month's
    sheet has a criticism notice."""
    if period.kind not in (PeriodKind.MONTH, PeriodKind.HALF_YEAR):
        raise RuleViolation(
            "R-20",
            f"{period.key} is a {period.kind.value}: bonus sheets are for months and half-years",
            fields={"period": period.key},
        )
    if effective_on <= period.last_day:
        raise RuleViolation(
            "DATED_RECORDS",
            f"the bonus sheet of {period.key} is prepared after the period ends on "
            f"{period.last_day}",
            fields={"effective_on": effective_on.isoformat()},
        )
    if (content.criticism_notice is not None) != (period.kind is PeriodKind.MONTH):
        raise ValueError("a month's sheet has a criticism notice, a half-year's has none")
