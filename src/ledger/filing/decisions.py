"""The verifier's check of each procedure decision against the figures recomputed from the filed
events (docs/filing-format.md section 3, check 7; SPEC 7.4): a bonus sheet's approval, a quarter's
examined and published titles, the year's preliminary grades, excellent windows, approved list
and results.

Pure: it reads the decision entries (`ledger.filing.bundle.DecisionEntry`, already compared with
the events they name) and a `LedgerState` folded from the filed events up to the position each
decision is checked as of, and uses only `ledger.policy`, `ledger.values` and `rfc8785`, so the
light install of `ledger-verify` has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, cast

import rfc8785

from ledger.filing.bundle import (
    ANNUAL_EXCELLENT_WINDOWS,
    BONUS_SHEET_APPROVAL,
    EXCELLENT_LIST_APPROVAL,
    PRELIMINARY_GRADES,
    QUARTER_EXAMINATION,
    QUARTER_RESULTS,
    YEAR_RESULTS,
    DecisionEntry,
    Scope,
)
from ledger.policy import (
    Grade,
    LedgerState,
    annual_excellent_window,
    bonus,
    criticism_notice,
    criticism_notices,
    excellent_grade,
    excellent_individual,
    excellent_window,
    grade_scheme,
    head_liability,
    quota_check,
)
from ledger.policy.facts import StaffRecord
from ledger.values import Period, PeriodKind, StaffCategory, UnitKind, format_points

__all__ = ["DecisionFailed", "check_decision", "describe", "short"]


class DecisionFailed(Exception):
    """A decision disagrees with the figures recomputed as of its position; the message names
    the decision and the figure."""


def short(value: object, limit: int = 160) -> str:
    """A JSON value in compact form, cut at `limit` characters."""
    try:
        text = rfc8785.dumps(cast(Any, value)).decode()
    except Exception:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(entry: DecisionEntry) -> str:
    """What a decision decided, in one line: its kind, period and `decided` members."""
    period = f" of {entry.period}" if entry.period else ""
    decided = entry.decided if entry.decided is not None else entry.extra
    what = f": {short(dict(decided))}" if decided else ""
    return f"{entry.kind}{period}{what}"


def check_decision(state: LedgerState, scope: Scope, name: str, entry: DecisionEntry) -> str:
    """Check one decision of a checked kind against `state`, the facts folded up to its
    `decided_at_position`; return the line saying what was checked, or raise DecisionFailed."""
    checker = _CHECKERS[entry.kind]
    assert entry.period is not None and entry.decided is not None
    return checker(_Check(state, scope, name, entry, Period.parse(entry.period), entry.decided))


class _Check:
    """One decision being checked: the state as of its position and what it decided."""

    def __init__(
        self,
        state: LedgerState,
        scope: Scope,
        name: str,
        entry: DecisionEntry,
        period: Period,
        decided: Mapping[str, Any],
    ) -> None:
        self.state = state
        self.scope = scope
        self.name = name
        self.entry = entry
        self.period = period
        self.decided = decided
        self.position = entry.decided_at_position

    @property
    def center(self) -> bool:
        """Whether the filing is the center's (every subject can be checked)."""
        return self.scope.kind == "center"

    @property
    def person(self) -> str | None:
        """The staff filing's person."""
        return self.scope.staff_number

    def fail(self, what: str) -> DecisionFailed:
        """The failure, naming the decision and the figure that disagrees."""
        return DecisionFailed(
            f"{self.name} ({self.entry.kind} of {self.period.key}): {what}; recomputed from "
            f"the events up to position {self.position}"
        )

    def members(self, key: str) -> list[Any]:
        """A list the decision holds."""
        value = self.decided.get(key)
        if not isinstance(value, list):
            raise self.fail(f"its {key} is not a list")
        return value

    def in_scope(self, subjects: Iterable[str]) -> list[str]:
        """The staff subjects this filing can check: all for the center, the person's own."""
        return [s for s in subjects if self.center or s == self.person]

    def staff(self, number: str) -> StaffRecord:
        """A staff member's record in the state, or the failure: not registered."""
        record = self.state.staff.get(number)
        if record is None:
            raise self.fail(f"{number} is not a registered staff member")
        return record

    def policy_version(self, day: date) -> None:
        """The decision names the policy version in force on the day."""
        version = self.state.policy.in_force(day).version
        if self.decided.get("policy_version") != version:
            raise self.fail(
                f"it names policy version {self.decided.get('policy_version')!r}, but "
                f"{version!r} is in force on {day}"
            )

    def outside(self, what: str) -> str:
        """For a staff filing: what it cannot check."""
        return "" if self.center else f"; {what} outside this staff member's filing"


