"""RFC 9457 problem details: the one place where errors become HTTP responses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from http import HTTPStatus
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from ledger.application.core import CheckpointNotPublished
from ledger.errors import (
    ConcurrentWrite,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    LedgerError,
    RecordNotFound,
    RoleRequired,
    RuleViolation,
    VersionMismatch,
)
from ledger.projections.figures import ProjectionBehind

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """出错的字段 / One offending part of a request."""

    loc: list[str | int] = Field(
        description="位置 / where: path, query, header or body, then the field",
        examples=[["query", "limit"]],
    )
    msg: str = Field(
        description="说明 / what is wrong",
        examples=["Input should be greater than or equal to 1"],
    )
    type: str = Field(description="错误类型 / the kind of error", examples=["greater_than_equal"])


class Problem(BaseModel):
    """问题详情 / An RFC 9457 problem details object, with the ledger's extension members."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/rule-violation",
                    "title": "Rule violated",
                    "status": 422,
                    "detail": "R-01: quantity must be a whole number of at least 1",
                    "instance": "/api/v1/staff/S001/deductions",
                    "rule": "R-01",
                    "fields": {"quantity": 0},
                }
            ]
        }
    )

    type: str = Field(
        default="about:blank",
        description="问题类型 / the problem type, a URI reference",
        examples=["/problems/not-found"],
    )
    title: str = Field(
        description="标题 / short summary of the type", examples=["Record not found"]
    )
    status: int = Field(description="HTTP 状态码 / HTTP status code", examples=[404])
    detail: str | None = Field(
        default=None,
        description="详情 / what went wrong this time",
        examples=["staff member S999 is not registered"],
    )
    instance: str | None = Field(
        default=None,
        description="请求路径 / the path of the request",
        examples=["/api/v1/staff/S999"],
    )
    rule: str | None = Field(
        default=None,
        description="规则编号 / the rule or error code (SPEC R-xx, V1–V8, or a records rule)",
        examples=["R-01"],
    )
    fields: dict[str, Any] | None = Field(
        default=None,
        description="相关字段 / the command fields the refusal concerns",
        examples=[{"quantity": 0}],
    )
    role_needed: str | None = Field(
        default=None,
        description="所需角色 / the role (or roles) the command needs",
        examples=["supervision_clerk"],
    )
    position: int | None = Field(
        default=None,
        description="投影位置 / the log position the figures have reached",
        examples=[2950],
    )
    current_version: int | None = Field(
        default=None,
        description="当前版本 / the record's latest version (412)",
        examples=[9],
    )
    behind: int | None = Field(
        default=None,
        description="落后 / how many log positions the figures are behind the one asked for",
        examples=[11],
    )
    errors: list[FieldError] | None = Field(
        default=None, description="校验错误 / the fields that failed validation"
    )


