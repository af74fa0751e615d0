"""/v1/health/ping: unauthenticated liveness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import runtime
from conduit_server.domain.clock import iso

router = APIRouter(tags=["health"])


@router.get("/v1/health/ping", responses=oa.responses(schemas.Ping, 400))
async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "time": iso(runtime(request).clock())})
