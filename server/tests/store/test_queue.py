"""Transactional enqueue: a task commits or rolls back with its record, and workspaces take fair turns."""

from __future__ import annotations

import pytest
from conduit_server.domain import jobs as J
from conduit_server.domain.ids import new_id
from conduit_server.runtime import Runtime
from conduit_server.store import jobs as job_store
from conduit_server.store.queue import (
    ANALYSIS_QUEUE,
    TASK_PROCESS_MEDIA,
    TASK_RUN_JOB,
    QueueFull,
    defer,
    defer_analysis,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from store.conftest import Workspaces


class _Abort(Exception):
    pass


async def _task(conn: AsyncConnection, task_id: int) -> tuple[str, int, dict[str, str]] | None:
    row = (await conn.execute(text("SELECT task_name, priority, args FROM procrastinate_jobs WHERE id = :i"),
                              {"i": task_id})).first()
    return None if row is None else (row.task_name, row.priority, row.args)


async def test_defer_rolls_back_with_the_transaction(runtime: Runtime) -> None:
    with pytest.raises(_Abort):
        async with runtime.engine.begin() as conn:
            gone = await defer(conn, TASK_PROCESS_MEDIA, {"media_id": "med_rb"}, queue=ANALYSIS_QUEUE)
            raise _Abort()
    async with runtime.engine.begin() as conn:
        kept = await defer(conn, TASK_PROCESS_MEDIA, {"media_id": "med_ok"}, queue=ANALYSIS_QUEUE)
    async with runtime.engine.connect() as conn:
        assert await _task(conn, gone) is None
        assert await _task(conn, kept) == (TASK_PROCESS_MEDIA, 0, {"media_id": "med_ok"})


async def test_workspaces_take_turns_and_queued_jobs_are_capped(runtime: Runtime, ws: Workspaces) -> None:
    async with runtime.engine.begin() as conn:
        priorities = []
        for _ in range(2):  # a's queued jobs, each one turn lower
            job_id = new_id("job_")
            await job_store.insert(conn, {"id": job_id, "workspace_id": ws.a, "type": J.REPORT_JOB, "request": {}},
                                   runtime.clock())
            task = await defer_analysis(conn, TASK_RUN_JOB, {"job_id": job_id}, workspace_id=ws.a, max_queued_jobs=2)
            priorities.append((await _task(conn, task))[1])  # type: ignore[index]
        b_task = await defer_analysis(conn, TASK_RUN_JOB, {"job_id": "job_b"}, workspace_id=ws.b)
        b_priority = (await _task(conn, b_task))[1]  # type: ignore[index]
        assert priorities == [0, -1] and b_priority == 0  # b's first joins at the head, ahead of a's second
        with pytest.raises(QueueFull) as full:
            await defer_analysis(conn, TASK_RUN_JOB, {"job_id": "job_a3"}, workspace_id=ws.a, max_queued_jobs=2)
        assert full.value.limit == 2
        assert (await _task(conn, b_task))[2] == {"job_id": "job_b", "workspace_id": ws.b}  # type: ignore[index]
