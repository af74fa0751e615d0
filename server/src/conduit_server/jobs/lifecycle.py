"""Terminal transitions: the job row, its terminal event and its webhook outbox event, in ONE transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.domain import jobs as J
from conduit_server.settings import Settings
from conduit_server.store import jobs as job_store
from conduit_server.store import outbox
from conduit_server.store.records import JobRecord
from conduit_server.telemetry.instruments import record_job_finished
from conduit_server.webhooks.payload import build_webhook_event


async def terminate(
    conn: AsyncConnection,
    job_id: str,
    status: str,
    now: datetime,
    settings: Settings,
    *,
    error: dict[str, Any] | None = None,
    report_id: str | None = None,
    matching_id: str | None = None,
    audio_seconds: float | None = None,
) -> JobRecord | None:
    """Make a job terminal and queue its webhook. Returns None when the job already was terminal; the caller
    must then roll back whatever it wrote (a second run never yields a second result)."""
    current = await job_store.get(conn, job_id)
    if current is None or current.status in J.TERMINAL:
        return None
    usage = job_store.usage(current.started_at, now, settings.model_version, audio_seconds)
    row = await job_store.finish(conn, job_id, status, now, usage=usage, error=error, report_id=report_id,
                                 matching_id=matching_id)
    if row is None:
        return None
    if row.webhook:
        event = build_webhook_event(job_id=row.id, job_type=row.type, status=row.status, terminal_at=now,
                                    report_id=report_id, matching_id=matching_id, error=error, created_at=now)
        await outbox.create_event(conn, row, now, event_id=event.id, event_type=event.type, body=event.body)
    record_job_finished(current.type, status, (error or {}).get("code"), current.created_at, current.started_at, now)
    return row


async def fail(conn: AsyncConnection, job_id: str, code: str, now: datetime, settings: Settings,
               message: str | None = None, audio_seconds: float | None = None) -> JobRecord | None:
    return await terminate(conn, job_id, J.FAILED, now, settings, error=J.job_error(code, message),
                           audio_seconds=audio_seconds)


async def fail_jobs_of_deleted_media(conn: AsyncConnection, media_id: str, now: datetime,
                                     settings: Settings) -> list[str]:
    failed = []
    for job_id in await job_store.waiting_on_media(conn, media_id):
        row = await job_store.get(conn, job_id)
        if row is not None and row.status == J.QUEUED:
            if await fail(conn, job_id, "media_deleted", now, settings) is not None:
                failed.append(job_id)
    return failed


async def cancel(conn: AsyncConnection, job_id: str, workspace_id: str, now: datetime,
                 settings: Settings) -> JobRecord | None:
    """Cancel the workspace's job (POST /v1/jobs/{id}/cancel and the web console's button): a queued job ends
    CANCELED now, a running one is asked to stop at its next check, a terminal one stays as it is. Returns the job
    as it is afterwards, None when the workspace has no such job."""
    row = await job_store.get(conn, job_id, workspace_id)
    if row is None:
        return None
    if row.status == J.QUEUED:
        return await terminate(conn, job_id, J.CANCELED, now, settings) or row
    if row.status == J.RUNNING:
        await job_store.request_cancel(conn, job_id, now)
    return row
