"""The rules of the Measures (SPEC 4.2–4.4) as functions of a folded `LedgerState`.

Each figure is computed for one subject and period under the policy version in force on the
last day of the period (SPEC 4.8), and carries its trace. Conventions throughout:

- A deduction counts in the period of its incident date (R-20); each period kind sums on its
  own, nothing carries over. Revoked entries do not count; amended ones count at their latest
  value. Points are Decimal, never float.
- Every threshold is reached at >= N (D-01).
- Totals are gross sums of deduction points. The Measures know no bonus points (加分); if they
  are ever added they must never offset deductions for any threshold here (D-07), so no event
  can lower a total except the revocation or amendment of the deduction itself.
- A trace lists what was counted and what was left out within the period (revoked, amended,
  other window, not a member). Entries of the same calendar year in another period are not
  stored in the trace (otherwise one entry would change every figure of its subject's year);
  `other_period` lists them on demand, and `explain` adds them to an explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from typing import TypeVar

from ledger.policy.facts import (
    Entry,
    EventRef,
    LedgerState,
    StaffRecord,
    UnitRecord,
    VetoEntry,
)
from ledger.policy.figures import (
    AnnualBonus,
    AnnualExcellentWindow,
    Bonus,
    BonusStatus,
    Counted,
    CriticismNotice,
    DeductionTotal,
    ExcellentGrade,
    ExcellentIndividual,
    ExcellentWindow,
    Figure,
    HeadLiability,
    HomeUnitRecommendation,
    LeftOut,
    Member,
    OwedAs,
    Reason,
    Trace,
)
from ledger.policy.parameters import CriticismNoticeOn, PolicyParameters, VetoBarsQuarters
from ledger.values import Period, PeriodKind, StaffCategory, UnitKind, format_points

EligibilityFigure = TypeVar("EligibilityFigure", bound=ExcellentIndividual)

# Periods


def period_of(kind: PeriodKind, day: date) -> Period:
    """The month, quarter, half-year or year that contains the day."""
    if kind is PeriodKind.MONTH:
        return Period(kind, f"{day.year:04d}-{day.month:02d}")
    if kind is PeriodKind.QUARTER:
        return Period(kind, f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}")
    if kind is PeriodKind.HALF_YEAR:
        return Period(kind, f"{day.year:04d}-H{1 if day.month <= 6 else 2}")
    return Period(kind, f"{day.year:04d}")


@lru_cache(maxsize=256)
def periods_of_year(year: int, kind: PeriodKind) -> tuple[Period, ...]:
    """The periods of a kind in a calendar year, in order."""
    if kind is PeriodKind.MONTH:
        return tuple(Period(kind, f"{year:04d}-{m:02d}") for m in range(1, 13))
    if kind is PeriodKind.QUARTER:
        return tuple(Period(kind, f"{year:04d}-Q{q}") for q in range(1, 5))
    if kind is PeriodKind.HALF_YEAR:
        return tuple(Period(kind, f"{year:04d}-H{h}") for h in (1, 2))
    return (Period(kind, f"{year:04d}"),)


def _year(period: Period) -> int:
    return int(period.key[:4])


@lru_cache(maxsize=1024)
def _bounds(period: Period) -> tuple[date, date]:
    """The period's first and last day."""
    return period.first_day, period.last_day


def _require(period: Period, *kinds: PeriodKind) -> None:
    if period.kind not in kinds:
        allowed = " or ".join(kind.value for kind in kinds)
        raise ValueError(f"period {period.key} is a {period.kind.value}, not a {allowed}")


def _staff(state: LedgerState, staff_number: str) -> StaffRecord:
    try:
        return state.staff[staff_number]
    except KeyError:
        raise ValueError(f"no staff member {staff_number} in the facts") from None


def _window(state: LedgerState, unit_code: str) -> UnitRecord:
    try:
        unit = state.units[unit_code]
    except KeyError:
        raise ValueError(f"no unit {unit_code} in the facts") from None
    if unit.kind is not UnitKind.WINDOW:
        # apply to kind = window only (SPEC 5).
        raise ValueError(f"{unit_code} is an office; excellent-window rules apply to windows")
    return unit


# Traces of entries


@dataclass(frozen=True)
class _Tally:
    total: Decimal
    counted: tuple[Entry, ...]
    """The entries counted, in (incident date, log position) order."""
    trace: Trace


_NO_ENTRIES = _Tally(Decimal(0), (), Trace())
"""The tally of a period without entries (what `_tally` makes of none)."""


def _what(entry: Entry) -> str:
    return "deduction" if entry.on == "staff" else "window_deduction"


_counted_of: dict[int, tuple[Entry, Counted]] = {}
"""Entries' Counted items by the entry's identity (the entry is held, so its id is not reused):
an entry counts in its month, quarter, half-year and year, and the same item lets the encoder
reuse its text."""


