"""Submit a checkpoint to a C2SP tlog-witness over HTTP and get its cosignature lines.

The request is `POST <submission prefix>/add-checkpoint` with the body of c2sp.org/tlog-witness:
`old <size>`, one base64 line per consistency proof hash (at most 63), an empty line, then the
signed checkpoint note. Each status code the spec defines becomes an exception: 400 `BadRequest`,
403 `Forbidden`, 404 `NotFound`, 409 with `Content-Type: text/x.tlog.size` `SizeConflict` (its
`latest_size` is the size the witness last cosigned: retry with a proof from there), any other
409 `RootConflict` (same size, another root), 422 `Unprocessable`; anything else
`UnexpectedResponse`. A 200 answer is one or more signature lines, returned as they are: verify
them by appending them to the checkpoint note and opening it with the witness's verifier key
(`ledger.integrity.note.open_note`), as the spec suggests.

Standard library only (urllib), so anything that can build a request can use it.
"""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import ClassVar

__all__ = [
    "BadRequest",
    "Forbidden",
    "NotFound",
    "RootConflict",
    "SizeConflict",
    "UnexpectedResponse",
    "Unprocessable",
    "WitnessClientError",
    "add_checkpoint",
    "format_add_checkpoint_body",
]

SIZE_MEDIA_TYPE = "text/x.tlog.size"
_MAX_PROOF_LINES = 63
_SIZE_BODY = re.compile(rb"(0|[1-9][0-9]{0,19})\n")
_MAX_RESPONSE = 64 * 1024


class WitnessClientError(Exception):
    """The witness did not cosign; `status` is its HTTP status (0 if none came back) and
    `message` the text of its answer."""

    expected_status: ClassVar[int] = 0

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"witness answered {status}: {message}" if status else message)
        self.status = status
        self.message = message


class BadRequest(WitnessClientError):
    """400: the request was malformed, or the old size is larger than the checkpoint's."""

    expected_status = 400


class Forbidden(WitnessClientError):
    """403: no key the witness trusts for the log signed the checkpoint (or one failed)."""

    expected_status = 403


class NotFound(WitnessClientError):
    """404: the witness does not know the checkpoint's origin."""

    expected_status = 404


class SizeConflict(WitnessClientError):
    """409 `text/x.tlog.size`: the old size is not the size the witness last cosigned, which is
    `latest_size`."""

    expected_status = 409

    def __init__(self, status: int, message: str, latest_size: int) -> None:
        super().__init__(status, message)
        self.latest_size = latest_size


class RootConflict(WitnessClientError):
    """409 of another type: the witness cosigned another root hash at this size."""

    expected_status = 409


class Unprocessable(WitnessClientError):
    """422: the consistency proof does not verify."""

    expected_status = 422


class UnexpectedResponse(WitnessClientError):
    """The witness was unreachable, or answered outside the protocol."""


_BY_STATUS: dict[int, type[WitnessClientError]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    409: RootConflict,
    422: Unprocessable,
}


def format_add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The add-checkpoint request body: `old <size>`, the proof hashes in base64 one per line, an
    empty line, the checkpoint note."""
    if isinstance(old_size, bool) or not isinstance(old_size, int) or old_size < 0:
        raise ValueError(f"old size must be a non-negative integer, not {old_size!r}")
    if len(proof) > _MAX_PROOF_LINES:
        raise ValueError(f"at most {_MAX_PROOF_LINES} consistency proof hashes may be sent")
    if not note.endswith("\n"):
        raise ValueError("a checkpoint note ends with a newline")
    lines = [f"old {old_size}", *(base64.b64encode(value).decode("ascii") for value in proof)]
    return ("".join(line + "\n" for line in lines) + "\n" + note).encode("utf-8")


def _submission_url(url: str) -> str:
    """The add-checkpoint URL under a submission prefix (or the URL itself if it names it)."""
    if url.rstrip("/").endswith("/add-checkpoint"):
        return url
    return url.rstrip("/") + "/add-checkpoint"


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace").strip()


def _cosignature_lines(body: bytes) -> list[str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise UnexpectedResponse(200, "the cosignatures are not UTF-8") from None
    if not text.endswith("\n") or not text.startswith("— "):
        raise UnexpectedResponse(200, "the answer is not signature lines ending in a newline")
    lines = [line + "\n" for line in text[:-1].split("\n")]
    if not all(line.startswith("— ") for line in lines):
        raise UnexpectedResponse(200, "a line of the answer is not a signature line")
    return lines


def _refusal(status: int, content_type: str, body: bytes) -> WitnessClientError:
    if status == 409 and content_type == SIZE_MEDIA_TYPE:
        match = _SIZE_BODY.fullmatch(body)
        if match is None:
            return UnexpectedResponse(status, f"malformed {SIZE_MEDIA_TYPE} body {body[:40]!r}")
        latest = int(match.group(1))
        return SizeConflict(status, f"the witness's latest size is {latest}", latest)
    kind = _BY_STATUS.get(status, UnexpectedResponse)
    return kind(status, _text(body) or "(no message)")


def add_checkpoint(
    url: str,
    note: str,
    *,
    old_size: int = 0,
    proof: Sequence[bytes] = (),
    timeout: float = 30.0,
) -> list[str]:
    """Ask the witness at `url` (its submission prefix) to cosign the signed checkpoint `note`,
    consistent with the checkpoint of `old_size` leaves it last cosigned through `proof`; its
    cosignature lines, or the `WitnessClientError` its answer means."""
    request = urllib.request.Request(
        _submission_url(url),
        data=format_add_checkpoint_body(old_size, proof, note),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            body = response.read(_MAX_RESPONSE)
    except urllib.error.HTTPError as error:
        try:
            body = error.read(_MAX_RESPONSE)
        finally:
            error.close()
        content_type = (error.headers.get("Content-Type") or "").strip()
        raise _refusal(error.code, content_type, body) from None
    except (urllib.error.URLError, OSError) as error:
        raise UnexpectedResponse(0, f"cannot reach the witness at {url}: {error}") from None
    if status != 200:
        raise UnexpectedResponse(status, _text(body) or "(no message)")
    return _cosignature_lines(body)
