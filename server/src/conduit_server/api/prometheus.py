"""GET /metrics (docs/operations.md): Prometheus text, outside API-key auth and rate limits (a scraper has no
key). `CONDUIT_METRICS_ENABLED=false` turns it off (404); `CONDUIT_METRICS_TOKEN` requires `Authorization: Bearer`
with that token (401 otherwise; failures spend the client address's failed-authentication bucket like bad keys)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.responses import Response

from conduit_server.api.deps import runtime
from conduit_server.domain.errors import ApiError, NotFound, Unauthorized
from conduit_server.runtime import Runtime
from conduit_server.store.gauges import database_families
from conduit_server.telemetry.exposition import CONTENT_TYPE, render

router = APIRouter(tags=["operations"])


def _check_token(rt: Runtime, request: Request, token: str) -> None:
    address = request.client.host if request.client is not None else "unknown"
    gate = rt.auth_failures.peek(address)
    if not gate.allowed:
        raise ApiError("Too many failed authentication attempts from this address", code="rate_limited", status=429,
                       headers={"Retry-After": str(gate.retry_after)})
    scheme, _, presented = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        rt.auth_failures.take(address)
        raise Unauthorized("Metrics need 'Authorization: Bearer <CONDUIT_METRICS_TOKEN>'",
                           headers={"WWW-Authenticate": "Bearer"})


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    rt = runtime(request)
    if not rt.settings.metrics_enabled:
        raise NotFound("Not found")
    if rt.settings.metrics_token:
        _check_token(rt, request, rt.settings.metrics_token)
    return Response(render(await database_families(rt.engine)), media_type=CONTENT_TYPE)
