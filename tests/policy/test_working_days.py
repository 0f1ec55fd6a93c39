"""Working days and deadlines (SPEC section 3; R-09/D-16, R-18/D-21, R-40, R-41): counting starts
the next day, make-up working days count, a deadline on a rest day runs to the next working day,
and an unknown year is refused."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.demo import package_calendar
from ledger.policy.working_days import (
    CalendarUnknown,
    DayCount,
    LoadedYear,
    WorkingCalendar,
)


def _loaded(year: int) -> LoadedYear:
    statutory = package_calendar(year)
    return LoadedYear(
        year,
        frozenset(statutory.holidays),
        frozenset(statutory.makeup_workdays),
        f"{year}: {statutory.source} (v1)",
    )


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar([_loaded(2024), _loaded(2025), _loaded(2026)])


def test_d16_compilation_after_q3_crosses_national_day_and_lands_on_a_makeup_saturday(
    calendar: WorkingCalendar,
) -> None:
    # given Q3 2025 ends on Tuesday 30 September; 1-8 October are the National Day holidays
    # when the 3 working days of R-09 / D-16 are counted
    deadline = calendar.working_days_after(date(2025, 9, 30), 3)
    # then 9 and 10 October count, and Saturday 11 October, a make-up working day, is the third
    assert deadline.due_on == date(2025, 10, 11)
    assert deadline.count is DayCount.WORKING
    assert deadline.calendar_versions == ("2025: " + package_calendar(2025).source + " (v1)",)


def test_d21_publicity_crosses_the_spring_festival_and_counts_the_makeup_sunday(
    calendar: WorkingCalendar,
) -> None:
    # given publicity starts on Friday 24 January 2025; Sunday 26 January is a make-up working
    # day and 28 January - 4 February are the Spring Festival holidays
    deadline = calendar.working_days_after(date(2025, 1, 24), 5)
    # then 26, 27 January and 5, 6, 7 February are the five working days
    assert deadline.due_on == date(2025, 2, 7)


def test_counting_starts_the_day_after_the_act(calendar: WorkingCalendar) -> None:
    # given an act on Monday 10 March 2025 (an ordinary week)
    deadline = calendar.working_days_after(date(2025, 3, 10), 1)
    # then the first day counted is Tuesday
    assert deadline.due_on == date(2025, 3, 11)


def test_a_deadline_after_year_end_is_counted_on_the_next_years_calendar(
    calendar: WorkingCalendar,
) -> None:
    # given Q4 2024 ends on 31 December
    deadline = calendar.working_days_after(date(2024, 12, 31), 3)
    # then 2 and 3 January and Monday 6 January 2025 count (1 January is a holiday)
    assert deadline.due_on == date(2025, 1, 6)
    assert [version[:4] for version in deadline.calendar_versions] == ["2025"]


def test_r41_calendar_days_ending_in_a_holiday_run_to_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    # given a grade learned of on 3 January 2025; 30 calendar days end on Sunday 2 February,
    # inside the Spring Festival holidays
    deadline = calendar.calendar_days_after(date(2025, 1, 3), 30)
    # then the deadline runs to Wednesday 5 February, the first working day after
    assert deadline.due_on == date(2025, 2, 5)
    assert deadline.count is DayCount.CALENDAR


def test_calendar_days_ending_on_a_working_day_stay_there(calendar: WorkingCalendar) -> None:
    deadline = calendar.calendar_days_after(date(2025, 3, 3), 10)
    assert deadline.due_on == date(2025, 3, 13)


def test_a_year_that_is_not_loaded_is_refused_with_how_to_load_it(
    calendar: WorkingCalendar,
) -> None:
    with pytest.raises(CalendarUnknown, match="ledger calendar load 2027"):
        calendar.working_days_after(date(2026, 12, 30), 5)


def test_an_act_on_the_due_day_is_in_time_and_the_next_day_is_late(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.working_days_after(date(2025, 9, 30), 3)
    assert deadline.met_by(date(2025, 10, 11))
    assert not deadline.met_by(date(2025, 10, 13))
