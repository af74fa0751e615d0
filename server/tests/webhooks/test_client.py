"""attempt_delivery against real receivers on 127.0.0.1 (and a spy transport for refused destinations)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import socket
import time
from datetime import UTC, datetime

import httpx
import pytest
from conduit_server.webhooks import (
    AddressPolicy,
    RetrySchedule,
    attempt_delivery,
    build_delivery_headers,
    build_webhook_event,
)
from webhooks.webhook_receiver import ReceivedRequest, Receiver, SpyTransport, respond, static_resolver

LOOPBACK = AddressPolicy(allow_loopback=True)
STRICT = AddressPolicy()
SECRET = "whsec_test_0123456789abcdef"
BODY = b'{"id":"evt_1","type":"report.completed"}'


async def deliver(url: str, *, policy: AddressPolicy = LOOPBACK, body: bytes = BODY, **kwargs):
    headers = kwargs.pop("headers", {"content-type": "application/json"})
    return await attempt_delivery(url=url, body=body, headers=headers, policy=policy, **kwargs)


async def test_2xx_is_delivered(receiver: Receiver) -> None:
    receiver.routes["/hook"] = respond(204)
    result = await deliver(receiver.url("/hook"))
    assert result.delivered and result.error is None
    assert result.status_code == 204 and not result.stop and result.retry_after is None
    assert result.duration_ms >= 0
    assert receiver.requests[0].method == "POST" and receiver.requests[0].body == BODY


async def test_large_response_body_is_capped_and_ignored(receiver: Receiver) -> None:
    receiver.routes["/big"] = respond(200, body=b"x" * 1_000_000)
    result = await deliver(receiver.url("/big"))
    assert result.delivered and result.status_code == 200


async def test_500_is_http_status(receiver: Receiver) -> None:
    receiver.routes["/err"] = respond(500, headers={"retry-after": "1"})
    result = await deliver(receiver.url("/err"))
    assert (result.status_code, result.error, result.stop) == (500, "http_status", False)
    assert result.retry_after is None  # Retry-After only counts on 429 / 503


async def test_410_stops(receiver: Receiver) -> None:
    receiver.routes["/gone"] = respond(410)
    result = await deliver(receiver.url("/gone"))
    assert (result.status_code, result.error, result.stop) == (410, "http_status", True)


async def test_429_retry_after_seconds_capped_by_schedule(receiver: Receiver) -> None:
    schedule = RetrySchedule()
    receiver.routes["/short"] = respond(429, headers={"Retry-After": "2"})
    receiver.routes["/long"] = respond(429, headers={"Retry-After": "86400"})
    short = await deliver(receiver.url("/short"))
    long = await deliver(receiver.url("/long"))
    assert (short.error, short.retry_after) == ("http_status", 2.0)
    assert long.retry_after == 86400.0
    assert schedule.next_delay(1, retry_after=short.retry_after, rng=random.Random(1)) == 2.0
    capped = schedule.next_delay(1, retry_after=long.retry_after, rng=random.Random(1))
    assert capped == schedule.next_delay(1, rng=random.Random(1)) and 4.0 <= capped <= 6.0


async def test_503_retry_after_http_date_uses_injected_now(receiver: Receiver) -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    receiver.routes["/busy"] = respond(503, headers={"Retry-After": "Fri, 27 Nov 2026 12:01:40 GMT"})
    result = await deliver(receiver.url("/busy"), now=lambda: now)
    assert (result.status_code, result.error, result.retry_after) == (503, "http_status", 100.0)
    schedule = RetrySchedule()
    assert schedule.next_delay(2, retry_after=result.retry_after, rng=random.Random(3)) == 100.0  # under 5 min
    assert schedule.next_delay(1, retry_after=result.retry_after, rng=random.Random(3)) <= 6.0  # cap: ~5 s


async def test_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.routes["/moved"] = respond(302, headers={"location": "/target"})
    receiver.routes["/target"] = respond(200)
    result = await deliver(receiver.url("/moved"))
    assert (result.status_code, result.error) == (302, "redirect_not_followed")
    assert [r.path for r in receiver.requests] == ["/moved"]


async def test_connection_refused_is_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await deliver(f"http://127.0.0.1:{port}/hook")
    assert (result.status_code, result.error, result.stop) == (None, "connection_error", False)


async def test_unresolvable_host_is_connection_error() -> None:
    result = await deliver("http://nowhere.test/hook", resolver=static_resolver({}))
    assert (result.error, result.stop) == ("connection_error", False)


async def test_trickling_server_is_cut_by_overall_deadline(receiver: Receiver) -> None:
    async def trickle(_request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n":
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.3)  # under the per-read timeout, so only the overall deadline can stop it

    receiver.routes["/slow"] = trickle
    started = time.monotonic()
    result = await deliver(receiver.url("/slow"), timeout_s=1.0)
    elapsed = time.monotonic() - started
    assert (result.status_code, result.error) == (None, "timeout")
    assert 0.9 <= elapsed < 2.0 and 900 <= result.duration_ms < 2000


BLOCKED_URLS = [
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://192.168.1.1/hook",
    "http://[::1]:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "http://0.0.0.0/hook",
    "https://100.64.0.1/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
async def test_blocked_literal_destinations_open_no_connection(url: str) -> None:
    spy = SpyTransport()
    result = await deliver(url, policy=STRICT, transport=spy)
    assert (result.status_code, result.error, result.stop) == (None, "blocked_destination", True)
    assert spy.requests == []


async def test_hostname_resolving_to_private_address_is_blocked() -> None:
    spy, calls = SpyTransport(), []
    resolver = static_resolver({"evil.example": ["10.20.30.40"]}, calls)
    result = await deliver("https://evil.example/hook", policy=STRICT, transport=spy, resolver=resolver)
    assert (result.error, result.stop) == ("blocked_destination", True)
    assert calls == ["evil.example"] and spy.requests == []


async def test_mixed_public_and_private_answers_are_refused_whole() -> None:
    spy = SpyTransport()
    resolver = static_resolver({"mixed.example": ["93.184.216.34", "127.0.0.1"]})
    result = await deliver("http://mixed.example/hook", policy=STRICT, transport=spy, resolver=resolver)
    assert result.error == "blocked_destination" and spy.requests == []


async def test_loopback_refused_without_allow_loopback_opens_no_connection(receiver: Receiver) -> None:
    receiver.routes["/hook"] = respond(200)
    for url in (receiver.url("/hook"), receiver.url("/hook", host="[::ffff:127.0.0.1]")):
        result = await deliver(url, policy=STRICT)
        assert result.error == "blocked_destination"
    assert receiver.connections == 0


async def test_public_destination_is_pinned_to_checked_ip() -> None:
    spy = SpyTransport()
    resolver = static_resolver({"hooks.example.com": ["93.184.216.34", "2606:2800:220:1::1"]})
    result = await deliver("https://hooks.example.com:8443/in?x=1", policy=STRICT, transport=spy, resolver=resolver)
    assert result.delivered
    (request,) = spy.requests
    assert str(request.url) == "https://93.184.216.34:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


async def test_allow_list_network_lets_blocked_range_through(receiver: Receiver) -> None:
    receiver.routes["/hook"] = respond(200)
    result = await deliver(receiver.url("/hook"), policy=AddressPolicy(allow=["127.0.0.0/8"]))
    assert result.delivered and receiver.connections == 1


async def test_allow_list_host_name_lets_its_private_answers_through(receiver: Receiver) -> None:
    receiver.routes["/hook"] = respond(200)
    resolver = static_resolver({"hooks.internal": ["127.0.0.1"]})
    policy = AddressPolicy(allow=["hooks.internal"])
    result = await deliver(receiver.url("/hook", host="hooks.internal"), policy=policy, resolver=resolver)
    assert result.delivered
    assert receiver.requests[0].headers["host"] == f"hooks.internal:{receiver.port}"


async def test_signed_delivery_verifies_and_body_is_byte_identical(receiver: Receiver) -> None:
    receiver.routes["/hook"] = respond(200)
    event = build_webhook_event(
        job_id="job_abc",
        job_type="report.generate",
        status="failed",
        terminal_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        error={"code": "insufficient_speech", "message": "Trop peu de parole — ünïcode"},
    )
    custom = {
        "X-Tenant-Id": "t1",
        "Conduit-Signature": "t=1,v1=forged",
        "conduit-event-id": "evt_forged",
        "Content-Type": "text/plain",
        "x-label": "café",
    }
    bodies = []
    for attempt, ts in ((1, 1_800_000_000), (2, 1_800_000_300)):
        headers = build_delivery_headers(
            body=event.body,
            secret=SECRET,
            event_id=event.id,
            event_type=event.type,
            attempt=attempt,
            custom_headers=custom,
            timestamp=ts,
        )
        result = await deliver(receiver.url("/hook"), body=event.body, headers=headers)
        assert result.delivered
        got = receiver.requests[-1]
        bodies.append(got.body)
        expected = hmac.new(SECRET.encode(), f"{ts}.".encode() + got.body, hashlib.sha256).hexdigest()
        assert got.headers["conduit-signature"] == f"t={ts},v1={expected}"
        assert got.headers["conduit-event-id"] == event.id
        assert got.headers["conduit-event-type"] == "report.failed"
        assert got.headers["conduit-delivery-attempt"] == str(attempt)
        assert got.headers["content-type"] == "application/json"
        assert got.headers["user-agent"].startswith("Conduit-Webhooks/")
        assert got.headers["x-tenant-id"] == "t1"
        assert got.headers["x-label"].encode("latin-1").decode("utf-8") == "café"
        names = [name for name, _ in got.raw_headers]
        assert names.count("conduit-signature") == 1 and names.count("content-type") == 1
    assert bodies == [event.body, event.body]


async def test_https_pinned_to_ip_still_verifies_host_name(tls_material) -> None:
    tls_receiver = Receiver()
    await tls_receiver.start(tls_material.server_context)
    try:
        tls_receiver.routes["/hook"] = respond(200)
        resolver = static_resolver({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        transport = httpx.AsyncHTTPTransport(verify=tls_material.client_context, retries=0)
        async with transport:
            ok = await deliver(
                tls_receiver.url("/hook", host="hooks.test", scheme="https"), resolver=resolver, transport=transport
            )
            assert ok.delivered, ok
            assert tls_receiver.requests[0].headers["host"] == f"hooks.test:{tls_receiver.port}"
            bad = await deliver(
                tls_receiver.url("/hook", host="other.test", scheme="https"), resolver=resolver, transport=transport
            )
            assert (bad.status_code, bad.error) == (None, "tls_error")
    finally:
        await tls_receiver.close()


async def test_ipv6_pin_and_plain_http_has_no_sni() -> None:
    spy = SpyTransport()
    resolver = static_resolver({"v6.example.com": ["2606:2800:220:1::1"]})
    result = await deliver("http://v6.example.com/in", policy=STRICT, transport=spy, resolver=resolver)
    assert result.delivered
    (request,) = spy.requests
    assert str(request.url) == "http://[2606:2800:220:1::1]/in"
    assert request.headers["host"] == "v6.example.com" and "sni_hostname" not in request.extensions


async def test_non_http_url_is_blocked_without_a_connection() -> None:
    spy = SpyTransport()
    result = await deliver("ftp://example.com/x", policy=STRICT, transport=spy)
    assert (result.error, result.stop) == ("blocked_destination", True) and spy.requests == []
