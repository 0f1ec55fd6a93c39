"""The policy parameters: the thresholds and readings of the Measures, with effective dates.

A policy version is adopted as strings (the `PolicyAdopted` payload); `PolicyParameters.from_record`
reads them back, and `PolicyBook` answers which version is in force on a day (SPEC 4.8: a figure
uses the version in force on the last day of its period; the Measures of 2009 when none is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from ledger.values import parse_points


class CriticismNoticeOn(StrEnum):
    """Which monthly bonus outcome puts a person in the criticism notice (R-31)."""

    HALVED = "halved"
    """D-09: every halved or cancelled monthly bonus."""
    CANCELLED = "cancelled"
    """A-09's narrower reading: only a cancelled one."""


class VetoBarsQuarters(StrEnum):
    """Which quarters of the incident's year a veto bars from excellent-individual titles."""

    FROM_INCIDENT_QUARTER = "from_incident_quarter"
    """D-14: the incident's quarter and the later ones; titles of earlier quarters stand."""
    WHOLE_YEAR = "whole_year"
    """The other plausible reading: every quarter of the year."""


@dataclass(frozen=True)
class PolicyParameters:
    """One policy version: every threshold is reached at >= N (D-01)."""

    version: str
    effective_from: date
    quarterly_excellent_individual_threshold: Decimal
    annual_excellent_threshold: Decimal
    window_threshold_above_headcount: Decimal  # n + 3
    one_person_window_threshold: Decimal  # R-24, D-05
    month_bonus_halved_at: Decimal
    month_bonus_cancelled_at: Decimal
    half_year_bonus_halved_at: Decimal
    half_year_bonus_cancelled_at: Decimal
    excellent_quota_warning_percent: Decimal  # D-20
    excellent_quota_limit_percent: Decimal  # D-20
    compilation_working_days: int  # R-09, D-16
    publicity_working_days: int  # R-18, D-21
    objection_working_days: int
    criticism_notice_on: CriticismNoticeOn = CriticismNoticeOn.HALVED  # R-31, D-09
    veto_bars_quarters: VetoBarsQuarters = VetoBarsQuarters.FROM_INCIDENT_QUARTER  # R-35, D-14

    def as_record(self) -> dict[str, str]:
        """The parameters as strings, as the policy book stores them."""
        return {
            field.name: str(getattr(self, field.name))
            for field in fields(self)
            if field.name not in ("version", "effective_from")
        }

    @classmethod
    def from_record(
        cls,
        version: str,
        effective_from: date,
        record: Mapping[str, str],
        base: PolicyParameters | None = None,
    ) -> PolicyParameters:
        """Read an adopted version's parameters (strings); a parameter it does not name keeps
        the value of `base` (the 2009 default), a name that is no parameter is ignored (it may
        be a remark), and a value of the wrong form raises ValueError naming it."""
        base = base or MEASURES_2009
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = field.name
            if name in ("version", "effective_from") or name not in record:
                continue
            values[name] = _parse_parameter(name, record[name], getattr(base, name), version)
        return replace(base, version=version, effective_from=effective_from, **values)


_POINT_THRESHOLDS = frozenset(
    {
        "quarterly_excellent_individual_threshold",
        "annual_excellent_threshold",
        "window_threshold_above_headcount",
        "one_person_window_threshold",
        "month_bonus_halved_at",
        "month_bonus_cancelled_at",
        "half_year_bonus_halved_at",
        "half_year_bonus_cancelled_at",
    }
)


def _parse_parameter(name: str, text: object, default: object, version: str) -> object:
    problem = f"policy {version}: parameter {name} = {text!r}"
    if not isinstance(text, str):
        raise ValueError(f"{problem} is not a string")
    try:
        if name in _POINT_THRESHOLDS:
            # Points move in steps of 0.5, so a threshold off that grid could never be met
            # exactly and would not print in the canonical one-decimal form.
            return parse_points(text)
        if isinstance(default, StrEnum):
            return type(default)(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, Decimal):
            number = Decimal(text)
            if not number.is_finite():
                raise ValueError(name)
            return number
    except (ValueError, InvalidOperation):
        raise ValueError(f"{problem} is not a valid value") from None
    raise ValueError(f"{problem}: unknown kind of parameter")  # pragma: no cover


MEASURES_2009 = PolicyParameters(
    version="measures-2009",
    effective_from=date(2009, 2, 1),
    quarterly_excellent_individual_threshold=Decimal("3"),
    annual_excellent_threshold=Decimal("5"),
    window_threshold_above_headcount=Decimal("3"),
    one_person_window_threshold=Decimal("5"),
    month_bonus_halved_at=Decimal("3"),
    month_bonus_cancelled_at=Decimal("5"),
    half_year_bonus_halved_at=Decimal("10"),
    half_year_bonus_cancelled_at=Decimal("15"),
    excellent_quota_warning_percent=Decimal("15"),
    excellent_quota_limit_percent=Decimal("20"),
    compilation_working_days=3,
    publicity_working_days=5,
    objection_working_days=5,
    criticism_notice_on=CriticismNoticeOn.HALVED,
    veto_bars_quarters=VetoBarsQuarters.FROM_INCIDENT_QUARTER,
)
"""The default policy: the Measures of 2009 as SPEC section 4 reads them."""


@dataclass(frozen=True)
class PolicyBook:
    """The adopted policy versions, oldest first; pure lookup of the version in force."""

    versions: tuple[PolicyParameters, ...] = ()

    @classmethod
    def of(cls, versions: Iterable[PolicyParameters]) -> PolicyBook:
        """A book of these versions, ordered by effective date (then id, for determinism)."""
        return cls(tuple(sorted(versions, key=lambda p: (p.effective_from, p.version))))

    def in_force(self, day: date) -> PolicyParameters:
        """The version in force on a day: the adopted one that took effect last, on or before
        the day; the Measures of 2009 when none had (SPEC 4.8)."""
        chosen = MEASURES_2009
        for parameters in self.versions:
            if parameters.effective_from <= day:
                chosen = parameters
        return chosen
