"""The application factory: routers, error handling, and the ledger's lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from eventsourcing.postgres import PostgresApplicationRecorder
from fastapi import FastAPI
from fastapi.routing import APIRoute

from api import auth
from api.account_cache import AccountCache
from api.auth import TokenVerifier, signing_key
from api.docs import add_offline_docs
from api.live import LogFeed
from api.problems import EXCEPTION_HANDLERS, document_problem_media_type, problem_responses
from api.routers import (
    annual_results,
    bonus_sheets,
    deductions,
    figures,
    health,
    integrity,
    live,
    objections,
    quarters,
    rounds,
    staff,
    units,
    veto_cases,
    window_deductions,
    years,
)
from api.store_listener import StoreListener
from ledger.accounts import Accounts
from ledger.application import AssessmentLedger
from ledger.integrity.keys import KeyDirectory
from ledger.projections.figures import open_figures_view
from ledger.projections.projector import InProcessProjection
from ledger.settings import Settings, get_settings

TAGS = [
    {"name": "health", "description": "存活与就绪 / liveness and readiness probes"},
    {"name": "auth", "description": "登录 / sign in: OAuth2 password flow, bearer tokens"},
    {"name": "staff", "description": "员工记录 / staff members: the list, records and history"},
    {
        "name": "deductions",
        "description": "扣分 / deductions on staff and windows: read, record, notify, amend, "
        "revoke",
    },
    {
        "name": "veto-cases",
        "description": "一票否决 / veto cases (V1–V8) against a staff member: record, read, revoke",
    },
    {
        "name": "units",
        "description": "窗口与处室 / windows and offices: the list, records, members and history",
    },
    {
        "name": "figures",
        "description": "指标 / figures with their trace, fresh or as of a position",
    },
    {"name": "live", "description": "实时 / live updates for dashboards (Server-Sent Events)"},
    {
        "name": "rounds",
        "description": "考核轮次 / rounds: open a period, where its procedure stands, late entries",
    },
    {
        "name": "bonus-sheets",
        "description": "奖金表 / monthly and half-year bonus sheets: prepare, decide, approve",
    },
    {
        "name": "quarters",
        "description": "季度评价 / the quarterly evaluation: opinions to published results",
    },
    {
        "name": "years",
        "description": "年度考核 / the annual assessment: forms to filings, each by its role; "
        "participants, publicity and each person's result",
    },
    {
        "name": "objections",
        "description": "异议、复核与申诉 / objections to entries, reviews and appeals of grades",
    },
    {
        "name": "integrity",
        "description": "完整性 / checkpoints, Merkle proofs and verifiable filings",
    },
]


def operation_id(route: APIRoute) -> str:
    """The route's function name, so generated clients keep their method names."""
    return route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the ledger on startup and close it on shutdown."""
    # The same provider the routes depend on, so an override reaches the store as well.
    provide_settings = app.dependency_overrides.get(get_settings, get_settings)
    settings: Settings = provide_settings()
    if settings.store == "sqlite":
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    # With the log's key in the key directory, every period decision and the year's filing with
    # the higher authority publish a checkpoint (as the CLI does); the key is read once, here,
    # never from the database.
    keys = KeyDirectory(settings.key_dir)
    signer = keys.signer() if keys.signer_file.exists() else None
    ledger = AssessmentLedger(
        env=settings.eventsourcing_env(), checkpoint_signer=signer, log_origin=settings.log_origin
    )
    app.state.ledger = ledger
    app.state.settings = settings
    accounts = Accounts(ledger)
    app.state.accounts = accounts
    app.state.signing_key = signing_key(settings)
    app.state.tokens = TokenVerifier(app.state.signing_key)
    account_cache = AccountCache(accounts)
    app.state.account_cache = account_cache
    # On PostgreSQL the figures are kept by the worker process (`ledger project`) and read here;
    # on the embedded store this process keeps them, woken by its own saves.
    projection = None if settings.store == "postgres" else InProcessProjection(ledger)
    app.state.figures = projection.view if projection else open_figures_view(ledger.factory)
    if projection is not None:
        projection.start()
    live = LogFeed(ledger)
    app.state.live = live
    # One listener per process to PostgreSQL's notifications, for the live feed and the
    # account cache; the embedded stores notify nobody, so the feed polls and the cache reads.
    listener = None
    recorder = ledger.recorder
    if isinstance(recorder, PostgresApplicationRecorder) and accounts.change_channel:
        listener = StoreListener(
            recorder.datastore,
            {
                recorder.channel_name: live.listening(),
                accounts.change_channel: account_cache.listening(),
            },
        )
    live.start(asyncio.get_running_loop(), poll=listener is None)
    if listener is not None:
        listener.start()
    try:
        yield
    finally:
        if listener is not None:
            listener.stop()
        live.stop()
        if projection is not None:
            projection.stop()
        ledger.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API; given settings take the place of the environment's."""
    app = FastAPI(
        title="考核台账 / The assessment ledger",
        version=version("assessment-ledger"),
        lifespan=lifespan,
        # FastAPI's OpenTelemetry bridge asks on every request whether a provider is set; none
        # is (the center runs no collector), so it is off rather than asked each time.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        exception_handlers=EXCEPTION_HANDLERS,
        responses=problem_responses(500),
        generate_unique_id_function=operation_id,
        openapi_tags=TAGS,
        # Served from vendored assets below: the default pages load them from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    for module in (
        health,
        auth,
        staff,
        deductions,
        veto_cases,
        objections,
        units,
        window_deductions,
        figures,
        live,
        rounds,
        bonus_sheets,
        quarters,
        years,
        annual_results,
        integrity,
    ):
        app.include_router(module.router)
    document_problem_media_type(app)
    add_offline_docs(app)
    return app