def _counted(entry: Entry) -> Counted:
    found = _counted_of.get(id(entry))
    if found is not None and found[0] is entry:
        return found[1]
    counted = Counted(
        entry.ref,
        _what(entry),
        entry.subject,
        entry.occurred_on,
        entry.points,
        tuple(a.ref for a in entry.amendments),
    )
    if len(_counted_of) >= 65536:
        _counted_of.clear()
    _counted_of[id(entry)] = (entry, counted)
    return counted


def _left_out(entry: Entry, reason: Reason, detail: str, by: EventRef | None = None) -> LeftOut:
    return LeftOut(
        entry.ref, _what(entry), entry.subject, entry.occurred_on, entry.points, reason, detail, by
    )


def _superseded(entry: Entry) -> list[LeftOut]:
    """The values an amended entry no longer has: each set by one event, replaced by the next."""
    values: list[tuple[EventRef, Decimal]] = [(entry.ref, entry.recorded_points)]
    values += [(a.ref, a.points) for a in entry.amendments if a.points is not None]
    return [
        LeftOut(
            set_by,
            _what(entry),
            entry.subject,
            entry.occurred_on,
            points,
            Reason.AMENDED,
            f"{format_points(points)} points replaced by {format_points(new_points)} "
            f"on {amendment.effective_on}",
            amendment.ref,
        )
        for (set_by, points), (_, new_points), amendment in zip(
            values, values[1:], entry.amendments, strict=False
        )
    ]


def _revoked(entry: Entry) -> LeftOut:
    revocation = entry.revocation
    assert revocation is not None
    decision = f" (decision {revocation.decision_ref})" if revocation.decision_ref else ""
    return _left_out(
        entry, Reason.REVOKED, f"revoked on {revocation.effective_on}{decision}", revocation.ref
    )


def _tally(entries: Iterable[Entry], period: Period, *, left_out: Iterable[LeftOut] = ()) -> _Tally:
    """Sum the entries whose incident date falls in the period (R-20), revocations and
    amendments applied; list those of the period that do not count (or no longer count at a
    value) as left out. Entries of other periods are skipped (see `other_period`)."""
    first, last = _bounds(period)
    counted: list[Entry] = []
    left = list(left_out)
    for entry in entries:
        if not first <= entry.occurred_on <= last:
            continue
        if entry.revocation is not None:
            left.append(_revoked(entry))
        else:
            counted.append(entry)
            if entry.amendments:
                left += _superseded(entry)
    counted.sort(key=lambda e: (e.occurred_on, e.position))
    total = sum((e.points for e in counted), Decimal(0))
    # Distinct entries give distinct items: no need for Trace.of's de-duplication.
    return _Tally(total, tuple(counted), Trace.distinct(map(_counted, counted), left))


def _staff_tally(staff: StaffRecord, period: Period) -> _Tally:
    return _tally(staff.deductions.values(), period)


def _year_tallies(staff: StaffRecord, year: int) -> dict[Period, _Tally]:
    """The tallies of every month, quarter, half-year and the year, exactly as `_staff_tally`
    makes each: the entries are sorted into months once, and a longer period's tally is its
    months' tallies joined in order (each month's items sort before the next month's, so the
    joined lists are in the order a tally of the whole period has)."""
    by_month: list[list[Entry]] = [[] for _ in range(12)]
    for entry in staff.deductions.values():
        if entry.occurred_on.year == year:
            by_month[entry.occurred_on.month - 1].append(entry)
    months = periods_of_year(year, PeriodKind.MONTH)
    monthly = [
        _tally(entries, month) if entries else _NO_ENTRIES
        for month, entries in zip(months, by_month, strict=True)
    ]
    tallies = dict(zip(months, monthly, strict=True))
    for kind, size in ((PeriodKind.QUARTER, 3), (PeriodKind.HALF_YEAR, 6), (PeriodKind.YEAR, 12)):
        for index, period in enumerate(periods_of_year(year, kind)):
            tallies[period] = _joined(monthly[index * size : (index + 1) * size])
    return tallies


def _joined(tallies: Sequence[_Tally]) -> _Tally:
    """Consecutive periods' tallies as one."""
    tallies = [tally for tally in tallies if tally is not _NO_ENTRIES]
    if not tallies:
        return _NO_ENTRIES
    if len(tallies) == 1:
        # The one period with entries: its tally, trace and all, is the joined one (shared,
        # so the encoder writes that trace once).
        return tallies[0]
    return _Tally(
        sum((t.total for t in tallies), Decimal(0)),
        tuple(chain.from_iterable(t.counted for t in tallies)),
        Trace(
            tuple(chain.from_iterable(t.trace.counted for t in tallies)),
            tuple(chain.from_iterable(t.trace.left_out for t in tallies)),
        ),
    )


# Vetoes


def _veto_counted(veto: VetoEntry) -> Counted:
    return Counted(veto.ref, "veto", veto.staff_number, veto.occurred_on, None)


