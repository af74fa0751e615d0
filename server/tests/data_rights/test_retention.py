"""Retention of rows that would grow forever (docs/data.md): expired idempotency keys, events of long-finished
jobs, settled webhook deliveries. Rows are aged by moving their timestamps back, then swept."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from conduit_server.domain.ids import new_id
from conduit_server.runtime import Runtime
from conduit_server.store import retention
from conduit_server.store.tables import idempotency_keys, job_events, jobs, webhook_attempts, webhook_events
from fixtures.api_helpers import new_workspace_key
from server_testkit import open_test_runtime, workers_for
from sqlalchemy import func, select


async def _key(rt: Runtime, workspace_id: str, *, expires_in: timedelta) -> str:
    key = new_id("idem_")
    now = rt.clock()
    async with rt.engine.begin() as conn:
        await conn.execute(idempotency_keys.insert().values(
            workspace_id=workspace_id, method="POST", route="POST /v1/files", key=key, fingerprint="f" * 64,
            state="done", status_code=200, body=b"{}", created_at=now - timedelta(hours=1),
            expires_at=now + expires_in))
    return key


async def _job(rt: Runtime, workspace_id: str, *, finished_days_ago: float | None) -> str:
    job_id = new_id("job_")
    now = rt.clock()
    status = "queued" if finished_days_ago is None else "succeeded"
    async with rt.engine.begin() as conn:
        await conn.execute(jobs.insert().values(id=job_id, workspace_id=workspace_id, type="report.generate",
                                                status=status, request={}, created_at=now, updated_at=now))
        for event in ("queued", "stage", "terminal" if finished_days_ago is not None else "stage"):
            await conn.execute(job_events.insert().values(job_id=job_id, event=event, data={}, created_at=now))
        if finished_days_ago is not None:  # age the job and its events
            then = now - timedelta(days=finished_days_ago)
            await conn.execute(jobs.update().where(jobs.c.id == job_id).values(finished_at=then, created_at=then))
            await conn.execute(job_events.update().where(job_events.c.job_id == job_id).values(created_at=then))
        else:  # a job that never finished keeps everything, however old its events are
            await conn.execute(job_events.update().where(job_events.c.job_id == job_id)
                               .values(created_at=now - timedelta(days=400)))
    return job_id


async def _hook(rt: Runtime, workspace_id: str, *, status: str, days_ago: float, attempts: int = 2) -> str:
    event_id = new_id("evt_")
    then = rt.clock() - timedelta(days=days_ago)
    async with rt.engine.begin() as conn:
        await conn.execute(webhook_events.insert().values(
            id=event_id, workspace_id=workspace_id, job_id=new_id("job_"), type="report.completed",
            url="https://example.com/hook", headers={}, body=json.dumps({"id": event_id}).encode(), status=status,
            attempt_count=attempts, created_at=then, last_attempt_at=then if attempts else None))
        for n in range(1, attempts + 1):
            await conn.execute(webhook_attempts.insert().values(event_id=event_id, attempt=n, started_at=then,
                                                                duration_ms=5, status_code=500))
    return event_id


async def _count(rt: Runtime, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with rt.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def test_sweep_removes_only_what_is_past_retention(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH_ROWS", 3)  # several batches per table
    ws = (await new_workspace_key(runtime, "retention")).workspace_id
    expired = [await _key(runtime, ws, expires_in=-timedelta(minutes=1)) for _ in range(7)]
    live = await _key(runtime, ws, expires_in=timedelta(hours=23))
    old_jobs = [await _job(runtime, ws, finished_days_ago=31) for _ in range(3)]
    recent_job = await _job(runtime, ws, finished_days_ago=29)
    running_job = await _job(runtime, ws, finished_days_ago=None)
    old_hooks = [await _hook(runtime, ws, status=s, days_ago=31) for s in ("delivered", "failed", "failed")]
    recent_hook = await _hook(runtime, ws, status="failed", days_ago=29)
    pending_hook = await _hook(runtime, ws, status="pending", days_ago=60)

    swept = await retention.sweep(runtime.engine, runtime.clock(), job_events_days=30, webhook_log_days=30)

    assert swept == retention.Swept(idempotency_keys=7, job_events=6, webhook_events=3, webhook_attempts=6)
    assert await _count(runtime, idempotency_keys, idempotency_keys.c.key.in_(expired)) == 0
    assert await _count(runtime, idempotency_keys, idempotency_keys.c.key == live) == 1
    for job_id in old_jobs:  # only the terminal event is left: a stream of the job still ends properly
        async with runtime.engine.connect() as conn:
            left = (await conn.execute(select(job_events.c.event).where(job_events.c.job_id == job_id))).all()
        assert [r.event for r in left] == ["terminal"]
    assert await _count(runtime, job_events, job_events.c.job_id == recent_job) == 3
    assert await _count(runtime, job_events, job_events.c.job_id == running_job) == 3
    assert await _count(runtime, webhook_events, webhook_events.c.id.in_(old_hooks)) == 0
    assert await _count(runtime, webhook_attempts, webhook_attempts.c.event_id.in_(old_hooks)) == 0
    for kept in (recent_hook, pending_hook):
        assert await _count(runtime, webhook_events, webhook_events.c.id == kept) == 1
        assert await _count(runtime, webhook_attempts, webhook_attempts.c.event_id == kept) == 2

    again = await retention.sweep(runtime.engine, runtime.clock(), job_events_days=30, webhook_log_days=30)
    assert again == retention.Swept(0, 0, 0, 0)


async def test_the_workers_maintenance_loop_sweeps(database_url: str, tmp_path_factory: pytest.TempPathFactory
                                                   ) -> None:
    async with open_test_runtime(database_url, tmp_path_factory.mktemp("sweep"), job_events_retention_days=1.0,
                                 webhook_log_retention_days=1.0) as rt:
        ws = (await new_workspace_key(rt, "sweeping")).workspace_id
        key = await _key(rt, ws, expires_in=-timedelta(seconds=1))
        hook = await _hook(rt, ws, status="delivered", days_ago=2)
        async with workers_for(rt):
            deadline = time.monotonic() + 60
            while await _count(rt, idempotency_keys, idempotency_keys.c.key == key) or \
                    await _count(rt, webhook_events, webhook_events.c.id == hook):
                assert time.monotonic() < deadline, "the maintenance loop never swept"
                await asyncio.sleep(0.2)
