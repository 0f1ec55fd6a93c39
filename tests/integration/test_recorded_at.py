"""Transaction time (SPEC section 3): every event's `recorded_at` comes from the store inside
the locked insert transaction, never decreases along the log, and `position_at(t)` is the last
position recorded at or before t."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from builders import CLERK, COLLEAGUE, STAFF, TODAY, at, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.stores import LoggedEvent


def whole_log(ledger: AssessmentLedger) -> list[LoggedEvent]:
    return ledger.ledger_recorder.select_logged(range(1, ledger.head_position() + 1))


def busy_log(ledger: AssessmentLedger) -> list[LoggedEvent]:
    """The organisation, deductions and a revocation: several dozen events, many commands."""
    seed_organisation(ledger)
    for n in range(1, 6):
        record(ledger, f"INC-{n}")
        record(ledger, f"INC-C{n}", staff_number=COLLEAGUE)
    ledger.revoke_deduction(CLERK, STAFF, 3, TODAY, "wrong person")
    return whole_log(ledger)


def test_recorded_at_never_decreases_along_the_log(ledger: AssessmentLedger) -> None:
    """Given a log written by many commands, then recorded_at is non-decreasing in position
    order and every position is read back once."""
    logged = busy_log(ledger)

    positions = [event.position for event in logged]
    times = [event.recorded_at for event in logged]
    assert positions == sorted(set(positions))
    assert positions[-1] == ledger.head_position()
    assert times == sorted(times)


def test_events_of_one_command_share_their_recorded_at(ledger: AssessmentLedger) -> None:
    """A command's events are recorded in one transaction, so they carry one recorded_at."""
    seed_organisation(ledger)

    outcome = record(ledger, "INC-1")

    staff_event, incident_event = ledger.ledger_recorder.select_logged(
        [outcome.position - 1, outcome.position]
    )
    assert staff_event.recorded_at == incident_event.recorded_at


def test_recorded_at_comes_from_the_store_not_the_injected_clock(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    """The injected clock reads 2025; recorded_at is the store's real time of recording."""
    before = datetime.now(UTC) - timedelta(seconds=5)
    seed_organisation(ledger)
    after = datetime.now(UTC) + timedelta(seconds=5)

    times = [event.recorded_at for event in whole_log(ledger)]

    assert clock() < before
    assert all(before <= time <= after for time in times)
    assert all(time.utcoffset() == timedelta(0) for time in times)


def test_position_at_is_the_last_position_recorded_at_or_before_the_moment(
    ledger: AssessmentLedger,
) -> None:
    """For the recorded_at of every event, position_at returns the greatest position whose
    recorded_at is at or before it."""
    logged = busy_log(ledger)

    for event in logged:
        expected = max(e.position for e in logged if e.recorded_at <= event.recorded_at)
        assert ledger.position_at(event.recorded_at) == expected


def test_position_at_before_the_first_event_is_zero(ledger: AssessmentLedger) -> None:
    """Nothing was known before the first recording."""
    logged = busy_log(ledger)

    assert ledger.position_at(logged[0].recorded_at - timedelta(milliseconds=1)) == 0


def test_position_at_after_the_last_event_is_the_head(ledger: AssessmentLedger) -> None:
    """Everything recorded is known afterwards."""
    busy_log(ledger)

    assert ledger.position_at(datetime.now(UTC) + timedelta(days=1)) == ledger.head_position()


def test_position_at_reads_any_timezone(ledger: AssessmentLedger) -> None:
    """A moment given in Shanghai time means the same instant as in UTC."""
    logged = busy_log(ledger)
    moment = logged[len(logged) // 2].recorded_at

    shanghai = moment.astimezone(at(TODAY).tzinfo)

    assert ledger.position_at(shanghai) == ledger.position_at(moment)


def test_position_at_on_an_empty_log_is_zero(ledger: AssessmentLedger) -> None:
    """An empty log knows nothing at any time."""
    assert ledger.position_at(datetime.now(UTC)) == 0
    assert ledger.head_position() == 0
