"""The store's own tests: each module gets a fresh migrated database (the root conftest's `runtime`) and two
workspaces, so every read can be checked to never return the other workspace's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from conduit_server.domain.ids import new_id
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from conduit_server.store import media as media_store
from conduit_server.store.records import MediaRecord
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class Workspaces:
    a: str
    b: str


@pytest.fixture(scope="module")
async def ws(runtime: Runtime) -> Workspaces:
    a = await accounts.create_workspace(runtime.engine, runtime.clock(), "store-a")
    b = await accounts.create_workspace(runtime.engine, runtime.clock(), "store-b")
    return Workspaces(a, b)


async def add_media(conn: AsyncConnection, workspace_id: str, now: datetime, **values: Any) -> MediaRecord:
    """A media row with the fields every upload has; `values` override them."""
    fields: dict[str, Any] = {
        "id": new_id("med_"), "workspace_id": workspace_id, "label": "call", "content_type": "audio/wav",
        "size_bytes": 10, "source": "SDK", "created_by_user_id": "user_test", "processing_status": "PENDING",
        "created_at": now, "last_used_at": now, **values,
    }
    return await media_store.insert_upload(conn, **fields)
