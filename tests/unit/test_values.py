"""Periods (SPEC section 3, R-20) and points in steps of 0.5 with their canonical form."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.values import Period, PeriodKind, format_points, parse_points

# Periods


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("2025-03", PeriodKind.MONTH),
        ("2025-12", PeriodKind.MONTH),
        ("2025-Q1", PeriodKind.QUARTER),
        ("2025-Q4", PeriodKind.QUARTER),
        ("2025-H1", PeriodKind.HALF_YEAR),
        ("2025-H2", PeriodKind.HALF_YEAR),
        ("2025", PeriodKind.YEAR),
    ],
)
def test_period_key_is_read_as_its_kind(key: str, kind: PeriodKind) -> None:
    """Given a period key, when parsed, then it names a period of that kind and keeps the key."""
    period = Period.parse(key)

    assert period == Period(kind, key)


@pytest.mark.parametrize(
    "key", ["2025-13", "2025-00", "2025-3", "2025-Q0", "2025-Q5", "2025-H3", "25", "2025-W10", ""]
)
def test_malformed_period_key_is_refused_naming_the_accepted_forms(key: str) -> None:
    """Given a key that is no month, quarter, half-year or year, when parsed, then ValueError."""
    with pytest.raises(ValueError, match=r"month \(2025-03\), quarter \(2025-Q1\)"):
        Period.parse(key)


@pytest.mark.parametrize(
    ("key", "first", "last"),
    [
        ("2025-01", date(2025, 1, 1), date(2025, 1, 31)),
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-04", date(2025, 4, 1), date(2025, 4, 30)),
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30)),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-H1", date(2025, 1, 1), date(2025, 6, 30)),
        ("2025-H2", date(2025, 7, 1), date(2025, 12, 31)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_r20_period_runs_from_its_first_to_its_last_calendar_day(
    key: str, first: date, last: date
) -> None:
    """R-20: periods are calendar months, quarters (Q1 = Jan–Mar), half-years and years."""
    period = Period.parse(key)

    assert (period.first_day, period.last_day) == (first, last)
    assert period.contains(first)
    assert period.contains(last)
    assert not period.contains(first - timedelta(days=1))
    assert not period.contains(last + timedelta(days=1))


@given(st.dates(min_value=date(2009, 2, 1), max_value=date(2099, 12, 31)))
def test_r20_every_day_falls_in_exactly_its_month_quarter_half_year_and_year(day: date) -> None:
    """R-20: each period kind covers the calendar without gaps or overlaps."""
    keys = {
        f"{day.year}-{day.month:02d}",
        f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        f"{day.year}-H{(day.month - 1) // 6 + 1}",
        f"{day.year}",
    }
    neighbours = (
        {f"{day.year}-{month:02d}" for month in range(1, 13) if month != day.month}
        | {f"{day.year}-Q{q}" for q in range(1, 5)}
        | {f"{day.year}-H1", f"{day.year}-H2"}
    )

    assert all(Period.parse(key).contains(day) for key in keys)
    assert [key for key in neighbours - keys if Period.parse(key).contains(day)] == []


# Points


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.5", Decimal("0.5")),
        ("3", Decimal("3")),
        ("1.50", Decimal("1.5")),
        (2, Decimal("2")),
        (Decimal("9.0"), Decimal("9")),
        (" 4.5 ", Decimal("4.5")),
    ],
)
def test_points_in_steps_of_half_are_read_exactly(
    value: str | int | Decimal, expected: Decimal
) -> None:
    """Points are exact decimals in steps of 0.5 (R-20), never floats."""
    points = parse_points(value)

    assert points == expected
    assert isinstance(points, Decimal)


@pytest.mark.parametrize("value", ["0.3", "1.25", "0.05", "7.49"])
def test_points_not_a_multiple_of_half_are_refused(value: str) -> None:
    """R-20: a value between the 0.5 steps is refused."""
    with pytest.raises(ValueError, match=r"not a multiple of 0\.5"):
        parse_points(value)


@pytest.mark.parametrize("value", ["abc", "", "0x10", "1,5"])
def test_points_that_are_not_a_number_are_refused(value: str) -> None:
    """Given text that is not a decimal number, when read as points, then ValueError."""
    with pytest.raises(ValueError, match="not a decimal number"):
        parse_points(value)


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_points_that_are_not_finite_are_refused(value: str) -> None:
    """NaN and infinities are no points."""
    with pytest.raises(ValueError):
        parse_points(value)


@pytest.mark.parametrize("value", ["1e400", "1e28", "-1e99"])
def test_points_beyond_the_decimal_range_are_refused_as_value_errors(value: str) -> None:
    """Given absurdly large points, when read, then a ValueError (not a decimal signal) says so,
    so the command layer can turn it into a refusal."""
    with pytest.raises(ValueError, match="out of range"):
        parse_points(value)


@pytest.mark.parametrize(
    ("points", "text"),
    [
        (Decimal("3"), "3.0"),
        (Decimal("0.5"), "0.5"),
        (Decimal("9.00"), "9.0"),
        (Decimal("12.5"), "12.5"),
        (Decimal("1E+1"), "10.0"),
    ],
)
def test_points_are_written_with_exactly_one_decimal_place(points: Decimal, text: str) -> None:
    """SPEC section 5: points are stored as decimal strings with one decimal place."""
    assert format_points(points) == text


@pytest.mark.parametrize("points", [Decimal("0.25"), Decimal("1.05")])
def test_points_that_need_more_than_one_decimal_place_are_not_written(points: Decimal) -> None:
    """Rounding would change the value, so format_points refuses instead."""
    with pytest.raises(ValueError, match="one decimal place"):
        format_points(points)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_points_round_trip_through_their_canonical_form(halves: int) -> None:
    """Every multiple of 0.5 is written with one decimal place and read back equal."""
    points = Decimal(halves) / 2

    text = format_points(points)

    assert parse_points(text) == points
    assert text.split(".")[1] in ("0", "5")


def test_the_last_period_of_year_9999_ends_on_its_last_day() -> None:
    # December 9999 has no next month to count back from
    assert Period.parse("9999-12").last_day == date(9999, 12, 31)
    assert Period.parse("9999-Q4").last_day == date(9999, 12, 31)


def test_year_zero_is_no_period() -> None:
    with pytest.raises(ValueError, match="is not a month"):
        Period.parse("0000-01")
