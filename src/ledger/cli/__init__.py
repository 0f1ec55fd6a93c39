"""The `ledger` command line. `main.py` holds the core commands and the error handling; each
further group of commands (keys, checkpoints, witness, filings) lives in a module of its own here
and is registered on the one `app` below."""

from __future__ import annotations

from ledger.cli import checkpoints, filing, rounds, users, witness
from ledger.cli.main import app, main

app.add_typer(checkpoints.keys_app, name="keys")
app.add_typer(checkpoints.checkpoint_app, name="checkpoint")
app.add_typer(witness.app, name="witness")
app.add_typer(filing.filing_app, name="filing")
app.add_typer(rounds.round_app, name="round")
app.add_typer(users.users_app, name="users")

__all__ = ["app", "main"]
