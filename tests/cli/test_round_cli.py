"""`ledger round show PERIOD` (issue 5 item 7): which step a period is at, who acts, by when, and
the late entries of a decided period still to resolve (D-13)."""

from __future__ import annotations

import json

from cli_support import Invoke


def test_a_decided_month_of_the_demo_shows_every_step_done(
    ledger_cli: Invoke, seeded_demo: tuple[str, object]
) -> None:
    result = ledger_cli(seeded_demo[0], "round", "show", "2025-03")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith("decided")
    assert "[to do]" not in result.output


def test_a_period_without_a_round_is_at_its_first_step(
    ledger_cli: Invoke, seeded_demo: tuple[str, object]
) -> None:
    result = ledger_cli(seeded_demo[0], "round", "show", "2026-Q1", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert (status["decided"], status["current_step"]) == (False, status["steps"][0]["key"])


def test_a_malformed_period_is_refused_in_one_line(
    ledger_cli: Invoke, seeded_demo: tuple[str, object]
) -> None:
    result = ledger_cli(seeded_demo[0], "round", "show", "2025-13")
    assert result.exit_code == 1
    assert result.output.startswith("error: R-20")
    assert result.output.count("\n") == 1


def test_a_decided_month_with_an_open_late_entry_shows_it_for_the_leading_group_d13(
    ledger_cli: Invoke, seeded_demo: tuple[str, object]
) -> None:
    # the demo revokes a June deduction on an objection after June's sheet was approved
    result = ledger_cli(seeded_demo[0], "round", "show", "2025-06", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    [conflict] = status["conflicts"]
    assert (status["decided"], status["current_step"]) == (True, "resolve_late_entries")
    assert (conflict["change"], conflict["what"]) == ("revoked", "deduction")
    step = status["steps"][-1]
    assert (step["rule"], step["role"]) == ("D-13", "leading_group")
    assert step["missing"][0].startswith(f"{conflict['subject']}: deduction")
