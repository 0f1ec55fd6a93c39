"""`ledger filing export`: a verifiable filing of a staff member's year or the center's year at
the last published checkpoint (docs/filing-format.md), checked offline by `ledger-verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.main import Refusal, UsageProblem, load_settings, open_ledger
from ledger.filing.bundle import Scope
from ledger.filing.export import FilingUnavailable, export_filing
from ledger.integrity.keys import KeyDirectory, KeyFileError

filing_app = typer.Typer(help="Verifiable filings for the higher authority (SPEC 7.4).")


@filing_app.command("export")
def filing_export(
    year: Annotated[int, typer.Option("--year", help="The assessment year")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the filing")],
    staff: Annotated[
        str | None, typer.Option("--staff", help="A staff member's number (their year)")
    ] = None,
    center: Annotated[bool, typer.Option("--center", help="The whole center's year")] = False,
    witness_key: Annotated[
        list[str] | None,
        typer.Option("--witness-key", help="A witness's verifier key, named in the filing"),
    ] = None,
) -> None:
    """Write the filing at the last published checkpoint; print what it holds."""
    if (staff is None) == (not center):
        raise UsageProblem("give exactly one of --staff NUMBER and --center")
    if not 2009 <= year <= 9999:
        raise UsageProblem(f"--year {year} is not a year of the Measures (2009 on)")
    scope = Scope.staff(staff, year) if staff is not None else Scope.center(year)
    settings = load_settings()
    try:
        log_keys = KeyDirectory(settings.key_dir).verifier_keys()
    except KeyFileError as error:
        raise UsageProblem(str(error)) from None
    with open_ledger(settings) as ledger:
        try:
            bundle = export_filing(
                ledger.recorder,
                scope,
                log_verifier_keys=log_keys,
                witness_verifier_keys=witness_key or [],
            )
        except FilingUnavailable as error:
            raise Refusal(str(error)) from None
    data = bundle.to_json()
    try:
        output.write_bytes(data)
    except OSError as error:
        raise UsageProblem(f"cannot write {output}: {error}") from None
    typer.echo(
        f"{scope.describe()}: {len(bundle.events)} events, {len(bundle.figures)} figures, "
        f"checkpoint of size {bundle.stream_heads.leaf_index + 1}; written to {output} "
        f"({len(data):,} bytes)"
    )
