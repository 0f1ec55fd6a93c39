"""`ledger witness`: the higher authority's C2SP tlog-witness (see ledger.integrity.witness).

    ledger witness init --name NAME --dir DIR        make the key and an empty state; print the
                                                     witness's verifier key
    ledger witness trust --dir DIR --origin ORIGIN --log-key VKEY
    ledger witness add-checkpoint --dir DIR --checkpoint FILE [--old-size N --proof FILE]
                                                     offline: print the cosignature lines
    ledger witness show --dir DIR                    the latest checkpoint of each log
    ledger witness serve --dir DIR [--host H --port P]

Errors follow `ledger.cli.main`: one line on stderr, status 2 for bad usage or a bad input file
(a malformed checkpoint or proof included), 1 for a refusal (unknown log, bad signature, stale
or inconsistent checkpoint, existing key).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.main import Refusal, UsageProblem
from ledger.integrity.note import Ed25519Verifier, NoteError
from ledger.integrity.witness import (
    Malformed,
    OldSizeMismatch,
    Witness,
    WitnessDirectory,
    WitnessError,
)

app = typer.Typer(
    help="The higher authority's witness: cosign the ledger's checkpoints if consistent.",
    no_args_is_help=True,
)

DirOption = Annotated[Path, typer.Option("--dir", help="The witness's directory.")]


def _open(directory: Path) -> Witness:
    """The witness in `directory`, or a usage error saying what is missing."""
    files = WitnessDirectory(directory)
    if not files.key_path.exists():
        raise UsageProblem(f"{directory} is not a witness directory (run `ledger witness init`)")
    try:
        return files.open()
    except (OSError, ValueError) as error:
        raise UsageProblem(f"cannot open the witness in {directory}: {error}") from None


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageProblem(f"cannot read the {what} {path}: {error}") from None


def _read_proof(path: Path) -> list[bytes]:
    """Consistency proof hashes from a file of base64 lines (the protocol's proof lines)."""
    proof = []
    for number, line in enumerate(_read(path, "proof").splitlines(), start=1):
        try:
            proof.append(base64.b64decode(line.strip(), validate=True))
        except binascii.Error:
            raise UsageProblem(f"{path}: line {number} is not base64") from None
    return proof


@app.command()
def init(
    name: Annotated[str, typer.Option(help="The witness's key name, e.g. witness.example/w1.")],
    directory: DirOption,
) -> None:
    """Generate the witness's key (mode 0600) and an empty state; print its verifier key."""
    files = WitnessDirectory(directory)
    if files.key_path.exists():
        raise Refusal(f"{files.key_path} already exists; a witness key is never overwritten")
    try:
        verifier = files.init(name)
    except NoteError as error:
        raise UsageProblem(f"--name: {error}") from None
    except FileExistsError:
        raise Refusal(
            f"{files.key_path} already exists; a witness key is never overwritten"
        ) from None
    except OSError as error:
        raise Refusal(f"cannot create the witness in {directory}: {error}") from None
    typer.echo(verifier.vkey())


@app.command()
def trust(
    directory: DirOption,
    origin: Annotated[str, typer.Option(help="The log's origin line.")],
    log_key: Annotated[str, typer.Option(help="The log's verifier key (Ed25519, type 0x01).")],
) -> None:
    """Trust a log: checkpoints of ORIGIN signed by this key will be witnessed."""
    _open(directory)
    try:
        key = Ed25519Verifier.from_vkey(log_key)
    except NoteError as error:
        raise UsageProblem(f"--log-key: {error}") from None
    try:
        added = WitnessDirectory(directory).trust(origin, key)
    except NoteError as error:
        raise UsageProblem(f"--origin: {error}") from None
    state = "now trusts" if added else "already trusted"
    typer.echo(f"{origin}: {state} {key.vkey()}")


@app.command("add-checkpoint")
def add_checkpoint(
    directory: DirOption,
    checkpoint: Annotated[Path, typer.Option(help="The signed checkpoint note.")],
    old_size: Annotated[
        int | None, typer.Option(min=0, help="The size of the latest checkpoint cosigned.")
    ] = None,
    proof: Annotated[
        Path | None, typer.Option(help="The consistency proof from it: base64 lines.")
    ] = None,
) -> None:
    """Witness a checkpoint offline, as add-checkpoint would; print the cosignature lines."""
    if proof is not None and old_size is None:
        raise UsageProblem("--proof needs --old-size")
    witness = _open(directory)
    note = _read(checkpoint, "checkpoint")
    hashes = _read_proof(proof) if proof is not None else []
    try:
        lines = witness.add_checkpoint(old_size or 0, hashes, note)
    except Malformed as error:
        raise UsageProblem(f"{checkpoint}: {error}") from None
    except OldSizeMismatch as error:
        raise Refusal(f"{error}; submit again with --old-size {error.latest_size}") from None
    except WitnessError as error:
        raise Refusal(str(error)) from None
    typer.echo("".join(lines), nl=False)


@app.command()
def show(directory: DirOption) -> None:
    """The witness's key, and the latest checkpoint it cosigned for each log it trusts."""
    witness = _open(directory)
    typer.echo(f"witness {witness.verifier.vkey()}")
    accepted = {item.origin: item for item in witness.accepted()}
    for origin, keys in sorted(witness.logs.items()):
        typer.echo(f"log {origin} ({len(keys)} key{'s' if len(keys) != 1 else ''})")
        latest = accepted.get(origin)
        if latest is None:
            typer.echo("  nothing cosigned yet")
            continue
        at = datetime.fromtimestamp(latest.cosigned_at, UTC).isoformat()
        root = base64.b64encode(latest.root_hash).decode("ascii")
        typer.echo(f"  size {latest.size} root {root} cosigned at {at}")
    evidence = sorted(witness.evidence_dir.glob("*.json"))
    if evidence:
        typer.echo(f"evidence files: {len(evidence)} in {witness.evidence_dir}")


@app.command()
def serve(
    directory: DirOption,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port.")] = 7380,
) -> None:
    """Serve the witness over HTTP (C2SP tlog-witness: POST /add-checkpoint, GET /healthz)."""
    import uvicorn

    from api.witness_app import create_witness_app

    witness = _open(directory)
    typer.echo(f"witness {witness.verifier.vkey()} on http://{host}:{port}", err=True)
    uvicorn.run(create_witness_app(witness), host=host, port=port)
