"""Slow clients (issue 10): a connection that trickles its headers or stalls in its body is answered 408 and
closed within the configured timeout, on the real HTTP server (`conduit serve`'s uvicorn configuration)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from conduit_server.app import create_app
from conduit_server.http_server import uvicorn_config
from conduit_server.store import accounts
from server_testkit import open_test_runtime

TIMEOUT = 1.0


@pytest.fixture(scope="module")
async def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[int, str]]:
    """A real uvicorn server on an ephemeral loopback port; yields (port, api key)."""
    tmp: Path = tmp_path_factory.mktemp("slow")
    async with open_test_runtime(database_url, tmp, run_workers=False, host="127.0.0.1", port=0,
                                 header_timeout_seconds=TIMEOUT, body_timeout_seconds=TIMEOUT,
                                 keep_alive_seconds=TIMEOUT) as rt:
        key = await accounts.create_key(rt.engine, rt.clock())
        config = uvicorn_config(create_app(rt.settings, runtime=rt), rt.settings, log_level="warning")
        srv = uvicorn.Server(config)
        task = asyncio.create_task(srv.serve())
        async with asyncio.timeout(30):
            while not srv.started:
                await asyncio.sleep(0.01)
        port = srv.servers[0].sockets[0].getsockname()[1]
        try:
            yield port, key.api_key
        finally:
            srv.should_exit = True
            await task


async def send_and_stall(port: int, data: bytes) -> tuple[bytes, float]:
    """Send `data`, then nothing; return everything the server sends until it closes, and how long that took."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(-1), timeout=TIMEOUT + 5)  # -1: until the server closes
        return answer, time.monotonic() - started
    finally:
        writer.close()


def status_and_body(answer: bytes) -> tuple[int, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def test_headers_sent_too_slowly_get_408_and_a_closed_connection(server: tuple[int, str]) -> None:
    port, _ = server
    answer, elapsed = await send_and_stall(port, b"GET /v1/files HTTP/1.1\r\nHost: conduit.test\r\nX-Slow: 1")
    status, body = status_and_body(answer)
    assert status == 408 and b'"code":"request_timeout"' in body.replace(b" ", b"")
    assert TIMEOUT * 0.8 <= elapsed < TIMEOUT + 3


async def test_an_idle_connection_is_closed(server: tuple[int, str]) -> None:
    port, _ = server
    answer, elapsed = await send_and_stall(port, b"")
    assert answer == b"" and elapsed < TIMEOUT + 3


async def test_a_kept_alive_connection_cannot_trickle_its_next_request(server: tuple[int, str]) -> None:
    port, _ = server
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /v1/health/ping HTTP/1.1\r\nHost: conduit.test\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        length = int(lengths[0])
        await reader.readexactly(length)
        writer.write(b"GET /v1/health/ping HTTP/1.1\r\nHo")  # any byte stops uvicorn's own keep-alive timer
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(-1), timeout=TIMEOUT + 5)
    finally:
        writer.close()
    assert status_and_body(answer)[0] == 408


async def test_a_stalled_upload_body_gets_408_and_a_closed_connection(server: tuple[int, str]) -> None:
    port, api_key = server
    boundary = "slow-boundary"
    part = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n').encode()
    head = (f"POST /v1/files HTTP/1.1\r\nHost: conduit.test\r\nMappa-Api-Key: {api_key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 100000\r\n\r\n").encode()
    answer, elapsed = await send_and_stall(port, head + part + b"\0" * 1000)
    status, body = status_and_body(answer)
    assert status == 408, answer
    assert b'"code":"request_timeout"' in body.replace(b" ", b"")
    assert TIMEOUT * 0.8 <= elapsed < TIMEOUT + 3


async def test_a_stalled_json_body_gets_408(server: tuple[int, str]) -> None:
    port, api_key = server
    head = (f"POST /v1/reports/jobs HTTP/1.1\r\nHost: conduit.test\r\nMappa-Api-Key: {api_key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n").encode()
    answer, _ = await send_and_stall(port, head + b'{"media": {"mediaId": "med_')
    assert status_and_body(answer)[0] == 408, answer
