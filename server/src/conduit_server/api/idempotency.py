"""Idempotency-Key handling (docs/api.md §8, §16(d)): scoped per workspace + method + route template, 24 h.

A request claims its key with an `in_progress` row whose `expires_at` is a short lease, renewed while the request
runs. A process killed mid-request (kill -9, OOM) cannot release its claim; once the lease has run out, a retry
takes the key over instead of answering 409 until the 24 h retention ends. A finished request stores its answer and
keeps it 24 h from the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import Request
from starlette.responses import JSONResponse, Response

from conduit_server.api.deps import runtime
from conduit_server.api.errors import envelope
from conduit_server.domain.errors import ApiError, ValidationFailed
from conduit_server.store import idempotency as idem_store
from conduit_server.store.accounts import Principal
from conduit_server.store.idempotency import Claim, KeyScope
from conduit_server.store.records import IdempotencyKeyRecord

TTL = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # an in-progress claim nobody renews for this long belongs to a dead process
RENEW_EVERY = LEASE / 4


def _valid_key(raw: object) -> bool:
    return isinstance(raw, str) and 1 <= len(raw) <= 255 and all(32 <= ord(c) < 127 for c in raw)


def header_key(request: Request) -> str | None:
    raw = request.headers.get("idempotency-key")
    if raw is None:
        return None
    if not _valid_key(raw):
        raise ValidationFailed([("Idempotency-Key", "must be 1-255 printable ASCII characters")])
    return raw


def resolve_key(request: Request, body: dict[str, Any] | None) -> str | None:
    """Header wins; a body-only `idempotencyKey` is used; both present and different -> 422."""
    key = header_key(request)
    body_key = body.get("idempotencyKey") if body else None
    if body_key is not None:
        if not _valid_key(body_key):
            raise ValidationFailed([("idempotencyKey", "must be a string of 1-255 printable ASCII characters")])
        if key is not None and key != body_key:
            raise ValidationFailed([("idempotencyKey", "differs from the Idempotency-Key header")])
        key = key or body_key
    return key


def fingerprint(path: str, query: str, body_digest: str) -> str:
    h = hashlib.sha256()
    h.update(path.encode())
    h.update(b"?" + query.encode())
    h.update(b"\n" + body_digest.encode())
    return h.hexdigest()


def json_digest(body: dict[str, Any] | None) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def claim(rt: Any, scope: KeyScope, fp: str) -> Claim | IdempotencyKeyRecord:
    """Claim the key (returns the Claim), or return the row that holds it: a finished request or a live claim.
    Rows past `expires_at` (stored answers after 24 h, claims whose lease ran out) are removed first."""
    for _ in range(3):  # the holder may release (5xx, 429) between our insert and select: try again
        now = rt.clock()
        async with rt.engine.begin() as conn:
            held = await idem_store.try_claim(conn, scope, fp, now, now + LEASE)
        if held is not None:
            return held
    raise ApiError("A request with this Idempotency-Key is still in progress",
                   code="idempotency_key_in_progress", status=409)


async def run_idempotent(
    request: Request,
    who: Principal,
    route: str,
    key: str | None,
    digest: str,
    handler: Callable[[], Awaitable[Response]],
) -> Response:
    """Run `handler` once per key; replay its stored status and body for the same request."""
    if key is None:
        return await handler()
    rt = runtime(request)
    fp = fingerprint(request.url.path, request.url.query, digest)
    held = await claim(rt, KeyScope(who.workspace_id, request.method, route, key), fp)
    if not isinstance(held, Claim):
        if held.fingerprint != fp:
            raise ApiError("Idempotency-Key was already used with a different request",
                           code="idempotency_key_reused", status=422)
        if held.state != "done" or held.status_code is None:  # store_answer writes both: a done row has its status
            raise ApiError("A request with this Idempotency-Key is still in progress",
                           code="idempotency_key_in_progress", status=409)
        return Response(held.body, status_code=held.status_code, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"})
    try:
        async with _renewed(rt, held):
            response = await handler()
    except ApiError as exc:
        if exc.status in (409, 429) or exc.status >= 500:
            await _release(rt, held)
        else:
            await _store(rt, held, exc.status, json.dumps(envelope(exc.code, exc.message, exc.details)).encode())
        raise
    except BaseException:
        await _release(rt, held)
        raise
    status = response.status_code
    if status >= 500 or status in (409, 429) or not isinstance(response, JSONResponse):
        await _release(rt, held)
    else:
        await _store(rt, held, status, bytes(response.body))
    return response


@contextlib.asynccontextmanager
async def _renewed(rt: Any, held: Claim) -> AsyncIterator[None]:
    """Keep the claim's lease alive while the handler runs (uploads and psychometrics can take minutes)."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY.total_seconds())
            with contextlib.suppress(Exception):  # a missed renewal only shortens the lease; the next one retries
                async with rt.engine.begin() as conn:
                    await idem_store.renew(conn, held, rt.clock() + LEASE)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _store(rt: Any, held: Claim, status: int, body: bytes) -> None:
    async with rt.engine.begin() as conn:
        await idem_store.store_answer(conn, held, status, body, held.created_at + TTL)


async def _release(rt: Any, held: Claim) -> None:
    async with rt.engine.begin() as conn:
        await idem_store.release(conn, held)
