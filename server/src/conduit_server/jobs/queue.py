"""Transactional enqueue into procrastinate's queue (pinned procrastinate 3.10.0).

`defer` inserts the procrastinate job in the caller's SQLAlchemy transaction through procrastinate's versioned
SQL function, so a record and its job commit or roll back together.
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
