"""Test helpers: a tiny raw-socket HTTP/1.1 receiver on 127.0.0.1 for webhook delivery tests.

Routes map a path to a handler ``async (request, writer) -> None`` that writes the raw response; every request
(method, path, lowercase headers, raw body) and every accepted connection is recorded.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes


Handler = Callable[[ReceivedRequest, asyncio.StreamWriter], Awaitable[None]]


def respond(status: int, *, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    async def handler(_request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        lines = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}", "connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()

    return handler


@dataclass
class Receiver:
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[ReceivedRequest] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _server: asyncio.Server | None = None

    def url(self, path: str = "/", *, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0, ssl=ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
            method, path, _ = request_line.split(" ", 2)
            raw_headers = [tuple(h.split(":", 1)) for h in header_lines]
            pairs = [(k.strip().lower(), v.strip()) for k, v in raw_headers]
            headers = dict(pairs)
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = ReceivedRequest(method, path, headers, pairs, body)
            self.requests.append(request)
            await self.routes.get(path, respond(404))(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:  # close(): end quietly so asyncio's stream callback logs nothing
            pass
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError):
                pass
            self._tasks.discard(task)  # type: ignore[arg-type]


class SpyTransport(httpx.AsyncBaseTransport):
    """Records requests instead of opening connections: proves a blocked destination was never contacted."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200)


@dataclass
class TlsMaterial:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext


def static_resolver(table: dict[str, list[str]], calls: list[str] | None = None):
    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return resolve
