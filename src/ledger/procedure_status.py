"""Where a period's procedure stands (issue 5 item 7): its steps in order, which are done, what is
missing, who must act (role and scope) and by when. Built by each procedure from its records;
shown, with a decided period's open late entries last, by `ledger round show PERIOD` and the
API's round status (`ledger.projections.rounds.round_status`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from ledger.values import Role

__all__ = ["LATE_ENTRIES_STEP", "ProcedureStatus", "Step"]

LATE_ENTRIES_STEP = "resolve_late_entries"
"""The key of the step a decided period has while a late entry is open (SPEC section 3, D-13)."""


@dataclass(frozen=True)
class Step:
    """One step of a procedure as it stands."""

    key: str
    """A stable name, e.g. `compile_opinions`."""
    title: str
    """What the step is, in words."""
    rule: str
    """The rule it implements, e.g. `R-09`."""
    role: Role
    """Who acts."""
    scope: str = ""
    """For whom or where, e.g. `branch B1` or `window W01` (empty: center-wide)."""
    done: bool = False
    done_on: date | None = None
    due_on: date | None = None
    """The deadline, where the rules set one."""
    late: bool = False
    """Done after its deadline, or not done and the deadline has passed."""
    missing: tuple[str, ...] = ()
    """What is still missing, in words (empty when done)."""

    def line(self) -> str:
        """The step in one line of plain words."""
        mark = "done" if self.done else "to do"
        who = self.role.value + (f" ({self.scope})" if self.scope else "")
        when = ""
        if self.done and self.done_on is not None:
            when = f" on {self.done_on}"
        elif self.due_on is not None:
            when = f", due {self.due_on}"
        late = " — LATE" if self.late else ""
        text = f"[{mark}] {self.title} ({self.rule}; {who}{when}){late}"
        if self.missing:
            text += "; missing: " + "; ".join(self.missing)
        return text


@dataclass(frozen=True)
class ProcedureStatus:
    """A period's procedure: its steps in order and whether the period is decided."""

    procedure: str
    period_key: str
    steps: tuple[Step, ...]
    decided: bool

    def with_late_entries(self, open_entries: Sequence[str]) -> ProcedureStatus:
        """The status with, while late entries are open, a last step: the leading group resolves
        them (no change, or reopening; SPEC section 3, D-13), one missing line per entry."""
        if not open_entries:
            return self
        step = Step(
            LATE_ENTRIES_STEP,
            "The leading group resolves the entries recorded after the decision (no change, "
            "or reopening)",
            "D-13",
            Role.LEADING_GROUP,
            missing=tuple(open_entries),
        )
        return replace(self, steps=(*self.steps, step))

    @property
    def current(self) -> Step | None:
        """The first step not done (None when every step is done)."""
        return next((step for step in self.steps if not step.done), None)

    def lines(self) -> list[str]:
        """The status in plain words, one line per step after a heading."""
        current = self.current
        heading = f"{self.procedure} {self.period_key}: " + (
            "decided"
            if self.decided and current is None
            else f"at step '{current.title}'"
            if current is not None
            else "every step done"
        )
        return [heading, *(f"  {step.line()}" for step in self.steps)]
