"""Web console sessions: one row per sign-in, named by the signed cookie (console/session.py).

The cookie alone cannot be taken back once issued; the row can. A session is live while it is neither revoked
(sign-out) nor expired, and while its API key is live: revoking the key, or disabling its workspace, ends every
session of it as before."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from conduit_server.domain.ids import new_id
from conduit_server.store.accounts import Principal, first_principal, principal_query
from conduit_server.store.tables import api_keys, console_sessions


async def create(engine: AsyncEngine, now: datetime, api_key_id: str, workspace_id: str,
                 lifetime: timedelta) -> str:
    """A new live session of `api_key_id`, ending at `now + lifetime`; its id. Rows already expired go at the same
    time, so the table holds only sessions that could still be presented."""
    session_id = new_id("cs_")
    async with engine.begin() as conn:
        await conn.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now))
        await conn.execute(console_sessions.insert().values(
            id=session_id, api_key_id=api_key_id, workspace_id=workspace_id, created_at=now,
            expires_at=now + lifetime))
    return session_id


async def principal_of_session(engine: AsyncEngine, session_id: str, api_key_id: str,
                               now: datetime) -> Principal | None:
    """The principal of a live session opened with `api_key_id` whose key is not revoked, else None: the
    session and its key read in one query, on every console request."""
    query = (
        principal_query()
        .join(console_sessions, console_sessions.c.api_key_id == api_keys.c.id)
        .where(console_sessions.c.id == session_id, console_sessions.c.api_key_id == api_key_id,
               console_sessions.c.revoked_at.is_(None), console_sessions.c.expires_at > now,
               api_keys.c.revoked_at.is_(None))
    )
    return await first_principal(engine, query)


async def is_live(engine: AsyncEngine, session_id: str, now: datetime) -> bool:
    """Neither revoked nor expired (the key's own state aside)."""
    query = select(console_sessions.c.id).where(
        console_sessions.c.id == session_id, console_sessions.c.revoked_at.is_(None),
        console_sessions.c.expires_at > now)
    async with engine.connect() as conn:
        return (await conn.execute(query)).first() is not None


async def revoke(engine: AsyncEngine, session_id: str, now: datetime) -> bool:
    """End the session (sign-out); False if it was already revoked or never existed."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(console_sessions)
            .where(console_sessions.c.id == session_id, console_sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return bool(result.rowcount)
