"""`ledger keys ...` and `ledger checkpoint ...`: the log's signing keys and its checkpoints
(SPEC 7.3). The keys live in LEDGER_KEY_DIR, outside the database; checkpoints are kept in the
store with their signed notes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from ledger.cli.main import Refusal, UsageProblem, load_settings, open_ledger
from ledger.integrity.checkpoints import (
    CheckpointRecorder,
    StoredCheckpoint,
    submit_to_witness,
    take_checkpoint,
)
from ledger.integrity.keys import KeyDirectory, KeyFileError
from ledger.integrity.note import parse_note
from ledger.integrity.witness_client import WitnessClientError

keys_app = typer.Typer(help="The log's signing keys (kept outside the database).")
checkpoint_app = typer.Typer(help="Signed checkpoints of the Merkle log.")


def _keys() -> KeyDirectory:
    return KeyDirectory(load_settings().key_dir)


@keys_app.command("generate")
def keys_generate() -> None:
    """Make the log's signing key (refused if there is one) and print its verifier key."""
    settings = load_settings()
    try:
        signer = KeyDirectory(settings.key_dir).generate(settings.log_origin)
    except KeyFileError as error:
        raise UsageProblem(str(error)) from None
    typer.echo(signer.verifier().vkey())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Retire the signing key (its verifier key is kept) and make a new one; print the new
    verifier key."""
    try:
        signer = _keys().rotate()
    except KeyFileError as error:
        raise UsageProblem(str(error)) from None
    typer.echo(signer.verifier().vkey())


@keys_app.command("export")
def keys_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout")
    ] = None,
) -> None:
    """Print every verifier key of the log (current first, then retired), one per line."""
    try:
        text = "".join(key + "\n" for key in _keys().verifier_keys())
    except KeyFileError as error:
        raise UsageProblem(str(error)) from None
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def _describe(checkpoint: StoredCheckpoint) -> str:
    signers = ", ".join(signature.name for signature in parse_note(checkpoint.note).signatures)
    return f"size {checkpoint.size}  root {checkpoint.root.hex()}  signed by {signers}"


@checkpoint_app.command("publish")
def checkpoint_publish(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the signed note here")
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness", help="Witness URL to ask for a cosignature (besides LEDGER_WITNESS_URLS)"
        ),
    ] = None,
) -> None:
    """Append a stream-heads leaf and sign the checkpoint that ends with it (the last checkpoint
    again if nothing was recorded since), have the witnesses cosign it, and print the note."""
    settings = load_settings()
    try:
        signer = KeyDirectory(settings.key_dir).signer()
    except KeyFileError as error:
        raise UsageProblem(str(error)) from None
    if signer.name != settings.log_origin:
        raise Refusal(
            f"the key in {settings.key_dir} is for log {signer.name!r}, "
            f"not LEDGER_LOG_ORIGIN {settings.log_origin!r}"
        )
    urls = [*settings.witness_urls, *(witness or [])]
    with open_ledger(settings) as ledger:
        recorder = cast(CheckpointRecorder, ledger.recorder)
        checkpoint = take_checkpoint(recorder, settings.log_origin, signer)
        for url in urls:
            try:
                checkpoint = submit_to_witness(recorder, checkpoint, url)
            except WitnessClientError as error:
                raise Refusal(
                    f"checkpoint of size {checkpoint.size} is signed and kept, but the witness at "
                    f"{url} refused it (HTTP {error.status}): {error}"
                ) from None
            typer.echo(f"cosigned by the witness at {url}", err=True)
    if output is not None:
        output.write_text(checkpoint.note, encoding="utf-8")
    typer.echo(checkpoint.note, nl=False)


@checkpoint_app.command("list")
def checkpoint_list() -> None:
    """Every kept checkpoint, oldest first."""
    with open_ledger(load_settings()) as ledger:
        kept = cast(CheckpointRecorder, ledger.recorder).checkpoints()
    if not kept:
        typer.echo("no checkpoint yet: publish one with `ledger checkpoint publish`")
    for checkpoint in kept:
        typer.echo(_describe(checkpoint))
