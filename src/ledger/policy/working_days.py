"""Working days and deadlines (SPEC section 3): pure arithmetic over loaded calendar years.

Day counting follows the Civil Code (arts. 201, 203): a period counted in days starts the day
after the triggering act, and one that ends on a rest day runs to the next working day. Working
days follow the PRC statutory calendar with its make-up working days (调休), as loaded into the
ledger one year at a time; a year that is not loaded is refused, never guessed. Every deadline
records the versions of the calendar years it was computed with.

No I/O: the application builds a `WorkingCalendar` from the loaded `CalendarYear` records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "CalendarUnknown",
    "DayCount",
    "Deadline",
    "LoadedYear",
    "WorkingCalendar",
]

_ONE_DAY = timedelta(days=1)
_SEARCH_LIMIT = 400
"""More consecutive rest days than any calendar has: a guard against a malformed year."""


class CalendarUnknown(ValueError):
    """A deadline needs a calendar year that is not loaded; the message says how to load it."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the statutory calendar of {year} is not loaded; an operator loads it with "
            f"`ledger calendar load {year}`"
        )
        self.year = year


class DayCount(StrEnum):
    """How a deadline counts its days."""

    WORKING = "working days"
    CALENDAR = "calendar days"


@dataclass(frozen=True)
class LoadedYear:
    """One loaded calendar year: rest days on weekdays, make-up working days, and its version."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    version: str
    """Which load this is, e.g. `2025: chinese-calendar 1.11.0 (v1)`; recorded in deadlines."""

    def is_working_day(self, day: date) -> bool:
        """Whether the day is a working day (make-up days included, holidays excluded)."""
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@dataclass(frozen=True)
class Deadline:
    """The last day on which an act is in time, and how it was computed."""

    due_on: date
    counted_from: date
    days: int
    count: DayCount
    calendar_versions: tuple[str, ...]

    def met_by(self, effective_on: date) -> bool:
        """Whether an act dated `effective_on` is in time."""
        return effective_on <= self.due_on

    def describe(self) -> str:
        """The deadline in words."""
        return f"{self.days} {self.count} after {self.counted_from}: by {self.due_on}"


class WorkingCalendar:
    """The loaded calendar years, and deadlines counted on them."""

    def __init__(self, years: Iterable[LoadedYear]) -> None:
        self._years = {loaded.year: loaded for loaded in years}

    def year(self, year: int) -> LoadedYear:
        """A loaded year, or CalendarUnknown."""
        try:
            return self._years[year]
        except KeyError:
            raise CalendarUnknown(year) from None

    def is_working_day(self, day: date) -> bool:
        """Whether the day is a working day (CalendarUnknown if its year is not loaded)."""
        return self.year(day.year).is_working_day(day)

    def working_days_after(self, start: date, days: int) -> Deadline:
        """The `days`-th working day after `start` (counting starts the next day)."""
        if days < 1:
            raise ValueError(f"a deadline counts at least one day, not {days}")
        used: set[int] = set()
        day, counted = start, 0
        for _ in range(days * 7 + _SEARCH_LIMIT):
            day += _ONE_DAY
            used.add(day.year)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return self._deadline(day, start, days, DayCount.WORKING, used)
        raise ValueError(f"no {days} working days found after {start}: check the calendar")

    def calendar_days_after(self, start: date, days: int) -> Deadline:
        """`days` calendar days after `start`; if that is a rest day, the next working day."""
        if days < 1:
            raise ValueError(f"a deadline counts at least one day, not {days}")
        day = start + timedelta(days=days)
        used = {day.year}
        for _ in range(_SEARCH_LIMIT):
            if self.is_working_day(day):
                return self._deadline(day, start, days, DayCount.CALENDAR, used)
            day += _ONE_DAY
            used.add(day.year)
        raise ValueError(f"no working day found after {start + timedelta(days=days)}")

    def _deadline(
        self, due_on: date, start: date, days: int, count: DayCount, years: set[int]
    ) -> Deadline:
        versions = tuple(self.year(year).version for year in sorted(years))
        return Deadline(due_on, start, days, count, versions)
