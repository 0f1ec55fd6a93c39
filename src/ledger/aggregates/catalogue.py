"""The deduction catalogue (stand-in for the Measures' lost Annex 1) as versioned data (R-01)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, stream_id
from ledger.errors import RuleViolation
from ledger.values import Actor, AppliesTo, CatalogueUnit, Role, parse_points


@dataclass(frozen=True)
class CatalogueItem:
    """One item of the catalogue as defined in one catalogue version."""

    code: str
    name_zh: str
    name_en: str
    points: Decimal
    unit: CatalogueUnit
    applies_to: AppliesTo
    basis: str


class Catalogue(LedgerAggregate):
    """The one catalogue stream; every publication is a new version with an effective date."""

    TOPIC = "ledger.catalogue"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.catalogue.Created"

    @staticmethod
    def create_id() -> UUID:
        """There is one catalogue per ledger."""
        return stream_id("catalogue", "annex-1")

    @event("Started", topic="ledger.catalogue.Started.v1")
    def __init__(self, actor_id: str, actor_role: Role) -> None:
        # version -> effective_from, in version order
        self.versions: dict[int, date] = {}
        # code -> [(version, item)], in version order
        self.definitions: dict[str, list[tuple[int, CatalogueItem]]] = {}

    @property
    def latest_version(self) -> int:
        """The newest catalogue version, 0 before the first publication."""
        return max(self.versions, default=0)

    def version_in_force(self, on: date) -> int | None:
        """The catalogue version in force on a day: the newest one effective on or before it."""
        in_force = [v for v, effective_from in self.versions.items() if effective_from <= on]
        return max(in_force, default=None)

    def item(self, code: str, version: int) -> CatalogueItem | None:
        """The item as defined in a catalogue version, or None if it did not exist then."""
        found = None
        for defined_in, item in self.definitions.get(code, []):
            if defined_in <= version:
                found = item
        return found

    def publish(
        self,
        actor: Actor,
        items: list[CatalogueItem],
        effective_from: date,
        reason: str,
    ) -> int:
        """Publish a new catalogue version that defines new items or changes existing ones."""
        if not items:
            raise RuleViolation("R-01", "a catalogue version must define or change an item")
        codes = [item.code for item in items]
        if len(set(codes)) != len(codes):
            raise RuleViolation("R-01", "an item appears twice in one catalogue version")
        if self.versions and effective_from < self.versions[self.latest_version]:
            raise RuleViolation(
                "R-01",
                f"catalogue versions take effect in order; version {self.latest_version} "
                f"takes effect on {self.versions[self.latest_version]}",
                fields={"effective_from": effective_from.isoformat()},
            )
        for item in items:
            if not item.code.strip():
                raise RuleViolation("R-01", "a catalogue item needs a code")
            if item.points <= 0:
                raise RuleViolation(
                    "R-01", f"item {item.code} must deduct a positive number of points"
                )
            try:
                parse_points(item.points)
            except ValueError as error:
                # Points are steps of 0.5; anything else could not be stored canonically.
                raise RuleViolation(
                    "R-01", f"item {item.code}: {error}", fields={"points": str(item.points)}
                ) from None
        version = self.latest_version + 1
        for item in items:
            arguments = (
                actor.person_id,
                actor.role,
                version,
                effective_from,
                item.code,
                item.name_zh,
                item.name_en,
                item.points,
                item.unit,
                item.applies_to,
                item.basis,
                reason,
            )
            if item.code in self.definitions:
                self._change_item(*arguments)
            else:
                self._define_item(*arguments)
        return version

    def _apply_item(
        self,
        version: int,
        effective_from: date,
        item: CatalogueItem,
    ) -> None:
        self.versions[version] = effective_from
        self.definitions.setdefault(item.code, []).append((version, item))

    @event("ItemDefined", topic="ledger.catalogue.ItemDefined.v1")
    def _define_item(
        self,
        actor_id: str,
        actor_role: Role,
        version: int,
        effective_from: date,
        code: str,
        name_zh: str,
        name_en: str,
        points: Decimal,
        unit: CatalogueUnit,
        applies_to: AppliesTo,
        basis: str,
        reason: str,
    ) -> None:
        item = CatalogueItem(code, name_zh, name_en, points, unit, applies_to, basis)
        self._apply_item(version, effective_from, item)

    @event("ItemChanged", topic="ledger.catalogue.ItemChanged.v1")
    def _change_item(
        self,
        actor_id: str,
        actor_role: Role,
        version: int,
        effective_from: date,
        code: str,
        name_zh: str,
        name_en: str,
        points: Decimal,
        unit: CatalogueUnit,
        applies_to: AppliesTo,
        basis: str,
        reason: str,
    ) -> None:
        item = CatalogueItem(code, name_zh, name_en, points, unit, applies_to, basis)
        self._apply_item(version, effective_from, item)
