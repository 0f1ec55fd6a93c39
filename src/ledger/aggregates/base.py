"""What every record shares: ids from natural keys, event times from the command's clock."""

from __future__ import annotations

import copy
from enum import Enum
from functools import lru_cache
from typing import Self, TypeVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.clock import current_command_time
from ledger.errors import RuleViolation

E = TypeVar("E", bound=Enum)

LEDGER_NAMESPACE = UUID("6f1c7a52-2b5e-4c35-9a8e-0b7d5d1e2c40")
"""Fixed forever: ids derive from it, so equal commands give equal ids on every store."""


@lru_cache(maxsize=65_536)
def stream_id(kind: str, natural_key: str) -> UUID:
    """A record's stream id, from its kind and natural key (staff number, unit code…)."""
    return uuid5(LEDGER_NAMESPACE, f"{kind}/{natural_key}")


def member_of(kind: type[E], value: object, *, rule: str, field: str) -> E:
    """The member of a closed list that a command names (by member or by value), or the refusal
    naming the rule: a value outside the list would be stored and then fail every replay."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise RuleViolation(
            rule, f"{field} {value!r} is not one of: {allowed}", fields={field: str(value)}
        ) from None


class LedgerAggregate(Aggregate):
    """Base of our aggregates: their events take their timestamp from the command being decided."""

    class Event(Aggregate.Event):
        # The library reads the machine clock here; we read the application's injected clock, so a
        # seeded run stores byte-identical payloads on every store (SPEC section 5).
        create_timestamp = staticmethod(current_command_time)

    class Created(Event, Aggregate.Created):
        pass


class ValueRecord:
    """Base of the small state records inside aggregates whose fields all hold immutable values.

    The aggregate cache hands each command a deep copy of a record; for these a shallow copy is
    already a full one, and several times cheaper.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        return copy.copy(self)