def _active_in(record: StaffRecord, first: date, last: date) -> bool:
    """Whether the person belonged to a unit on some day between first and last."""
    return any(m.start <= last and (m.end is None or m.end > first) for m in record.memberships)


def _pairs(values: Mapping[str, Any], keys: Iterable[str]) -> str:
    return ", ".join(f"{key} {short(values.get(key), 80)}" for key in keys)


def _differing(said: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in said.keys() | expected.keys() if said.get(k) != expected.get(k))


# A bonus sheet's approval


def _bonus_sheet(check: _Check) -> str:
    state, period = check.state, check.period
    check.policy_version(period.last_day)
    on_sheet = [
        number
        for number in sorted(state.staff)
        if _active_in(state.staff[number], period.first_day, period.last_day)
        and (check.center or number == check.person)
    ]
    lines = {str(line.get("staff_number")): line for line in check.members("lines")}
    missing = [n for n in on_sheet if n not in lines]
    extra = [n for n in lines if n not in on_sheet]
    if missing or extra:
        raise check.fail(
            f"its lines do not cover the staff of the period: no line for "
            f"{', '.join(missing) or 'nobody'}; a line for {', '.join(extra) or 'nobody'}, "
            "not on the sheet"
        )
    for number in on_sheet:
        figure = bonus(state, number, period)
        expected: dict[str, Any] = {
            "counted": [str(c.ref) for c in figure.trace.counted],
            "rule": figure.rule,
            "staff_number": number,
            "status": figure.status.value,
            "total": format_points(figure.total),
        }
        wrong = _differing(lines[number], expected)
        if wrong:
            raise check.fail(
                f"{number}'s bonus line says {_pairs(lines[number], wrong)}, but the bonus figure "
                f"gives {_pairs(expected, wrong)} ({figure.rule}, threshold {figure.threshold})"
            )
    notice = check.decided.get("criticism_notice")
    named = 0
    if period.kind is PeriodKind.MONTH:
        if not isinstance(notice, list):
            raise check.fail("a month's sheet has no criticism notice list")
        if check.center:
            recomputed = {n.subject for n in criticism_notices(state, period)}
        else:
            person = check.person or ""
            in_notice = person in state.staff and criticism_notice(state, person, period)
            recomputed = {person} if in_notice else set()
        if set(notice) != recomputed or len(notice) != len(set(notice)):
            raise check.fail(
                f"its criticism notice names {', '.join(sorted(notice)) or 'nobody'}, but the "
                f"criticism-notice figures (R-31) name {', '.join(sorted(recomputed)) or 'nobody'}"
            )
        named = len(notice)
    elif notice is not None:
        raise check.fail("a half-year's sheet has a criticism notice")
    items = {str(item.get("staff_number")): item for item in check.members("head_liability")}
    stray = [n for n in items if n not in on_sheet]
    if stray:
        raise check.fail(f"it has head-liability items for {', '.join(stray)}, not on the sheet")
    for number in on_sheet:
        liability = head_liability(state, number, period)
        item = items.get(number)
        if liability is None:
            if item is not None:
                raise check.fail(
                    f"it has a head-liability item for {number}, but the head-liability figure "
                    "(R-30) has none"
                )
            continue
        if item is None:
            raise check.fail(
                f"it has no head-liability item for {number}, but the head-liability figure "
                f"(R-30) gives one owed by {liability.owed_by} as {liability.owed_as.value}"
            )
        expected = {
            "crossing": str(liability.crossing),
            "crossing_on": liability.crossing_on.isoformat(),
            "owed_as": liability.owed_as.value,
            "owed_by": liability.owed_by,
            "staff_number": number,
            "status": liability.status.value,
            "stream": liability.stream,
            "unit_code": liability.unit_code,
        }
        wrong = _differing(item, expected)
        if wrong:
            raise check.fail(
                f"{number}'s head-liability item says {_pairs(item, wrong)}, but the "
                f"head-liability figure (R-30) gives {_pairs(expected, wrong)}"
            )
    return (
        f"{check.name}: the bonus sheet of {period.key} approved "
        f"({check.decided.get('decision_ref')}) on the figures as of position {check.position}: "
        f"{len(on_sheet)} lines' statuses and totals, the criticism notice ({named} named) and "
        f"{len(items)} head-liability items recomputed, each equal"
        + check.outside("the other staff's lines are")
    )


