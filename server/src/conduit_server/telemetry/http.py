"""HTTP request metrics as pure ASGI middleware (safe for streaming responses): counted by the route template the
router matched (`/v1/jobs/{jobId}`), never the raw path, so ids do not become series; unmatched paths are
`unmatched`."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conduit_server.telemetry.instruments import record_request

UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    route = scope.get("route")  # set on this scope by the router (FastAPI / Starlette) when a route matched
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class HttpMetricsMiddleware:
    """Counts every answered request and times it until its response headers were sent. Must sit inside any
    middleware that copies the scope, so it sees the route the router wrote into it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start" and status is None:
                status = int(message["status"])
                record_request(route_template(scope), scope.get("method", ""), status, time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if status is None:  # an exception escaped before any answer: the server answers 500
                record_request(route_template(scope), scope.get("method", ""), 500, time.perf_counter() - started)
