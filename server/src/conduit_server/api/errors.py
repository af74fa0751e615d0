"""The one place where errors become HTTP responses (docs/api.md §7)."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import sqlalchemy.exc as sa_exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from procrastinate.exceptions import ConnectorException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from conduit_server.api.text_safety import for_log
from conduit_server.domain.errors import ApiError, Gone
from conduit_server.store.db import is_connection_error

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


def envelope(code: str, message: str, details: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    error.update(extra)
    return {"error": error}


def error_response(status: int, code: str, message: str, *, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(envelope(code, message, details, **extra), status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if isinstance(exc, Gone):
        body = {"deletedAt": exc.deleted_at, "error": "gone", "code": "gone", "message": exc.message}
        return JSONResponse(body, status_code=410)
    extra: dict[str, Any] = {}
    if exc.status == 429 and "Retry-After" in exc.headers:
        extra["retryAfter"] = int(exc.headers["Retry-After"])
    return error_response(exc.status, exc.code, exc.message, details=exc.details, headers=exc.headers, **extra)


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    issues = [{"path": _loc_to_path(tuple(e.get("loc", ()))), "message": e.get("msg", "Invalid")} for e in exc.errors()]
    first = issues[0] if issues else {"path": "", "message": "Invalid request"}
    return error_response(422, "validation_error", f"{first['path']}: {first['message']}", details={"issues": issues})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


# Distributed mode (issue 6): while PostgreSQL is unreachable (down, restarting, pool exhausted) a request fails
# fast (connect timeout in store/db.py) and answers 503 `unavailable` with Retry-After, not 500 and not a hang.
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable() -> JSONResponse:
    return error_response(503, "unavailable", "The database is unavailable; retry shortly",
                          headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
                          retryAfter=DATABASE_RETRY_AFTER_SECONDS)


async def _database_error(request: Request, exc: Exception) -> Response:
    if is_connection_error(exc):
        log.warning("database unavailable on %s %s: %s", request.method, for_log(request.url.path),
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return database_unavailable()
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    if is_connection_error(exc):  # e.g. wrapped by a library into another exception type
        return database_unavailable()
    log.exception("unexpected error on %s %s", request.method, for_log(request.url.path))  # the path is raw input
    return error_response(500, "internal", "Internal server error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for db_error in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, psycopg.OperationalError,
                     psycopg.InterfaceError, ConnectorException):
        app.add_exception_handler(db_error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
