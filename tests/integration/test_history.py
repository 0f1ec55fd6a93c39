"""History (SPEC section 6): a record's events oldest or newest first, keyset-paged by log
position, and as known at a past position (as-of)."""

from __future__ import annotations

import pytest

from builders import COLLEAGUE, STAFF, record, seed_organisation
from ledger.application import AssessmentLedger, HistoryItem


@pytest.fixture
def stream_with_deductions(ledger: AssessmentLedger) -> list[HistoryItem]:
    """S001's stream: registered, assigned, then four deductions interleaved with S002's."""
    seed_organisation(ledger)
    for n in range(1, 5):
        record(ledger, f"INC-{n}")
        record(ledger, f"INC-C{n}", staff_number=COLLEAGUE)
    return ledger.history(ledger.staff_stream(STAFF), limit=1000)


def test_history_lists_a_records_events_oldest_first_in_log_order(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """Versions 1..6 of S001 in increasing position, each with its event name and payload."""
    items = stream_with_deductions

    assert [item.version for item in items] == [1, 2, 3, 4, 5, 6]
    assert [item.position for item in items] == sorted(item.position for item in items)
    assert [item.event for item in items][:3] == [
        "ledger.staff.Registered.v1",
        "ledger.staff.Assigned.v1",
        "ledger.staff.DeductionRecorded.v1",
    ]
    assert {item.stream_id for item in items} == {str(ledger.staff_stream(STAFF))}
    assert [item.payload["incident_ref"] for item in items[2:]] == [
        "INC-1",
        "INC-2",
        "INC-3",
        "INC-4",
    ]


def test_history_newest_first_reverses_the_order(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """newest_first gives the same events from the highest position down."""
    newest = ledger.history(ledger.staff_stream(STAFF), newest_first=True, limit=1000)

    assert newest == stream_with_deductions[::-1]


def test_history_pages_forward_with_after(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """Oldest first, each next page starts after the last position of the previous one."""
    stream = ledger.staff_stream(STAFF)
    pages = [ledger.history(stream, limit=4)]
    while len(pages[-1]) == 4:
        pages.append(ledger.history(stream, after=pages[-1][-1].position, limit=4))

    assert [len(page) for page in pages] == [4, 2]
    assert [item for page in pages for item in page] == stream_with_deductions


def test_history_pages_backward_with_before(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """Newest first, each next page ends before the last position of the previous one."""
    stream = ledger.staff_stream(STAFF)
    first = ledger.history(stream, newest_first=True, limit=4)

    second = ledger.history(stream, newest_first=True, before=first[-1].position, limit=4)

    assert first + second == stream_with_deductions[::-1]


def test_history_between_after_and_before_is_exclusive_of_both(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """after and before bound the page strictly."""
    items = stream_with_deductions

    page = ledger.history(
        ledger.staff_stream(STAFF), after=items[1].position, before=items[4].position
    )

    assert page == items[2:4]


def test_history_as_of_a_position_hides_later_events(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """As known at the position of the second deduction, S001 has versions 1 to 4."""
    as_of = stream_with_deductions[3].position

    known = ledger.history(ledger.staff_stream(STAFF), as_of=as_of, limit=1000)

    assert known == stream_with_deductions[:4]


def test_history_as_of_a_position_between_events_shows_what_was_known(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """A position written by another record (S002's entry) still cuts S001's history there."""
    third = stream_with_deductions[4]

    known = ledger.history(ledger.staff_stream(STAFF), as_of=third.position - 1, limit=1000)

    assert known == stream_with_deductions[:4]


def test_history_as_of_combines_with_newest_first_and_before(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """as_of caps the page; a tighter before still applies."""
    stream = ledger.staff_stream(STAFF)
    items = stream_with_deductions

    capped = ledger.history(stream, newest_first=True, as_of=items[4].position, limit=2)
    tighter = ledger.history(
        stream, newest_first=True, as_of=items[4].position, before=items[2].position
    )

    assert capped == [items[4], items[3]]
    assert tighter == [items[1], items[0]]


def test_history_as_of_a_time_uses_the_last_position_recorded_by_then(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """as_of a moment = as_of position_at(moment) (SPEC section 3)."""
    moment = stream_with_deductions[3].recorded_at
    position = ledger.position_at(moment)

    known = ledger.history(ledger.staff_stream(STAFF), as_of=position, limit=1000)

    assert known[: len(stream_with_deductions[:4])] == stream_with_deductions[:4]
    assert all(item.recorded_at <= moment for item in known)


def test_history_of_an_unknown_stream_is_empty(ledger: AssessmentLedger) -> None:
    """A stream nobody wrote has no history."""
    seed_organisation(ledger)

    assert ledger.history(ledger.staff_stream("S999")) == []


def test_history_limit_is_respected(
    ledger: AssessmentLedger, stream_with_deductions: list[HistoryItem]
) -> None:
    """limit caps the page size."""
    assert ledger.history(ledger.staff_stream(STAFF), limit=1) == stream_with_deductions[:1]
