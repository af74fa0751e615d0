"""Unauthenticated health: /v1/health/ping (docs/api.md), and for operators /livez (the process is up) and /readyz
(it can do its work: database, migrations, storage, models; see `readiness`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import runtime
from conduit_server.domain.clock import iso
from conduit_server.readiness import readiness

router = APIRouter(tags=["health"])


@router.get("/v1/health/ping", responses=oa.responses(schemas.Ping, 400))
async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "time": iso(runtime(request).clock())})


@router.get("/livez", responses=oa.responses(schemas.Live))
async def livez() -> JSONResponse:
    return JSONResponse({"ok": True})


@router.get("/readyz", responses={200: {"model": schemas.Ready, "description": "Every check is ok"},
                                  503: {"model": schemas.NotReady, "description": "A check failed"}})
async def readyz(request: Request) -> JSONResponse:
    checks = await readiness(runtime(request))
    failing = [f"{name}: {answer}" for name, answer in checks.items() if answer != "ok"]
    if not failing:
        return JSONResponse({"ok": True, "checks": checks})
    error = {"code": "unavailable", "message": "Not ready: " + "; ".join(failing), "retryAfter": 5}
    return JSONResponse({"ok": False, "checks": checks, "error": error}, status_code=503,
                        headers={"Retry-After": "5"})
