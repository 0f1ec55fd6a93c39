"""Where a period's procedure stands (issue 5 item 7): its steps in order, which are done, what is
missing, who must act (role and scope) and by when. Built by each procedure from its records;
shown by `ledger round show PERIOD` (and, later, the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.values import Role

__all__ = ["ProcedureStatus", "Step"]


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
