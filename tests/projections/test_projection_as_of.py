"""Figures as known at an earlier position, and their explanation, from the log alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from builders import STAFF, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy import DeductionTotal, Figure
from ledger.projections.as_of import explain_figure, figures_as_of
from ledger.projections.figures import open_figures_view
from ledger.projections.projector import InProcessProjection


def _march_total(figures: Sequence[Figure], staff_number: str = STAFF) -> str:
    found = [
        f
        for f in figures
        if isinstance(f, DeductionTotal) and f.subject == staff_number and f.period.key == "2025-03"
    ]
    assert len(found) == 1
    return str(found[0].total)


def test_given_a_later_deduction_when_asking_figures_as_of_an_earlier_position_then_it_is_hidden(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    earlier = record(ledger, "INC-ASOF-1", occurred_on=date(2025, 3, 3))
    record(ledger, "INC-ASOF-2", occurred_on=date(2025, 3, 4))

    then = figures_as_of(ledger, earlier.position)
    now = figures_as_of(ledger)

    assert _march_total(then) == "0.5"
    assert _march_total(now) == "1.0"


def test_given_a_later_deduction_when_explaining_a_figure_as_of_an_earlier_position_then_only_the_events_known_then_are_counted(  # noqa: E501
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)
    earlier = record(ledger, "INC-ASOF-3", occurred_on=date(2025, 3, 3))
    later = record(ledger, "INC-ASOF-4", occurred_on=date(2025, 3, 4))
    view = open_figures_view(ledger.factory)
    InProcessProjection(ledger, view).catch_up()

    then = explain_figure(ledger, "staff", STAFF, "2025-03", "deduction_total", earlier.position)
    now = explain_figure(ledger, "staff", STAFF, "2025-03", "deduction_total")

    assert then is not None and now is not None
    assert len(then["trace"]["counted"]) == 1
    assert len(now["trace"]["counted"]) == 2
    assert "1 events counted" in then["because"]
    assert view.position() == later.position


def test_given_a_position_before_the_subject_existed_when_explaining_then_there_is_no_figure(
    ledger: AssessmentLedger, clock: SettableClock
) -> None:
    seed_organisation(ledger)

    assert explain_figure(ledger, "staff", STAFF, "2025-03", "deduction_total", 1) is None
