"""Creating a job: the job row, its first event and its queue entry commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.domain.errors import ApiError
from conduit_server.domain.ids import new_id
from conduit_server.domain.requests import JobRequest, ReportRequest
from conduit_server.store import jobs as job_store
from conduit_server.store import media as media_store
from conduit_server.store.queue import TASK_RUN_JOB, QueueFull, defer_analysis
from conduit_server.store.records import JobRecord
from conduit_server.telemetry.instruments import record_job_created

QUEUE_FULL_RETRY_AFTER_SECONDS = 10


async def submit(
    conn: AsyncConnection,
    *,
    workspace_id: str,
    request: JobRequest,
    now: datetime,
    media_id: str | None = None,
    request_id: str | None = None,
    max_queued: int | None = None,
) -> JobRecord:
    """Create the job; 429 `rate_limited` when the workspace already has `max_queued` jobs waiting (issue 10).

    The job's type, webhook and label all come from the validated `request`, so they cannot disagree with it."""
    job_id = new_id("job_")
    # in the workspace's fair turn, above the upload's own processing task: a job waiting on unprocessed media
    # processes it itself, so its stages (transcoding, extracting) and progress show the work
    try:
        await defer_analysis(conn, TASK_RUN_JOB, {"job_id": job_id}, workspace_id=workspace_id,
                             max_queued_jobs=max_queued)
    except QueueFull as exc:
        raise ApiError(
            f"This workspace already has {exc.limit} jobs queued; retry once some have started", code="rate_limited",
            status=429, headers={"Retry-After": str(QUEUE_FULL_RETRY_AFTER_SECONDS)},
        ) from None
    row = await job_store.insert(
        conn,
        {"id": job_id, "workspace_id": workspace_id, "type": request.job_type, "request": request.to_json(),
         "media_id": media_id, "webhook": None if request.webhook is None else request.webhook.to_json(),
         "label": request.label, "request_id": request_id},
        now,
    )
    record_job_created(request.job_type)
    return row


async def submit_report(conn: AsyncConnection, *, workspace_id: str, request: ReportRequest, now: datetime,
                        request_id: str | None, max_queued: int | None) -> JobRecord:
    """A report job on a workspace's media (validated request, media known): the media counts as used now, so
    retention keeps it, and the job is created (the API's `POST /v1/reports/jobs` and the web console's form)."""
    await media_store.touch(conn, request.media_id, now)
    return await submit(conn, workspace_id=workspace_id, request=request, now=now, media_id=request.media_id,
                        request_id=request_id, max_queued=max_queued)


def receipt(row: JobRecord) -> dict[str, Any]:
    return {"jobId": row.id, "status": row.status, "stage": row.stage}
