"""One webhook delivery attempt as a queue task: sign at send time, attempt, record, schedule the next one.

The schedule lives in the database (the next attempt is a procrastinate job with `scheduled_at`), never in
worker memory, so a restart loses nothing. Redeliveries (`scheduled=False`) do not consume the schedule.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from conduit_server.runtime import Runtime
from conduit_server.store import outbox
from conduit_server.store.accounts import webhook_secret
from conduit_server.store.queue import TASK_DELIVER, WEBHOOK_QUEUE, defer
from conduit_server.telemetry.instruments import record_webhook_attempt
from conduit_server.webhooks import AddressPolicy, RetrySchedule, attempt_delivery, build_delivery_headers

log = logging.getLogger(__name__)


def policy_for(rt: Runtime) -> AddressPolicy:
    return AddressPolicy(allow=rt.settings.webhook_allow_networks, allow_loopback=rt.settings.allows_loopback_webhooks)


async def deliver(rt: Runtime, event_id: str, *, scheduled: bool, rng: random.Random | None = None) -> str:
    """Make one attempt; returns the event's status afterwards."""
    async with rt.engine.begin() as conn:
        row = await outbox.lock(conn, event_id)
        if row is None:
            return "missing"
        if scheduled and row.status != "pending":
            return str(row.status)  # delivered or given up meanwhile (a duplicate queue entry after a crash)
        attempt = row.attempt_count + 1
        secret = await webhook_secret(conn, row.workspace_id)
        await outbox.update_event(conn, event_id, attempt_count=attempt)
    body = bytes(row.body)
    headers = build_delivery_headers(
        body=body, secret=secret, event_id=row.id, event_type=row.type, attempt=attempt,
        custom_headers=row.headers, timestamp=int(rt.clock().timestamp()), version=rt.settings.version,
    )
    started = rt.clock()
    result = await attempt_delivery(url=row.url, body=body, headers=headers, policy=policy_for(rt),
                                    timeout_s=rt.settings.webhook_timeout_seconds, now=rt.clock)
    now = rt.clock()
    async with rt.engine.begin() as conn:
        await outbox.record_attempt(conn, event_id, attempt=attempt, started_at=started,
                                    duration_ms=result.duration_ms, status_code=result.status_code,
                                    error=result.error, redelivery=not scheduled)
        current = await outbox.lock(conn, event_id)
        assert current is not None
        first_delivery = result.delivered and current.status != "delivered"
        record_webhook_attempt(result.error or "delivered", row.created_at if first_delivery else None, now)
        if result.delivered:
            await outbox.update_event(conn, event_id, status="delivered", last_attempt_at=now, next_attempt_at=None)
            return "delivered"
        if not scheduled:
            # a failed redelivery leaves the automatic schedule as it was
            status = "pending" if current.next_attempt_at is not None and current.status == "pending" else "failed"
            if current.status == "delivered":
                status = "delivered"
            await outbox.update_event(conn, event_id, status=status, last_attempt_at=now)
            return status
        used = current.scheduled_attempts + 1
        schedule = RetrySchedule(delays=rt.settings.webhook_schedule)
        delay = None if result.stop else schedule.next_delay(used, retry_after=result.retry_after, rng=rng)
        if delay is None:
            await outbox.update_event(conn, event_id, status="failed", scheduled_attempts=used, last_attempt_at=now,
                                      next_attempt_at=None)
            log.info("webhook %s failed after %d attempts (%s)", event_id, attempt, result.error)
            return "failed"
        when = now + timedelta(seconds=delay)
        await outbox.update_event(conn, event_id, scheduled_attempts=used, last_attempt_at=now, next_attempt_at=when)
        await defer(conn, TASK_DELIVER, {"event_id": event_id, "scheduled": True}, queue=WEBHOOK_QUEUE,
                    scheduled_at=when)
        return "pending"
