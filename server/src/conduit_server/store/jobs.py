"""Job records, their state transitions and the persisted event log that feeds SSE streams (docs/api.md §4, §5).

Every transition runs inside the caller's transaction, guarded by the current status, so a job reaches exactly
one terminal state even when a crashed run is retried or a cancel races the worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.domain import jobs as J
from conduit_server.domain.views import job_json
from conduit_server.store import cursor as cursors
from conduit_server.store.records import JobEventRecord, JobRecord
from conduit_server.store.tables import job_events, jobs


async def get(conn: AsyncConnection, job_id: str, workspace_id: str | None = None) -> JobRecord | None:
    query = select(jobs).where(jobs.c.id == job_id)
    if workspace_id is not None:
        query = query.where(jobs.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return None if row is None else JobRecord.from_row(row)


async def list_page(conn: AsyncConnection, workspace_id: str, *, status: str | None = None, limit: int = 50,
                    cursor: str | None = None) -> cursors.Page[JobRecord]:
    """One page of a workspace's jobs, newest first, of one status if given (the web console's job list)."""
    conds = [jobs.c.workspace_id == workspace_id]
    if status is not None:
        conds.append(jobs.c.status == status)
    return (await cursors.newest_first(conn, jobs, conds, limit=limit, cursor=cursor)).map(JobRecord.from_row)


async def add_event(conn: AsyncConnection, job_id: str, event: str, data: dict[str, Any], now: datetime) -> int:
    result = await conn.execute(
        job_events.insert().values(job_id=job_id, event=event, data=data, created_at=now).returning(job_events.c.id)
    )
    return int(result.scalar_one())


async def insert(conn: AsyncConnection, values: dict[str, Any], now: datetime) -> JobRecord:
    row = JobRecord.from_row((
        await conn.execute(
            jobs.insert()
            .values(status=J.QUEUED, stage="queued", progress=0.0, created_at=now, updated_at=now, **values)
            .returning(*jobs.c)
        )
    ).one())
    await add_event(conn, row.id, "status", {"status": J.QUEUED, "stage": "queued", "progress": 0.0,
                                             "job": job_json(row)}, now)
    return row


async def advance(conn: AsyncConnection, job_id: str, stage: str, progress: float, now: datetime) -> JobRecord | None:
    """Move a non-terminal job forward to `stage` (never back) and record the events. Returns the new row, or
    None when the job is terminal or already past that stage. A queued job becomes running."""
    locked = (await conn.execute(select(jobs).where(jobs.c.id == job_id).with_for_update())).first()
    if locked is None:
        return None
    row = JobRecord.from_row(locked)
    if row.status in J.TERMINAL:
        return None
    current = J.STAGE_ORDER.get(row.stage or "queued", 0)
    wanted = J.STAGE_ORDER[stage]
    if wanted < current:
        return None
    new_progress = max(row.progress or 0.0, progress)
    became_running = row.status == J.QUEUED and wanted >= J.STAGE_ORDER["transcoding"]
    stage_changed = wanted > current
    if not stage_changed and not became_running and new_progress <= (row.progress or 0.0):
        return row
    values: dict[str, Any] = {"stage": stage, "progress": new_progress, "updated_at": now}
    if became_running:
        values.update(status=J.RUNNING, started_at=now)
    new = JobRecord.from_row(
        (await conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values).returning(*jobs.c))).one())
    if became_running:
        await add_event(conn, job_id, "status",
                        {"status": J.RUNNING, "stage": stage, "progress": new_progress, "job": job_json(new)}, now)
    if stage_changed:
        await add_event(conn, job_id, "stage", {"stage": stage, "progress": new_progress, "job": job_json(new)}, now)
    return new


async def finish(
    conn: AsyncConnection,
    job_id: str,
    status: str,
    now: datetime,
    *,
    usage: dict[str, Any],
    error: dict[str, Any] | None = None,
    report_id: str | None = None,
    matching_id: str | None = None,
) -> JobRecord | None:
    """Make the job terminal, once. Returns None if it already was (the caller must then roll back)."""
    values: dict[str, Any] = {"status": status, "updated_at": now, "finished_at": now, "usage": usage}
    if status == J.SUCCEEDED:
        values.update(progress=1.0, stage="finalizing", report_id=report_id, matching_id=matching_id)
    if error is not None:
        values["error"] = error
    updated = (
        await conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status.notin_(tuple(J.TERMINAL)))
            .values(**values)
            .returning(*jobs.c)
        )
    ).first()
    if updated is None:
        return None
    row = JobRecord.from_row(updated)
    data: dict[str, Any] = {"status": status}
    if report_id:
        data["reportId"] = report_id
    if matching_id:
        data["matchingId"] = matching_id
    if error is not None:
        data["error"] = {"code": error["code"], "message": error["message"]}
    data["job"] = job_json(row)
    await add_event(conn, job_id, "terminal", data, now)
    return row


async def request_cancel(conn: AsyncConnection, job_id: str, now: datetime) -> None:
    await conn.execute(
        update(jobs).where(jobs.c.id == job_id, jobs.c.status.notin_(tuple(J.TERMINAL)))
        .values(cancel_requested=True, updated_at=now)
    )


async def cancel_requested(conn: AsyncConnection, job_id: str) -> bool:
    row = (await conn.execute(select(jobs.c.cancel_requested, jobs.c.status).where(jobs.c.id == job_id))).first()
    return row is None or bool(row.cancel_requested) or row.status in J.TERMINAL


async def events_after(conn: AsyncConnection, job_id: str, after: int) -> list[JobEventRecord]:
    query = select(job_events).where(job_events.c.job_id == job_id, job_events.c.id > after).order_by(job_events.c.id)
    return [JobEventRecord.from_row(r) for r in await conn.execute(query)]


async def waiting_on_media(conn: AsyncConnection, media_id: str) -> list[str]:
    rows = await conn.execute(
        select(jobs.c.id).where(jobs.c.media_id == media_id, jobs.c.status.notin_(tuple(J.TERMINAL)))
    )
    return [r.id for r in rows]


def usage(started: datetime | None, now: datetime, model_version: str, audio_seconds: float | None) -> dict[str, Any]:
    body: dict[str, Any] = {"creditsUsed": 0, "creditsNetUsed": 0, "modelVersion": model_version}
    if started is not None:
        body["durationMs"] = int((now - started).total_seconds() * 1000)
    if audio_seconds is not None:
        body["audioSeconds"] = round(audio_seconds, 3)
    return body


async def count_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status))
    return {r[0]: int(r[1]) for r in rows}
