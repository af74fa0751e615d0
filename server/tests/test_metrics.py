"""GET /metrics (docs/operations.md): real jobs through the in-process workers move the counters and histograms an
operator alerts on; the endpoint can be locked with a token and never spends rate limits; multiprocess mode adds
up the counts of separate processes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conduit_server.metrics_server import serve_metrics
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from fixtures.api_helpers import assert_error, report_body, uploaded_id
from fixtures.speech import tone, two_speaker_short
from prometheus_client.parser import text_string_to_metric_families
from server_testkit import asgi_client, open_test_runtime, workers_for
from webhooks.webhook_receiver import Receiver, respond

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= lbls)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    r = await client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return parse(r.text)


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"condition not reached in {timeout} s")


@pytest.fixture(scope="module")
async def engine_rt(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    # a failed webhook's retry waits a minute: it stays pending for the whole module
    async with open_test_runtime(database_url, tmp_path_factory.mktemp("data"), min_speech_seconds=5.0,
                                 webhook_schedule=(60.0,)) as rt:
        async with workers_for(rt):
            yield rt


@pytest.fixture(scope="module")
async def api(engine_rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    created = await accounts.create_key(engine_rt.engine, engine_rt.clock())
    async with asgi_client(engine_rt) as c:
        c.headers["Mappa-Api-Key"] = created.api_key
        yield c


@pytest.fixture(scope="module")
async def hooks() -> AsyncIterator[Receiver]:
    rec = Receiver(routes={"/hook": respond(204), "/fail": respond(500)})
    await rec.start()
    yield rec
    await rec.close()


async def run_job(api: httpx.AsyncClient, media_id: str, hook_url: str) -> dict[str, Any]:
    r = await api.post("/v1/reports/jobs", json=report_body(media_id, webhook={"url": hook_url}))
    assert r.status_code == 200, r.text
    job_id = r.json()["jobId"]
    job: dict[str, Any] = {}

    async def finished() -> bool:
        nonlocal job
        job = (await api.get(f"/v1/jobs/{job_id}")).json()
        return job["status"] in ("succeeded", "failed", "canceled")

    await wait_until(finished)
    return job


async def test_a_report_job_moves_requests_jobs_stages_and_webhooks(api: httpx.AsyncClient, hooks: Receiver) -> None:
    before = await scrape(api)
    media_id = await uploaded_id(api, {}, two_speaker_short().path, label="metrics")
    job = await run_job(api, media_id, hooks.url("/hook"))
    assert job["status"] == "succeeded", job
    await wait_until(lambda: _delivered(hooks, "/hook"), timeout=30)

    async def webhook_counted() -> bool:
        return value(await scrape(api), "conduit_webhook_delivery_attempts_total", outcome="delivered") > value(
            before, "conduit_webhook_delivery_attempts_total", outcome="delivered")

    await wait_until(webhook_counted, timeout=30)  # the attempt is recorded after the receiver answered
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    # requests by route template, never by raw path (no job id in any label)
    assert delta("conduit_http_requests_total", route="/v1/jobs/{job_id}", method="GET", status="200") >= 1
    assert delta("conduit_http_requests_total", route="/v1/reports/jobs", method="POST", status="200") == 1
    assert delta("conduit_http_requests_total", route="/v1/files", method="POST", status="200") == 1
    assert delta("conduit_http_request_duration_seconds_count", route="/v1/reports/jobs", method="POST") == 1
    assert not any(job["id"] in str(labels) for (_, labels) in after)
    # the job: created, succeeded, timed
    assert delta("conduit_jobs_created_total", type="report.generate") == 1
    assert delta("conduit_jobs_finished_total", type="report.generate", status="succeeded", error_code="") == 1
    assert delta("conduit_job_duration_seconds_count", type="report.generate", status="succeeded") == 1
    assert delta("conduit_job_queue_wait_seconds_count", type="report.generate") == 1
    # the speech pipeline: every stage timed once, the audio counted, one real-time factor
    for stage in ("decode", "vad", "asr"):
        assert delta("conduit_pipeline_stage_duration_seconds_count", stage=stage) == 1, stage
    audio = delta("conduit_audio_processed_seconds_total")
    assert 5.0 < audio < 120.0, audio
    assert delta("conduit_pipeline_rtf_count") == 1 and delta("conduit_pipeline_rtf_sum") > 0
    # the webhook: one delivered attempt, its latency from the event's creation
    assert delta("conduit_webhook_delivery_attempts_total", outcome="delivered") == 1
    assert delta("conduit_webhook_delivery_latency_seconds_count") == 1
    # gauges read from the database at scrape time
    assert value(after, "conduit_database_up") == 1
    for queue in ("analysis", "webhooks"):
        assert ("conduit_queue_depth", frozenset({("queue", queue)})) in after, queue
        assert ("conduit_queue_oldest_age_seconds", frozenset({("queue", queue)})) in after, queue
    assert ("conduit_webhook_events_pending_retry", frozenset()) in after
    assert total(after, "conduit_db_connections") >= 1
    assert value(after, "conduit_db_pool_connections_capacity") >= 15  # this runtime's pool (5 + 10 overflow)


async def _delivered(hooks: Receiver, path: str) -> bool:
    return any(r.path == path for r in hooks.requests)


async def test_failures_are_counted_by_error_code_and_attempt_outcome(api: httpx.AsyncClient,
                                                                      hooks: Receiver) -> None:
    before = await scrape(api)
    media_id = await uploaded_id(api, {}, tone(3.0), label="no-speech")
    job = await run_job(api, media_id, hooks.url("/fail"))
    assert job["status"] == "failed"
    code = job["error"]["code"]

    async def attempt_counted() -> bool:
        return total(await scrape(api), "conduit_webhook_delivery_attempts_total", outcome="http_status") > total(
            before, "conduit_webhook_delivery_attempts_total", outcome="http_status")

    await wait_until(attempt_counted, timeout=30)
    after = await scrape(api)
    assert value(after, "conduit_jobs_finished_total", type="report.generate", status="failed", error_code=code) \
        - value(before, "conduit_jobs_finished_total", type="report.generate", status="failed", error_code=code) == 1
    assert value(after, "conduit_webhook_events_pending_retry") >= 1  # its retry is scheduled a minute out


async def test_unmatched_paths_share_one_series(api: httpx.AsyncClient) -> None:
    before = await scrape(api)
    for n in range(3):
        assert (await api.get(f"/no/such/path/{n}")).status_code == 404
    after = await scrape(api)
    assert total(after, "conduit_http_requests_total", route="unmatched", status="404") \
        - total(before, "conduit_http_requests_total", route="unmatched", status="404") == 3
    assert not any("/no/such" in str(labels) for (_, labels) in after)


async def test_token_locks_metrics_and_scrapes_spend_no_rate_limit(database_url: str, tmp_path: Path) -> None:
    async with open_test_runtime(database_url, tmp_path, metrics_token="scrape-secret", rate_limit_per_minute=1,
                                 auth_failures_per_minute=5) as rt, asgi_client(rt) as client:
        r = await client.get("/metrics")
        assert_error(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
        assert_error(await client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
        key = await accounts.create_key(rt.engine, rt.clock())  # an API key is not the metrics token
        assert_error(await client.get("/metrics", headers={"Authorization": f"Bearer {key.api_key}"}), 401,
                     "unauthorized")
        for _ in range(3):  # a rate limit of 1 request per minute does not apply to scrapes
            r = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
            assert r.status_code == 200 and "conduit_queue_depth" in r.text
            assert "x-ratelimit-limit" not in r.headers


async def test_metrics_can_be_turned_off(database_url: str, tmp_path: Path) -> None:
    async with open_test_runtime(database_url, tmp_path, metrics_enabled=False) as rt, asgi_client(rt) as client:
        assert_error(await client.get("/metrics"), 404, "not_found")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_worker_process_serves_its_own_metrics(engine_rt: Runtime) -> None:
    port = _free_port()
    task = asyncio.create_task(serve_metrics(engine_rt, port))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async def up() -> bool:
                try:
                    return (await http.get("/livez")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(up, timeout=10)
            r = await http.get("/metrics")
            assert r.status_code == 200
            samples = parse(r.text)
            assert value(samples, "conduit_database_up") == 1
            assert total(samples, "conduit_jobs_created_total") >= 1  # this process's counters
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


_CHILD = """
from datetime import UTC, datetime
from conduit_server.telemetry import instruments
now = datetime.now(UTC)
instruments.record_job_created("report.generate")
instruments.record_job_finished("report.generate", "failed", "invalid_media", now, None, now)
instruments.record_webhook_attempt("timeout", None, now)
"""

_SCRAPER = """
from conduit_server.telemetry.exposition import render
print(render().decode())
"""


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # e.g. an API replica and a `conduit worker`
        subprocess.run([sys.executable, "-c", _CHILD], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", _SCRAPER], env=env, check=True, timeout=60, capture_output=True,
                         text=True).stdout
    samples = parse(out)
    assert value(samples, "conduit_jobs_created_total", type="report.generate") == 2
    assert value(samples, "conduit_jobs_finished_total", type="report.generate", status="failed",
                 error_code="invalid_media") == 2
    assert value(samples, "conduit_webhook_delivery_attempts_total", outcome="timeout") == 2
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process that counted
