"""Every counter, histogram and process-level gauge Conduit records, and one small function per event.

Labels take values from closed sets only (route templates, job types and error codes, attempt outcomes, pipeline
stages), never ids or raw paths, so the number of series stays bounded. The `record_*` functions are cheap (a
lock and an add) and cannot fail with valid label names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram

_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_JOB_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0, 14400.0)
_WAIT_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)
_STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
_RTF_BUCKETS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)
# the retry schedule spans ~27 h (docs/api.md §16(a))
_WEBHOOK_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 7200.0, 36000.0, 100000.0)

HTTP_REQUESTS = Counter(
    "conduit_http_requests", "HTTP requests answered, by route template, method and status code",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "conduit_http_request_duration_seconds",
    "Seconds from a request's arrival until its response headers were sent (streams: until they opened)",
    ["route", "method"], buckets=_HTTP_BUCKETS,
)
JOBS_CREATED = Counter("conduit_jobs_created", "Jobs created, by type", ["type"])
JOBS_FINISHED = Counter(
    "conduit_jobs_finished", "Jobs that reached a terminal status, by type, status and job error code",
    ["type", "status", "error_code"],
)
JOB_DURATION = Histogram(
    "conduit_job_duration_seconds", "Seconds from a job's creation to its terminal status",
    ["type", "status"], buckets=_JOB_BUCKETS,
)
JOB_QUEUE_WAIT = Histogram(
    "conduit_job_queue_wait_seconds", "Seconds a finished job waited between creation and its start",
    ["type"], buckets=_WAIT_BUCKETS,
)
STAGE_DURATION = Histogram(
    "conduit_pipeline_stage_duration_seconds", "Seconds each speech pipeline stage took, per processed media",
    ["stage"], buckets=_STAGE_BUCKETS,
)
AUDIO_SECONDS = Counter("conduit_audio_processed_seconds", "Seconds of audio the speech pipeline processed")
RTF = Histogram(
    "conduit_pipeline_rtf", "Real-time factor of each pipeline run: processing seconds / audio seconds",
    buckets=_RTF_BUCKETS,
)
WEBHOOK_ATTEMPTS = Counter(
    "conduit_webhook_delivery_attempts", "Webhook delivery attempts, by outcome (delivered or the attempt error)",
    ["outcome"],
)
WEBHOOK_LATENCY = Histogram(
    "conduit_webhook_delivery_latency_seconds",
    "Seconds from a webhook event's creation to its first 2xx answer", buckets=_WEBHOOK_BUCKETS,
)
STALLED_RECOVERED = Counter(
    "conduit_stalled_tasks_recovered", "Queue tasks retried because their worker stopped sending heartbeats",
    ["task"],
)
# livesum: in multiprocess mode the values of live processes add up
POOL_IN_USE = Gauge(
    "conduit_db_pool_connections_in_use", "Connections checked out of Conduit's SQLAlchemy pools",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "conduit_db_pool_connections_capacity", "Most connections Conduit's SQLAlchemy pools may hold (size + overflow)",
    multiprocess_mode="livesum",
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _seconds(start: datetime | None, end: datetime) -> float | None:
    return None if start is None else max(0.0, (end - start).total_seconds())


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    HTTP_LATENCY.labels(route=route, method=method).observe(seconds)


def record_job_created(job_type: str) -> None:
    JOBS_CREATED.labels(type=job_type).inc()


def record_job_finished(job_type: str, status: str, error_code: str | None, created_at: datetime | None,
                        started_at: datetime | None, now: datetime) -> None:
    """Counted when the terminal transition is written (jobs/lifecycle.py), by the process that wrote it."""
    JOBS_FINISHED.labels(type=job_type, status=status, error_code=error_code or "").inc()
    if (total := _seconds(created_at, now)) is not None:
        JOB_DURATION.labels(type=job_type, status=status).observe(total)
    if started_at is not None and (wait := _seconds(created_at, started_at)) is not None:
        JOB_QUEUE_WAIT.labels(type=job_type).observe(wait)


def record_pipeline(stage_seconds: Mapping[str, float], audio_seconds: float, wall_seconds: float) -> None:
    """One successful speech pipeline run: each stage's time, the audio's length and the real-time factor."""
    for stage, seconds in stage_seconds.items():
        STAGE_DURATION.labels(stage=stage).observe(max(0.0, float(seconds)))
    if audio_seconds > 0:
        AUDIO_SECONDS.inc(audio_seconds)
        RTF.observe(wall_seconds / audio_seconds)


def record_webhook_attempt(outcome: str, first_delivery_of: datetime | None, now: datetime) -> None:
    """`first_delivery_of`: the event's creation time when this attempt delivered it for the first time."""
    WEBHOOK_ATTEMPTS.labels(outcome=outcome).inc()
    if (latency := _seconds(first_delivery_of, now)) is not None:
        WEBHOOK_LATENCY.observe(latency)


def record_stalled_recovery(task: str) -> None:
    STALLED_RECOVERED.labels(task=task).inc()
