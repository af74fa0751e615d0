"""One guarded webhook delivery attempt (docs/api.md §16(a), §16(h)).

``attempt_delivery`` never raises for network outcomes: it returns an :class:`AttemptOutcome` whose ``error`` is one
of the attempt errors of docs/api.md §6.4. The destination is resolved and checked first (no connection is opened for
a refused one), then the connection is pinned to the checked address: the URL host is rewritten to the IP, the
``Host`` header keeps the real name and, for https, the ``sni_hostname`` request extension makes TLS send and verify
the real name. Redirects are never followed. httpx timeouts apply per operation, so the whole attempt (resolution,
connect, request, status, body) runs under one ``asyncio.timeout`` deadline.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import httpx

from .guard import AddressPolicy, BlockedDestination, ResolutionFailed, Resolver, resolve_destination
from .schedule import parse_retry_after

__all__ = ["AttemptError", "AttemptOutcome", "attempt_delivery"]

AttemptError = Literal[
    "timeout", "connection_error", "tls_error", "redirect_not_followed", "blocked_destination", "http_status"
]

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class AttemptOutcome:
    """Result of one attempt. ``error is None`` means delivered (any 2xx).

    ``stop`` asks the dispatcher to schedule no further automatic attempt: a 410 response, or a destination the
    policy refuses (16(h): redeliver to retry). ``retry_after`` (seconds) is only set for 429/503 responses.
    ``detail`` is a short human note for logs; it is not part of the delivery record.
    """

    status_code: int | None
    error: AttemptError | None
    duration_ms: int
    retry_after: float | None = None
    stop: bool = False
    detail: str | None = None

    @property
    def delivered(self) -> bool:
        return self.error is None


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _classify_status(status: int) -> tuple[AttemptError | None, bool]:
    if 200 <= status < 300:
        return None, False
    if 300 <= status < 400:
        return "redirect_not_followed", False
    return "http_status", status == 410


async def attempt_delivery(
    *,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    policy: AddressPolicy,
    timeout_s: float = 15.0,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: Callable[[], datetime] | None = None,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
) -> AttemptOutcome:
    """POST ``body`` with ``headers`` to ``url`` once, under ``policy``, within ``timeout_s`` seconds overall.

    ``resolver`` and ``transport`` are seams for tests and operators (an injected transport is not closed);
    ``now`` (aware UTC) is used to turn an HTTP-date ``Retry-After`` into seconds.
    """
    started = time.monotonic()
    status: int | None = None
    retry_after: float | None = None

    def outcome(
        error: AttemptError | None, *, stop: bool = False, retry_after: float | None = None, detail: str | None = None
    ) -> AttemptOutcome:
        elapsed_ms = int(round((time.monotonic() - started) * 1000))
        return AttemptOutcome(status, error, elapsed_ms, retry_after, stop, detail)

    client = httpx.AsyncClient(
        transport=transport if transport is not None else httpx.AsyncHTTPTransport(retries=0),
        follow_redirects=False,
        trust_env=False,  # no proxies from the environment: they would bypass pinning
        timeout=timeout_s,
    )
    try:
        async with asyncio.timeout(timeout_s):
            dest = await resolve_destination(url, policy, resolver=resolver)
            target = httpx.URL(url)
            # UTF-8 bytes: httpx would encode str values as ASCII and fail on anything else
            send_headers = [(k.encode("ascii"), v.encode("utf-8")) for k, v in headers.items() if k.lower() != "host"]
            send_headers.append((b"host", target.netloc))
            extensions = {"sni_hostname": dest.host} if target.scheme == "https" else {}
            request = client.build_request(
                "POST", target.copy_with(host=dest.ip), content=body, headers=send_headers, extensions=extensions
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                status = response.status_code
                if status in (429, 503):
                    retry_after = parse_retry_after(
                        response.headers.get("retry-after"), now=now() if now is not None else datetime.now(UTC)
                    )
                received = 0
                if not response.is_stream_consumed:  # already-read bodies come from in-memory transports
                    async for chunk in response.aiter_raw():  # read (and drop) at most max_response_bytes
                        received += len(chunk)
                        if received >= max_response_bytes:
                            break
            finally:
                await response.aclose()
    except BlockedDestination as exc:
        return outcome("blocked_destination", stop=True, detail=str(exc))
    except ResolutionFailed as exc:
        return outcome("connection_error", detail=str(exc))
    except (TimeoutError, httpx.TimeoutException) as exc:
        return outcome("timeout", detail=str(exc) or "deadline exceeded")
    except (httpx.TransportError, OSError) as exc:
        kind: AttemptError = "tls_error" if _is_tls_failure(exc) else "connection_error"
        return outcome(kind, detail=f"{type(exc).__name__}: {exc}")
    finally:
        if transport is None:
            await client.aclose()
    if status is None:  # pragma: no cover - the block above only completes with a response
        return outcome("connection_error", detail="no response")
    error, stop = _classify_status(status)
    return outcome(error, stop=stop, retry_after=retry_after, detail=None if error is None else f"HTTP {status}")
