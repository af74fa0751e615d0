"""One access log line per HTTP request, written by the app itself (uvicorn's access log is off), so it can say
which route answered (`/v1/jobs/{jobId}`, not the job id), how long it took, and whose API key asked.

The middleware sits just inside RequestContextMiddleware (which assigns the request id) and puts the request id
in the log context (logs.py) for every line logged while the request runs; authentication adds the workspace.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conduit_server.logs import FIELDS_ATTR, log_context

log = logging.getLogger("conduit_server.access")


def log_access(method: str, path: str, route: str | None, status: int | None, duration_ms: float,
               request_id: str | None, workspace_id: str | None) -> None:
    """The access line: readable in text, the same facts as fields in JSON. `status` None: the client went away
    before any answer started."""
    fields = {"method": method, "path": path, "route": route, "status": status,
              "duration_ms": round(duration_ms, 1), "request_id": request_id, "workspace_id": workspace_id}
    with log_context(request_id=request_id, workspace_id=workspace_id):
        log.info("%s %s %s %.1fms", method, route or path, status if status is not None else "-", duration_ms,
                 extra={FIELDS_ATTR: fields})


def _route_path(scope: Scope) -> str | None:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


class AccessLogMiddleware:
    """Times the request, keeps the status the app answered, and logs the access line when it is done (a
    streaming answer when its stream ends), also when the app raised."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        request_id = state.get("request_id")
        started = time.perf_counter()
        status: int | None = None

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            with log_context(request_id=request_id):
                await self.app(scope, receive, send_status)
        except Exception:
            status = status if status is not None else 500  # answered by the server error handler outside
            raise
        finally:
            log_access(scope.get("method", ""), scope.get("path", ""), _route_path(scope), status,
                       (time.perf_counter() - started) * 1000, request_id, state.get("workspace_id"))