def _veto_left_out(veto: VetoEntry, reason: Reason, detail: str) -> LeftOut:
    by = veto.revocation.ref if veto.revocation else None
    return LeftOut(veto.ref, "veto", veto.staff_number, veto.occurred_on, None, reason, detail, by)


def _vetoes(
    staff: StaffRecord, year: int, *, up_to: Period | None = None
) -> tuple[list[VetoEntry], list[LeftOut]]:
    """The non-revoked veto cases of the incident's year (D-13), in (incident date, position)
    order, and the revoked ones as left out; with `up_to`, only those whose incident is on or
    before its last day (D-14): later ones belong to another period (see `other_period`)."""
    barring: list[VetoEntry] = []
    left: list[LeftOut] = []
    for veto in staff.vetoes.values():
        if veto.occurred_on.year != year:
            continue
        if veto.revocation is not None and (up_to is None or veto.occurred_on <= up_to.last_day):
            decision = veto.revocation.decision_ref
            detail = f"revoked on {veto.revocation.effective_on}" + (
                f" (decision {decision})" if decision else ""
            )
            left.append(_veto_left_out(veto, Reason.REVOKED, detail))
        elif veto.revocation is None and (up_to is None or veto.occurred_on <= up_to.last_day):
            barring.append(veto)
    barring.sort(key=lambda v: (v.occurred_on, v.position))
    return barring, left


# Staff figures (SPEC 4.2, 4.3, 4.4)
#
# Each public rule takes the state, a staff number and a period. The private forms take the
# record, the policy in force and the period's tally, so that the figures of one period share
# one tally (`_staff_period_figures`).


def deduction_total(state: LedgerState, staff_number: str, period: Period) -> DeductionTotal:
    """R-20: the staff member's deductions dated in a month, quarter, half-year or year."""
    staff = _staff(state, staff_number)
    return _deduction_total(staff, period, _policy(state, period), _staff_tally(staff, period))


def _policy(state: LedgerState, period: Period) -> PolicyParameters:
    return state.policy.in_force(_bounds(period)[1])


def _deduction_total(
    staff: StaffRecord, period: Period, policy: PolicyParameters, tally: _Tally
) -> DeductionTotal:
    return DeductionTotal(
        subject=staff.staff_number,
        period=period,
        rule="R-20",
        threshold=None,
        policy_version=policy.version,
        trace=tally.trace,
        total=tally.total,
    )


def _bonus_thresholds(policy: PolicyParameters, period: Period) -> tuple[Decimal, Decimal]:
    if period.kind is PeriodKind.MONTH:
        return policy.month_bonus_halved_at, policy.month_bonus_cancelled_at
    return policy.half_year_bonus_halved_at, policy.half_year_bonus_cancelled_at


def bonus(state: LedgerState, staff_number: str, period: Period) -> Bonus:
    """R-26/R-27 (month: halved at >= 3, cancelled at >= 5) and R-28/R-29 (half-year: halved at
    >= 10, cancelled at >= 15)."""
    _require(period, PeriodKind.MONTH, PeriodKind.HALF_YEAR)
    staff = _staff(state, staff_number)
    return _bonus(staff, period, _policy(state, period), _staff_tally(staff, period))


def _bonus(staff: StaffRecord, period: Period, policy: PolicyParameters, tally: _Tally) -> Bonus:
    halved_at, cancelled_at = _bonus_thresholds(policy, period)
    halving_rule, cancelling_rule = (
        ("R-26", "R-27") if period.kind is PeriodKind.MONTH else ("R-28", "R-29")
    )
    if tally.total >= cancelled_at:
        status, rule, threshold = BonusStatus.CANCELLED, cancelling_rule, cancelled_at
    elif tally.total >= halved_at:
        status, rule, threshold = BonusStatus.HALVED, halving_rule, halved_at
    else:
        status, rule, threshold = BonusStatus.FULL, halving_rule, halved_at
    return Bonus(
        subject=staff.staff_number,
        period=period,
        rule=rule,
        threshold=threshold,
        policy_version=policy.version,
        trace=tally.trace,
        total=tally.total,
        status=status,
    )


def criticism_notice(
    state: LedgerState, staff_number: str, month: Period
) -> CriticismNotice | None:
    """R-31: the staff member's entry in the month's public criticism notice, if named: on every
    halved or cancelled monthly bonus (D-09), or only a cancelled one under A-09's reading."""
    _require(month, PeriodKind.MONTH)
    return _criticism_notice(bonus(state, staff_number, month), _policy(state, month))


