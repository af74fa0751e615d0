"""Idempotency-Key handling (contract 8, 16(d)): scoped per workspace + method + route template, 24 h."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from starlette.responses import JSONResponse, Response

from conduit_server.api.deps import runtime
from conduit_server.api.errors import envelope
from conduit_server.domain.errors import ApiError, ValidationFailed
from conduit_server.store.accounts import Principal
from conduit_server.store.tables import idempotency_keys

TTL = timedelta(hours=24)


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


def fingerprint(request: Request, body_digest: str) -> str:
    h = hashlib.sha256()
    h.update(request.url.path.encode())
    h.update(b"?" + request.url.query.encode())
    h.update(b"\n" + body_digest.encode())
    return h.hexdigest()


def json_digest(body: dict[str, Any] | None) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


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
    now = rt.clock()
    fp = fingerprint(request, digest)
    ident = and_(
        idempotency_keys.c.workspace_id == who.workspace_id,
        idempotency_keys.c.method == request.method,
        idempotency_keys.c.route == route,
        idempotency_keys.c.key == key,
    )
    async with rt.engine.begin() as conn:
        await conn.execute(delete(idempotency_keys).where(ident, idempotency_keys.c.expires_at < now))
        inserted = await conn.execute(
            insert(idempotency_keys)
            .values(workspace_id=who.workspace_id, method=request.method, route=route, key=key, fingerprint=fp,
                    state="in_progress", created_at=now, expires_at=now + TTL)
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.key)
        )
        existing = None
        # RETURNING, not rowcount: the asyncpg driver reports -1 for INSERT .. ON CONFLICT DO NOTHING
        if inserted.first() is None:
            existing = (await conn.execute(select(idempotency_keys).where(ident))).first()
    if existing is not None:
        if existing.fingerprint != fp:
            raise ApiError("Idempotency-Key was already used with a different request",
                           code="idempotency_key_reused", status=422)
        if existing.state != "done":
            raise ApiError("A request with this Idempotency-Key is still in progress",
                           code="idempotency_key_in_progress", status=409)
        return Response(existing.body, status_code=existing.status_code, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"})
    try:
        response = await handler()
    except ApiError as exc:
        if exc.status in (409, 429) or exc.status >= 500:
            await _release(rt, ident)
        else:
            await _store(rt, ident, exc.status, json.dumps(envelope(exc.code, exc.message, exc.details)).encode())
        raise
    except BaseException:
        await _release(rt, ident)
        raise
    status = response.status_code
    if status >= 500 or status in (409, 429) or not isinstance(response, JSONResponse):
        await _release(rt, ident)
    else:
        await _store(rt, ident, status, bytes(response.body))
    return response


async def _store(rt: Any, ident: Any, status: int, body: bytes) -> None:
    async with rt.engine.begin() as conn:
        await conn.execute(update(idempotency_keys).where(ident).values(state="done", status_code=status, body=body))


async def _release(rt: Any, ident: Any) -> None:
    async with rt.engine.begin() as conn:
        await conn.execute(delete(idempotency_keys).where(ident))
