"""The policy parameters: the thresholds and readings of the Measures, with effective dates."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal


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

    def as_record(self) -> dict[str, str]:
        """The parameters as strings, as the policy book stores them."""
        return {
            field.name: str(getattr(self, field.name))
            for field in fields(self)
            if field.name not in ("version", "effective_from")
        }


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
)
"""The default policy: the Measures of 2009 as SPEC section 4 reads them."""
