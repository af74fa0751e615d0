"""Worker entry points: the procrastinate app with Conduit's tasks, and the maintenance loop.

Analysis runs one job at a time per process (ctranslate2 and onnxruntime already use every core); webhook
deliveries run concurrently on their own worker. A killed worker's jobs are found by their stale heartbeat and
retried; a retried job resumes safely because every transition is guarded by the job's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any

import procrastinate

from conduit_server.jobs import recordings
from conduit_server.jobs.delivery import deliver
from conduit_server.jobs.media_processing import ensure_processed
from conduit_server.jobs.run_job import run_job
from conduit_server.logs import log_context
from conduit_server.runtime import Runtime
from conduit_server.store import erasure, retention
from conduit_server.store import media as media_store
from conduit_server.store import psychometrics as psychometrics_store
from conduit_server.store.db import libpq_url
from conduit_server.store.orphans import sweep_orphan_blobs
from conduit_server.store.queue import (
    ANALYSIS_QUEUE,
    TASK_DELIVER,
    TASK_PROCESS_MEDIA,
    TASK_RUN_JOB,
    WEBHOOK_QUEUE,
)
from conduit_server.telemetry.instruments import record_stalled_recovery

log = logging.getLogger(__name__)


# Distributed mode (issue 6): a task that ends in an exception (the database went away mid-task, or the worker
# was shut down under it) is retried rather than left failed/aborted; every task is safe to run again.
TRANSIENT_RETRY = procrastinate.RetryStrategy(max_attempts=30, wait=2)


def build_app(rt: Runtime) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq_url(rt.database_url)))

    @app.task(name=TASK_PROCESS_MEDIA, queue=ANALYSIS_QUEUE, retry=TRANSIENT_RETRY)
    async def process_media(media_id: str, workspace_id: str | None = None) -> None:  # workspace: queue turns only
        with log_context(media_id=media_id, workspace_id=workspace_id):
            await ensure_processed(rt, media_id)

    @app.task(name=TASK_RUN_JOB, queue=ANALYSIS_QUEUE, retry=TRANSIENT_RETRY)
    async def run(job_id: str, workspace_id: str | None = None) -> None:
        with log_context(job_id=job_id, workspace_id=workspace_id):  # every line of the job says which it is
            await run_job(rt, job_id)

    @app.task(name=TASK_DELIVER, queue=WEBHOOK_QUEUE, retry=TRANSIENT_RETRY)
    async def deliver_webhook(event_id: str, scheduled: bool = True) -> None:
        with log_context(event_id=event_id):
            await deliver(rt, event_id, scheduled=scheduled)

    return app


async def recover_stalled(app: procrastinate.App, seconds_since_heartbeat: float) -> int:
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
    for job in stalled:
        log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        await app.job_manager.retry_job(job)
        record_stalled_recovery(job.task_name)
    return len(stalled)


async def expire_and_purge(rt: Runtime) -> None:
    """Retention (docs/api.md §10): soft-delete expired unlocked files, purge bytes after the grace period."""
    now = rt.clock()
    expiry = now - timedelta(days=rt.settings.retention_days)
    grace = now - timedelta(days=rt.settings.purge_grace_days)
    async with rt.engine.begin() as conn:
        await media_store.expire_unused(conn, expiry, now)
        rows = await media_store.purgeable(conn, grace)
        await psychometrics_store.delete_expired(conn, now)
    for row in rows:
        if row.storage_key:
            await rt.blobs.delete(row.storage_key)
        async with rt.engine.begin() as conn:
            await media_store.mark_purged(conn, row.id, now)
            await erasure.drop_sample_quotes(conn, row.id)  # the transcript goes, quotes of it in samples too


async def sweep_retention(rt: Runtime) -> retention.Swept:
    """Retention of bookkeeping rows (docs/data.md): expired idempotency keys, old job events, webhook log."""
    swept = await retention.sweep(rt.engine, rt.clock(), job_events_days=rt.settings.job_events_retention_days,
                                  webhook_log_days=rt.settings.webhook_log_retention_days)
    if any((swept.idempotency_keys, swept.job_events, swept.webhook_events, swept.webhook_attempts)):
        log.info("retention: removed %s", swept)
    return swept


async def maintenance_loop(rt: Runtime, app: procrastinate.App, interval: float = 5.0) -> None:
    try:
        # once per start: bytes of uploads that died before their row
        await sweep_orphan_blobs(rt.engine, rt.blobs, rt.clock())
    except Exception:
        log.exception("orphan blob sweep failed")
    next_sweep = time.monotonic()  # the first pass sweeps; then every retention_sweep_seconds
    while True:
        try:
            await recover_stalled(app, rt.settings.stalled_after_seconds)
            await expire_and_purge(rt)
            if time.monotonic() >= next_sweep:
                await sweep_retention(rt)
                await recordings.sweep_abandoned(rt)  # psychometrics recordings whose request died
                next_sweep = time.monotonic() + rt.settings.retention_sweep_seconds
        except Exception:
            log.exception("maintenance pass failed")
        await asyncio.sleep(interval)


async def _supervised(name: str, start: Callable[[], Awaitable[None]], *, max_delay: float = 10.0) -> None:
    """Run a procrastinate worker and start it again whenever it stops (its side tasks stop it when the database
    goes away; it fails to start while the database is down), with a bounded backoff, until cancelled."""
    delay = 1.0
    while True:
        started = time.monotonic()
        try:
            await start()
            log.warning("%s worker stopped; restarting in %.0f s", name, delay)
        except Exception as exc:
            log.warning(
                "%s worker failed (%s); restarting in %.0f s",
                name,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                delay,
            )
        if time.monotonic() - started > 60:
            delay = 1.0
        await asyncio.sleep(delay)
        delay = min(max_delay, delay * 2)


async def run_workers(
    rt: Runtime, app: procrastinate.App, queues: Iterable[str] = (ANALYSIS_QUEUE, WEBHOOK_QUEUE),
    *, alongside: Iterable[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> None:
    """Run the requested workers (and the maintenance loop) until cancelled, with the `alongside` services (the
    worker's metrics endpoint, started by cli.py) running and stopping with them."""
    def run(queue: str, concurrency: int) -> Callable[[], Awaitable[None]]:
        return lambda: app.run_worker_async(
            queues=[queue], concurrency=concurrency, name=queue,
            install_signal_handlers=False,
            update_heartbeat_interval=rt.settings.heartbeat_seconds,
            stalled_worker_timeout=rt.settings.stalled_after_seconds,
            delete_jobs="successful",
            shutdown_graceful_timeout=5.0,
        )

    tasks = []
    queues = list(queues)
    concurrency = {ANALYSIS_QUEUE: rt.settings.analysis_concurrency, WEBHOOK_QUEUE: rt.settings.webhook_concurrency}
    for queue in (ANALYSIS_QUEUE, WEBHOOK_QUEUE):
        if queue in queues:
            tasks.append(asyncio.create_task(_supervised(queue, run(queue, concurrency[queue]))))
    tasks.append(asyncio.create_task(maintenance_loop(rt, app)))
    tasks.extend(asyncio.create_task(start()) for start in alongside)
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
