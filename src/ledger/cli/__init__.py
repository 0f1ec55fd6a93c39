"""The `ledger` command line. `main.py` holds the core commands and the error handling; each
further group of commands (keys, checkpoints, witness, filings) lives in a module of its own here
and is registered on the one `app` below."""

from __future__ import annotations

from ledger.cli.main import app, main

__all__ = ["app", "main"]
