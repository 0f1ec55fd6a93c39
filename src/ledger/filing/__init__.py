"""Filings (SPEC 7.4, docs/filing-format.md): the self-contained bundle and its offline verifier.

`bundle` holds the format (typed, with a strict parser and an RFC 8785 writer) and the pure
builder; `verify` the checks `ledger-verify` runs, `decisions` its check of each procedure decision
against the recomputed figures; `verify_cli` the command. All of them import
only the standard library, `cryptography`, `rfc8785`, `ledger.values`, `ledger.policy` and
`ledger.integrity`, so the verifier installs without the server's dependencies.
"""
