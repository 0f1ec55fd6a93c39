"""The catalogue shipped with the package (stand-in for Annex 1), read from its CSV."""

from __future__ import annotations

import csv
import io
from importlib.resources import files

from ledger.aggregates.catalogue import CatalogueItem
from ledger.values import AppliesTo, CatalogueUnit, parse_points


def read_catalogue_csv(text: str) -> list[CatalogueItem]:
    """Parse catalogue rows (code, name_zh, name_en, points, unit, applies_to, basis)."""
    items = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            items.append(
                CatalogueItem(
                    code=row["code"].strip(),
                    name_zh=row["name_zh"].strip(),
                    name_en=row["name_en"].strip(),
                    points=parse_points(row["points"].strip()),
                    unit=CatalogueUnit(row["unit"].strip()),
                    applies_to=AppliesTo(row["applies_to"].strip()),
                    basis=row["basis"].strip(),
                )
            )
        except (KeyError, ValueError) as error:
            raise ValueError(f"catalogue line {line}: {error}") from None
    return items


def shipped_catalogue() -> list[CatalogueItem]:
    """The initial catalogue inside the package (a user's machine has no ../shared)."""
    return read_catalogue_csv(files("ledger").joinpath("data/catalogue.csv").read_text("utf-8"))
