"""`ledger users ...`: login accounts for the API, each bound to a registered person (the operator
creates them on the center's instruction; SPEC section 5). Passwords are read from a hidden
prompt, or from stdin with --password-stdin, never from the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ledger.accounts import AccountError, Accounts
from ledger.cli.main import Refusal, load_settings, open_ledger

users_app = typer.Typer(help="Login accounts for the API (credentials are not events).")

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The user name to sign in with")],
    person: Annotated[str, typer.Option("--person", help="The staff number it acts as")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Open an account for a registered person."""
    password = _password(password_stdin)
    with open_ledger(load_settings()) as ledger:
        try:
            account = Accounts(ledger).create(username, person, password)
        except AccountError as error:
            raise Refusal(str(error)) from None
    typer.echo(f"account {account.username} acts as {account.person_id}")


@users_app.command("list")
def users_list() -> None:
    """Every account: user name, person, enabled or disabled."""
    with open_ledger(load_settings()) as ledger:
        accounts = Accounts(ledger).all()
    for account in accounts:
        state = "disabled" if account.disabled else "enabled"
        typer.echo(f"{account.username}\t{account.person_id}\t{state}\t{account.created_at}")


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Argument()], password_stdin: PasswordStdin = False
) -> None:
    """Set a new password."""
    password = _password(password_stdin)
    with open_ledger(load_settings()) as ledger:
        try:
            Accounts(ledger).set_password(username, password)
        except AccountError as error:
            raise Refusal(str(error)) from None
    typer.echo(f"password of {username} changed")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: it can no longer sign in, and its tokens stop working."""
    _set_disabled(username, True)


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled account again."""
    _set_disabled(username, False)


def _set_disabled(username: str, disabled: bool) -> None:
    with open_ledger(load_settings()) as ledger:
        try:
            Accounts(ledger).set_disabled(username, disabled)
        except AccountError as error:
            raise Refusal(str(error)) from None
    typer.echo(f"{username} {'disabled' if disabled else 'enabled'}")
