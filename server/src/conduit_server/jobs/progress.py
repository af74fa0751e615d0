"""Bridges between the pipeline's worker thread and the job record: stage/progress updates and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator

from conduit_server.domain import jobs as J
from conduit_server.runtime import Runtime
from conduit_server.store import jobs as job_store


async def advance(rt: Runtime, job_id: str, stage: str, fraction: float = 0.0) -> None:
    async with rt.engine.begin() as conn:
        await job_store.advance(conn, job_id, stage, J.stage_progress(stage, fraction), rt.clock())
    rt.events.publish(job_id)


class JobProgress:
    """Thread-safe hook for the pipeline: writes stage changes at once and progress at most once a second."""

    def __init__(self, rt: Runtime, job_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self.rt, self.job_id, self.loop = rt, job_id, loop
        self._last: tuple[str, float] = ("", 0.0)
        self._lock = threading.Lock()

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        with self._lock:
            last_stage, last_time = self._last
            if stage == last_stage and now - last_time < 1.0:
                return
            self._last = (stage, now)
        future = asyncio.run_coroutine_threadsafe(advance(self.rt, self.job_id, stage, fraction), self.loop)
        with contextlib.suppress(Exception):
            future.result(timeout=10)


@contextlib.asynccontextmanager
async def cancel_watch(rt: Runtime, job_id: str, interval: float = 1.0) -> AsyncIterator[threading.Event]:
    """A flag set when the job's cancel was requested; polled by the pipeline between its steps."""
    flag = threading.Event()

    async def poll() -> None:
        while not flag.is_set():
            async with rt.engine.connect() as conn:
                if await job_store.cancel_requested(conn, job_id):
                    flag.set()
                    return
            await asyncio.sleep(interval)

    task = asyncio.create_task(poll())
    try:
        yield flag
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