# Titles: a quarter's excellent individuals and windows, the year's excellent grades and windows


def _individuals(check: _Check, numbers: Iterable[str], title: str) -> int:
    """Each staff member in scope named excellent is eligible (R-21, R-35 for a quarter; R-22,
    R-35 for the year); returns how many were checked."""
    checked = 0
    for number in check.in_scope(numbers):
        check.staff(number)
        if check.period.kind is PeriodKind.QUARTER:
            figure: Any = excellent_individual(check.state, number, check.period)
        else:
            figure = excellent_grade(check.state, number, check.period)
        if not figure.eligible:
            events = ", ".join(str(c.ref) for c in figure.trace.counted) or "none"
            raise check.fail(
                f"{number} is {title}, but is not eligible: {figure.rule} (barred by "
                f"{', '.join(figure.barred_by)}; {format_points(figure.total)} points, threshold "
                f"{figure.threshold}; events {events})"
            )
        checked += 1
    return checked


def _windows(check: _Check, codes: Iterable[str], title: str) -> int:
    """Each window named excellent is eligible (R-23, R-24 for a quarter; R-25 for the year);
    only the center's filing holds what that needs. Returns how many were checked."""
    if not check.center:
        return 0
    checked = 0
    for code in codes:
        unit = check.state.units.get(code)
        if unit is None or unit.kind is not UnitKind.WINDOW:
            raise check.fail(f"{code} is {title}, but is not a window (R-23–R-25)")
        if check.period.kind is PeriodKind.QUARTER:
            quarter = excellent_window(check.state, code, check.period)
            if not quarter.eligible:
                raise check.fail(
                    f"{code} is {title}, but is not eligible: {quarter.rule} ("
                    f"{format_points(quarter.total)} points with {quarter.headcount} staff, "
                    f"threshold {quarter.threshold}; events "
                    f"{', '.join(str(c.ref) for c in quarter.trace.counted) or 'none'})"
                )
        else:
            annual = annual_excellent_window(check.state, code, check.period)
            if not annual.eligible:
                raise check.fail(
                    f"{code} is {title}, but was disqualified under R-23/R-24 in "
                    f"{', '.join(annual.disqualified_in)} (R-25)"
                )
        checked += 1
    return checked


def _quarter(check: _Check) -> str:
    individuals = [str(n) for n in check.members("individuals")]
    windows = [str(c) for c in check.members("windows")]
    key = check.period.key
    people = _individuals(check, individuals, f"a quarterly excellent individual of {key}")
    units = _windows(check, windows, f"a quarterly excellent window of {key}")
    what = "examined" if check.entry.kind == QUARTER_EXAMINATION else "published"
    return (
        f"{check.name}: {key}'s {what} titles on the figures as of position {check.position}: "
        f"{people} excellent individuals (R-21, R-35) and {units} excellent windows (R-23, "
        "R-24) recomputed eligible"
        + check.outside(f"{len(windows)} windows and the other individuals are")
    )


