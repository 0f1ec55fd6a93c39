"""One year of the PRC statutory calendar: rest days on weekdays, and make-up working days."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, stream_id
from ledger.errors import RuleViolation
from ledger.values import Actor, Role


class CalendarYear(LedgerAggregate):
    """A loaded calendar year; deadlines record which load (source and version) they used."""

    TOPIC = "ledger.calendar"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.calendar.Created"

    @staticmethod
    def create_id(year: int) -> UUID:
        """Calendar streams are keyed by year."""
        return stream_id("calendar", str(year))

    @classmethod
    def load(
        cls,
        actor: Actor,
        year: int,
        holidays: tuple[date, ...],
        makeup_workdays: tuple[date, ...],
        source: str,
    ) -> CalendarYear:
        """Load a year's statutory holidays and make-up working days."""
        for day in (*holidays, *makeup_workdays):
            if day.year != year:
                raise RuleViolation("CALENDAR", f"{day} is not in {year}")
        if set(holidays) & set(makeup_workdays):
            raise RuleViolation("CALENDAR", "a day cannot be both a holiday and a working day")
        for day in makeup_workdays:
            if day.weekday() < 5:
                raise RuleViolation("CALENDAR", f"make-up working day {day} is not a weekend day")
        return cls(
            actor_id=actor.person_id,
            actor_role=actor.role,
            year=year,
            holidays=tuple(sorted(holidays)),
            makeup_workdays=tuple(sorted(makeup_workdays)),
            source=source,
        )

    @event("Loaded", topic="ledger.calendar.Loaded.v1")
    def __init__(
        self,
        actor_id: str,
        actor_role: Role,
        year: int,
        holidays: tuple[date, ...],
        makeup_workdays: tuple[date, ...],
        source: str,
    ) -> None:
        self.year = year
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        self.source = source

    def is_working_day(self, day: date) -> bool:
        """Whether the day is a working day under this year's calendar."""
        if day.year != self.year:
            raise RuleViolation("CALENDAR", f"{day} is not in the loaded year {self.year}")
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays
