"""Job rows and their event log: one terminal state, stages only forward, reads scoped to a workspace."""

from __future__ import annotations

from datetime import timedelta

from conduit_server.domain import jobs as J
from conduit_server.domain.ids import new_id
from conduit_server.runtime import Runtime
from conduit_server.store import jobs as job_store
from conduit_server.store.records import JobRecord
from sqlalchemy.ext.asyncio import AsyncConnection
from store.conftest import Workspaces


async def _job(conn: AsyncConnection, workspace_id: str, rt: Runtime, media_id: str | None = None) -> JobRecord:
    return await job_store.insert(conn, {"id": new_id("job_"), "workspace_id": workspace_id, "type": J.REPORT_JOB,
                                         "request": {"mediaId": media_id}, "media_id": media_id}, rt.clock())


async def test_insert_reads_back_only_in_its_workspace(runtime: Runtime, ws: Workspaces) -> None:
    async with runtime.engine.begin() as conn:
        job = await _job(conn, ws.a, runtime)
    assert (job.status, job.stage, job.progress) == (J.QUEUED, "queued", 0.0)
    async with runtime.engine.connect() as conn:
        assert (await job_store.get(conn, job.id, ws.a)).id == job.id  # type: ignore[union-attr]
        assert await job_store.get(conn, job.id, ws.b) is None
        assert await job_store.get(conn, "job_missing") is None
        events = await job_store.events_after(conn, job.id, 0)
        assert [(e.event, e.data["status"]) for e in events] == [("status", J.QUEUED)]
        assert job.id in [r.id for r in (await job_store.list_page(conn, ws.a)).rows]
        assert (await job_store.list_page(conn, ws.b)).rows == []
        assert (await job_store.list_page(conn, ws.a, status=J.SUCCEEDED)).rows == []


async def test_advance_moves_forward_only_and_starts_the_job(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        job = await _job(conn, ws.a, runtime)
        running = await job_store.advance(conn, job.id, "extracting", 0.4, now)
        assert running is not None and (running.status, running.stage, running.started_at) == (
            J.RUNNING, "extracting", now)
        assert await job_store.advance(conn, job.id, "transcoding", 0.9, now) is None  # never back
        same = await job_store.advance(conn, job.id, "extracting", 0.1, now)  # progress never goes down
        assert same is not None and same.progress == 0.4
        assert await job_store.advance(conn, "job_missing", "scoring", 0.5, now) is None
        kinds = [e.event for e in await job_store.events_after(conn, job.id, 0)]
    assert kinds == ["status", "status", "stage"]


async def test_finish_is_once_and_cancel_flags(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        job = await _job(conn, ws.a, runtime)
        assert not await job_store.cancel_requested(conn, job.id)
        await job_store.request_cancel(conn, job.id, now)
        assert await job_store.cancel_requested(conn, job.id)
        assert await job_store.cancel_requested(conn, "job_missing")  # a vanished job is not to be run
        usage = job_store.usage(now - timedelta(seconds=2), now, "m1", 12.3456)
        assert usage == {"creditsUsed": 0, "creditsNetUsed": 0, "modelVersion": "m1", "durationMs": 2000,
                         "audioSeconds": 12.346}
        done = await job_store.finish(conn, job.id, J.SUCCEEDED, now, usage=usage, report_id="rep_1")
        assert done is not None and (done.status, done.progress, done.report_id) == (J.SUCCEEDED, 1.0, "rep_1")
        assert await job_store.finish(conn, job.id, J.FAILED, now, usage=usage) is None  # exactly one terminal
        assert await job_store.advance(conn, job.id, "finalizing", 1.0, now) is None
        last = (await job_store.events_after(conn, job.id, 0))[-1]
        assert (last.event, last.data["status"], last.data["reportId"]) == ("terminal", J.SUCCEEDED, "rep_1")
        counts = await job_store.count_by_status(conn)
    assert counts.get(J.SUCCEEDED, 0) >= 1


async def test_waiting_on_media_lists_live_jobs_only(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        waiting = await _job(conn, ws.a, runtime, media_id="med_shared")
        finished = await _job(conn, ws.a, runtime, media_id="med_shared")
        await job_store.finish(conn, finished.id, J.CANCELED, now, usage={})
        assert await job_store.waiting_on_media(conn, "med_shared") == [waiting.id]
        assert await job_store.waiting_on_media(conn, "med_none") == []
