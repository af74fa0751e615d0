"""Retry policy as small pure functions, and mapping of HTTP failures to SDK errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import cast

import httpx

from ._errors import (
    ApiError,
    AuthError,
    ConduitError,
    InsufficientCreditsError,
    RateLimitError,
    ValidationError,
)
from ._errors import TimeoutError as SDKTimeoutError

MAX_BACKOFF_MS = 4000


def backoff_ms(attempt: int, randbelow: Callable[[int], int]) -> int:
    """``min(500 * 2**attempt, 4000)`` ms plus jitter in ``[0, base/2)``; ``attempt`` is 1-based."""
    base = min(500 * int(2**attempt), MAX_BACKOFF_MS)
    return base + randbelow(max(base // 2, 1))


def parse_retry_after_ms(value: str | None, now: float) -> int | None:
    """``Retry-After`` as delta-seconds or an HTTP-date (relative to unix time ``now``)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value) * 1000
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0, int((when.timestamp() - now) * 1000))


def should_retry(error: BaseException) -> bool:
    """429, 5xx, timeouts and transport errors are retried; everything else is not."""
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, ApiError):
        return error.status >= 500
    return isinstance(error, ConduitError) and error.code in {"timeout", "transport_error"}


def retry_delay_ms(error: BaseException, attempt: int, randbelow: Callable[[int], int]) -> int:
    if isinstance(error, RateLimitError) and error.retry_after_ms is not None:
        return error.retry_after_ms
    return backoff_ms(attempt, randbelow)


def transport_failure(exc: httpx.HTTPError, request_id: str, timeout_ms: float) -> ConduitError:
    """Map an httpx exception to ``TimeoutError`` (code timeout) or ``ConduitError`` (transport_error)."""
    if isinstance(exc, httpx.TimeoutException):
        return SDKTimeoutError(f"Request timed out after {int(timeout_ms)}ms", request_id=request_id, cause=exc)
    return ConduitError("Request failed", code="transport_error", request_id=request_id, cause=exc)


def read_response_data(response: httpx.Response, request_id: str | None) -> object:
    """JSON-decode only when the content type says JSON; else the text, or None when empty."""
    if "application/json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError as exc:
            raise ConduitError("Invalid JSON response", code="invalid_response", request_id=request_id) from exc
    return response.text if response.content else None


def _error_body(response: httpx.Response) -> object:
    try:
        return json.loads(response.content)
    except ValueError:
        return {"message": response.text} if response.text else None


def _error_fields(payload: object) -> tuple[str, str | None, object]:
    if not isinstance(payload, dict):
        return "Request failed", None, payload
    body = cast("dict[str, object]", payload)
    error = body.get("error")
    source = cast("dict[str, object]", error) if isinstance(error, dict) else body
    details = source.get("details") if isinstance(error, dict) else body
    message = source.get("message")
    code = source.get("code")
    return (
        message if isinstance(message, str) else "Request failed",
        code if isinstance(code, str) else None,
        details,
    )


def _credit_details(details: object) -> tuple[int, int]:
    if not isinstance(details, dict):
        return 0, 0
    values = cast("dict[str, object]", details)
    required, available = values.get("required"), values.get("available")
    return (
        int(required) if isinstance(required, int | float) else 0,
        int(available) if isinstance(available, int | float) else 0,
    )


def api_error(response: httpx.Response, request_id: str | None, now: float) -> ApiError:
    """Build the ApiError subclass for a non-2xx response (flat bodies such as 410 ``gone`` included)."""
    message, code, details = _error_fields(_error_body(response))
    status = response.status_code
    if status in (401, 403):
        return AuthError(message, status=status, code=code, request_id=request_id, details=details)
    if status == 402:
        required, available = _credit_details(details)
        return InsufficientCreditsError(
            message,
            status=status,
            code=code,
            request_id=request_id,
            details=details,
            required=required,
            available=available,
        )
    if status == 422:
        return ValidationError(message, status=status, code=code, request_id=request_id, details=details)
    if status == 429:
        return RateLimitError(
            message,
            status=status,
            code=code,
            request_id=request_id,
            details=details,
            retry_after_ms=parse_retry_after_ms(response.headers.get("retry-after"), now),
        )
    return ApiError(message, status=status, code=code, request_id=request_id, details=details)
