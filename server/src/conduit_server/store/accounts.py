"""Workspaces, users and API keys (keys are stored as SHA-256 hashes only)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conduit_server.domain.ids import new_api_key, new_id, new_webhook_secret
from conduit_server.store.tables import api_keys, users, workspaces

DEFAULT_WORKSPACE_NAME = "default"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    workspace_id: str
    api_key_id: str
    user_id: str
    workspace_disabled: bool


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What an operator may see of a key: never the key itself (only its hash is stored) or the webhook secret."""

    id: str
    prefix: str
    workspace_id: str
    workspace_name: str
    workspace_disabled: bool
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class CreatedKey:
    workspace_id: str
    api_key_id: str
    api_key: str
    webhook_secret: str


def principal_query() -> Select[tuple[str, str, str, bool]]:
    """What a principal is read from: each key with its workspace (callers add the key's conditions, and may join
    more, as a console session does)."""
    return (
        select(api_keys.c.id, api_keys.c.workspace_id, api_keys.c.user_id, workspaces.c.disabled)
        .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
    )


async def first_principal(engine: AsyncEngine, query: Select[tuple[str, str, str, bool]]) -> Principal | None:
    """The principal of the first row of `query` (built on `principal_query`), None without one."""
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else Principal(row.workspace_id, row.id, row.user_id, bool(row.disabled))


async def authenticate(engine: AsyncEngine, key: str) -> Principal | None:
    return await first_principal(
        engine, principal_query().where(api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None)))


async def _default_workspace(conn: AsyncConnection, now: datetime, secret: str | None) -> tuple[str, str]:
    row = (
        await conn.execute(
            select(workspaces.c.id, workspaces.c.webhook_secret)
            .where(workspaces.c.name == DEFAULT_WORKSPACE_NAME)
            .order_by(workspaces.c.created_at)
            .limit(1)
        )
    ).first()
    if row is not None:
        return row.id, row.webhook_secret
    ws_id = new_id("ws_")
    secret = secret or new_webhook_secret()
    await conn.execute(
        workspaces.insert().values(id=ws_id, name=DEFAULT_WORKSPACE_NAME, webhook_secret=secret, created_at=now)
    )
    return ws_id, secret


async def create_key(
    engine: AsyncEngine,
    now: datetime,
    *,
    workspace_id: str | None = None,
    key: str | None = None,
    label: str | None = None,
    webhook_secret: str | None = None,
) -> CreatedKey:
    """Create an API key (and its user) in `workspace_id`, or in the default workspace, created if needed."""
    key = key or new_api_key()
    async with engine.begin() as conn:
        if workspace_id is None:
            workspace_id, secret = await _default_workspace(conn, now, webhook_secret)
        else:
            row = (
                await conn.execute(select(workspaces.c.webhook_secret).where(workspaces.c.id == workspace_id))
            ).first()
            if row is None:
                raise LookupError(f"unknown workspace {workspace_id}")
            secret = row.webhook_secret
        user_id = new_id("user_")
        key_id = new_id("key_")
        await conn.execute(users.insert().values(id=user_id, workspace_id=workspace_id, created_at=now))
        await conn.execute(
            api_keys.insert().values(
                id=key_id,
                workspace_id=workspace_id,
                user_id=user_id,
                key_hash=hash_key(key),
                prefix=key[:8],
                label=label,
                created_at=now,
            )
        )
    return CreatedKey(workspace_id, key_id, key, secret)


async def create_workspace(engine: AsyncEngine, now: datetime, name: str) -> str:
    ws_id = new_id("ws_")
    async with engine.begin() as conn:
        await conn.execute(
            workspaces.insert().values(id=ws_id, name=name, webhook_secret=new_webhook_secret(), created_at=now)
        )
    return ws_id


async def ensure_bootstrap_key(engine: AsyncEngine, now: datetime, key: str, secret: str | None) -> None:
    """CONDUIT_BOOTSTRAP_API_KEY: make sure this key exists in the default workspace (idempotent)."""
    async with engine.connect() as conn:
        exists = (await conn.execute(select(api_keys.c.id).where(api_keys.c.key_hash == hash_key(key)))).first()
    if exists is None:
        await create_key(engine, now, key=key, label="bootstrap", webhook_secret=secret)
    if secret:
        async with engine.begin() as conn:
            await conn.execute(
                update(workspaces).where(workspaces.c.name == DEFAULT_WORKSPACE_NAME).values(webhook_secret=secret)
            )


async def list_keys(engine: AsyncEngine, workspace_id: str | None = None) -> list[KeyInfo]:
    """Every key (of one workspace, if given), oldest first."""
    query = (
        select(api_keys.c.id, api_keys.c.prefix, api_keys.c.workspace_id, workspaces.c.name, workspaces.c.disabled,
               api_keys.c.label, api_keys.c.created_at, api_keys.c.revoked_at)
        .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )
    if workspace_id is not None:
        query = query.where(api_keys.c.workspace_id == workspace_id)
    async with engine.connect() as conn:
        rows = await conn.execute(query)
        return [KeyInfo(r.id, r.prefix, r.workspace_id, r.name, bool(r.disabled), r.label, r.created_at,
                        r.revoked_at) for r in rows]


async def set_workspace_disabled(engine: AsyncEngine, workspace_id: str, disabled: bool) -> bool:
    """Disable (every key of it is refused) or re-enable a workspace; False if there is no such workspace."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(workspaces).where(workspaces.c.id == workspace_id).values(disabled=disabled)
            .returning(workspaces.c.id)
        )
        return result.first() is not None


async def revoke_key(engine: AsyncEngine, now: datetime, key_id: str) -> bool:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=now)
        )
    return bool(result.rowcount)


async def rotate_secret(engine: AsyncEngine, workspace_id: str) -> str:
    secret = new_webhook_secret()
    async with engine.begin() as conn:
        await conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(webhook_secret=secret))
    return secret


async def webhook_secret(conn: AsyncConnection, workspace_id: str) -> str:
    row = (await conn.execute(select(workspaces.c.webhook_secret).where(workspaces.c.id == workspace_id))).one()
    return str(row.webhook_secret)
