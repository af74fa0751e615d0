"""The webhook outbox: one event per terminal job with a webhook, written in the job's final transaction, and
every delivery attempt recorded (docs/api.md §6.4).

The event itself (id, type, canonical body) is built by the caller with `webhooks.payload.build_webhook_event`
(jobs/lifecycle.py): the store layer only stores it and queues its delivery, and imports nothing above it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store import cursor as cursors
from conduit_server.store.queue import TASK_DELIVER, WEBHOOK_QUEUE, defer
from conduit_server.store.records import JobRecord, WebhookAttemptRecord, WebhookEventRecord
from conduit_server.store.tables import webhook_attempts, webhook_events


async def create_event(
    conn: AsyncConnection, job: JobRecord, now: datetime, *, event_id: str, event_type: str, body: bytes
) -> str:
    """Store `job`'s event (canonical `body`, sent byte-identical on every attempt) and queue its first delivery."""
    target = job.webhook_target
    if target is None:
        raise ValueError(f"job {job.id} has no webhook to deliver an event to")
    await conn.execute(
        webhook_events.insert().values(
            id=event_id, workspace_id=job.workspace_id, job_id=job.id, type=event_type, url=target.url,
            headers=dict(target.headers), body=body, status="pending", attempt_count=0,
            created_at=now, next_attempt_at=now,
        )
    )
    await defer(conn, TASK_DELIVER, {"event_id": event_id, "scheduled": True}, queue=WEBHOOK_QUEUE)
    return event_id


async def get(conn: AsyncConnection, event_id: str, workspace_id: str | None = None) -> WebhookEventRecord | None:
    query = select(webhook_events).where(webhook_events.c.id == event_id)
    if workspace_id is not None:
        query = query.where(webhook_events.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return None if row is None else WebhookEventRecord.from_row(row)


async def lock(conn: AsyncConnection, event_id: str) -> WebhookEventRecord | None:
    row = (await conn.execute(select(webhook_events).where(webhook_events.c.id == event_id).with_for_update())).first()
    return None if row is None else WebhookEventRecord.from_row(row)


async def record_attempt(
    conn: AsyncConnection, event_id: str, *, attempt: int, started_at: datetime, duration_ms: int,
    status_code: int | None, error: str | None, redelivery: bool,
) -> None:
    await conn.execute(
        webhook_attempts.insert().values(
            event_id=event_id, attempt=attempt, started_at=started_at, duration_ms=duration_ms,
            status_code=status_code, error=error, redelivery=redelivery,
        )
    )


async def update_event(conn: AsyncConnection, event_id: str, **values: Any) -> None:
    await conn.execute(update(webhook_events).where(webhook_events.c.id == event_id).values(**values))


async def attempts(conn: AsyncConnection, event_id: str) -> list[WebhookAttemptRecord]:
    rows = await conn.execute(
        select(webhook_attempts).where(webhook_attempts.c.event_id == event_id).order_by(webhook_attempts.c.id)
    )
    return [WebhookAttemptRecord.from_row(r) for r in rows]


async def list_page(conn: AsyncConnection, workspace_id: str, *, job_id: str | None, limit: int,
                    cursor: str | None) -> cursors.Page[WebhookEventRecord]:
    conds = [webhook_events.c.workspace_id == workspace_id]
    if job_id:
        conds.append(webhook_events.c.job_id == job_id)
    page = await cursors.newest_first(conn, webhook_events, conds, limit=limit, cursor=cursor)
    return page.map(WebhookEventRecord.from_row)


async def created_since(conn: AsyncConnection, workspace_id: str, since: datetime, *,
                        limit: int) -> list[WebhookEventRecord]:
    """The workspace's events created at or after `since`, oldest first (the workspace event stream's poll)."""
    query = (
        select(webhook_events)
        .where(webhook_events.c.workspace_id == workspace_id, webhook_events.c.created_at >= since)
        .order_by(webhook_events.c.created_at, webhook_events.c.id)
        .limit(limit)
    )
    return [WebhookEventRecord.from_row(r) for r in await conn.execute(query)]


async def redeliver(conn: AsyncConnection, event_id: str, workspace_id: str) -> WebhookEventRecord | None:
    """Queue one more delivery attempt of the workspace's event now, whatever its state (POST /v1/webhooks/events/
    {id}/redeliver and the web console's button); returns the updated event, None when the workspace has no such
    event."""
    row = await lock(conn, event_id)
    if row is None or row.workspace_id != workspace_id:
        return None
    await update_event(conn, event_id, status="pending")
    await defer(conn, TASK_DELIVER, {"event_id": event_id, "scheduled": False}, queue=WEBHOOK_QUEUE)
    return await get(conn, event_id)
