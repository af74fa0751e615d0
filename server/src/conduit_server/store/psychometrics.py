"""Stored /v2/psychometrics results (docs/api.md §3.6): kept until `expires_at`, read within one workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store.tables import psychometrics


async def insert(conn: AsyncConnection, analysis_id: str, workspace_id: str, result: dict[str, Any],
                 created_at: datetime, expires_at: datetime) -> None:
    await conn.execute(psychometrics.insert().values(
        id=analysis_id, workspace_id=workspace_id, result=result, created_at=created_at, expires_at=expires_at,
    ))


async def live_result(conn: AsyncConnection, analysis_id: str, workspace_id: str,
                      now: datetime) -> dict[str, Any] | None:
    """The stored answer, None when unknown, another workspace's, or expired."""
    row = (await conn.execute(select(psychometrics.c.result).where(
        psychometrics.c.id == analysis_id, psychometrics.c.workspace_id == workspace_id,
        psychometrics.c.expires_at > now,
    ))).first()
    return None if row is None else dict(row.result)


async def delete_expired(conn: AsyncConnection, now: datetime) -> None:
    await conn.execute(delete(psychometrics).where(psychometrics.c.expires_at < now))
