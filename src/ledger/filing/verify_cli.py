"""`ledger-verify FILING --log-key VKEY [--witness-key VKEY ...] [--state FILE] [--json]`.

Exit status 0: verified (the state file now remembers the checkpoint); 1: a check failed (the
report names it); 2: bad usage, an unreadable or malformed filing, a bad key or state file (one
line `error: ...` on standard error). argparse, not typer: the light install has neither typer
nor rich.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ledger.filing.bundle import FilingFormatError, parse
from ledger.filing.verify import (
    VerifierState,
    VerifierStateError,
    default_state_path,
    verify_bundle,
)
from ledger.integrity.note import (
    Ed25519CosignatureVerifier,
    Ed25519Verifier,
    NoteError,
    Verifier,
    parse_verifier_key,
)

__all__ = ["main"]

VERIFIED, CHECK_FAILED, USAGE = 0, 1, 2


class _UsageError(Exception):
    """Bad usage or an unreadable input: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line `error: ...` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ledger-verify",
        description=(
            "Check an assessment-ledger filing offline: signatures, consistency with what this "
            "verifier saw before, every event's proofs, completeness, and every figure and "
            "decision recomputed from the events."
        ),
    )
    parser.add_argument("filing", metavar="FILING", type=Path, help="the filing (JSON)")
    parser.add_argument(
        "--log-key",
        metavar="VKEY",
        action="append",
        required=True,
        help="a trusted verifier key of the log (repeatable); the keys in the filing are not used",
    )
    parser.add_argument(
        "--witness-key",
        metavar="VKEY",
        action="append",
        default=[],
        help="a witness whose cosignature is required (repeatable)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        type=Path,
        default=None,
        help=(
            "where to remember the last checkpoint accepted per log "
            f"(default {default_state_path()})"
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def _keys(texts: Sequence[str], what: str, kinds: tuple[type[Verifier], ...]) -> list[Verifier]:
    keys: list[Verifier] = []
    for text in texts:
        try:
            key = parse_verifier_key(text)
        except NoteError as error:
            raise _UsageError(f"{what} key {text!r}: {error}") from None
        if not isinstance(key, kinds):
            raise _UsageError(f"{what} key {text!r} is not of a {what} key's signature type")
        keys.append(key)
    return keys


def _run(argv: Sequence[str] | None) -> int:
    arguments = _parser().parse_args(argv)
    logs = _keys(arguments.log_key, "log", (Ed25519Verifier,))
    witnesses = _keys(
        arguments.witness_key, "witness", (Ed25519CosignatureVerifier, Ed25519Verifier)
    )
    state_path: Path = arguments.state or default_state_path()
    try:
        data = arguments.filing.read_bytes()
    except OSError as error:
        raise _UsageError(f"cannot read {arguments.filing}: {error.strerror or error}") from None
    try:
        bundle = parse(data)
    except FilingFormatError as error:
        raise _UsageError(f"malformed filing: member {error.member}: {error.reason}") from None
    try:
        state = VerifierState.load(state_path)
    except VerifierStateError as error:
        raise _UsageError(str(error)) from None
    report = verify_bundle(bundle, logs, witnesses, state)
    if report.accepted is not None:
        state.remember(report.accepted)
        try:
            state.save(state_path)
        except VerifierStateError as error:
            raise _UsageError(f"verified, but {error}") from None
    if arguments.json:
        sys.stdout.write(json.dumps(report.as_object(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.text())
    return VERIFIED if report.verified else CHECK_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Run `ledger-verify`; return the exit status (the console script exits with it)."""
    try:
        return _run(argv)
    except _UsageError as error:
        sys.stderr.write(f"error: {error}\n")
        return USAGE


if __name__ == "__main__":
    sys.exit(main())
