"""The HTTP server's configuration, slow clients included (issue 10).

uvicorn's h11 protocol starts a timer only once a response is done, so a client that trickles its request headers
(slowloris) would hold a connection, and a file descriptor, forever. `GuardedH11Protocol` arms a header deadline
whenever it waits for a request line and headers; `BodyTimeoutMiddleware` bounds the pause between two pieces of a
request body and answers 408 `request_timeout` when it runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, ClassVar

import h11
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from conduit_server.api.errors import envelope
from conduit_server.domain.errors import ApiError
from conduit_server.settings import Settings

MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024  # request line + headers; the app answers over 16 KiB itself

_TIMEOUT_BODY = json.dumps(envelope("request_timeout", "The request headers did not arrive in time")).encode()
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


class GuardedH11Protocol(H11Protocol):
    """h11 with a deadline on each request's line and headers: past it the connection gets 408 and is closed."""

    header_timeout: ClassVar[float] = 10.0
    _header_timer: asyncio.TimerHandle | None = None
    _header_bytes = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_timer is not None:
            self._header_bytes = True
        super().data_received(data)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's headers are complete
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._arm_header_timer()  # before the base class runs a pipelined request, which cancels it
        super().on_response_complete()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_bytes = bool(self.conn.trailing_data[0])  # a pipelined request may have begun already
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_timeout_expired)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout_expired(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._header_bytes:  # a request had started: say why it ends; an idle connection just closes
            self.transport.write(_TIMEOUT_RESPONSE)
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()


def guarded_h11(header_timeout: float) -> type[GuardedH11Protocol]:
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"header_timeout": header_timeout})


class BodyTimeoutMiddleware:
    """408 `request_timeout` when no piece of a request body arrives for `body_timeout_seconds`. Only reads of
    an unfinished body are timed; a streaming response waiting for the client to go away is not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        runtime = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
        if runtime is None:
            await self.app(scope, receive, send)
            return
        timeout: float = runtime.settings.body_timeout_seconds
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout)
            except TimeoutError:
                raise ApiError(f"No request body data arrived for {timeout:g} s", code="request_timeout",
                               status=408, headers={"Connection": "close"}) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        await self.app(scope, timed_receive, send)


def uvicorn_config(app: Any, settings: Settings, *, log_level: str = "info") -> uvicorn.Config:
    return uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=log_level, lifespan="on", timeout_graceful_shutdown=5,
        # the app logs each request itself (api/access_log.py); uvicorn's lines go to the root handlers (logs.py)
        access_log=False, log_config=None,
        http=guarded_h11(settings.header_timeout_seconds), h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT_BYTES,
        timeout_keep_alive=max(1, round(settings.keep_alive_seconds)),
    )
