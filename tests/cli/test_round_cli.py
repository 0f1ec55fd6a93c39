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


def test_the_demos_reopened_month_shows_its_amended_decision_in_force_and_the_first_replaced_d13(
    ledger_cli: Invoke, seeded_demo: tuple[str, object]
) -> None:
    # given the demo, which reopens May for an amendment recorded after May's sheet was approved
    # when May's round is shown
    result = ledger_cli(seeded_demo[0], "round", "show", "2025-05", "--json")
    # then the amended approval is in force, the first one kept as superseded, nothing open
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert [(d["decision_ref"], d["in_force"]) for d in status["decisions"]] == [
        ("LG-2025-05", False),
        ("LG-2025-05-A", True),
    ]
    first, amended = status["decisions"]
    assert amended["decided_at_position"] > first["decided_at_position"]
    assert (status["decided"], status["current_step"], status["conflicts"]) == (True, None, [])


def test_a_reopened_month_prints_which_decision_is_in_force_d13(
    ledger_cli: Invoke, seeded_demo: tuple[str, object]
) -> None:
    result = ledger_cli(seeded_demo[0], "round", "show", "2025-05")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  decision ")]
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "superseded after a reopening (D-13)",
        "in force",
    ]
