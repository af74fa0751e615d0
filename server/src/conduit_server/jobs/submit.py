"""Creating a job: the job row, its first event and its queue entry commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.domain.ids import new_id
from conduit_server.jobs.queue import ANALYSIS_QUEUE, TASK_RUN_JOB, defer
from conduit_server.store import jobs as job_store


async def submit(
    conn: AsyncConnection,
    *,
    workspace_id: str,
    job_type: str,
    request: dict[str, Any],
    now: datetime,
    media_id: str | None = None,
    webhook: dict[str, Any] | None = None,
    label: str | None = None,
    request_id: str | None = None,
) -> Row[Any]:
    job_id = new_id("job_")
    row = await job_store.insert(
        conn,
        {"id": job_id, "workspace_id": workspace_id, "type": job_type, "request": request, "media_id": media_id,
         "webhook": webhook, "label": label, "request_id": request_id},
        now,
    )
    # above the upload's own processing task: a job waiting on unprocessed media processes it itself, so its
    # stages (transcoding, extracting) and progress show the work
    await defer(conn, TASK_RUN_JOB, {"job_id": job_id}, queue=ANALYSIS_QUEUE, priority=10)
    return row


def receipt(row: Row[Any]) -> dict[str, Any]:
    return {"jobId": row.id, "status": row.status, "stage": row.stage}
