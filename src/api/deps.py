"""The dependencies the routes declare, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger.application import AssessmentLedger
from ledger.settings import Settings, get_settings


def get_ledger(request: Request) -> AssessmentLedger:
    """The ledger the application built at startup."""
    ledger: AssessmentLedger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[AssessmentLedger, Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
