"""The webhook outbox: an event per terminal job, every attempt recorded, redelivery within its workspace."""

from __future__ import annotations

from typing import Any

from conduit_server.domain import jobs as J
from conduit_server.domain.ids import new_id
from conduit_server.runtime import Runtime
from conduit_server.store import jobs as job_store
from conduit_server.store import outbox
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from store.conftest import Workspaces


async def _event(conn: AsyncConnection, rt: Runtime, workspace_id: str) -> tuple[str, str]:
    job = await job_store.insert(conn, {"id": new_id("job_"), "workspace_id": workspace_id, "type": J.REPORT_JOB,
                                        "request": {}, "webhook": {"url": "https://hooks.test/h",
                                                                   "headers": {"x-tenant": "t1"}}}, rt.clock())
    event_id = await outbox.create_event(conn, job, rt.clock(), event_id=new_id("evt_"), event_type="report.completed",
                                         body=b'{"ok":true}')
    return job.id, event_id


async def _deliveries(conn: AsyncConnection, event_id: str) -> list[Any]:
    rows = await conn.execute(text("SELECT args FROM procrastinate_jobs WHERE task_name = 'conduit.deliver_webhook'"
                                   " AND args->>'event_id' = :e ORDER BY id"), {"e": event_id})
    return [r.args for r in rows]


async def test_event_is_stored_with_its_first_delivery_queued(runtime: Runtime, ws: Workspaces) -> None:
    async with runtime.engine.begin() as conn:
        job_id, event_id = await _event(conn, runtime, ws.a)
    async with runtime.engine.connect() as conn:
        row = await outbox.get(conn, event_id, ws.a)
        assert row is not None and (row.job_id, row.url, row.headers, bytes(row.body), row.status) == (
            job_id, "https://hooks.test/h", {"x-tenant": "t1"}, b'{"ok":true}', "pending")
        assert await outbox.get(conn, event_id, ws.b) is None
        assert await outbox.get(conn, "evt_missing") is None
        assert await _deliveries(conn, event_id) == [{"event_id": event_id, "scheduled": True}]
        assert [r.id for r in (await outbox.list_page(conn, ws.a, job_id=job_id, limit=5, cursor=None)).rows] == [
            event_id]
        assert (await outbox.list_page(conn, ws.b, job_id=None, limit=5, cursor=None)).rows == []
        assert [r.id for r in await outbox.created_since(conn, ws.a, row.created_at, limit=5)] == [event_id]
        assert await outbox.created_since(conn, ws.b, row.created_at, limit=5) == []


async def test_attempts_are_recorded_in_order(runtime: Runtime, ws: Workspaces) -> None:
    async with runtime.engine.begin() as conn:
        _, event_id = await _event(conn, runtime, ws.a)
        for n, code in ((1, 500), (2, 204)):
            await outbox.record_attempt(conn, event_id, attempt=n, started_at=runtime.clock(), duration_ms=5,
                                        status_code=code, error=None, redelivery=False)
        await outbox.update_event(conn, event_id, status="delivered", attempt_count=2)
        assert [(a.attempt, a.status_code) for a in await outbox.attempts(conn, event_id)] == [(1, 500), (2, 204)]
        assert (await outbox.get(conn, event_id)).status == "delivered"  # type: ignore[union-attr]
        assert await outbox.attempts(conn, "evt_missing") == []


async def test_redeliver_only_within_the_workspace(runtime: Runtime, ws: Workspaces) -> None:
    async with runtime.engine.begin() as conn:
        _, event_id = await _event(conn, runtime, ws.a)
        await outbox.update_event(conn, event_id, status="failed")
        assert await outbox.redeliver(conn, event_id, ws.b) is None  # another workspace's: not found
        assert await outbox.redeliver(conn, "evt_missing", ws.a) is None
        row = await outbox.redeliver(conn, event_id, ws.a)
        assert row is not None and row.status == "pending"
        assert await _deliveries(conn, event_id) == [{"event_id": event_id, "scheduled": True},
                                                     {"event_id": event_id, "scheduled": False}]
