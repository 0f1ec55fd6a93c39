"""`python -m ledger.cli`: the `ledger` command line."""

from ledger.cli import main

main()