def _annual_windows(check: _Check) -> str:
    windows = [str(c) for c in check.members("windows")]
    recommended = [str(c) for c in check.members("recommended")]
    unrecommended = [c for c in windows if c not in recommended]
    if unrecommended:
        raise check.fail(
            f"{', '.join(unrecommended)} chosen as excellent windows but not recommended by "
            "their branch (R-17)"
        )
    units = _windows(check, windows, f"an excellent window of {check.period.key}")
    return (
        f"{check.name}: {check.period.key}'s excellent windows on the figures as of position "
        f"{check.position}: {units} recomputed eligible (R-25)"
        + check.outside(f"the {len(windows)} windows are")
    )


def _list_approval(check: _Check) -> str:
    key = check.period.key
    staff = [str(n) for n in check.members("excellent_staff")]
    people = _individuals(check, staff, f"on the excellent list of {key}")
    windows = [str(c) for c in check.members("excellent_windows")]
    units = _windows(check, windows, f"on the excellent list of {key}")
    return (
        f"{check.name}: the excellent list of {key} approved on the figures as of position "
        f"{check.position}: {people} excellent staff (R-22, R-35) and {units} windows (R-25) "
        "recomputed eligible" + check.outside(f"the {len(windows)} windows and the others are")
    )


def _grades(check: _Check) -> str:
    state, year = check.state, int(check.period.key)
    year_end = date(year, 12, 31)
    check.policy_version(year_end)
    grades = check.decided.get("grades")
    if not isinstance(grades, dict):
        raise check.fail("its grades are not an object")
    participants = {
        n for n, record in state.staff.items() if _active_in(record, date(year, 1, 1), year_end)
    }
    if check.center:
        missing = sorted(participants - set(grades))
        extra = sorted(set(grades) - participants)
        if missing or extra:
            raise check.fail(
                f"its grades do not cover the year's participants (R-17): no grade for "
                f"{', '.join(missing) or 'nobody'}; a grade for {', '.join(extra) or 'nobody'}, "
                "not assigned to any unit in the year"
            )
    elif check.person in participants and check.person not in grades:
        raise check.fail(f"{check.person} took part in {year} but has no grade (R-17)")
    parsed: dict[str, Grade] = {}
    for number, value in grades.items():
        try:
            parsed[str(number)] = Grade(value)
        except ValueError:
            raise check.fail(f"{number}'s grade {value!r} is no grade") from None
    excellent = 0
    for number in check.in_scope(sorted(parsed)):
        grade = parsed[number]
        category = check.staff(number).category
        scheme = grade_scheme(category, year)
        if not scheme.allows(grade):
            raise check.fail(
                f"{number}'s grade {grade.value} is not of the {category.value} scheme of {year} "
                f"({scheme.describe()}, or ungraded; R-12)"
            )
        if grade is Grade.EXCELLENT:
            excellent += _individuals(check, [number], f"graded excellent in {year}")
    quota = _quota(check, parsed)
    windows = ""
    if check.entry.kind == YEAR_RESULTS:
        codes = [str(c) for c in check.members("excellent_windows")]
        count = _windows(check, codes, f"an excellent window of {year}")
        windows = f", {count} excellent windows recomputed eligible (R-25)"
    what = "preliminary grades" if check.entry.kind == PRELIMINARY_GRADES else "results"
    return (
        f"{check.name}: {year}'s {what} on the figures as of position {check.position}: "
        f"{len(check.in_scope(parsed))} grades in their category's scheme (R-12), {excellent} "
        f"excellent recomputed eligible (R-22, R-35){windows}; the excellent quota (D-20) "
        f"recomputed within the limit: {quota}"
        + check.outside("the other staff's grades and the windows are")
    )