def _criticism_notice(monthly: Bonus, policy: PolicyParameters) -> CriticismNotice | None:
    if policy.criticism_notice_on is CriticismNoticeOn.CANCELLED:
        named, threshold = monthly.status is BonusStatus.CANCELLED, policy.month_bonus_cancelled_at
    else:
        named, threshold = monthly.status is not BonusStatus.FULL, policy.month_bonus_halved_at
    if not named:
        return None
    return CriticismNotice(
        subject=monthly.subject,
        period=monthly.period,
        rule="R-31",
        threshold=threshold,
        policy_version=policy.version,
        trace=monthly.trace,
        total=monthly.total,
        status=monthly.status,
    )


def criticism_notices(state: LedgerState, month: Period) -> tuple[CriticismNotice, ...]:
    """R-31: everyone named in the month's criticism notice, by staff number."""
    named = (
        criticism_notice(state, number, month)
        for number in sorted(state.staff)
        if state.staff[number].registered_on <= month.last_day
    )
    return tuple(notice for notice in named if notice is not None)


def _debtor(
    state: LedgerState, staff: StaffRecord, day: date
) -> tuple[str | None, str | None, OwedAs]:
    """Who owes the liability for a person's crossing on a day: the head of the unit the person
    belonged to that day, or the unit's leader in charge when the person is that head (R-30)."""
    unit_code = staff.unit_on(day)
    unit = state.units.get(unit_code) if unit_code else None
    if unit is None:
        return unit_code, None, OwedAs.VACANT
    head = unit.head_on(day)
    if head is None:
        return unit_code, None, OwedAs.VACANT
    if head.person_id != staff.staff_number:
        return unit_code, head.person_id, OwedAs.HEAD
    leader = unit.leader_in_charge_on(day)
    if leader is None:
        return unit_code, None, OwedAs.VACANT
    return unit_code, leader.person_id, OwedAs.LEADER_IN_CHARGE


def _crossing(counted: tuple[Entry, ...], threshold: Decimal) -> Entry:
    """The entry at which the running total, in (incident date, log position) order, first
    reaches the threshold (the last one if it never does: a cancelling threshold set below the
    halving one)."""
    running = Decimal(0)
    for entry in counted:
        running += entry.points
        if running >= threshold:
            return entry
    return counted[-1]


def head_liability(state: LedgerState, staff_number: str, period: Period) -> HeadLiability | None:
    """The head-liability item of a staff member's bonus stream for the period, if the bonus is
    cut (D-08): the monthly or half-year bonus halved or cancelled (R-30), or the annual bonus
    withheld by a veto case (R-34).

    The debtor is fixed by the crossing event: for R-30 the first non-revoked deduction, in
    (incident date, log position) order with amendments applied, at which the running total
    reaches the halving threshold; for R-34 the first non-revoked veto case of the year."""
    _require(period, PeriodKind.MONTH, PeriodKind.HALF_YEAR, PeriodKind.YEAR)
    staff = _staff(state, staff_number)
    policy = _policy(state, period)
    if period.kind is PeriodKind.YEAR:
        return _veto_liability(state, staff, period, policy)
    tally = _staff_tally(staff, period)
    return _bonus_liability(
        state, staff, period, policy, tally, _bonus(staff, period, policy, tally)
    )


def _veto_liability(
    state: LedgerState, staff: StaffRecord, period: Period, policy: PolicyParameters
) -> HeadLiability | None:
    vetoes, left = _vetoes(staff, _year(period))
    if not vetoes:
        return None
    trace = Trace.of(map(_veto_counted, vetoes), left)
    return _liability(
        state, staff, period, policy, "R-34", None, BonusStatus.WITHHELD, trace, vetoes[0]
    )


def _bonus_liability(
    state: LedgerState,
    staff: StaffRecord,
    period: Period,
    policy: PolicyParameters,
    tally: _Tally,
    cut: Bonus,
) -> HeadLiability | None:
    if cut.status is BonusStatus.FULL:
        return None
    threshold, _ = _bonus_thresholds(policy, period)
    crossing = _crossing(tally.counted, threshold)
    return _liability(
        state, staff, period, policy, "R-30", threshold, cut.status, tally.trace, crossing
    )


def _liability(
    state: LedgerState,
    staff: StaffRecord,
    period: Period,
    policy: PolicyParameters,
    rule: str,
    threshold: Decimal | None,
    status: BonusStatus,
    trace: Trace,
    crossing: Entry | VetoEntry,
) -> HeadLiability:
    unit_code, owed_by, owed_as = _debtor(state, staff, crossing.occurred_on)
    return HeadLiability(
        subject=staff.staff_number,
        period=period,
        rule=rule,
        threshold=threshold,
        policy_version=policy.version,
        trace=trace,
        stream=period.kind.value,
        status=status,
        crossing=crossing.ref,
        crossing_on=crossing.occurred_on,
        unit_code=unit_code,
        owed_by=owed_by,
        owed_as=owed_as,
    )


