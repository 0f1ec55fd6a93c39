"""Seeding helpers for the behavioural tests: a minimal organisation, and a realistic command
sequence that produces every kind of event the records know.

Dates are in 2025 and the commands are issued on the `clock` fixture's day (2025-03-10) unless a
helper sets the clock itself, so every test can reason about "today" and "the future".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pytest

from ledger.aggregates.catalogue import CatalogueItem
from ledger.application import AssessmentLedger, Outcome
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.errors import LedgerError, RuleViolation
from ledger.settings import Settings
from ledger.values import (
    OPERATOR,
    Actor,
    AppliesTo,
    CatalogueUnit,
    DeductionSource,
    LateEntryResolution,
    Role,
    StaffCategory,
    UnitKind,
    VetoCase,
)

START = date(2025, 1, 1)
"""The organisation exists, and everybody holds their role, from this day."""

TODAY = date(2025, 3, 10)
"""The `clock` fixture's day at the center."""

BRANCH = "B1"
WINDOW = "W01"
OTHER_WINDOW = "W02"
OFFICE = "OF1"

STAFF = "S001"
"""A window clerk at W01 from START."""
COLLEAGUE = "S002"
"""A window clerk at W02 from START."""
UNASSIGNED = "S003"
"""Registered, assigned nowhere."""

CLERK = Actor("C001", Role.SUPERVISION_CLERK)
LEADER = Actor("L001", Role.LEADING_GROUP)
"""A leading-group member acting in that role."""
LEADER_AS_CLERK = Actor("L001", Role.SUPERVISION_CLERK)
"""The same person claiming a role nobody granted them."""

