"""`ledger round show PERIOD`: where a period's procedure stands (issue 5 item 7): each step,
whether it is done, what is missing, who must act and by when; for a decided period, the late
entries the leading group has still to resolve and, for a reopened one, the decisions it
replaced (SPEC section 3, D-13)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ledger.aggregates.assessment_round import Decision
from ledger.application import AssessmentLedger
from ledger.cli.main import load_settings, open_ledger
from ledger.errors import RecordNotFound
from ledger.projections.rounds import round_status


def _decisions(ledger: AssessmentLedger, period_key: str) -> list[tuple[Decision, bool]]:
    """The period's decisions, oldest first, each with whether it is in force."""
    try:
        assessment_round = ledger.round(period_key)
    except RecordNotFound:
        return []
    superseded = [(decision, False) for decision in assessment_round.superseded]
    current = assessment_round.decision
    return superseded + ([(current, True)] if current is not None else [])


round_app = typer.Typer(help="Assessment rounds: where each period's procedure stands.")


@round_app.command("show")
def round_show(
    period: Annotated[str, typer.Argument(help="2025-03, 2025-Q1, 2025-H1 or 2025")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Print the period's procedure step by step, its decisions, open late entries last."""
    with open_ledger(load_settings()) as ledger:
        found = round_status(ledger, period)
        decisions = _decisions(ledger, found.status.period_key)
    status = found.status
    if as_json:
        current = status.current
        typer.echo(
            json.dumps(
                {
                    "procedure": status.procedure,
                    "period": status.period_key,
                    "decided": status.decided,
                    "current_step": current.key if current else None,
                    "steps": [
                        {
                            "key": step.key,
                            "title": step.title,
                            "rule": step.rule,
                            "role": step.role.value,
                            "scope": step.scope,
                            "done": step.done,
                            "done_on": step.done_on.isoformat() if step.done_on else None,
                            "due_on": step.due_on.isoformat() if step.due_on else None,
                            "late": step.late,
                            "missing": list(step.missing),
                        }
                        for step in status.steps
                    ],
                    "decisions": [
                        {
                            "decision_ref": decision.decision_ref,
                            "effective_on": decision.effective_on.isoformat(),
                            "decided_at_position": decision.decided_at_position,
                            "in_force": in_force,
                        }
                        for decision, in_force in decisions
                    ],
                    "conflicts": [
                        {
                            "stream_id": conflict.stream_id,
                            "version": conflict.version,
                            "position": conflict.position,
                            "what": conflict.what,
                            "change": conflict.change,
                            "subject": conflict.subject,
                            "occurred_on": conflict.occurred_on.isoformat(),
                            "item": conflict.item,
                            "decision_ref": conflict.decision_ref,
                            "why": conflict.why,
                        }
                        for conflict in found.conflicts
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for line in status.lines():
        typer.echo(line)
    for decision, in_force in decisions:
        typer.echo(
            f"  decision {decision.decision_ref} of {decision.effective_on}, on the figures as of "
            f"position {decision.decided_at_position}: "
            + ("in force" if in_force else "superseded after a reopening (D-13)")
        )