def excellent_individual(
    state: LedgerState, staff_number: str, quarter: Period
) -> ExcellentIndividual:
    """Quarterly excellent individual: barred at >= 3 points in the quarter (R-21), and by a
    non-revoked veto case whose incident is in this quarter or an earlier one of the same year
    (R-35, D-14); a later veto leaves this quarter alone."""
    _require(quarter, PeriodKind.QUARTER)
    staff = _staff(state, staff_number)
    return _excellent_individual(
        staff, quarter, _policy(state, quarter), _staff_tally(staff, quarter)
    )


def _excellent_individual(
    staff: StaffRecord, quarter: Period, policy: PolicyParameters, tally: _Tally
) -> ExcellentIndividual:
    up_to = None if policy.veto_bars_quarters is VetoBarsQuarters.WHOLE_YEAR else quarter
    return _eligibility(
        ExcellentIndividual,
        staff,
        quarter,
        policy,
        tally,
        points_rule="R-21",
        threshold=policy.quarterly_excellent_individual_threshold,
        vetoes_up_to=up_to,
    )


def excellent_grade(state: LedgerState, staff_number: str, year: Period) -> ExcellentGrade:
    """Annual excellent grade: barred at >= 5 points in the year (R-22) and by a non-revoked veto
    case whose incident is in the year (R-35, D-13)."""
    _require(year, PeriodKind.YEAR)
    staff = _staff(state, staff_number)
    return _excellent_grade(staff, year, _policy(state, year), _staff_tally(staff, year))


def _excellent_grade(
    staff: StaffRecord, year: Period, policy: PolicyParameters, tally: _Tally
) -> ExcellentGrade:
    return _eligibility(
        ExcellentGrade,
        staff,
        year,
        policy,
        tally,
        points_rule="R-22",
        threshold=policy.annual_excellent_threshold,
        vetoes_up_to=None,
    )


def _eligibility(
    figure: type[EligibilityFigure],
    staff: StaffRecord,
    period: Period,
    policy: PolicyParameters,
    tally: _Tally,
    *,
    points_rule: str,
    threshold: Decimal,
    vetoes_up_to: Period | None,
) -> EligibilityFigure:
    """An excellence figure: barred by the points rule at >= threshold, and by a standing veto
    of the year up to `vetoes_up_to` (R-35); names the first rule that bars it, or the points
    rule when eligible."""
    vetoes, veto_left = _vetoes(staff, _year(period), up_to=vetoes_up_to)
    barred_by = ((points_rule,) if tally.total >= threshold else ()) + (("R-35",) if vetoes else ())
    trace = tally.trace
    if vetoes or veto_left:
        trace = Trace.of(
            (*tally.trace.counted, *map(_veto_counted, vetoes)),
            (*tally.trace.left_out, *veto_left),
        )
    return figure(
        subject=staff.staff_number,
        period=period,
        rule=barred_by[0] if barred_by else points_rule,
        threshold=threshold,
        policy_version=policy.version,
        trace=trace,
        eligible=not barred_by,
        total=tally.total,
        barred_by=barred_by,
    )


def annual_bonus(state: LedgerState, staff_number: str, year: Period) -> AnnualBonus:
    """R-32: the annual bonus is withheld, and a notice circulated, when a non-revoked veto case
    has its incident in the year, even if it was found later (D-13)."""
    _require(year, PeriodKind.YEAR)
    return _annual_bonus(_staff(state, staff_number), year, _policy(state, year))


def _annual_bonus(staff: StaffRecord, year: Period, policy: PolicyParameters) -> AnnualBonus:
    vetoes, left = _vetoes(staff, _year(year))
    return AnnualBonus(
        subject=staff.staff_number,
        period=year,
        rule="R-32",
        threshold=None,
        policy_version=policy.version,
        trace=Trace.of(map(_veto_counted, vetoes), left),
        status=BonusStatus.WITHHELD if vetoes else BonusStatus.FULL,
        notice=bool(vetoes),
    )


def home_unit_recommendation(
    state: LedgerState, staff_number: str, year: Period
) -> HomeUnitRecommendation | None:
    """R-33: the recommendation to the home unit that it withhold the assessment-linked part of
    pay, when a veto case of the year stands (D-13); the center records it, cannot enforce it."""
    return _home_unit_recommendation(
        _staff(state, staff_number), annual_bonus(state, staff_number, year)
    )


def _home_unit_recommendation(
    staff: StaffRecord, withheld: AnnualBonus
) -> HomeUnitRecommendation | None:
    if withheld.status is not BonusStatus.WITHHELD:
        return None
    return HomeUnitRecommendation(
        subject=staff.staff_number,
        period=withheld.period,
        rule="R-33",
        threshold=None,
        policy_version=withheld.policy_version,
        trace=withheld.trace,
        home_unit=staff.home_unit,
    )


def staff_period_figures(
    state: LedgerState, staff_number: str, period: Period
) -> tuple[Figure, ...]:
    """Every figure of a staff member for one period (month, quarter, half-year or year), in
    key order, from the period's own tally: what `staff_figures` holds for that period (which
    computes a year's periods from its months' tallies)."""
    staff = _staff(state, staff_number)
    figures = _staff_period_figures(
        state, staff, period, _policy(state, period), _staff_tally(staff, period)
    )
    return tuple(sorted(figures, key=lambda f: f.key))


