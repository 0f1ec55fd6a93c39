"""`ledger users ...` (issue 6 item 2): login accounts bound to registered people, passwords
never on the command line, one-line refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import Invoke
from typer.testing import CliRunner

from ledger.cli import app
from ledger.settings import get_settings

PASSWORD = "a long enough password\n"


@pytest.fixture
def demo_url(seeded_demo: tuple[str, object], tmp_path: Path) -> str:
    """A copy of the seeded demo (the shared one stays as seeded)."""
    copy = tmp_path / "demo.sqlite3"
    shutil.copyfile(seeded_demo[0].removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def _with_stdin(monkeypatch: pytest.MonkeyPatch, url: str, text: str, *args: str) -> object:
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), input=text)
    finally:
        get_settings.cache_clear()


def test_an_account_is_added_for_a_registered_person_and_listed(
    ledger_cli: Invoke, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = _with_stdin(
        monkeypatch,
        demo_url,
        PASSWORD,
        "users",
        "add",
        "clerk1",
        "--person",
        "S0001",
        "--password-stdin",
    )
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    listed = ledger_cli(demo_url, "users", "list")
    assert any(line.startswith("clerk1\tS0001\tenabled") for line in listed.output.splitlines())


def test_an_account_for_an_unknown_person_is_refused_in_one_line(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _with_stdin(
        monkeypatch,
        demo_url,
        PASSWORD,
        "users",
        "add",
        "ghost",
        "--person",
        "X9999",
        "--password-stdin",
    )
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output == "error: X9999 is not a registered person of the center\n"  # type: ignore[attr-defined]


def test_a_short_password_is_refused(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _with_stdin(
        monkeypatch,
        demo_url,
        "short\n",
        "users",
        "add",
        "clerk2",
        "--person",
        "S0001",
        "--password-stdin",
    )
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "at least 12 characters" in result.output  # type: ignore[attr-defined]


def test_a_disabled_account_is_listed_as_disabled(
    ledger_cli: Invoke, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_stdin(
        monkeypatch,
        demo_url,
        PASSWORD,
        "users",
        "add",
        "clerk3",
        "--person",
        "S0001",
        "--password-stdin",
    )
    assert ledger_cli(demo_url, "users", "disable", "clerk3").exit_code == 0
    assert "\tdisabled\t" in ledger_cli(demo_url, "users", "list").output


def test_the_demo_opens_one_login_per_kind_of_user(seeded_demo: tuple[str, object]) -> None:
    # given the seeded demo (its output lists the logins)
    url, result = seeded_demo
    assert "password 'demo-password-2025'" in result.output  # type: ignore[attr-defined]
    # then each login signs in with the demo password as the person it names
    from ledger.accounts import Accounts
    from ledger.application import AssessmentLedger
    from ledger.demo import DEMO_PASSWORD
    from ledger.settings import Settings

    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env())
    try:
        accounts = Accounts(ledger)
        for name in ("director", "clerk", "head", "staff"):
            account = accounts.authenticate(name, DEMO_PASSWORD)
            assert account is not None and account.person_id.startswith("S")
    finally:
        ledger.close()