SOURCE = DeductionSource.SUPERVISION_INSPECTION


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    """A moment of a day at the center."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTER_TIMEZONE)


def seed_organisation(ledger: AssessmentLedger) -> None:
    """Catalogue, one party branch, two windows and an office, three staff (two assigned), a
    supervision clerk granted from START and a leading-group member appointed from START."""
    ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "initial catalogue")
    ledger.form_party_branch(OPERATOR, BRANCH, "First branch", START)
    ledger.open_unit(OPERATOR, WINDOW, "Tax", UnitKind.WINDOW, "Tax bureau", BRANCH, START)
    ledger.open_unit(OPERATOR, OTHER_WINDOW, "Land", UnitKind.WINDOW, "Land bureau", BRANCH, START)
    ledger.open_unit(OPERATOR, OFFICE, "Supervision", UnitKind.OFFICE, "Center", BRANCH, START)
    for number, name, home in (
        (STAFF, "张三", "Tax bureau"),
        (COLLEAGUE, "李四", "Land bureau"),
        (UNASSIGNED, "王五", "Tax bureau"),
        (CLERK.person_id, "赵六", "Center"),
        (LEADER.person_id, "钱七", "Center"),
    ):
        ledger.register_staff(OPERATOR, number, name, StaffCategory.CIVIL_SERVANT, home, START)
    ledger.assign_staff(OPERATOR, STAFF, WINDOW, START)
    ledger.assign_staff(OPERATOR, COLLEAGUE, OTHER_WINDOW, START)
    ledger.assign_staff(OPERATOR, CLERK.person_id, OFFICE, START)
    ledger.assign_staff(OPERATOR, LEADER.person_id, OFFICE, START)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, START)
    ledger.appoint_leading_group_member(OPERATOR, LEADER.person_id, START)


def record(
    ledger: AssessmentLedger,
    incident_ref: str,
    *,
    actor: Actor = CLERK,
    staff_number: str = STAFF,
    item_code: str = "ATT-01",
    occurred_on: date = date(2025, 3, 3),
    **options: object,
) -> Outcome:
    """Record a deduction with defaults for everything the test does not care about."""
    return ledger.record_deduction(
        actor,
        staff_number,
        item_code,
        occurred_on,
        incident_ref,
        f"evidence of {incident_ref}",
        SOURCE,
        **options,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Names:
    """The free text a scenario writes into its events (Hypothesis varies it)."""

    staff_name: str = '张三 "Zhang" \\ San'
    unit_name: str = "税务窗口\t(Tax)"
    branch_name: str = "第一党支部"
    department: str = "税务局"
    reason: str = "复核后更正 — corrected after review"
    evidence_ref: str = "photo://2025/03/03/①.jpg"
    incident_ref: str = "INC-2025-0001"
    item_name: str = "试用条目 «trial»"
    policy_version: str = "measures-2009"
    policy_parameters: dict[str, str] = field(
        default_factory=lambda: {"month_bonus_halved_at": "3", "备注": "扣满即"}
    )


def full_scenario(ledger: AssessmentLedger, clock: SettableClock, names: Names = Names()) -> None:
    """A realistic sequence of commands that produces every event class of every record."""
    clock.set(at(date(2025, 1, 2), 8, 45))
    ledger.load_calendar_year(
        OPERATOR,
        2025,
        holidays=[date(2025, 1, 1), date(2025, 1, 28), date(2025, 1, 29)],
        makeup_workdays=[date(2025, 1, 26), date(2025, 2, 8)],
        source="State Council notice 2024-11",
    )
    ledger.adopt_policy(OPERATOR, names.policy_version, date(2009, 2, 1), names.policy_parameters)
    trial_item = CatalogueItem(
        "TRY-01",
        names.item_name,
        names.item_name,
        Decimal("1.5"),
        CatalogueUnit.HALF_DAY,
        AppliesTo.PERSON,
        names.reason,
    )
    ledger.publish_catalogue(
        OPERATOR, [*shipped_catalogue(), trial_item], date(2009, 2, 1), names.reason
    )
    ledger.form_party_branch(OPERATOR, BRANCH, names.branch_name, START)
    ledger.open_unit(
        OPERATOR, WINDOW, names.unit_name, UnitKind.WINDOW, names.department, BRANCH, START
    )
    ledger.open_unit(
        OPERATOR, OTHER_WINDOW, "Land", UnitKind.WINDOW, names.department, BRANCH, START
    )
    ledger.open_unit(OPERATOR, OFFICE, "Supervision", UnitKind.OFFICE, "Center", BRANCH, START)
    people = [
        (STAFF, StaffCategory.CIVIL_SERVANT),
        (COLLEAGUE, StaffCategory.REFERENCE_MANAGED),
        ("H001", StaffCategory.PUBLIC_INSTITUTION),
        (CLERK.person_id, StaffCategory.CIVIL_SERVANT),
        (LEADER.person_id, StaffCategory.CIVIL_SERVANT),
        ("L002", StaffCategory.CIVIL_SERVANT),
        ("P001", StaffCategory.CIVIL_SERVANT),
        ("R001", StaffCategory.CIVIL_SERVANT),
    ]
    for number, category in people:
        ledger.register_staff(OPERATOR, number, names.staff_name, category, names.department, START)
    ledger.assign_staff(OPERATOR, STAFF, WINDOW, START)
    ledger.assign_staff(OPERATOR, COLLEAGUE, OTHER_WINDOW, START)
    ledger.assign_staff(OPERATOR, "H001", WINDOW, START)
    ledger.appoint_head(OPERATOR, WINDOW, "H001", START)
    ledger.appoint_leader_in_charge(OPERATOR, WINDOW, LEADER.person_id, START)
    ledger.appoint_head(OPERATOR, OTHER_WINDOW, "H001", START)
    ledger.appoint_branch_secretary(OPERATOR, BRANCH, "H001", START)
    ledger.appoint_leading_group_member(OPERATOR, LEADER.person_id, START)
    ledger.appoint_leading_group_member(OPERATOR, "L002", START)
    ledger.appoint_committee_member(OPERATOR, "P001", START)
    ledger.grant_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, START)
    ledger.grant_role(OPERATOR, "R001", Role.HIGHER_AUTHORITY, START)
    ledger.assign_appeal_case(OPERATOR, "CASE-1", STAFF, "R001", START)

    clock.set(at(date(2025, 3, 10), 10, 15))
    ledger.end_head_term(OPERATOR, OTHER_WINDOW, date(2025, 2, 3))
    ledger.end_leading_group_membership(OPERATOR, "L002", date(2025, 3, 1))
    ledger.end_committee_membership(OPERATOR, "P001", date(2025, 3, 1))
    ledger.revoke_role(OPERATOR, "R001", Role.HIGHER_AUTHORITY, date(2025, 3, 1))
    changed = CatalogueItem(
        "ATT-01",
        "迟到、早退",
        "late arrival",
        Decimal("1"),
        CatalogueUnit.INCIDENT,
        AppliesTo.PERSON,
        names.reason,
    )
    ledger.publish_catalogue(OPERATOR, [changed], date(2025, 3, 1), names.reason)

    absence = ledger.record_deduction(
        CLERK,
        STAFF,
        "ATT-05",
        date(2025, 2, 10),
        names.incident_ref,
        names.evidence_ref,
        SOURCE,
        quantity=3,
    )
    assert absence.number is not None
    ledger.notify_deduction(CLERK, STAFF, absence.number, date(2025, 3, 10))
    ledger.amend_deduction(
        CLERK, STAFF, absence.number, date(2025, 3, 10), names.reason, quantity=2
    )
    ledger.record_deduction(
        LEADER,
        COLLEAGUE,
        "TRY-01",
        date(2025, 2, 10),
        names.incident_ref,
        names.evidence_ref,
        DeductionSource.COMPLAINT,
        quantity=2,
        points="2.5",
        override_reason=names.reason,
        decision_ref="LG-2025-07",
    )
    wrong = ledger.record_deduction(
        CLERK, STAFF, "ATT-02", date(2025, 3, 4), "INC-2", names.evidence_ref, SOURCE
    )
    assert wrong.number is not None
    ledger.revoke_deduction(CLERK, STAFF, wrong.number, date(2025, 3, 10), names.reason)

    window = ledger.record_window_deduction(
        CLERK, WINDOW, "ATT-07", date(2025, 3, 5), "INC-3", names.evidence_ref, SOURCE
    )
    assert window.number is not None
    ledger.amend_window_deduction(
        LEADER,
        WINDOW,
        window.number,
        date(2025, 3, 10),
        names.reason,
        points="3.0",
        decision_ref="LG-2025-08",
    )
    ledger.revoke_window_deduction(CLERK, WINDOW, window.number, date(2025, 3, 10), names.reason)

    veto = ledger.record_veto_case(
        CLERK,
        COLLEAGUE,
        VetoCase.V6,
        date(2025, 3, 6),
        "INC-4",
        names.evidence_ref,
        "verified with the complainant",
        DeductionSource.COMPLAINT,
    )
    assert veto.number is not None
    ledger.revoke_veto_case(CLERK, COLLEAGUE, veto.number, date(2025, 3, 10), names.reason)

    ledger.open_round(CLERK, "2025-02", date(2025, 3, 3))
    ledger.decide_period(LEADER, "2025-02", "LG-2025-09", date(2025, 3, 7))
    late = ledger.record_deduction(
        CLERK, STAFF, "ATT-03", date(2025, 2, 20), "INC-5", names.evidence_ref, SOURCE
    )
    assert late.number is not None
    ledger.resolve_late_entry(
        LEADER,
        "2025-02",
        ledger.staff_stream(STAFF),
        late.number,
        LateEntryResolution.NO_CHANGE,
        names.reason,
        date(2025, 3, 10),
    )

    clock.set(at(date(2025, 3, 11), 16, 5))
    ledger.transfer_staff(OPERATOR, COLLEAGUE, WINDOW, date(2025, 3, 11))
    ledger.release_staff(OPERATOR, STAFF, date(2025, 3, 11))


def memory_ledger(clock: SettableClock) -> AssessmentLedger:
    """A ledger on the in-memory store, for the unit tests."""
    return AssessmentLedger(env=Settings(database_url="memory://").eventsourcing_env(), clock=clock)


def refused(
    ledger: AssessmentLedger,
    command: Callable[[], object],
    error: type[LedgerError] = RuleViolation,
    rule: str | None = None,
) -> LedgerError:
    """Run a command that must be refused with `error` naming `rule`, and check that it
    recorded nothing (the log's head position is unchanged)."""
    head = ledger.head_position()
    with pytest.raises(error) as caught:
        command()
    assert ledger.head_position() == head, "a refused command recorded something"
    if rule is not None:
        assert caught.value.rule == rule, caught.value
    return caught.value