def _staff_period_figures(
    state: LedgerState,
    staff: StaffRecord,
    period: Period,
    policy: PolicyParameters,
    tally: _Tally,
) -> list[Figure]:
    """Every figure of a staff member for one period (month, quarter, half-year or year) from
    the period's tally under the policy in force, in no particular order."""
    kind = period.kind
    figures: list[Figure | None] = [_deduction_total(staff, period, policy, tally)]
    if kind is PeriodKind.MONTH or kind is PeriodKind.HALF_YEAR:
        cut = _bonus(staff, period, policy, tally)
        figures.append(cut)
        if kind is PeriodKind.MONTH:
            figures.append(_criticism_notice(cut, policy))
        figures.append(_bonus_liability(state, staff, period, policy, tally, cut))
    elif kind is PeriodKind.QUARTER:
        figures.append(_excellent_individual(staff, period, policy, tally))
    else:
        withheld = _annual_bonus(staff, period, policy)
        figures.append(_veto_liability(state, staff, period, policy))
        figures.append(_excellent_grade(staff, period, policy, tally))
        figures.append(withheld)
        figures.append(_home_unit_recommendation(staff, withheld))
    return [f for f in figures if f is not None]


# Window figures (SPEC 4.2)


def _members(state: LedgerState, unit_code: str, day: date) -> tuple[Member, ...]:
    """D-04: the staff assigned to the unit on the day. A head counts only through an
    assignment of their own: appointment as head does not make anyone a member."""
    members = []
    for number in sorted(state.members_ever(unit_code)):
        membership = state.staff[number].membership_on(day)
        if membership is not None and membership.unit_code == unit_code:
            members.append(Member(number, membership.assigned, membership.start))
    return tuple(members)


def _member_entries(
    state: LedgerState, unit_code: str, quarter: Period
) -> tuple[list[Entry], list[LeftOut]]:
    """D-03: staff deductions dated in the quarter whose person was a member of the unit on the
    incident date; those of people who were members at some time in the quarter but elsewhere
    (or nowhere) on the incident date are left out as other window / not a member."""
    entries: list[Entry] = []
    left: list[LeftOut] = []
    first, last = _bounds(quarter)
    for number in sorted(state.members_ever(unit_code)):
        staff = state.staff[number]
        # Whoever was a member on an incident date of the quarter was a member in the quarter.
        if not any(
            m.unit_code == unit_code and m.start <= last and (m.end is None or m.end > first)
            for m in staff.memberships
        ):
            continue
        for entry in staff.deductions.values():
            if not first <= entry.occurred_on <= last:
                continue
            unit_then = staff.unit_on(entry.occurred_on)
            if unit_then == unit_code:
                entries.append(entry)
            elif unit_then is None:
                detail = f"in no unit on {entry.occurred_on}"
                left.append(_left_out(entry, Reason.NOT_A_MEMBER, detail))
            else:
                detail = f"member of {unit_then} on {entry.occurred_on}"
                left.append(_left_out(entry, Reason.OTHER_WINDOW, detail))
    return entries, left


def excellent_window(state: LedgerState, unit_code: str, quarter: Period) -> ExcellentWindow:
    """A window's quarter: the headcount n (D-04: staff assigned on the last day of the quarter,
    at least 1), the total (D-03: members' deductions on the incident date plus the window's own
    items, R-02), and eligibility for quarterly excellent window: for n >= 2 not eligible at
    total >= n + 3 (R-23), for a one-person window at total >= 5 (R-24, D-05). A member's veto
    case has no automatic effect on the window (D-12): vetoes are not read here."""
    _require(quarter, PeriodKind.QUARTER)
    unit = _window(state, unit_code)
    policy = _policy(state, quarter)
    members = _members(state, unit_code, _bounds(quarter)[1])
    headcount = max(1, len(members))
    if headcount >= 2:
        rule, threshold = "R-23", headcount + policy.window_threshold_above_headcount
    else:
        rule, threshold = "R-24", policy.one_person_window_threshold
    member_entries, other_window = _member_entries(state, unit_code, quarter)
    tally = _tally([*unit.deductions.values(), *member_entries], quarter, left_out=other_window)
    return ExcellentWindow(
        subject=unit_code,
        period=quarter,
        rule=rule,
        threshold=threshold,
        policy_version=policy.version,
        trace=tally.trace,
        headcount=headcount,
        members=members,
        total=tally.total,
        eligible=tally.total < threshold,
    )


