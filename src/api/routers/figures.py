"""Figures: a staff member's or a unit's figures from the projection (optionally at least as
fresh as a log position), as known at a past position, and the explanation of one figure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.exceptions import RequestValidationError

from api.deps import LedgerDep
from api.permissions import StaffReader, UnitReader
from api.problems import problem_responses
from api.routing import resource_router
from api.schemas import (
    AS_OF_DESCRIPTION,
    AsOf,
    FigureExplanation,
    FigureItem,
    FiguresPage,
    FiguresQuery,
    StaffNumber,
)
from ledger.application import AssessmentLedger
from ledger.errors import RecordNotFound
from ledger.projections.as_of import explain_figure, position_of, subject_figures_as_of
from ledger.projections.figures import FiguresView, figure_row

router = resource_router(
    prefix="/api/v1", tags=["figures"], responses=problem_responses(401, 403, 404, 422, 503)
)

UnitCode = Annotated[str, Path(description="窗口或处室代码 / unit code", examples=["W01"])]
PeriodKey = Annotated[
    str, Path(description="期间 / period: 2025-03, 2025-Q1, 2025-H1 or 2025", examples=["2025-Q1"])
]
FigureName = Annotated[
    str, Path(description="指标 / figure name", examples=["excellent_individual"])
]


def _view(request: Request) -> FiguresView:
    view: FiguresView = request.app.state.figures
    return view


def _page(
    ledger: AssessmentLedger, view: FiguresView, kind: str, subject: str, query: FiguresQuery
) -> FiguresPage:
    """The subject's figures: from the view (waiting for `min_position` if asked), or as known
    at `as_of` computed from the log (the view is not involved then)."""
    if query.as_of is not None:
        position = position_of(ledger, query.as_of)
        records = [
            figure_row(figure)
            for figure in subject_figures_as_of(ledger, view, kind, subject, position)
        ]
    else:
        if query.min_position is not None:
            _require_written(ledger, view, query.min_position)
            view.wait_for(query.min_position, query.wait)
        position = view.position()
        records = view.subject_rows(kind, subject)
    if query.year is not None:
        records = [row for row in records if row.year == query.year]
    items = [
        FigureItem(
            period=row.period,
            figure=row.figure,
            policy_version=row.policy_version,
            record=_decoded(row.record),
        )
        for row in sorted(records, key=lambda row: (row.period, row.figure))
    ]
    return FiguresPage(subject_kind=kind, subject=subject, position=position, items=items)


def _require_written(ledger: AssessmentLedger, view: FiguresView, position: int) -> None:
    """Refuse a `min_position` the log has not reached (422 naming it): no write answered it, so
    waiting for it is not read-your-writes and could only run out (503)."""
    if position <= view.position():
        return  # the figures include it already: the store need not be asked
    head = ledger.head_position()
    if position > head:
        raise RequestValidationError(
            [
                {
                    "type": "beyond_log_head",
                    "loc": ("query", "min_position"),
                    "msg": f"Input should be a written log position, at most the head {head}",
                    "input": position,
                }
            ]
        )


def _decoded(record: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(record)
    return decoded


@router.get("/staff/{staff_number}/figures", summary="员工指标 / a staff member's figures")
def list_staff_figures(
    staff_number: StaffNumber,
    reader: StaffReader,
    query: Annotated[FiguresQuery, Query()],
    ledger: LedgerDep,
    request: Request,
) -> FiguresPage:
    """Deduction totals, bonus statuses, notices, head liabilities and eligibility per period,
    each with the events it was computed from and the policy version."""
    ledger.staff(staff_number)  # RecordNotFound (404) for an unregistered number
    return _page(ledger, _view(request), "staff", staff_number, query)


@router.get("/units/{code}/figures", summary="窗口指标 / a window's figures")
def list_unit_figures(
    code: UnitCode,
    reader: UnitReader,
    query: Annotated[FiguresQuery, Query()],
    ledger: LedgerDep,
    request: Request,
) -> FiguresPage:
    """Per quarter the headcount, total and excellent-window eligibility, and the year's."""
    ledger.unit(code)
    return _page(ledger, _view(request), "unit", code, query)


@router.get(
    "/staff/{staff_number}/figures/{period}/{figure}/explanation",
    summary="指标说明 / why a staff member's figure is what it is",
)
def explain_staff_figure(
    staff_number: StaffNumber,
    reader: StaffReader,
    period: PeriodKey,
    figure: FigureName,
    ledger: LedgerDep,
    request: Request,
    as_of: Annotated[
        AsOf | None, Query(description=AS_OF_DESCRIPTION, examples=[300, "2025-04-10"])
    ] = None,
) -> FigureExplanation:
    """The rule and threshold applied, the events counted and those left out with the reason."""
    return _explanation(ledger, _view(request), "staff", staff_number, period, figure, as_of)


@router.get(
    "/units/{code}/figures/{period}/{figure}/explanation",
    summary="指标说明 / why a window's figure is what it is",
)
def explain_unit_figure(
    code: UnitCode,
    reader: UnitReader,
    period: PeriodKey,
    figure: FigureName,
    ledger: LedgerDep,
    request: Request,
    as_of: Annotated[
        AsOf | None, Query(description=AS_OF_DESCRIPTION, examples=[300, "2025-04-10"])
    ] = None,
) -> FigureExplanation:
    """The rule and threshold applied, the events counted and those left out with the reason."""
    return _explanation(ledger, _view(request), "unit", code, period, figure, as_of)


def _explanation(
    ledger: AssessmentLedger,
    view: FiguresView,
    kind: str,
    subject: str,
    period: str,
    name: str,
    as_of: int | datetime | None,
) -> FigureExplanation:
    explained = explain_figure(ledger, kind, subject, period, name, as_of, view)
    if explained is None:
        raise RecordNotFound(f"{subject} has no figure {name} for {period}")
    return FigureExplanation(explanation=explained)