def _quota(check: _Check, grades: Mapping[str, Grade]) -> str:
    """Recompute the quota arithmetic of D-20 with the policy's percentages: from the grades and
    the staff's categories for the center; from the counts filed per category for a staff member
    (the others' categories are outside the filing), which must add up to the grades."""
    policy = check.state.policy.in_force(date(int(check.period.key), 12, 31))
    filed = check.decided.get("quota")
    if not isinstance(filed, dict):
        raise check.fail("its quota figures are not an object")
    counts: dict[str, tuple[int, int]] = {}
    if check.center:
        for number, grade in grades.items():
            category = check.staff(number).category.value
            graded, excellent = counts.get(category, (0, 0))
            if grade is not Grade.UNGRADED:
                graded += 1
                excellent += grade is Grade.EXCELLENT
            counts[category] = (graded, excellent)
        if set(filed) != set(counts):
            raise check.fail(
                f"its quota figures are for {', '.join(sorted(filed)) or 'no category'}, the "
                f"graded staff are of {', '.join(sorted(counts)) or 'no category'}"
            )
    else:
        for category, figures in filed.items():
            if not isinstance(figures, dict) or not all(
                type(figures.get(count)) is int for count in ("graded", "excellent")
            ):
                raise check.fail(f"its quota figures of {category} have no counts")
            counts[str(category)] = (figures["graded"], figures["excellent"])
        graded_total = sum(1 for g in grades.values() if g is not Grade.UNGRADED)
        excellent_total = sum(1 for g in grades.values() if g is Grade.EXCELLENT)
        filed_totals = (sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values()))
        if filed_totals != (graded_total, excellent_total):
            raise check.fail(
                f"its quota figures count {filed_totals[0]} graded and {filed_totals[1]} "
                f"excellent, its grades {graded_total} graded and {excellent_total} excellent"
            )
        person = check.person or ""
        if person in grades and grades[person] is not Grade.UNGRADED:
            category = check.staff(person).category.value
            if category not in counts:
                raise check.fail(f"its quota figures have no {category} category for {person}")
    said = []
    for category, (graded, excellent) in sorted(counts.items()):
        try:
            staff_category = StaffCategory(category)
        except ValueError:
            raise check.fail(f"its quota figures name no staff category: {category!r}") from None
        try:
            result = quota_check(
                staff_category,
                graded,
                excellent,
                policy.excellent_quota_warning_percent,
                policy.excellent_quota_limit_percent,
            )
        except ValueError as error:
            raise check.fail(f"its quota figures of {category} are not counts: {error}") from None
        if result.refused:
            raise check.fail(
                f"the excellent quota is exceeded: {result.describe()}: more than max(1, floor("
                f"{policy.excellent_quota_limit_percent}% x {result.graded})) = {result.limit} "
                "(D-20)"
            )
        expected = {
            "excellent": result.excellent,
            "graded": result.graded,
            "limit": result.limit,
            "limit_percent": str(policy.excellent_quota_limit_percent),
            "warn_above": str(result.warn_above),
            "warning_percent": str(policy.excellent_quota_warning_percent),
            "warns": result.warns,
        }
        wrong = _differing(filed[category], expected)
        if wrong:
            raise check.fail(
                f"its quota figures of {category} say {_pairs(filed[category], wrong)}, the "
                f"quota arithmetic (D-20) gives {_pairs(expected, wrong)}"
            )
        said.append(
            f"{category} {result.excellent} excellent of {result.graded}, limit {result.limit}"
            + (" (warns)" if result.warns else "")
        )
    return "; ".join(said) or "nobody graded"


_CHECKERS: dict[str, Callable[[_Check], str]] = {
    BONUS_SHEET_APPROVAL: _bonus_sheet,
    QUARTER_EXAMINATION: _quarter,
    QUARTER_RESULTS: _quarter,
    PRELIMINARY_GRADES: _grades,
    ANNUAL_EXCELLENT_WINDOWS: _annual_windows,
    EXCELLENT_LIST_APPROVAL: _list_approval,
    YEAR_RESULTS: _grades,
}
