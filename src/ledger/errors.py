"""Domain errors: every refusal names the rule it applies and records nothing.

LedgerError
├── RuleViolation          a command breaks a rule of the Measures or of the records (422)
│   └── RoleRequired       the actor lacked the role or scope on the command's date (403)
├── RecordNotFound         the command names a record that does not exist (404)
├── ConcurrentWrite        another writer changed the record first (409)
├── VersionMismatch        the command was made against an older version of the record (412)
├── IdempotencyKeyReused   the key was used before with a different request (422)
└── IdempotencyKeyInFlight the key is held by a request still running (409)
"""

from __future__ import annotations

from collections.abc import Mapping


class LedgerError(Exception):
    """Base of the errors the application raises on purpose."""

    rule = "LEDGER"

    def __init__(self, message: str, *, fields: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class RuleViolation(LedgerError):
    """Raised when a command breaks a rule; `rule` is the SPEC id or a records rule name."""

    def __init__(
        self, rule: str, message: str, *, fields: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(f"{rule}: {message}", fields=fields)
        self.rule = rule


class RoleRequired(RuleViolation):
    """Raised when the actor did not hold the role (and scope) the command needs."""

    def __init__(self, needed: str, message: str) -> None:
        super().__init__("ROLES", message, fields={"role_needed": needed})
        self.needed = needed


class RecordNotFound(LedgerError):
    """Raised when a command or query names a record or entry that is not recorded."""

    rule = "NOT_FOUND"


class ConcurrentWrite(LedgerError):
    """Raised when another writer appended to one of the command's records first."""

    rule = "CONCURRENT_WRITE"


class IdempotencyKeyReused(LedgerError):
    """Raised when an idempotency key comes back with a different request."""

    rule = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInFlight(LedgerError):
    """Raised when a request with the same actor and key is still running."""

    rule = "IDEMPOTENCY_KEY_IN_FLIGHT"


class VersionMismatch(LedgerError):
    """Raised when a command was made against a version of a record that is no longer its
    latest (HTTP If-Match); `current_version` is the latest."""

    rule = "STALE_VERSION"

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message, fields={"current_version": current_version})
        self.current_version = current_version
