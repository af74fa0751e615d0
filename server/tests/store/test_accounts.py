"""Workspaces and API keys: a key authenticates only while live, lands in its workspace, and is stored hashed."""

from __future__ import annotations

import pytest
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from conduit_server.store.tables import api_keys
from sqlalchemy import select
from store.conftest import Workspaces


async def test_key_authenticates_into_its_workspace_and_is_stored_hashed(runtime: Runtime, ws: Workspaces) -> None:
    created = await accounts.create_key(runtime.engine, runtime.clock(), workspace_id=ws.a, label="ci")
    who = await accounts.authenticate(runtime.engine, created.api_key)
    assert who is not None and (who.workspace_id, who.api_key_id, who.workspace_disabled) == (
        ws.a, created.api_key_id, False)
    async with runtime.engine.connect() as conn:
        stored = (await conn.execute(select(api_keys.c.key_hash).where(api_keys.c.id == created.api_key_id))).one()
        assert created.webhook_secret == await accounts.webhook_secret(conn, ws.a)
    assert stored.key_hash == accounts.hash_key(created.api_key) != created.api_key


async def test_unknown_and_revoked_keys_authenticate_nobody(runtime: Runtime, ws: Workspaces) -> None:
    assert await accounts.authenticate(runtime.engine, "mk_no_such_key") is None
    created = await accounts.create_key(runtime.engine, runtime.clock(), workspace_id=ws.a)
    assert await accounts.revoke_key(runtime.engine, runtime.clock(), created.api_key_id)
    assert not await accounts.revoke_key(runtime.engine, runtime.clock(), created.api_key_id)  # once
    assert await accounts.authenticate(runtime.engine, created.api_key) is None


async def test_list_keys_is_per_workspace_and_disabling_shows(runtime: Runtime, ws: Workspaces) -> None:
    b_key = await accounts.create_key(runtime.engine, runtime.clock(), workspace_id=ws.b, label="b")
    assert await accounts.set_workspace_disabled(runtime.engine, ws.b, True)
    assert not await accounts.set_workspace_disabled(runtime.engine, "ws_missing", True)
    keys_b = await accounts.list_keys(runtime.engine, ws.b)
    assert [(k.id, k.label, k.workspace_disabled) for k in keys_b] == [(b_key.api_key_id, "b", True)]
    assert all(k.workspace_id == ws.a for k in await accounts.list_keys(runtime.engine, ws.a))
    who = await accounts.authenticate(runtime.engine, b_key.api_key)
    assert who is not None and who.workspace_disabled
    await accounts.set_workspace_disabled(runtime.engine, ws.b, False)


async def test_unknown_workspace_and_rotated_secret(runtime: Runtime, ws: Workspaces) -> None:
    with pytest.raises(LookupError):
        await accounts.create_key(runtime.engine, runtime.clock(), workspace_id="ws_missing")
    async with runtime.engine.connect() as conn:
        before_a, before_b = await accounts.webhook_secret(conn, ws.a), await accounts.webhook_secret(conn, ws.b)
    rotated = await accounts.rotate_secret(runtime.engine, ws.a)
    async with runtime.engine.connect() as conn:
        assert await accounts.webhook_secret(conn, ws.a) == rotated != before_a
        assert await accounts.webhook_secret(conn, ws.b) == before_b  # the other workspace keeps its own
