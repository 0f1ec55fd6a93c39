"""The witness's own HTTP service: C2SP tlog-witness `POST /add-checkpoint`, and `GET /healthz`.

A deployable of its own, run by the higher authority (`ledger witness serve`), not part of the
ledger's API: it speaks the C2SP protocol exactly (c2sp.org/tlog-witness), with plain-text
bodies rather than the API's problem+json. The answers:

- 200, the witness's cosignature lines ("a sequence of one or more note signature lines, each
  starting with the — character (U+2014) and ending with a newline"); the spec names no media
  type for them, so they go as `text/plain; charset=utf-8`;
- 400 malformed request, or old size larger than the checkpoint's; 403 no trusted signature (or a
  failing one); 404 unknown origin; 422 consistency proof that does not verify; 409 for a
  same-size checkpoint with another root: each with a one-line plain-text reason;
- 409 when the old size is not the latest cosigned size: that size in decimal and a newline,
  with `Content-Type: text/x.tlog.size` exactly (no charset parameter: clients compare it).

Nothing is built at import time: `create_witness_app(witness)` makes the app.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from api.thread_pool import shared_pool
from ledger.integrity.witness import (
    SIZE_MEDIA_TYPE,
    OldSizeMismatch,
    Witness,
    WitnessError,
)

__all__ = ["MAX_BODY_BYTES", "create_witness_app"]

MAX_BODY_BYTES = 64 * 1024
"""The largest request body read: 63 proof lines and a checkpoint with 100 signatures fit."""


def _plain(status: int, text: str) -> Response:
    return PlainTextResponse(" ".join(text.split()) + "\n", status_code=status)


async def _read_body(request: Request) -> bytes | None:
    """The request body, or None if it exceeds `MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_witness_app(witness: Witness) -> Starlette:
    """The witness's HTTP service over `witness`."""

    async def add_checkpoint(request: Request) -> Response:
        """tlog-witness add-checkpoint: cosign a consistent checkpoint or say why not."""
        body = await _read_body(request)
        if body is None:
            return _plain(400, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        try:
            # The check and the update hold SQLite's write lock: keep them off the event loop.
            lines = await shared_pool().run(witness.add_checkpoint_body, body)
        except OldSizeMismatch as refusal:
            return Response(
                f"{refusal.latest_size}\n",
                status_code=409,
                headers={"Content-Type": SIZE_MEDIA_TYPE},
            )
        except WitnessError as error:
            return _plain(error.status, str(error))
        return PlainTextResponse("".join(lines))

    async def healthz(request: Request) -> Response:
        """The process answers; the body names the witness key."""
        return PlainTextResponse(f"ok {witness.verifier.vkey()}\n")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
