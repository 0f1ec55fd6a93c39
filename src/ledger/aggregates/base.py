"""What every record shares: ids from natural keys, event times from the command's clock."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.clock import current_command_time

LEDGER_NAMESPACE = UUID("6f1c7a52-2b5e-4c35-9a8e-0b7d5d1e2c40")
"""Fixed forever: ids derive from it, so equal commands give equal ids on every store."""


def stream_id(kind: str, natural_key: str) -> UUID:
    """A record's stream id, from its kind and natural key (staff number, unit code…)."""
    return uuid5(LEDGER_NAMESPACE, f"{kind}/{natural_key}")


class LedgerAggregate(Aggregate):
    """Base of our aggregates: their events take their timestamp from the command being decided."""

    class Event(Aggregate.Event):
        # The library reads the machine clock here; we read the application's injected clock, so a
        # seeded run stores byte-identical payloads on every store (SPEC section 5).
        create_timestamp = staticmethod(current_command_time)

    class Created(Event, Aggregate.Created):
        pass