_DESCRIPTIONS = {
    400: "请求体无法解析 / the request body is not valid JSON",
    401: "未认证 / no valid bearer token (sign in at /api/v1/token)",
    403: "缺少角色 / the actor lacked the role or scope",
    404: "记录不存在 / no such record",
    409: "写入冲突 / another writer came first, or the idempotency key is in use",
    412: "版本已变 / the record changed since the If-Match version (reload, decide again)",
    422: "请求被拒绝 / the request is invalid or breaks a rule",
    428: "缺少 If-Match / the command changes an existing record: send If-Match",
    500: "内部错误 / an unexpected error (logged)",
    503: "存储不可用 / the event store does not answer",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` declaring the Problem model for the given statuses."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS[status]} for status in statuses}


def problem_response(
    request: Request,
    status: int,
    problem_type: str,
    *,
    title: str | None = None,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """An application/problem+json response; members that are None are left out."""
    body = Problem(
        type=problem_type,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        **extensions,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


# The most specific class in an error's MRO decides, so RoleRequired wins over RuleViolation.
_LEDGER_ERRORS: dict[type[LedgerError], tuple[int, str, str]] = {
    RoleRequired: (403, "/problems/role-required", "Role required"),
    RuleViolation: (422, "/problems/rule-violation", "Rule violated"),
    RecordNotFound: (404, "/problems/not-found", "Record not found"),
    ConcurrentWrite: (409, "/problems/concurrent-write", "Concurrent write"),
    VersionMismatch: (412, "/problems/stale-version", "Record changed"),
    IdempotencyKeyReused: (422, "/problems/idempotency-key-reused", "Idempotency key reused"),
    IdempotencyKeyInFlight: (409, "/problems/idempotency-key-in-flight", "Request in flight"),
    LedgerError: (422, "/problems/refused", "Refused"),
}


async def _ledger_error(request: Request, error: LedgerError) -> Response:
    status, problem_type, title = next(
        _LEDGER_ERRORS[cls] for cls in type(error).__mro__ if cls in _LEDGER_ERRORS
    )
    extensions: dict[str, Any] = {"rule": error.rule}
    if isinstance(error, RoleRequired):
        extensions["role_needed"] = error.needed
    elif isinstance(error, VersionMismatch):
        extensions["current_version"] = error.current_version
    elif error.fields:
        extensions["fields"] = error.fields
    return problem_response(
        request, status, problem_type, title=title, detail=error.message, **extensions
    )


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    found = error.errors()
    if any(item["type"] == "json_invalid" for item in found):
        return problem_response(
            request, 400, "/problems/malformed-body", detail="the request body is not valid JSON"
        )
    return problem_response(
        request,
        422,
        "/problems/invalid-request",
        title="Invalid request",
        detail="the request has invalid fields; see errors",
        errors=[
            FieldError(loc=list(item["loc"]), msg=item["msg"], type=item["type"]) for item in found
        ],
    )


async def _http_error(request: Request, error: HTTPException) -> Response:
    title = HTTPStatus(error.status_code).phrase
    # Starlette fills the detail with the status phrase when nothing more is known.
    detail = str(error.detail) if error.detail != title else None
    return problem_response(
        request,
        error.status_code,
        "about:blank",
        title=title,
        detail=detail,
        headers=error.headers,
    )


async def _store_unavailable(request: Request, error: Exception) -> Response:
    logger.warning("event store unavailable for %s %s: %s", request.method, request.url.path, error)
    return problem_response(
        request,
        503,
        "/problems/store-unavailable",
        title="Store unavailable",
        detail="the event store does not answer; try again later",
    )


async def _checkpoint_not_published(request: Request, error: CheckpointNotPublished) -> Response:
    logger.error("checkpoint not published after a period decision: %s", error.message)
    # The decision is committed: say so, with its position, so the client does not decide again.
    return problem_response(
        request,
        500,
        "/problems/checkpoint-not-published",
        title="Decision recorded, checkpoint not published",
        detail="the period decision is recorded; publishing its checkpoint failed and the "
        "operator has been told (ledger checkpoint publish)",
        position=error.position,
    )


async def _projection_behind(request: Request, error: ProjectionBehind) -> Response:
    return problem_response(
        request,
        503,
        "/problems/projection-behind",
        title="Figures not yet caught up",
        detail=str(error),
        headers={"Retry-After": "1"},
        position=error.position,
        behind=error.behind,
    )


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.error("unexpected error in %s %s", request.method, request.url.path, exc_info=error)
    # The body says nothing about the error: its message or trace could reveal records.
    return problem_response(
        request, 500, "about:blank", detail="an unexpected error occurred; it has been logged"
    )


ExceptionHandler = Callable[[Request, Any], Coroutine[Any, Any, Response]]

EXCEPTION_HANDLERS: dict[int | type[Exception], ExceptionHandler] = {
    CheckpointNotPublished: _checkpoint_not_published,
    LedgerError: _ledger_error,
    ProjectionBehind: _projection_behind,
    RequestValidationError: _validation_error,
    HTTPException: _http_error,
    # The library wraps the drivers' connection and lock-timeout errors in these two.
    OperationalError: _store_unavailable,
    InterfaceError: _store_unavailable,
    Exception: _unexpected_error,
}
"""The handlers to pass to FastAPI(exception_handlers=...)."""


def document_problem_media_type(app: FastAPI) -> None:
    """Make the OpenAPI document list error responses as application/problem+json.

    FastAPI files every declared response model under the route's own media type
    (application/json, or text/event-stream for the live stream); the error responses are sent
    as application/problem+json.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for path_item in document.get("paths", {}).values():
                for operation in path_item.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] not in "45":
                            continue
                        for media_type in [m for m in content if m != PROBLEM_MEDIA_TYPE]:
                            content[PROBLEM_MEDIA_TYPE] = content.pop(media_type)
        return build()

    app.openapi = openapi  # type: ignore[method-assign]
