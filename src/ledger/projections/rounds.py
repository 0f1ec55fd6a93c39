"""Late entries of a decided round (SPEC section 3, D-13): the conflicts the leading group has
still to resolve, the round's status with them as its last step, and the figures as decided
beside the figures as they stand now.

All are read from the log with the pure policy (`policy.late_entries`, `figures_as_of`), like
the other as-of queries: the figures view holds only the current figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ledger.application import AssessmentLedger
from ledger.policy import (
    EventRef,
    Figure,
    LateEntry,
    LedgerState,
    canonical_record,
    late_entries,
)
from ledger.policy.facts import Entry, VetoEntry
from ledger.procedure_status import ProcedureStatus
from ledger.projections.as_of import figures_as_of, position_of, state_as_of


@dataclass(frozen=True)
class Conflict:
    """An entry, amendment or revocation recorded after its period was decided."""

    period: str
    """The decided period's key."""
    stream_id: str
    version: int
    position: int
    """The late event's identity and log position."""
    what: str
    """"deduction", "window_deduction" or "veto"."""
    change: str
    """"recorded", "amended" or "revoked"."""
    entry: EventRef
    """The deduction or veto case the late event records or changes."""
    subject: str
    """The staff number or the window code."""
    occurred_on: date
    item: str
    """The catalogue item code of a deduction, the case (V1–V8) of a veto."""
    decision_ref: str
    decided_at_position: int
    why: str
    """Why it is late, in words."""
    resolution: str | None = None
    resolved_by: EventRef | None = None

    @property
    def ref(self) -> EventRef:
        """The late event's identity (what a resolution names)."""
        return EventRef(self.stream_id, self.version)

    @property
    def resolved(self) -> bool:
        return self.resolution is not None

    @property
    def summary(self) -> str:
        """The conflict in one line that names its subject (what a status lists as missing)."""
        what = self.what.replace("_", " ")
        return (
            f"{self.subject}: {what} {self.item} of {self.occurred_on} {self.change} at "
            f"position {self.position}, after the decision {self.decision_ref}"
        )


@dataclass(frozen=True)
class RoundStatus:
    """A period's procedure status and the late entries it lists as still to resolve."""

    status: ProcedureStatus
    """With the leading group's late-entry step last while any entry is open."""
    conflicts: tuple[Conflict, ...]
    """The open late entries, in log order."""


@dataclass(frozen=True)
class FigureBeside:
    """One figure of the decided period as decided and as it stands now."""

    key: tuple[str, str, str]
    """(figure kind, subject, period key)."""
    decided: Figure | None
    """As known at the decision's position (None: there was no such figure then)."""
    current: Figure | None

    @property
    def changed(self) -> bool:
        """Whether the figure differs now from what was decided (outcome or events counted)."""
        if self.decided is None or self.current is None:
            return self.decided is not self.current
        return canonical_record(self.decided) != canonical_record(self.current)


@dataclass(frozen=True)
class DecidedFigures:
    """The decided period's figures for the subjects its late entries touch, both ways."""

    period: str
    decision_ref: str | None
    decided_at_position: int | None
    """None: the period is not decided (then there is nothing late and nothing beside)."""
    position: int
    """The position the current figures are known at."""
    late: tuple[Conflict, ...]
    """Every late entry of the period, resolved or not, in log order."""
    figures: tuple[FigureBeside, ...]
    """In key order."""


def _changed_entry(state: LedgerState, late: LateEntry) -> Entry | VetoEntry:
    if late.what == "veto":
        return state.staff[late.subject].vetoes[late.entry.version]
    if late.what == "window_deduction":
        return state.units[late.subject].deductions[late.entry.version]
    return state.staff[late.subject].deductions[late.entry.version]


def _position(entry: Entry | VetoEntry, late: LateEntry) -> int:
    if late.change == "recorded":
        return entry.position
    if late.change == "revoked" and entry.revocation is not None:
        return entry.revocation.position
    if isinstance(entry, Entry):
        for amendment in entry.amendments:
            if amendment.ref == late.ref:
                return amendment.position
    raise LookupError(f"late event {late.ref} is not in the state")  # the policy listed it


