"""Event timestamps (SPEC section 5): the library's event timestamp comes from the injected clock,
so seeded runs store byte-identical payloads on every store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from builders import STAFF, TODAY, at, record, seed_organisation
from ledger.aggregates.incident import Incident
from ledger.application import AssessmentLedger
from ledger.clock import CENTER_TIMEZONE, SettableClock


def test_event_timestamp_is_the_injected_clocks_time_in_utc(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Given the clock at 09:30 on 2025-03-10 in Shanghai, then every payload's timestamp is
    "2025-03-10T01:30:00+00:00"."""
    seed_organisation(ledger)

    logged = ledger.ledger_recorder.select_logged(range(1, ledger.head_position() + 1))

    stamps = {json.loads(event.state)["timestamp"] for event in logged}
    assert stamps == {"2025-03-10T01:30:00+00:00"}
    assert clock().astimezone(UTC).isoformat() == "2025-03-10T01:30:00+00:00"


def test_event_timestamp_follows_the_clock_when_it_moves(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Given the clock moved to 16:45:12.345678 the next day, then the deduction recorded then
    carries that instant, microseconds included, in UTC."""
    seed_organisation(ledger)
    moment = datetime(2025, 3, 11, 16, 45, 12, 345678, tzinfo=CENTER_TIMEZONE)
    clock.set(moment)

    record(ledger, "INC-1", occurred_on=date(2025, 3, 11))

    item = ledger.history(ledger.staff_stream(STAFF), newest_first=True, limit=1)[0]
    assert item.payload["timestamp"] == "2025-03-11T08:45:12.345678+00:00"
    assert ledger.staff(STAFF).modified_on == moment


def test_all_events_of_one_command_carry_the_same_timestamp(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """A deduction writes the staff event and the incident index event at one command time."""
    seed_organisation(ledger)
    clock.set(at(TODAY, 11, 5))

    record(ledger, "INC-1")

    staff_event = ledger.history(ledger.staff_stream(STAFF), newest_first=True, limit=1)[0]
    incident_event = ledger.history(Incident.create_id("INC-1"))[0]
    assert staff_event.payload["timestamp"] == incident_event.payload["timestamp"]
    assert staff_event.payload["timestamp"] == "2025-03-10T03:05:00+00:00"


def test_decoded_records_keep_the_clocks_times(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """Reloaded from the store, a record's created_on and modified_on are the clock's instants."""
    seed_organisation(ledger)
    clock.set(at(TODAY, 15, 0))
    record(ledger, "INC-1")

    staff = ledger.staff(STAFF)

    assert staff.created_on == at(TODAY)
    assert staff.modified_on == at(TODAY, 15, 0)
