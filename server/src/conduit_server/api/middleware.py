"""Pure ASGI middleware (safe for streaming responses): request ids, trailing slashes, rate-limit headers."""

from __future__ import annotations

import json
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conduit_server.api.access_log import log_access
from conduit_server.api.errors import envelope
from conduit_server.domain.ids import new_request_id

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_HEADER_BYTES = 16 * 1024  # all request header names + values; the HTTP server itself accepts up to 64 KiB


class RequestContextMiddleware:
    """Assigns or echoes X-Request-Id, strips one trailing slash (never redirect), and adds the rate-limit
    headers that authentication left in the scope state to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        if sum(len(k) + len(v) for k, v in scope.get("headers", [])) > MAX_HEADER_BYTES:
            body = json.dumps(envelope("bad_request", "Request headers are too large (limit 16 KiB)")).encode()
            await send({"type": "http.response.start", "status": 400, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode())]})
            await send({"type": "http.response.body", "body": body})
            log_access(scope.get("method", ""), scope.get("path", ""), None, 400, 0.0, request_id, None)
            return
        path = scope.get("path", "")
        if len(path) > 1 and path.endswith("/"):
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
            if scope.get("raw_path"):
                scope["raw_path"] = scope["raw_path"].rstrip(b"/") or b"/"

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                rate = state.get("rate_limit")
                if rate is not None:
                    limit, remaining, reset = rate
                    headers["X-RateLimit-Limit"] = str(limit)
                    headers["X-RateLimit-Remaining"] = str(remaining)
                    headers["X-RateLimit-Reset"] = str(reset)
            await send(message)

        await self.app(scope, receive, send_wrapper)
