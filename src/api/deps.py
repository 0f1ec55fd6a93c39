"""The dependencies the routes declare, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger.application import AssessmentLedger
from ledger.settings import Settings, get_settings


async def get_ledger(request: Request) -> AssessmentLedger:
    """The ledger the application built at startup."""
    # Async, though it awaits nothing: FastAPI runs a plain function in the thread pool, a hop
    # (and back) on every request for reading an attribute.
    ledger: AssessmentLedger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[AssessmentLedger, Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