def annual_excellent_window(
    state: LedgerState, unit_code: str, year: Period
) -> AnnualExcellentWindow:
    """R-25: a window disqualified under R-23/R-24 in any quarter of the year (each quarter under
    its own policy version) may not take part in the year's excellent-window selection."""
    _require(year, PeriodKind.YEAR)
    quarters = [
        excellent_window(state, unit_code, q)
        for q in periods_of_year(_year(year), PeriodKind.QUARTER)
    ]
    return _annual_excellent_window(state, unit_code, year, quarters)


def _annual_excellent_window(
    state: LedgerState, unit_code: str, year: Period, quarters: Sequence[ExcellentWindow]
) -> AnnualExcellentWindow:
    disqualified = tuple(q.period.key for q in quarters if not q.eligible)
    # Within the year every entry belongs to some quarter: "other period" says nothing here
    # (the quarters' stored traces do not list other periods; this keeps it so).
    left = [
        item
        for q in quarters
        for item in q.trace.left_out
        if item.reason is not Reason.OTHER_PERIOD
    ]
    return AnnualExcellentWindow(
        subject=unit_code,
        period=year,
        rule="R-25",
        threshold=None,
        policy_version=_policy(state, year).version,
        trace=Trace.of((c for q in quarters for c in q.trace.counted), left),
        eligible=not disqualified,
        disqualified_in=disqualified,
    )


# Everything at once


def staff_figures(state: LedgerState, staff_number: str, year: int) -> tuple[Figure, ...]:
    """Every figure of a staff member for a year, in key order."""
    staff = _staff(state, staff_number)
    figures: list[Figure] = []
    for period, tally in _year_tallies(staff, year).items():
        figures += _staff_period_figures(state, staff, period, _policy(state, period), tally)
    return tuple(sorted(figures, key=lambda f: f.key))


def staff_figures_by_period(
    state: LedgerState, staff_number: str, year: int
) -> Iterator[tuple[Period, PolicyParameters, list[Figure] | None]]:
    """A staff member's figures of a year period by period, with the policy in force: what
    `staff_figures` holds, except that a quiet period gives None instead of its figures, which
    are then `quiet_figures(period, policy, staff_number)`.

    A period is quiet when the person has no entry dated in it (counted, revoked or amended)
    and, for a quarter or the year, no veto case in the year (monthly and half-year figures do
    not read veto cases). Half the figures of a year are of quiet periods: a writer of many
    years (a rebuild) renders them once per period and policy instead of once per person."""
    staff = _staff(state, staff_number)
    vetoes = any(veto.occurred_on.year == year for veto in staff.vetoes.values())
    for period, tally in _year_tallies(staff, year).items():
        policy = _policy(state, period)
        quiet = tally is _NO_ENTRIES and (not vetoes or period.kind in _VETO_BLIND)
        if quiet:
            yield period, policy, None
        else:
            yield period, policy, _staff_period_figures(state, staff, period, policy, tally)


_VETO_BLIND = (PeriodKind.MONTH, PeriodKind.HALF_YEAR)
"""The periods whose staff figures do not read veto cases."""


def quiet_figures(period: Period, policy: PolicyParameters, staff_number: str) -> list[Figure]:
    """A staff member's figures of a quiet period (see `staff_figures_by_period`), in no
    particular order: they depend on nothing but the period, the policy and the staff number,
    so they are computed for a record holding only the number."""
    record = StaffRecord(
        stream_id="",
        staff_number=staff_number,
        category=StaffCategory.CIVIL_SERVANT,
        home_unit="",
        registered_on=period.first_day,
    )
    # The state is read only for a crossing's debtor, and a period without entries has none.
    return _staff_period_figures(LedgerState(), record, period, policy, _NO_ENTRIES)


def window_figures(state: LedgerState, unit_code: str, year: int) -> tuple[Figure, ...]:
    """Every figure of a window for a year, in key order."""
    quarters = [
        excellent_window(state, unit_code, q) for q in periods_of_year(year, PeriodKind.QUARTER)
    ]
    annual = _annual_excellent_window(
        state, unit_code, Period(PeriodKind.YEAR, f"{year:04d}"), quarters
    )
    return tuple(sorted([*quarters, annual], key=lambda f: f.key))


def all_figures(state: LedgerState, year: int) -> tuple[Figure, ...]:
    """Every figure of the year: for each staff member registered by its end and each window
    opened by its end, in key order."""
    year_end = date(year, 12, 31)
    figures: list[Figure] = []
    for number in sorted(state.staff):
        if state.staff[number].registered_on <= year_end:
            figures += staff_figures(state, number, year)
    for code in sorted(state.units):
        unit = state.units[code]
        if unit.kind is UnitKind.WINDOW and unit.opened_on <= year_end:
            figures += window_figures(state, code, year)
    return tuple(sorted(figures, key=lambda f: f.key))


