"""Matching rows (docs/api.md §14): written by a matching job's final transaction, read within one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store.records import MatchingRecord
from conduit_server.store.tables import matchings


async def insert(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(matchings.insert().values(**values))


async def get(conn: AsyncConnection, matching_id: str, workspace_id: str) -> MatchingRecord | None:
    query = select(matchings).where(matchings.c.id == matching_id, matchings.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return None if row is None else MatchingRecord.from_row(row)


async def of_job(conn: AsyncConnection, job_id: str, workspace_id: str) -> MatchingRecord | None:
    query = select(matchings).where(matchings.c.job_id == job_id, matchings.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return None if row is None else MatchingRecord.from_row(row)
