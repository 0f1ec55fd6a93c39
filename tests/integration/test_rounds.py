"""Rounds and period decisions (SPEC section 3): a period is decided on the figures as of a log
position; an entry recorded after the decision is late until the leading group resolves it."""

from __future__ import annotations

from datetime import date

from builders import CLERK, LEADER, STAFF, prepare_sheet, record, refused, seed_organisation
from ledger.application import AssessmentLedger
from ledger.errors import RuleViolation
from ledger.policy.parameters import MEASURES_2009
from ledger.values import OPERATOR, LateEntryResolution

FEBRUARY = "2025-02"


def decided_february(ledger: AssessmentLedger) -> int:
    """Seed, record one February deduction, decide February; return that deduction's number."""
    seed_organisation(ledger)
    number = record(ledger, "INC-EARLY", occurred_on=date(2025, 2, 10)).number
    assert number is not None
    ledger.open_round(CLERK, FEBRUARY, date(2025, 3, 3))
    prepare_sheet(ledger, FEBRUARY, date(2025, 3, 7))
    ledger.decide_period(LEADER, FEBRUARY, "LG-2025-09", date(2025, 3, 7))
    return number


def resolve(ledger: AssessmentLedger, version: int) -> None:
    ledger.resolve_late_entry(
        LEADER,
        FEBRUARY,
        ledger.staff_stream(STAFF),
        version,
        LateEntryResolution.NO_CHANGE,
        "below every threshold",
        date(2025, 3, 10),
    )


def test_given_a_decided_month_when_a_late_deduction_is_resolved_then_the_round_records_it(
    ledger: AssessmentLedger,
) -> None:
    decided_february(ledger)
    late = record(ledger, "INC-LATE", occurred_on=date(2025, 2, 20)).number
    assert late is not None

    resolve(ledger, late)

    resolved = ledger.round(FEBRUARY).resolved_late_entries
    assert resolved == {(str(ledger.staff_stream(STAFF)), late): LateEntryResolution.NO_CHANGE}


def test_given_a_decided_month_when_a_late_revocation_is_resolved_then_its_deduction_dates_it(
    ledger: AssessmentLedger,
) -> None:
    """A revocation carries no incident date: the revoked deduction's date decides the period."""
    early = decided_february(ledger)
    ledger.revoke_deduction(CLERK, STAFF, early, date(2025, 3, 10), "wrong person")
    revocation = ledger.staff(STAFF).version

    resolve(ledger, revocation)

    assert (str(ledger.staff_stream(STAFF)), revocation) in ledger.round(
        FEBRUARY
    ).resolved_late_entries


def test_an_entry_known_when_the_period_was_decided_is_not_late(
    ledger: AssessmentLedger,
) -> None:
    early = decided_february(ledger)

    refused(ledger, lambda: resolve(ledger, early), RuleViolation, rule="LATE_ENTRY")


def test_an_entry_of_another_period_is_not_a_late_entry_of_this_one(
    ledger: AssessmentLedger,
) -> None:
    decided_february(ledger)
    march = record(ledger, "INC-MARCH", occurred_on=date(2025, 3, 4)).number
    assert march is not None

    refused(ledger, lambda: resolve(ledger, march), RuleViolation, rule="LATE_ENTRY")


def test_a_period_is_decided_once(ledger: AssessmentLedger) -> None:
    decided_february(ledger)

    refused(
        ledger,
        lambda: ledger.decide_period(LEADER, FEBRUARY, "LG-2025-11", date(2025, 3, 10)),
        RuleViolation,
        rule="DECIDED_ONCE",
    )


def test_a_policy_version_with_a_value_no_fold_could_read_is_refused(
    ledger: AssessmentLedger,
) -> None:
    """D-01 thresholds are points in steps of 0.5: "3.2" would break every later computation."""
    parameters = {**MEASURES_2009.as_record(), "month_bonus_halved_at": "3.2"}

    refused(
        ledger,
        lambda: ledger.adopt_policy(OPERATOR, "bad-2025", date(2025, 1, 1), parameters),
        RuleViolation,
        rule="POLICY_VERSIONS",
    )
