"""Report rows: written by a report job's final transaction, always looked up within one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store.records import ReportRecord
from conduit_server.store.tables import reports


async def get(conn: AsyncConnection, report_id: str, workspace_id: str) -> ReportRecord | None:
    query = select(reports).where(reports.c.id == report_id, reports.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return None if row is None else ReportRecord.from_row(row)


async def of_job(conn: AsyncConnection, job_id: str, workspace_id: str) -> ReportRecord | None:
    query = select(reports).where(reports.c.job_id == job_id, reports.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return None if row is None else ReportRecord.from_row(row)


async def insert(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(reports.insert().values(**values))
