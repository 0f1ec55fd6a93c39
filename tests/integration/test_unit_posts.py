"""A unit's head holds the post from the appointment until the day before a successor's
appointment or the day the head leaves (window_head / office_head, SPEC section 5)."""

from __future__ import annotations

from datetime import date

from builders import COLLEAGUE, STAFF, WINDOW, refused, seed_organisation
from ledger.application import AssessmentLedger
from ledger.errors import RuleViolation
from ledger.values import OPERATOR


def test_given_a_head_who_left_when_asking_who_heads_the_unit_then_the_post_is_vacant(
    ledger: AssessmentLedger,
) -> None:
    seed_organisation(ledger)
    ledger.appoint_head(OPERATOR, WINDOW, STAFF, date(2025, 1, 6))

    ledger.end_head_term(OPERATOR, WINDOW, date(2025, 2, 1))

    unit = ledger.unit(WINDOW)
    assert unit.head_on(date(2025, 1, 31)) == STAFF
    assert unit.head_on(date(2025, 2, 1)) is None


def test_given_a_vacant_post_when_a_successor_is_appointed_then_the_old_term_keeps_its_end(
    ledger: AssessmentLedger,
) -> None:
    seed_organisation(ledger)
    ledger.appoint_head(OPERATOR, WINDOW, STAFF, date(2025, 1, 6))
    ledger.end_head_term(OPERATOR, WINDOW, date(2025, 2, 1))

    ledger.appoint_head(OPERATOR, WINDOW, COLLEAGUE, date(2025, 3, 1))

    unit = ledger.unit(WINDOW)
    assert unit.head_on(date(2025, 2, 15)) is None
    assert unit.head_on(date(2025, 3, 1)) == COLLEAGUE


def test_a_head_term_cannot_end_when_nobody_is_in_post(ledger: AssessmentLedger) -> None:
    seed_organisation(ledger)

    refused(
        ledger,
        lambda: ledger.end_head_term(OPERATOR, WINDOW, date(2025, 2, 1)),
        RuleViolation,
        rule="HEAD_TERM",
    )


def test_a_head_term_cannot_end_before_it_began(ledger: AssessmentLedger) -> None:
    seed_organisation(ledger)
    ledger.appoint_head(OPERATOR, WINDOW, STAFF, date(2025, 1, 6))

    refused(
        ledger,
        lambda: ledger.end_head_term(OPERATOR, WINDOW, date(2025, 1, 6)),
        RuleViolation,
        rule="DATED_RECORDS",
    )
