"""`ledger round show PERIOD`: where a period's procedure stands (issue 5 item 7): each step,
whether it is done, what is missing, who must act and by when."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ledger.cli.main import load_settings, open_ledger

round_app = typer.Typer(help="Assessment rounds: where each period's procedure stands.")


@round_app.command("show")
def round_show(
    period: Annotated[str, typer.Argument(help="2025-03, 2025-Q1, 2025-H1 or 2025")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Print the period's procedure step by step."""
    with open_ledger(load_settings()) as ledger:
        status = ledger.procedure_status(period)
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
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for line in status.lines():
        typer.echo(line)
