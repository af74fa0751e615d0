"""Fair turns in the analysis queue (issue 10): a workspace with a long backlog does not make another workspace's
job wait behind all of it. Dequeued by procrastinate's own fetch, exactly as a worker does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import procrastinate
import pytest
from conduit_server.domain.requests import ReportRequest
from conduit_server.domain.selector import TargetSelector
from conduit_server.jobs.submit import submit
from conduit_server.jobs.worker import build_app
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from conduit_server.store.queue import TASK_PROCESS_MEDIA, TASK_RUN_JOB, defer_analysis


@pytest.fixture
async def queue(runtime: Runtime) -> AsyncIterator[procrastinate.App]:
    app = build_app(runtime)
    async with app.open_async():
        yield app
    async with runtime.engine.begin() as conn:  # each test starts from an empty queue
        await conn.exec_driver_sql("DELETE FROM procrastinate_jobs")


REQUEST = ReportRequest(media_id="med_fairness", template="general_report", target=TargetSelector("dominant"))


async def enqueue(rt: Runtime, workspace_id: str, count: int = 1) -> list[str]:
    ids = []
    for _ in range(count):
        async with rt.engine.begin() as conn:
            row = await submit(conn, workspace_id=workspace_id, request=REQUEST, now=rt.clock())
        ids.append(row.id)
    return ids


async def dequeue(app: procrastinate.App, count: int) -> list[str]:
    """The next `count` analysis tasks a worker would run: job ids, or `media:<id>` for upload processing."""
    worker_id = await app.job_manager.register_worker()
    taken = []
    for _ in range(count):
        job = await app.job_manager.fetch_job(queues=["analysis"], worker_id=worker_id)
        assert job is not None
        kwargs = job.task_kwargs
        taken.append(str(kwargs["job_id"]) if job.task_name == TASK_RUN_JOB else f"media:{kwargs['media_id']}")
    return taken


async def workspace(rt: Runtime, name: str) -> str:
    return await accounts.create_workspace(rt.engine, rt.clock(), name)


async def test_a_later_workspace_is_not_stuck_behind_a_backlog(runtime: Runtime, queue: procrastinate.App) -> None:
    a, b = await workspace(runtime, "busy"), await workspace(runtime, "quiet")
    await enqueue(runtime, a, 100)
    [b_job] = await enqueue(runtime, b)
    assert b_job in await dequeue(queue, 2)


async def test_workspaces_take_turns(runtime: Runtime, queue: procrastinate.App) -> None:
    a, b, c = [await workspace(runtime, n) for n in ("a", "b", "c")]
    a_jobs = await enqueue(runtime, a, 10)
    assert await dequeue(queue, 2) == a_jobs[:2]  # alone in the queue: first in, first out
    b_jobs = await enqueue(runtime, b, 3)
    c_jobs = await enqueue(runtime, c, 3)
    taken = await dequeue(queue, 9)
    rounds = [set(taken[i:i + 3]) for i in range(0, 9, 3)]
    assert rounds == [{a_jobs[2 + i], b_jobs[i], c_jobs[i]} for i in range(3)]
    assert await dequeue(queue, 5) == a_jobs[5:]  # the rest of the backlog, in order


async def test_a_job_still_outranks_its_workspace_upload_processing(runtime: Runtime, queue: procrastinate.App) -> None:
    ws = await workspace(runtime, "uploads")
    async with runtime.engine.begin() as conn:
        await defer_analysis(conn, TASK_PROCESS_MEDIA, {"media_id": "med_x"}, workspace_id=ws)
    [job_id] = await enqueue(runtime, ws)
    assert await dequeue(queue, 2) == [job_id, "media:med_x"]
