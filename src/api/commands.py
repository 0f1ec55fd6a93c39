"""What every command endpoint shares: the actor from the token, the Idempotency-Key header,
If-Match on commands that change or decide an existing record, and the answer's headers.

The actor's identity comes from the bearer token; the role the person acts in is the one the
endpoint needs (or one of them, chosen with `acting_as`), and the application refuses it unless
the person held that role, with its scope, on the command's date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, HTTPException, Response

from ledger.application import Outcome
from ledger.errors import ConcurrentWrite
from ledger.values import Actor, Role

_ETAG = re.compile(r'^(?:W/)?"(\d+)"$')

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description=(
            "幂等键 / a key of your choosing (a UUID): a retry with the same key and body "
            "replays the first result; the same key with another body is refused (422); "
            "kept for the store's lifetime"
        ),
        examples=["5f0c8a2e-3b7d-4c1e-9a64-2d8f1e7b0c93"],
    ),
]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="记录版本 / the record's ETag as read; required on this command",
        examples=['"7"'],
    ),
]


def actor(person_id: str, role: Role) -> Actor:
    """The actor a command records: the token's person, in the role it acts in."""
    return Actor(person_id, role)


def appended(attempt: Callable[[], Outcome]) -> Outcome:
    """Run a command that only appends to its record, and once more on a concurrent write: it
    is decided again on the record as it now is (no If-Match to honour)."""
    try:
        return attempt()
    except ConcurrentWrite:
        return attempt()


def required_version(if_match: str | None) -> int:
    """The version an If-Match header names: 428 when it is missing, 400 when malformed."""
    if if_match is None:
        raise HTTPException(428, "this command changes an existing record: send If-Match")
    found = _ETAG.match(if_match.strip())
    if found is None:
        raise HTTPException(400, 'If-Match must be one ETag, e.g. "7"')
    return int(found.group(1))


def answer(response: Response, outcome: Outcome, record_version: int) -> None:
    """Headers of a command's answer: the record's new ETag, and whether it was replayed."""
    response.headers["ETag"] = f'"{record_version}"'
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