def _conflicts(state: LedgerState, period_key: str) -> tuple[Conflict, ...]:
    assessment_round = state.rounds.get(period_key)
    if assessment_round is None or assessment_round.decision is None:
        return ()
    decision = assessment_round.decision
    found: list[Conflict] = []
    for late in late_entries(state, period_key):
        entry = _changed_entry(state, late)
        position = _position(entry, late)
        item = entry.case.value if isinstance(entry, VetoEntry) else entry.item_code
        what = late.what.replace("_", " ")
        why = (
            f"{what} {late.change} at position {position}, after the {period_key} decision "
            f"{decision.decision_ref} (effective {decision.effective_on}) taken on the figures "
            f"as of position {decision.decided_at_position}; the incident of "
            f"{late.occurred_on} belongs to {period_key}"
        )
        found.append(
            Conflict(
                period=period_key,
                stream_id=late.ref.stream_id,
                version=late.ref.version,
                position=position,
                what=late.what,
                change=late.change,
                entry=late.entry,
                subject=late.subject,
                occurred_on=late.occurred_on,
                item=item,
                decision_ref=decision.decision_ref,
                decided_at_position=decision.decided_at_position,
                why=why,
                resolution=late.resolution,
                resolved_by=late.resolved_by,
            )
        )
    return tuple(found)


def round_conflicts(
    ledger: AssessmentLedger, period_key: str, as_of: int | datetime | None = None
) -> tuple[Conflict, ...]:
    """The late entries of the period not yet resolved, as known at the position or moment (the
    head by default), in log order; none if the period is not decided then."""
    if as_of is None:
        # The ledger keeps the head's state between calls: no fold of the whole log per read.
        with ledger.policy_state() as state:
            found = _conflicts(state, period_key)
    else:
        found = _conflicts(state_as_of(ledger, as_of), period_key)
    return tuple(c for c in found if not c.resolved)


def round_status(ledger: AssessmentLedger, period_key: str) -> RoundStatus:
    """Where the period's procedure stands today, with its open late entries: while any is open
    the status ends with the leading group's step of resolving them (what `ledger round show`
    and the API show)."""
    status = ledger.procedure_status(period_key)
    conflicts = round_conflicts(ledger, status.period_key)
    return RoundStatus(status.with_late_entries([c.summary for c in conflicts]), conflicts)


def _touches(figure: Figure, subjects: set[str], refs: set[EventRef]) -> bool:
    if figure.subject in subjects:
        return True
    traced = [c.ref for c in figure.trace.counted] + [o.ref for o in figure.trace.left_out]
    return any(ref in refs for ref in traced)


def decided_figures(ledger: AssessmentLedger, period_key: str) -> DecidedFigures:
    """The figures of the decided period as they stood at the decision's `decided_at_position`
    beside the current ones, for the subjects the period's late entries touch (and any figure
    of the period whose trace names a late entry, such as a head's liability)."""
    head = position_of(ledger, None)
    state = state_as_of(ledger, head)
    assessment_round = state.rounds.get(period_key)
    if assessment_round is None or assessment_round.decision is None:
        return DecidedFigures(period_key, None, None, head, (), ())
    decision = assessment_round.decision
    late = _conflicts(state, period_key)
    subjects = {c.subject for c in late}
    refs = {c.entry for c in late} | {c.ref for c in late}

    def of_period(figures: list[Figure]) -> dict[tuple[str, str, str], Figure]:
        return {
            f.key: f for f in figures if f.period.key == period_key and _touches(f, subjects, refs)
        }

    decided = of_period(figures_as_of(ledger, decision.decided_at_position)) if late else {}
    current = of_period(figures_as_of(ledger, head)) if late else {}
    beside = tuple(
        FigureBeside(key, decided.get(key), current.get(key))
        for key in sorted(decided.keys() | current.keys())
    )
    return DecidedFigures(
        period_key, decision.decision_ref, decision.decided_at_position, head, late, beside
    )
