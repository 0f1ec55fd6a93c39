"""How an as-of point is read from what people write (`ledger.clock.parse_as_of`): a log
position, a time, or a day as known at its end, the center's time (Asia/Shanghai) by default."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.clock import parse_as_of

LARGEST = 2**53 - 1


def test_given_digits_when_parsed_then_they_are_a_log_position() -> None:
    assert parse_as_of(" 300 ", largest_position=LARGEST) == 300


def test_given_a_position_beyond_the_largest_when_parsed_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        parse_as_of(str(LARGEST + 1), largest_position=LARGEST)


def test_given_a_time_with_an_offset_when_parsed_then_it_is_that_moment_in_utc() -> None:
    parsed = parse_as_of("2025-04-10T17:30:00+08:00", largest_position=LARGEST)

    assert parsed == datetime(2025, 4, 10, 9, 30, tzinfo=UTC)
    assert isinstance(parsed, datetime) and parsed.utcoffset() is not None


def test_given_a_time_without_an_offset_when_parsed_then_it_is_the_centers_time() -> None:
    assert parse_as_of("2025-04-10T17:30", largest_position=LARGEST) == datetime(
        2025, 4, 10, 9, 30, tzinfo=UTC
    )


def test_given_a_day_when_parsed_then_it_is_the_last_microsecond_of_that_day_at_the_center() -> (
    None
):
    assert parse_as_of("2025-04-10", largest_position=LARGEST) == datetime(
        2025, 4, 10, 15, 59, 59, 999_999, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["", "yesterday", "2025-02-30", "10 April", "-5", "３００"])
def test_given_text_that_is_no_position_time_or_day_when_parsed_then_the_refusal_quotes_it(
    text: str,
) -> None:
    with pytest.raises(ValueError, match="neither a log position"):
        parse_as_of(text, largest_position=LARGEST)


def test_given_a_time_beyond_the_last_representable_utc_moment_when_parsed_then_it_is_refused() -> (
    None
):
    with pytest.raises(ValueError, match="outside the years 1 to 9999"):
        parse_as_of("9999-12-31T23:59:59-12:00", largest_position=LARGEST)


@pytest.mark.parametrize("text", ["2025-04-10T17:30:00 08:00", "2025-04-10 17:30:00 0800"])
def test_given_an_offset_whose_plus_a_url_turned_into_a_space_when_parsed_then_it_is_read_as_plus(
    text: str,
) -> None:
    assert parse_as_of(text, largest_position=LARGEST) == datetime(2025, 4, 10, 9, 30, tzinfo=UTC)
