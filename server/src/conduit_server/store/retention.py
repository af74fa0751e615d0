"""Retention of bookkeeping rows that would otherwise grow forever (docs/data.md): expired idempotency keys, the
progress events of long-finished jobs, and the log of settled webhook deliveries.

Deletes run in batches, each its own short transaction, so a large backlog never holds long locks or one huge
transaction; the workers' maintenance loop calls `sweep` periodically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Executable, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from conduit_server.store.tables import idempotency_keys, job_events, jobs, webhook_attempts, webhook_events

BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Swept:
    """How many rows one sweep removed, per table."""

    idempotency_keys: int
    job_events: int
    webhook_events: int
    webhook_attempts: int


async def _in_batches(engine: AsyncEngine, statement: Executable) -> int:
    """Run `statement` (a DELETE .. RETURNING limited to one batch) until it removes fewer rows than a batch."""
    total = 0
    while True:
        async with engine.begin() as conn:
            removed = len((await conn.execute(statement)).all())
        total += removed
        if removed < BATCH_ROWS:
            return total


async def sweep(engine: AsyncEngine, now: datetime, *, job_events_days: float, webhook_log_days: float) -> Swept:
    """Remove expired idempotency keys (kept 24 h by the API), non-terminal events of jobs finished more than
    `job_events_days` ago (the terminal event stays, so a stream of an old job still ends properly), and webhook
    events delivered or given up on more than `webhook_log_days` ago, with their attempts."""
    key_cols = (idempotency_keys.c.workspace_id, idempotency_keys.c.method, idempotency_keys.c.route,
                idempotency_keys.c.key)
    expired_keys = select(*key_cols).where(idempotency_keys.c.expires_at < now).limit(BATCH_ROWS)
    keys = await _in_batches(engine, delete(idempotency_keys).where(tuple_(*key_cols).in_(expired_keys))
                             .returning(idempotency_keys.c.key))

    events_cutoff = now - timedelta(days=job_events_days)
    old_events = (
        select(job_events.c.id).join(jobs, jobs.c.id == job_events.c.job_id)
        .where(jobs.c.finished_at < events_cutoff, job_events.c.event != "terminal").limit(BATCH_ROWS)
    )
    events = await _in_batches(engine, delete(job_events).where(job_events.c.id.in_(old_events))
                               .returning(job_events.c.id))

    hooks_cutoff = now - timedelta(days=webhook_log_days)
    settled = (
        webhook_events.c.status.in_(("delivered", "failed")),
        func.coalesce(webhook_events.c.last_attempt_at, webhook_events.c.created_at) < hooks_cutoff,
    )
    old_attempts = (
        select(webhook_attempts.c.id).join(webhook_events, webhook_events.c.id == webhook_attempts.c.event_id)
        .where(*settled).limit(BATCH_ROWS)
    )
    attempts = await _in_batches(engine, delete(webhook_attempts).where(webhook_attempts.c.id.in_(old_attempts))
                                 .returning(webhook_attempts.c.id))
    # an event whose attempts were just removed; one redelivered meanwhile is pending again and is kept
    old_hooks = (
        select(webhook_events.c.id).where(*settled)
        .where(~select(webhook_attempts.c.id).where(webhook_attempts.c.event_id == webhook_events.c.id).exists())
        .limit(BATCH_ROWS)
    )
    hooks = await _in_batches(engine, delete(webhook_events).where(webhook_events.c.id.in_(old_hooks))
                              .returning(webhook_events.c.id))
    return Swept(keys, events, hooks, attempts)
