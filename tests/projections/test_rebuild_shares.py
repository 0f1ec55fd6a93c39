"""A rebuild in several processes on PostgreSQL: each folds and computes its own share of the
log, and the rows are those of a fold of the whole log (every rule's figures; the shares follow
the links R-30, D-03 and D-04 read)."""

from __future__ import annotations

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.application import AssessmentLedger
from ledger.policy import LedgerState, active_years
from ledger.projections import rebuild as rebuild_module
from ledger.projections.figures import open_figures_view
from ledger.projections.log import fold_log, fold_streams, log_extent, read_links
from ledger.projections.partition import Share, shares
from ledger.projections.rebuild import rebuild, subject_row

pytestmark = pytest.mark.postgres


def _recorder(ledger: AssessmentLedger) -> PostgresApplicationRecorder:
    assert isinstance(ledger.recorder, PostgresApplicationRecorder)
    return ledger.recorder


def _rows(state: LedgerState, years: tuple[int, ...]) -> dict[tuple[str, str, int], bytes]:
    subjects = [("staff", s) for s in state.staff] + [("unit", u) for u in state.units]
    return {
        (kind, subject, year): row.figures
        for kind, subject in subjects
        for year in years
        if (row := subject_row(state, kind, subject, year)) is not None
    }


def test_given_the_full_scenario_when_each_share_is_folded_alone_then_its_rows_are_those_of_the_whole_log(  # noqa: E501
    postgres_ledger: AssessmentLedger,
) -> None:
    recorder = _recorder(postgres_ledger)
    head = postgres_ledger.head_position()
    whole = fold_log(recorder, head)
    years = active_years(whole)
    last, _ = log_extent(recorder, 0, head)

    share_states = [
        fold_streams(recorder, last, share.streams)
        for share in shares(read_links(recorder, head), 2)
    ]

    assert all(state.staff for state in share_states)  # the split is not all in one share
    from_shares: dict[tuple[str, str, int], bytes] = {}
    for state in share_states:
        rows = _rows(state, years)
        assert not rows.keys() & from_shares.keys()
        from_shares |= rows
    assert from_shares == _rows(whole, years)
    merged_years = {
        year: min(s.year_positions[year] for s in share_states if year in s.year_positions)
        for year in years
    }
    assert merged_years == whole.year_positions
    assert {k: v for s in share_states for k, v in s.member_positions.items()} == (
        whole.member_positions
    )


def test_given_shares_that_part_a_window_from_its_member_when_rebuilt_in_two_processes_then_it_fails_naming_them(  # noqa: E501
    postgres_ledger: AssessmentLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = open_figures_view(postgres_ledger.factory)
    dealt = shares(read_links(_recorder(postgres_ledger), postgres_ledger.head_position()), 1)
    (everything,) = dealt
    window_streams = {u.stream_id for u in fold_log(postgres_ledger.recorder, 10**9).units.values()}
    parted = [
        Share(tuple(s for s in everything.streams if s in window_streams), everything.unit_codes),
        Share(tuple(s for s in everything.streams if s not in window_streams), frozenset()),
    ]
    monkeypatch.setattr(rebuild_module, "shares", lambda links, count: parted)

    with pytest.raises(RuntimeError, match="the shares are not whole"):
        rebuild(postgres_ledger, view, processes=2)


def test_given_a_rebuild_in_two_processes_when_it_reports_its_reading_then_the_position_only_moves_forward_to_the_head(  # noqa: E501
    postgres_ledger: AssessmentLedger,
) -> None:
    view = open_figures_view(postgres_ledger.factory)
    read: list[int] = []

    rebuilt = rebuild(postgres_ledger, view, processes=2, on_fold=read.append)

    assert read == sorted(read)
    assert read[-1] == rebuilt.position == postgres_ledger.head_position()
    assert rebuilt.processes == 2
