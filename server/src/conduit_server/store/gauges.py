"""Gauges read from the database at scrape time: the queue, webhook retries, connections, and whether the database
answers at all. Computed per scrape, they are right however many API replicas and workers run; every replica
reports the same values (aggregate with `max`, not `sum`). Served by api/prometheus.py."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conduit_server.store.queue import ANALYSIS_QUEUE, TASK_DELIVER, WEBHOOK_QUEUE

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT_SECONDS = 3.0

# todo jobs whose scheduled time (if any) has come are ready; the rest wait for a retry time (webhook schedule)
_QUEUES = text(
    "SELECT queue_name,"
    " count(*) FILTER (WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())) AS ready,"
    " count(*) FILTER (WHERE status = 'doing') AS running,"
    " count(*) FILTER (WHERE status = 'todo' AND task_name = :deliver AND scheduled_at IS NOT NULL) AS retries"
    " FROM procrastinate_jobs WHERE status IN ('todo', 'doing') GROUP BY queue_name"
)
# a ready job has waited since it was (re)queued or since its scheduled time, whichever is later
_OLDEST = text(
    "SELECT j.queue_name, EXTRACT(EPOCH FROM now() - min(GREATEST(j.scheduled_at, q.at))) AS age"
    " FROM procrastinate_jobs j LEFT JOIN LATERAL (SELECT max(e.at) AS at FROM procrastinate_events e"
    "  WHERE e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry', 'retried')) q ON true"
    " WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()) GROUP BY j.queue_name"
)
_CONNECTIONS = text(
    "SELECT COALESCE(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity"
    " WHERE datname = current_database() AND backend_type = 'client backend' GROUP BY 1"
)


async def database_families(engine: AsyncEngine, limit_s: float = SCRAPE_TIMEOUT_SECONDS) -> list[Metric]:
    """The database gauges; when the database does not answer within `limit_s`, only `conduit_database_up 0`."""
    up = GaugeMetricFamily("conduit_database_up", "1 when the database answered this scrape's queries, else 0")
    depth = GaugeMetricFamily("conduit_queue_depth", "Queue tasks ready to run and waiting for a worker",
                              labels=["queue"])
    running = GaugeMetricFamily("conduit_queue_running", "Queue tasks a worker is running now", labels=["queue"])
    oldest = GaugeMetricFamily("conduit_queue_oldest_age_seconds",
                               "Seconds the oldest ready task of the queue has waited (0 when none)", labels=["queue"])
    retries = GaugeMetricFamily("conduit_webhook_events_pending_retry",
                                "Webhook events waiting for a scheduled retry after a failed attempt")
    connections = GaugeMetricFamily("conduit_db_connections",
                                    "Client connections to Conduit's database, every process's, by state",
                                    labels=["state"])
    try:
        async with asyncio.timeout(limit_s), engine.connect() as conn:
            queues = {row.queue_name: row for row in await conn.execute(_QUEUES, {"deliver": TASK_DELIVER})}
            ages = {row.queue_name: float(row.age or 0.0) for row in await conn.execute(_OLDEST)}
            states = list(await conn.execute(_CONNECTIONS))
    except Exception as exc:  # the scrape still answers: the process metrics and this gauge say what is wrong
        log.warning("metrics: database gauges unavailable (%s)", type(exc).__name__)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    for queue in sorted({ANALYSIS_QUEUE, WEBHOOK_QUEUE, *queues}):
        row = queues.get(queue)
        depth.add_metric([queue], row.ready if row is not None else 0)
        running.add_metric([queue], row.running if row is not None else 0)
        oldest.add_metric([queue], max(0.0, ages.get(queue, 0.0)))
    retries.add_metric([], sum(row.retries for row in queues.values()))
    for row in states:
        connections.add_metric([row.state], row.n)
    return [up, depth, running, oldest, retries, connections]
