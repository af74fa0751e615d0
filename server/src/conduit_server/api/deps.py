"""Request-level helpers shared by the routers: the runtime, authentication + rate limiting, JSON bodies."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from conduit_server.api.text_safety import check_params, parse_json
from conduit_server.domain.errors import ApiError, Unauthorized, ValidationFailed
from conduit_server.logs import bind
from conduit_server.runtime import Runtime
from conduit_server.store.accounts import Principal, authenticate


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def _presented_key(request: Request) -> str:
    header_key = request.headers.get("mappa-api-key")
    bearer = None
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization header must be 'Bearer <key>'")
        bearer = value.strip()
    if header_key is not None and bearer is not None and header_key.strip() != bearer:
        raise Unauthorized("Mappa-Api-Key and Authorization headers carry different keys")
    key = (header_key or bearer or "").strip()
    if not key:
        raise Unauthorized("Missing API key: send Mappa-Api-Key or Authorization: Bearer")
    return key


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _too_many_failures(retry_after: int) -> ApiError:
    return ApiError("Too many failed authentication attempts from this address", code="rate_limited", status=429,
                    headers={"Retry-After": str(retry_after)})


async def check_key(rt: Runtime, key: str, address: str) -> Principal:
    """The key's principal, or 401; 429 while `address` has spent its failed-attempt budget. The API and the web
    console's sign-in (console/auth.py) both verify keys here."""
    gate = rt.auth_failures.peek(address)
    if not gate.allowed:
        raise _too_many_failures(gate.retry_after)
    found = await authenticate(rt.engine, key)
    if found is None:
        rt.auth_failures.take(address)
        raise Unauthorized("Invalid or revoked API key")
    return found


async def principal(request: Request) -> Principal:
    """FastAPI dependency: authenticate the key, then take one token from its rate-limit bucket.

    Failed attempts spend tokens of the client address's own bucket (issue 10); while it is empty the address gets
    429 before any database lookup, so guessing keys costs the server nothing."""
    rt = runtime(request)
    found = await check_key(rt, _presented_key(request), client_address(request))
    request.scope.setdefault("state", {})["workspace_id"] = found.workspace_id  # the access log line's
    bind(workspace_id=found.workspace_id)  # every other line logged for this request
    if found.workspace_disabled:
        raise ApiError("Workspace is disabled", code="forbidden", status=403)
    decision = rt.rate_limiter.take(found.api_key_id)
    request.scope.setdefault("state", {})["rate_limit"] = (decision.limit, decision.remaining, decision.reset_unix)
    if not decision.allowed:
        raise ApiError(
            "Rate limit exceeded for this endpoint", code="rate_limited", status=429,
            headers={"Retry-After": str(decision.retry_after)},
        )
    # ids and filters from the URL reach SQL: NUL there is a 422 here, not a database error (text_safety.py)
    check_params([*request.path_params.items(), *request.query_params.multi_items()])
    return found


async def json_body(request: Request, *, max_bytes: int) -> dict[str, Any]:
    """Read a JSON object body: 400 for wrong content type / malformed JSON / non-object, 413 over the limit."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError("Content-Type must be application/json", code="bad_request", status=400)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError("JSON body is larger than 1 MiB", code="payload_too_large", status=413)
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > max_bytes:
            raise ApiError("JSON body is larger than 1 MiB", code="payload_too_large", status=413)
    body = parse_json(bytes(chunks))
    if not isinstance(body, dict):
        raise ApiError("JSON body must be an object", code="bad_request", status=400)
    return body


def query_limit(raw: str | None) -> int:
    if raw is None:
        return 20
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed([("limit", "must be an integer between 1 and 100")]) from None
    if not 1 <= value <= 100:
        raise ValidationFailed([("limit", "must be an integer between 1 and 100")])
    return value
