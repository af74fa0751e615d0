"""A webhook receiver on 127.0.0.1 in a background thread, recording every request's raw body and headers.

Standard library only: the official-SDK scenario (its own virtualenv, no pytest) imports it too.

    with WebhookReceiver() as rx:
        url = rx.url("/hooks/a")
        delivery = rx.wait_for(lambda d: d.path == "/hooks/a", timeout=60)
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]  # lowercase names
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.owner._record(Delivery(self.path, headers, body))
        payload = b'{"received": true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: WebhookReceiver


class WebhookReceiver:
    """Answers every POST with 200 and keeps (path, headers, body); `wait_for` has a deadline."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._cond = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _record(self, delivery: Delivery) -> None:
        with self._cond:
            self.deliveries.append(delivery)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Delivery], bool], *, timeout: float) -> Delivery:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for delivery in self.deliveries:
                    if predicate(delivery):
                        return delivery
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(d.path, d.headers.get("conduit-event-type")) for d in self.deliveries]
                    raise TimeoutError(f"no matching webhook delivery within {timeout}s; got {seen}")
                self._cond.wait(left)

    async def wait_for_async(self, predicate: Callable[[Delivery], bool], *, within: float) -> Delivery:
        """`wait_for` that keeps the event loop running (the sender may live in the same loop)."""
        deadline = time.monotonic() + within
        while True:
            with self._cond:
                found = next((d for d in self.deliveries if predicate(d)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                return self.wait_for(predicate, timeout=0)  # raises with what arrived
            await asyncio.sleep(0.1)

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()
