"""Distributed mode under faults: 2 API replicas (`conduit serve --no-workers`) + 2 `conduit worker` processes on
the tests' own PostgreSQL server (a fresh database) and S3 on moto_server, all real processes on 127.0.0.1.

Order matters only for speed (the PostgreSQL restart runs last); each test stands on its own. Every wait is bounded.
The restart test stops and starts the PostgreSQL server these tests started, never one of the machine's.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conduit_server.store.blobs import BlobStore
from conduit_server.store.tables import jobs, media
from fixtures.speech import monologue
from sqlalchemy import select
from sqlalchemy.engine import Engine

from distributed.conftest import Cluster, ClusterPostgres, MotoS3, create_key, pg_reachable, running_cluster
from distributed.harness import (
    SwitchReceiver,
    advisory_lock_holders,
    attempts_for,
    check_delivery_guarantees,
    events_for,
    report_body,
    wait_jobs,
    wait_until,
)

pytestmark = pytest.mark.slow

RESULTS: dict[str, Any] = {}  # numbers the tests prove, printed at the end of the module (-s)


@pytest.fixture(scope="module")
async def cluster(dist_database: str, moto: MotoS3, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Cluster]:
    key = await create_key(dist_database)
    async with running_cluster(dist_database, moto, tmp_path_factory.mktemp("cluster"), api_key=key) as c:
        yield c
    if RESULTS:
        print("\nDISTRIBUTED RESULTS " + json.dumps(RESULTS, sort_keys=True))


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[SwitchReceiver]:
    rec = SwitchReceiver()
    await rec.start()
    yield rec
    await rec.stop()


async def _upload(api: httpx.AsyncClient, path: Path, label: str) -> str:
    r = await api.post("/v1/files", files={"file": (path.name, path.read_bytes())}, data={"label": label})
    assert r.status_code == 200, r.text
    return str(r.json()["mediaId"])


async def _create(api: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> str:
    r = await api.post("/v1/reports/jobs", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["jobId"])


@pytest.fixture(scope="module")
async def processed_media(cluster: Cluster) -> str:
    """One short recording, uploaded through replica A and processed once (jobs on it then take ~1 s)."""
    async with cluster.client(0) as a:
        media_id = await _upload(a, monologue("rms", 0).path, "processed")

        async def done() -> bool:
            r = await a.get(f"/v1/files/{media_id}")
            return r.json().get("processingStatus") in ("COMPLETED", "FAILED")

        await wait_until(done, 120, f"processing of {media_id}\n{cluster.logs()}")
    return media_id


async def test_upload_lands_in_s3_and_sse_from_other_replica(cluster: Cluster, moto: MotoS3, sync_db: Engine,
                                                             processed_media: str, receiver: SwitchReceiver) -> None:
    receiver.mode = "ok"
    with sync_db.connect() as conn:
        key = conn.execute(select(media.c.storage_key).where(media.c.id == processed_media)).scalar_one()
    s3 = BlobStore.from_settings(f"s3://{cluster.bucket}/media", Path("/tmp"), moto.options())  # type: ignore[attr-defined]
    assert await s3.exists(key), "the upload is in the bucket, under the configured prefix"
    assert "us-east-1" in json.dumps(moto.options())

    async with cluster.client(0) as a, cluster.client(1, timeout=60) as b:
        job_id = await _create(a, report_body(processed_media, receiver.url("/sse")))
        started = time.monotonic()
        frames: list[str] = []
        async with b.stream("GET", f"/v1/jobs/{job_id}/stream", params={"timeout": "60000"}) as resp:
            assert resp.status_code == 200
            async for line in resp.aiter_lines():
                if line.startswith("event: "):
                    frames.append(line.removeprefix("event: "))
                if frames and frames[-1] == "terminal":
                    break
        assert frames.count("terminal") == 1, frames
        assert time.monotonic() - started < 60
        job = (await b.get(f"/v1/jobs/{job_id}")).json()
        assert job["status"] == "succeeded", job
        assert (await b.get(f"/v1/reports/by-job/{job_id}")).status_code == 200
    await wait_until(lambda: receiver.by_job().get(job_id), 30, "the webhook")
    RESULTS["sse_cross_replica"] = {"frames": frames, "seconds": round(time.monotonic() - started, 2)}


async def test_sigkill_worker_mid_analysis_and_mid_delivery(cluster: Cluster, sync_db: Engine, processed_media: str,
                                                            receiver: SwitchReceiver) -> None:
    receiver.mode = "ok"
    async with cluster.client(0) as a, cluster.client(1) as b:
        # (1) mid-analysis: a fresh recording, so the job has to run the pipeline; kill whoever holds its media lock
        fresh = await _upload(b, monologue("slt", 1).path, "fresh")
        analysis_job = await _create(a, report_body(fresh, receiver.url("/analysis")))
        holders = await wait_until(lambda: [h for h in advisory_lock_holders(sync_db) if h.startswith("conduit-w")],
                                   60, "a worker processing the fresh media")
        victim = cluster.worker_named(holders[0])
        assert victim is not None, holders
        await asyncio.sleep(1.0)  # well inside the pipeline
        victim.kill()
        killed_analysis = victim.name
        cluster.replace_worker(victim)

        # more jobs on both replicas meanwhile (already-processed media)
        others = [await _create(c, report_body(processed_media, receiver.url("/batch")))
                  for c in (a, b, a, b)]

        # (2) mid-delivery: the receiver holds the request; SIGKILL the worker that is sending it
        receiver.stalled.clear()
        receiver.release.clear()
        receiver.stall_path = "/stall"
        delivery_job = await _create(b, report_body(processed_media, receiver.url("/stall")))
        await wait_until(receiver.stalled.is_set, 60, "the stalled webhook request")
        sender = cluster.worker_with_connection_to(receiver.port)
        assert sender is not None, "no worker has a connection to the receiver"
        sender.kill()
        killed_delivery = sender.name
        receiver.release.set()
        cluster.replace_worker(sender)

        all_jobs = [analysis_job, *others, delivery_job]
        done = await wait_jobs(a, all_jobs, timeout=150)
        assert all(j["status"] == "succeeded" for j in done.values()), done

        async def all_delivered() -> bool:
            events = events_for(sync_db, all_jobs)
            return all(e.status == "delivered" for j in all_jobs for e in events.get(j, [])) and len(events) == len(
                all_jobs)

        await wait_until(all_delivered, 60, f"every webhook delivered\n{cluster.logs()}")
    numbers = check_delivery_guarantees(sync_db, receiver, all_jobs)
    # the stalled delivery was sent again after the kill, with the same event id
    stall_requests = [json.loads(r.body)["id"] for r in receiver.requests if r.path == "/stall"]
    assert len(stall_requests) >= 2 and len(set(stall_requests)) == 1, (
        stall_requests, [(r.path, json.loads(r.body)["id"]) for r in receiver.requests],
        [(x.attempt, x.status_code, x.error, x.redelivery) for x in attempts_for(sync_db, stall_requests[0])],
        cluster.logs())
    attempts = attempts_for(sync_db, stall_requests[0])
    assert attempts and attempts[-1].status_code == 200
    RESULTS["sigkill"] = {**numbers, "killed_mid_analysis": killed_analysis, "killed_mid_delivery": killed_delivery,
                          "stalled_event_requests": len(stall_requests)}


async def test_receiver_down_then_500_then_trickle_then_back(cluster: Cluster, sync_db: Engine,
                                                             processed_media: str) -> None:
    flaky = SwitchReceiver()
    await flaky.start()
    await flaky.stop()  # port known, nothing listening: connection refused
    try:
        async with cluster.client(0) as a:
            job_id = await _create(a, report_body(processed_media, flaky.url("/flaky")))
            await wait_jobs(a, [job_id], timeout=60)
            event_id = await wait_until(lambda: [e.id for e in events_for(sync_db, [job_id])[job_id]], 30, "event")
            event_id = event_id[0]

            def errors() -> list[str | None]:
                return [x.error for x in attempts_for(sync_db, event_id)]

            await wait_until(lambda: errors().count("connection_error") >= 2, 30, "two refused attempts")
            flaky.mode = "error"
            await flaky.start()
            await wait_until(lambda: any(x.status_code == 500 for x in attempts_for(sync_db, event_id)), 30, "a 500")
            flaky.mode = "trickle"
            await wait_until(lambda: errors()[-1:] == ["timeout"], 30, "a timed-out attempt")
            flaky.mode = "ok"
            await wait_until(lambda: [d for d in flaky.deliveries if d.event_id == event_id], 40,
                             f"delivery after recovery; attempts {errors()}")
            attempts = attempts_for(sync_db, event_id)
            status = events_for(sync_db, [job_id])[job_id][0].status
            assert status == "delivered"
            assert [x.attempt for x in attempts] == list(range(1, len(attempts) + 1))
            assert attempts[-1].status_code == 200 and attempts[0].status_code is None
            RESULTS["receiver_faults"] = {"attempts": [(x.status_code, x.error, x.duration_ms) for x in attempts]}

            # 410 Gone stops the schedule after one attempt
            flaky.mode = "gone"
            gone_job = await _create(a, report_body(processed_media, flaky.url("/gone")))
            await wait_jobs(a, [gone_job], timeout=60)
            gone_event = (await wait_until(lambda: events_for(sync_db, [gone_job])[gone_job], 30, "event"))[0].id
            await wait_until(lambda: events_for(sync_db, [gone_job])[gone_job][0].status == "failed", 30, "gave up")
            await asyncio.sleep(3)  # longer than the next scheduled delay: nothing more is sent
            gone_attempts = attempts_for(sync_db, gone_event)
            assert [x.status_code for x in gone_attempts] == [410]
            RESULTS["gone_410"] = {"attempts": len(gone_attempts)}
    finally:
        await flaky.stop()


async def test_same_idempotency_key_on_two_replicas_makes_one_job(cluster: Cluster, sync_db: Engine,
                                                                  processed_media: str) -> None:
    rounds = 6
    outcomes: list[list[int]] = []
    async with cluster.client(0) as a, cluster.client(1) as b:
        for n in range(rounds):
            key = f"dist-idem-{n}-{time.monotonic_ns()}"
            body = report_body(processed_media, label=key)
            ra, rb = await asyncio.gather(
                a.post("/v1/reports/jobs", json=body, headers={"Idempotency-Key": key}),
                b.post("/v1/reports/jobs", json=body, headers={"Idempotency-Key": key}))
            outcomes.append(sorted([ra.status_code, rb.status_code]))
            assert {ra.status_code, rb.status_code} <= {200, 409}, (ra.text, rb.text)
            ok = [r for r in (ra, rb) if r.status_code == 200]
            assert ok, (ra.text, rb.text)
            assert len({r.json()["jobId"] for r in ok}) == 1
            for r in (ra, rb):
                if r.status_code == 409:
                    assert r.json()["error"]["code"] == "idempotency_key_in_progress"
            with sync_db.connect() as conn:
                count = len(conn.execute(select(jobs.c.id).where(jobs.c.label == key)).all())
            assert count == 1, (key, count)
            # a retry after both finished replays the same job from either replica
            again = await b.post("/v1/reports/jobs", json=body, headers={"Idempotency-Key": key})
            assert again.status_code == 200 and again.json()["jobId"] == ok[0].json()["jobId"]
    RESULTS["idempotency"] = {"rounds": rounds, "status_pairs": outcomes, "jobs_per_key": 1}


async def test_postgres_restart_while_workers_run(cluster: Cluster, sync_db: Engine, processed_media: str,
                                                  receiver: SwitchReceiver, pg_server: ClusterPostgres) -> None:
    receiver.mode = "ok"
    async with cluster.client(0, timeout=15) as a, cluster.client(1, timeout=15) as b:
        fresh = await _upload(a, monologue("awb", 0).path, "restart")
        job_ids = [await _create(a, report_body(fresh, receiver.url("/restart")))]
        job_ids += [await _create(c, report_body(processed_media, receiver.url("/restart"))) for c in (a, b, a)]
        await wait_until(lambda: [h for h in advisory_lock_holders(sync_db) if h.startswith("conduit-w")], 60,
                         "a worker inside the pipeline")
        sync_db.dispose()
        await asyncio.to_thread(pg_server.server.stop)
        down_at = time.monotonic()
        try:
            answers = []
            for client in (a, b):
                for method, path, kwargs in (("GET", f"/v1/jobs/{job_ids[0]}", {}),
                                             ("POST", "/v1/reports/jobs", {"json": report_body(processed_media)})):
                    t0 = time.monotonic()
                    r = await client.request(method, path, **kwargs)
                    elapsed = time.monotonic() - t0
                    answers.append((r.status_code, round(elapsed, 2)))
                    assert r.status_code == 503, (r.status_code, r.text)
                    assert r.json()["error"]["code"] == "unavailable", r.text
                    assert int(r.headers["retry-after"]) > 0
                    assert elapsed < 6, elapsed
            assert (await a.get("/v1/health/ping")).status_code == 200  # liveness does not need the database
            await asyncio.sleep(max(0.0, 4 - (time.monotonic() - down_at)))
        finally:
            await asyncio.to_thread(pg_server.server.start)
        await wait_until(lambda: pg_reachable(pg_server.url), 30, "PostgreSQL back")
        downtime = round(time.monotonic() - down_at, 1)

        async def api_back() -> bool:
            return (await a.get(f"/v1/jobs/{job_ids[0]}")).status_code == 200

        await wait_until(api_back, 20, "the API answering again")
        done = await wait_jobs(a, job_ids, timeout=150)
        summary = {k: (j["status"], j.get("error")) for k, j in done.items()}
        if not all(j["status"] == "succeeded" for j in done.values()):
            Path(cluster.tmp / "restart-failure.log").write_text(cluster.logs())
        assert all(j["status"] == "succeeded" for j in done.values()), (summary, str(cluster.tmp))

        async def delivered() -> bool:
            ev = events_for(sync_db, job_ids)
            return len(ev) == len(job_ids) and all(e.status == "delivered" for es in ev.values() for e in es)

        await wait_until(delivered, 60, f"webhooks after the restart\n{cluster.logs()}")
    assert all(w.alive() for w in cluster.workers), "workers reconnected in-process, none exited"
    numbers = check_delivery_guarantees(sync_db, receiver, job_ids)
    RESULTS["postgres_restart"] = {**numbers, "api_answers_while_down": answers, "downtime_s": downtime}
