"""Reference data: the deduction catalogue, policy versions and calendar years (operator)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import cast

from eventsourcing.application import AggregateNotFoundError

from ledger.aggregates.calendar_year import CalendarYear
from ledger.aggregates.catalogue import Catalogue, CatalogueItem
from ledger.aggregates.policy_book import PolicyBook
from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.errors import RecordNotFound, RuleViolation
from ledger.policy.parameters import PolicyParameters
from ledger.values import Actor, Role


class ReferenceDataCommands(LedgerCore):
    """Reference data: the deduction catalogue, policy versions and calendar years (operator)."""

    # Reference data: catalogue, policy, calendar (operator)

    def publish_catalogue(
        self,
        actor: Actor,
        items: Iterable[CatalogueItem],
        effective_from: date,
        reason: str,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Publish a catalogue version defining or changing items, in force from a date (R-01)."""
        items = list(items)

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="publish_catalogue")
            self._within_measures(effective_from, "effective_from")
            try:
                catalogue = cast(Catalogue, self._load(Catalogue.create_id()))
            except AggregateNotFoundError:
                catalogue = Catalogue(actor_id=actor.person_id, actor_role=actor.role)
            version = catalogue.publish(actor, items, effective_from, reason)
            return Changes([catalogue], number=version)

        return self._execute(
            "publish_catalogue",
            actor,
            idempotency_key,
            {
                "items": [vars(item) for item in items],
                "effective_from": effective_from,
                "reason": reason,
            },
            decide,
        )

    def adopt_policy(
        self,
        actor: Actor,
        version: str,
        effective_from: date,
        parameters: Mapping[str, str],
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the adoption of a policy version with its parameters and effective date."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="adopt_policy")
            self._within_measures(effective_from, "effective_from")
            try:
                # A value every later fold could not read must not be recorded.
                PolicyParameters.from_record(version, effective_from, parameters)
            except ValueError as error:
                raise RuleViolation(
                    "POLICY_VERSIONS", str(error), fields={"parameters": dict(parameters)}
                ) from None
            try:
                book = self.policy_book()
            except RecordNotFound:
                book = PolicyBook(actor_id=actor.person_id, actor_role=actor.role)
            book.adopt(actor, version, effective_from, dict(parameters))
            return Changes([book])

        return self._execute(
            "adopt_policy",
            actor,
            idempotency_key,
            {"version": version, "effective_from": effective_from, "parameters": dict(parameters)},
            decide,
        )

    def load_calendar_year(
        self,
        actor: Actor,
        year: int,
        holidays: Iterable[date],
        makeup_workdays: Iterable[date],
        source: str,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Load a year of the statutory calendar as data (once per year)."""
        holidays = tuple(holidays)
        makeup_workdays = tuple(makeup_workdays)

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.OPERATOR, today, command="load_calendar_year")
            if self._exists(CalendarYear.create_id(year)):
                raise RuleViolation("CALENDAR", f"the calendar of {year} is already loaded")
            return Changes([CalendarYear.load(actor, year, holidays, makeup_workdays, source)])

        return self._execute(
            "load_calendar_year",
            actor,
            idempotency_key,
            {
                "year": year,
                "holidays": holidays,
                "makeup_workdays": makeup_workdays,
                "source": source,
            },
            decide,
        )
