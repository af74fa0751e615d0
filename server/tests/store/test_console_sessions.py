"""Console sessions: a session is live until it is revoked (sign-out) or expires, independently of the key's
other sessions, and never outlives its key."""

from __future__ import annotations

from datetime import timedelta

from conduit_server.runtime import Runtime
from conduit_server.store import accounts, console_sessions
from conduit_server.store.tables import console_sessions as table
from sqlalchemy import select
from store.conftest import Workspaces

HOUR = timedelta(hours=1)


async def test_a_session_is_live_until_revoked_and_other_sessions_stay(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    key = await accounts.create_key(runtime.engine, now, workspace_id=ws.a)
    first = await console_sessions.create(runtime.engine, now, key.api_key_id, ws.a, HOUR)
    second = await console_sessions.create(runtime.engine, now, key.api_key_id, ws.a, HOUR)
    assert first != second and first.startswith("cs_")
    who = await console_sessions.principal_of_session(runtime.engine, first, key.api_key_id, now)
    assert who is not None and (who.workspace_id, who.api_key_id) == (ws.a, key.api_key_id)
    assert await console_sessions.is_live(runtime.engine, first, now)

    assert await console_sessions.revoke(runtime.engine, first, now)
    assert not await console_sessions.revoke(runtime.engine, first, now)  # once
    assert not await console_sessions.is_live(runtime.engine, first, now)
    assert await console_sessions.principal_of_session(runtime.engine, first, key.api_key_id, now) is None
    assert await console_sessions.is_live(runtime.engine, second, now)
    assert await console_sessions.principal_of_session(runtime.engine, second, key.api_key_id, now) == who


async def test_a_session_ends_when_it_expires_or_its_key_is_revoked(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    key = await accounts.create_key(runtime.engine, now, workspace_id=ws.b)
    session = await console_sessions.create(runtime.engine, now, key.api_key_id, ws.b, HOUR)
    later = now + HOUR
    assert await console_sessions.is_live(runtime.engine, session, later - timedelta(seconds=1))
    assert not await console_sessions.is_live(runtime.engine, session, later)
    assert await console_sessions.principal_of_session(runtime.engine, session, key.api_key_id, later) is None

    other = await console_sessions.create(runtime.engine, now, key.api_key_id, ws.b, HOUR)
    assert await accounts.revoke_key(runtime.engine, now, key.api_key_id)
    assert await console_sessions.is_live(runtime.engine, other, now)  # the row itself; its key is checked below
    assert await console_sessions.principal_of_session(runtime.engine, other, key.api_key_id, now) is None


async def test_a_session_answers_only_for_the_key_it_was_opened_with(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    mine = await accounts.create_key(runtime.engine, now, workspace_id=ws.a)
    theirs = await accounts.create_key(runtime.engine, now, workspace_id=ws.b)
    session = await console_sessions.create(runtime.engine, now, mine.api_key_id, ws.a, HOUR)
    assert await console_sessions.principal_of_session(runtime.engine, session, theirs.api_key_id, now) is None
    assert await console_sessions.principal_of_session(runtime.engine, "cs_missing", mine.api_key_id, now) is None
    assert not await console_sessions.is_live(runtime.engine, "cs_missing", now)
    assert not await console_sessions.revoke(runtime.engine, "cs_missing", now)


async def test_signing_in_sweeps_expired_sessions(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    key = await accounts.create_key(runtime.engine, now, workspace_id=ws.a)
    old = await console_sessions.create(runtime.engine, now - 2 * HOUR, key.api_key_id, ws.a, HOUR)
    live = await console_sessions.create(runtime.engine, now - 2 * HOUR, key.api_key_id, ws.a, 4 * HOUR)
    await console_sessions.create(runtime.engine, now, key.api_key_id, ws.a, HOUR)
    async with runtime.engine.connect() as conn:
        ids = {r.id for r in await conn.execute(select(table.c.id).where(table.c.id.in_([old, live])))}
    assert ids == {live}
