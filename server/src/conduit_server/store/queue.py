"""Transactional enqueue into procrastinate's queue (pinned procrastinate 3.10.0).

`defer` inserts the procrastinate job in the caller's SQLAlchemy transaction through procrastinate's versioned
SQL function, so a record and its job commit or roll back together. `defer_analysis` adds fair turns across
workspaces on top of it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

ANALYSIS_QUEUE: Final = "analysis"
WEBHOOK_QUEUE: Final = "webhooks"

TASK_PROCESS_MEDIA: Final = "conduit.process_media"
TASK_RUN_JOB: Final = "conduit.run_job"
TASK_DELIVER: Final = "conduit.deliver_webhook"

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :qlock, CAST(:args AS jsonb),"
    " :scheduled_at)::procrastinate_job_to_defer_v1])"
)


async def defer(
    conn: AsyncConnection,
    task: str,
    args: dict[str, Any],
    *,
    queue: str,
    priority: int = 0,
    scheduled_at: datetime | None = None,
    lock: str | None = None,
) -> int:
    result = await conn.execute(
        _DEFER,
        {"queue": queue, "task": task, "priority": priority, "lock": lock, "qlock": None,
         "args": json.dumps(args), "scheduled_at": scheduled_at},
    )
    ids = result.scalar_one()
    return int(ids[0])


# Fair turns (issue 10): procrastinate serves the highest priority first, then the oldest. A workspace's new
# analysis task gets one less than its own last waiting task, but never more than the head of the queue: a
# workspace with 100 tasks waiting holds priorities head..head-99, and another workspace's first task joins at the
# head, so it runs after at most one task of each other workspace. Each kind keeps its own band, so a report job
# still outranks upload processing (a job waiting on unprocessed media processes it itself, showing its stages).
_BAND_TOP: Final = {TASK_RUN_JOB: 0, TASK_PROCESS_MEDIA: -(2**30)}

_TURN = text(
    "SELECT LEAST(:top, COALESCE(max(priority), :top),"
    " COALESCE(min(priority) FILTER (WHERE args->>'workspace_id' = :ws) - 1, :top)) AS priority,"
    " count(*) FILTER (WHERE args->>'workspace_id' = :ws AND EXISTS (SELECT 1 FROM jobs"
    "  WHERE jobs.id = procrastinate_jobs.args->>'job_id' AND jobs.status = 'queued')) AS waiting_jobs"
    " FROM procrastinate_jobs WHERE queue_name = :queue AND task_name = :task AND status = 'todo'"
)


class QueueFull(Exception):
    """The workspace already has `limit` queued jobs waiting for a worker."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} jobs already queued")
        self.limit = limit


async def defer_analysis(
    conn: AsyncConnection, task: str, args: dict[str, Any], *, workspace_id: str, max_queued_jobs: int | None = None
) -> int:
    """Defer an analysis task in `workspace_id`'s fair turn; QueueFull when `max_queued_jobs` of the workspace's
    jobs (still `queued`, not canceled) already wait for a worker."""
    turn = (
        await conn.execute(
            _TURN, {"top": _BAND_TOP[task], "ws": workspace_id, "queue": ANALYSIS_QUEUE, "task": task}
        )
    ).one()
    if max_queued_jobs is not None and turn.waiting_jobs >= max(1, max_queued_jobs):
        raise QueueFull(max(1, max_queued_jobs))
    return await defer(conn, task, {**args, "workspace_id": workspace_id}, queue=ANALYSIS_QUEUE,
                       priority=int(turn.priority))
