"""Liveness and readiness probes."""

from __future__ import annotations

from api.deps import LedgerDep, SettingsDep
from api.problems import problem_responses
from api.routing import resource_router
from api.schemas import Liveness, Readiness

router = resource_router(tags=["health"])


@router.get("/healthz", summary="存活检查 / liveness")
async def check_liveness() -> Liveness:
    """The process answers."""
    # Async on purpose: it answers even while every worker thread waits on the store.
    return Liveness(status="ok")


@router.get("/readyz", summary="就绪检查 / readiness", responses=problem_responses(503))
def check_readiness(ledger: LedgerDep, settings: SettingsDep) -> Readiness:
    """The event store answers; a store that does not gives 503."""
    return Readiness(status="ready", store=settings.store, head_position=ledger.head_position())
