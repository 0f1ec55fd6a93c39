"""The fold from plain facts (decoded from the stored canonical payloads) and the versioned
policy it reads (SPEC 4.8: the version in force on the last day of the period; 2009 by
default)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from policy_support import deduct, facts_of, number_of, state_of

from builders import LEADER, STAFF
from ledger.application import AssessmentLedger
from ledger.policy import (
    MEASURES_2009,
    BonusStatus,
    FactError,
    PolicyBook,
    PolicyParameters,
    bonus,
    deduction_total,
    excellent_individual,
    fold,
)
from ledger.values import OPERATOR, Period

MARCH = Period.parse("2025-03")


def test_facts_are_decoded_from_the_stored_payloads(center: AssessmentLedger) -> None:
    """Given a recorded deduction, then its fact holds the stream id as a string, the version,
    the log position, the topic and the canonical payload with points as a string."""
    outcome = deduct(center, date(2025, 3, 5), "2.5")

    fact = next(f for f in facts_of(center) if f.position == outcome.position - 1)

    assert fact.topic == "ledger.staff.DeductionRecorded.v1"
    assert fact.stream_id == str(center.staff_stream(STAFF))
    assert fact.version == number_of(outcome)
    assert fact.payload["points_applied"] == "2.5"


def test_fold_refuses_facts_out_of_log_order(center: AssessmentLedger) -> None:
    """Given the log with two facts swapped, then the fold refuses it."""
    facts = facts_of(center)
    facts[3], facts[4] = facts[4], facts[3]

    with pytest.raises(FactError, match="log order"):
        fold(facts)


def test_fold_refuses_a_stream_with_a_missing_event(center: AssessmentLedger) -> None:
    """Given the log without a staff member's deduction (the next event of the stream is an
    amendment of it), then the fold refuses it rather than drop the deduction silently."""
    recorded = deduct(center, date(2025, 3, 5), "2")
    center.amend_deduction(
        LEADER, STAFF, number_of(recorded), date(2026, 1, 10), "less", points="1.0"
    )
    facts = [f for f in facts_of(center) if f.position != recorded.position - 1]

    with pytest.raises(FactError, match="version 3 of its stream was due"):
        fold(facts)


def test_as_of_a_position_the_fold_knows_only_what_was_recorded_by_then(
    center: AssessmentLedger,
) -> None:
    """Given 3 points recorded and then 1 more, then the state as of the first deduction's
    position shows 3 and the current state 4."""
    first = deduct(center, date(2025, 3, 5), "3")
    deduct(center, date(2025, 3, 6), "1")

    then = deduction_total(state_of(center, up_to=first.position), STAFF, MARCH)
    now = deduction_total(state_of(center), STAFF, MARCH)

    assert (then.total, now.total) == (Decimal(3), Decimal(4))


def test_without_an_adopted_policy_the_measures_of_2009_apply(center: AssessmentLedger) -> None:
    """Given no adopted policy version, then figures use the 2009 default and name it."""
    figure = bonus(state_of(center), STAFF, MARCH)

    assert figure.policy_version == MEASURES_2009.version == "measures-2009"


def test_a_figure_uses_the_version_in_force_on_the_last_day_of_its_period(
    center: AssessmentLedger,
) -> None:
    """Given a version raising the monthly halving threshold to 4 from 15 March, and 3.5 points
    in February and in March, then February (default) is halved and March (new version, in
    force on 31 March though not on the incident date) is full."""
    center.adopt_policy(OPERATOR, "lenient-2025", date(2025, 3, 15), {"month_bonus_halved_at": "4"})
    deduct(center, date(2025, 2, 5), "3.5")
    deduct(center, date(2025, 3, 5), "3.5")

    state = state_of(center)
    february = bonus(state, STAFF, Period.parse("2025-02"))
    march = bonus(state, STAFF, MARCH)

    assert (february.status, february.policy_version) == (BonusStatus.HALVED, "measures-2009")
    assert (march.status, march.policy_version, march.threshold) == (
        BonusStatus.FULL,
        "lenient-2025",
        Decimal(4),
    )
    assert excellent_individual(state, STAFF, Period.parse("2025-Q1")).policy_version == (
        "lenient-2025"
    )


def test_an_adopted_version_keeps_the_2009_value_of_every_parameter_it_does_not_name() -> None:
    """Given a record naming one parameter and a remark, then the other parameters are 2009's and
    the remark is ignored."""
    adopted = PolicyParameters.from_record(
        "v2", date(2025, 1, 1), {"month_bonus_halved_at": "3.5", "备注": "扣满即"}
    )

    assert adopted == replace(
        MEASURES_2009,
        version="v2",
        effective_from=date(2025, 1, 1),
        month_bonus_halved_at=Decimal("3.5"),
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("month_bonus_halved_at", "three"),
        ("month_bonus_halved_at", "3.2"),
        ("publicity_working_days", "5.5"),
        ("criticism_notice_on", "sometimes"),
    ],
)
def test_a_parameter_of_the_wrong_form_is_refused(name: str, value: str) -> None:
    """Given a parameter that is not a number in steps of 0.5, a whole number or a known reading,
    then reading the version fails naming it."""
    with pytest.raises(ValueError, match=name):
        PolicyParameters.from_record("bad", date(2025, 1, 1), {name: value})


def test_the_2009_parameters_survive_their_own_record() -> None:
    """Given the 2009 parameters written as strings (as the demo adopts them), then reading them
    back gives the same parameters."""
    record = MEASURES_2009.as_record()

    assert (
        PolicyParameters.from_record(MEASURES_2009.version, MEASURES_2009.effective_from, record)
        == MEASURES_2009
    )


def test_the_policy_book_picks_the_latest_version_in_force_on_a_day() -> None:
    """Given versions from 2020 and 2025, then a 2019 day gets 2009's, a 2024 day the 2020
    version and a 2025 day the 2025 version."""
    v2020 = replace(MEASURES_2009, version="v2020", effective_from=date(2020, 1, 1))
    v2025 = replace(MEASURES_2009, version="v2025", effective_from=date(2025, 1, 1))
    book = PolicyBook.of([v2025, v2020])

    assert [book.in_force(date(y, 6, 1)).version for y in (2019, 2024, 2025)] == [
        "measures-2009",
        "v2020",
        "v2025",
    ]
