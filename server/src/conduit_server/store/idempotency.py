"""Idempotency-Key rows (docs/api.md §8): the claim, its lease renewal, the stored answer and the release.

The policy (lease length, what is stored, what is released) lives in api/idempotency.py; this module only reads
and writes the rows, each call in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store.records import IdempotencyKeyRecord
from conduit_server.store.tables import idempotency_keys


@dataclass(frozen=True)
class KeyScope:
    """One key's identity: workspace + method + route template + the caller's key."""

    workspace_id: str
    method: str
    route: str
    key: str

    def where(self) -> Any:
        return and_(
            idempotency_keys.c.workspace_id == self.workspace_id,
            idempotency_keys.c.method == self.method,
            idempotency_keys.c.route == self.route,
            idempotency_keys.c.key == self.key,
        )


@dataclass(frozen=True)
class Claim:
    """An in-progress row this request wrote; `created_at` tells it apart from a later claim of the same key
    (taken over after this one's lease ran out), so a slow request never overwrites its successor's row."""

    scope: KeyScope
    created_at: datetime

    def where(self) -> Any:
        return and_(self.scope.where(), idempotency_keys.c.created_at == self.created_at)


async def try_claim(conn: AsyncConnection, scope: KeyScope, fp: str, now: datetime,
                    lease_until: datetime) -> Claim | IdempotencyKeyRecord | None:
    """Remove the key's expired row, then claim it: the Claim when ours, else the row holding it (None when the
    holder released it between our insert and select; the caller tries again)."""
    await conn.execute(delete(idempotency_keys).where(scope.where(), idempotency_keys.c.expires_at < now))
    inserted = await conn.execute(
        insert(idempotency_keys)
        .values(workspace_id=scope.workspace_id, method=scope.method, route=scope.route, key=scope.key,
                fingerprint=fp, state="in_progress", created_at=now, expires_at=lease_until)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    # RETURNING, not rowcount: the asyncpg driver reports -1 for INSERT .. ON CONFLICT DO NOTHING
    if inserted.first() is not None:
        return Claim(scope, now)
    row = (await conn.execute(select(idempotency_keys).where(scope.where()))).first()
    return None if row is None else IdempotencyKeyRecord.from_row(row)


async def renew(conn: AsyncConnection, held: Claim, lease_until: datetime) -> None:
    """Extend a still in-progress claim's lease."""
    await conn.execute(update(idempotency_keys).where(held.where(), idempotency_keys.c.state == "in_progress")
                       .values(expires_at=lease_until))


async def store_answer(conn: AsyncConnection, held: Claim, status: int, body: bytes, expires_at: datetime) -> None:
    await conn.execute(update(idempotency_keys).where(held.where()).values(
        state="done", status_code=status, body=body, expires_at=expires_at))


async def release(conn: AsyncConnection, held: Claim) -> None:
    await conn.execute(delete(idempotency_keys).where(held.where()))