def other_period(state: LedgerState, figure: Figure) -> tuple[LeftOut, ...]:
    """What a figure's stored trace leaves unsaid: the subject's entries of the same calendar
    year in another period (deductions as "other period" naming their period; for a quarter's
    excellent individual, veto cases of later quarters, D-14). For explanations (`explain`)."""
    period = figure.period
    year = _year(period)
    first, last = _bounds(period)
    entries: Iterable[Entry] = ()
    if isinstance(figure, ExcellentWindow):
        unit = state.units.get(figure.subject)
        entries = unit.deductions.values() if unit is not None else ()
    elif isinstance(figure, DeductionTotal | Bonus | CriticismNotice | ExcellentIndividual) or (
        isinstance(figure, HeadLiability) and period.kind is not PeriodKind.YEAR
    ):
        staff = state.staff.get(figure.subject)
        entries = staff.deductions.values() if staff is not None else ()
    left = [
        _left_out(
            entry,
            Reason.OTHER_PERIOD,
            f"incident in {period_of(period.kind, entry.occurred_on).key}",
        )
        for entry in entries
        if entry.occurred_on.year == year and not first <= entry.occurred_on <= last
    ]
    if figure.kind == ExcellentIndividual.kind and figure.subject in state.staff:
        staff = state.staff[figure.subject]
        if _policy(state, period).veto_bars_quarters is not VetoBarsQuarters.WHOLE_YEAR:
            for veto in staff.vetoes.values():
                if veto.occurred_on.year != year or veto.occurred_on <= last:
                    continue
                if veto.revocation is not None:
                    decision = veto.revocation.decision_ref
                    detail = f"revoked on {veto.revocation.effective_on}" + (
                        f" (decision {decision})" if decision else ""
                    )
                    left.append(_veto_left_out(veto, Reason.REVOKED, detail))
                else:
                    quarter = period_of(PeriodKind.QUARTER, veto.occurred_on).key
                    detail = f"incident in {quarter}, later (D-14)"
                    left.append(_veto_left_out(veto, Reason.OTHER_PERIOD, detail))
    return tuple(left)


def active_years(state: LedgerState) -> tuple[int, ...]:
    """The years with a registration, an assignment, an entry or a veto case, in order: the
    years a projection keeps figures for (the fold notes each as it first appears)."""
    return tuple(sorted(state.year_positions))


# Late entries (SPEC section 3, D-13)


@dataclass(frozen=True)
class LateEntry:
    """An entry, amendment or revocation recorded after its period was decided: the decision
    stands; the conflict is listed until the leading group records a resolution."""

    period: Period
    ref: EventRef
    what: str
    """"deduction", "window_deduction" or "veto"."""
    change: str
    """"recorded", "amended" or "revoked"."""
    entry: EventRef
    subject: str
    occurred_on: date
    resolution: str | None
    resolved_by: EventRef | None


def late_entries(state: LedgerState, period_key: str) -> tuple[LateEntry, ...]:
    """The late entries of a decided period, in log order (none if it is not decided).

    A month's or half-year's bonus sheet reads staff deductions; a quarter's or year's results
    also read window-level deductions and veto cases (R-35, and R-32–R-34 for the year)."""
    assessment_round = state.rounds.get(period_key)
    if assessment_round is None or assessment_round.decision is None:
        return ()
    period = assessment_round.period
    decided_at = assessment_round.decision.decided_at_position
    with_units = period.kind in (PeriodKind.QUARTER, PeriodKind.YEAR)
    late: list[tuple[int, LateEntry]] = []

    def consider(
        what: str,
        entry_ref: EventRef,
        subject: str,
        occurred_on: date,
        changes: list[tuple[str, EventRef, int]],
    ) -> None:
        if not period.contains(occurred_on):
            return
        for change, ref, position in changes:
            if position <= decided_at:
                continue
            resolved = assessment_round.resolutions.get(ref)
            late.append(
                (
                    position,
                    LateEntry(
                        period,
                        ref,
                        what,
                        change,
                        entry_ref,
                        subject,
                        occurred_on,
                        resolved.resolution if resolved else None,
                        resolved.ref if resolved else None,
                    ),
                )
            )

    entries: list[Entry] = [e for s in state.staff.values() for e in s.deductions.values()]
    if with_units:
        entries += [e for u in state.units.values() for e in u.deductions.values()]
    for entry in entries:
        changes = [("recorded", entry.ref, entry.position)]
        changes += [("amended", a.ref, a.position) for a in entry.amendments]
        if entry.revocation is not None:
            changes.append(("revoked", entry.revocation.ref, entry.revocation.position))
        consider(_what(entry), entry.ref, entry.subject, entry.occurred_on, changes)
    if with_units:
        for staff in state.staff.values():
            for veto in staff.vetoes.values():
                changes = [("recorded", veto.ref, veto.position)]
                if veto.revocation is not None:
                    changes.append(("revoked", veto.revocation.ref, veto.revocation.position))
                consider("veto", veto.ref, veto.staff_number, veto.occurred_on, changes)
    return tuple(item for _, item in sorted(late, key=lambda pair: pair[0]))
