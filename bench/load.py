"""Distributed-mode load: N concurrent report jobs across 2 API processes and 2 worker processes. Prints JSON.

Starts moto_server (S3) on 127.0.0.1, creates a fresh database on the PostgreSQL server (default: the machine's,
postgresql://postgres@127.0.0.1:5432/postgres; CONDUIT_DIST_PG_URL overrides), runs `conduit migrate`, starts
`conduit serve --no-workers` twice and `conduit worker` twice, and a local webhook receiver. One short recording
(~10 s) is uploaded and processed first; then N report jobs are created at once, alternating between the replicas,
each with a webhook. With --fresh-media every job gets its own upload (the speech pipeline runs per job).

Measures: jobs/s (N / seconds from the first creation to the last webhook), create latency p50/p99 (the POST),
creation -> webhook p50/p99, duplicate deliveries received (same event id more than once), lost (jobs without a
delivered webhook when the deadline passes). Everything is stopped and the database dropped at the end.

Usage: python bench/load.py [--jobs 20] [--fresh-media] [--deadline 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server" / "tests"))
from distributed.conftest import (  # noqa: E402
    MotoS3,
    _admin,
    _with_database,
    create_key,
    free_port,
    moto_binary,
    pg_admin_url,
    pg_reachable,
    running_cluster,
    stop_process,
)
from distributed.harness import SwitchReceiver, report_body, wait_until  # noqa: E402
from fixtures.speech import VOICES, monologue  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 3)


def start_moto(tmp: Path) -> MotoS3:
    binary = moto_binary()
    if binary is None:
        raise SystemExit("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    log = tmp / "moto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
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


async def upload(api, path: Path, label: str) -> str:  # type: ignore[no-untyped-def]
    r = await api.post("/v1/files", files={"file": (path.name, path.read_bytes())},  # noqa: ASYNC240
                       data={"label": label})
    r.raise_for_status()
    return str(r.json()["mediaId"])


async def run(n: int, fresh_media: bool, deadline_s: float, tmp: Path, database_url: str, moto: MotoS3) -> dict:
    key = await create_key(database_url)
    receiver = SwitchReceiver()
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

                async def create(i: int) -> None:
                    t0 = time.monotonic()
                    r = await clients[i % 2].post("/v1/reports/jobs",
                                                  json=report_body(media_ids[i], receiver.url("/load")))
                    t1 = time.monotonic()
                    r.raise_for_status()
                    create_latency.append(t1 - t0)
                    created_at[r.json()["jobId"]] = t0

                started = time.monotonic()
                await asyncio.gather(*(create(i) for i in range(n)))

                def all_delivered() -> bool:
                    return set(created_at) <= {d.job_id for d in receiver.deliveries}

                try:
                    await wait_until(all_delivered, deadline_s, "all webhooks", interval=0.1)
                except AssertionError:
                    pass
                first_delivery: dict[str, float] = {}
                for d in receiver.deliveries:
                    first_delivery.setdefault(d.job_id, d.at)
                delivered = [j for j in created_at if j in first_delivery]
                finished = max(first_delivery[j] for j in delivered) if delivered else time.monotonic()
                to_webhook = [first_delivery[j] - created_at[j] for j in delivered]
                statuses = Counter()
                for job_id in created_at:
                    statuses[(await clients[0].get(f"/v1/jobs/{job_id}")).json()["status"]] += 1
                per_event = Counter(d.event_id for d in receiver.deliveries if d.job_id in created_at)
                return {
                    "jobs": n,
                    "media": "one upload per job (pipeline per job)" if fresh_media else
                             "one pre-processed ~10 s recording shared by all jobs",
                    "api_processes": 2, "worker_processes": 2,
                    "storage": "s3 (moto_server)", "database": "PostgreSQL server (fresh database)",
                    "jobs_per_s": round(len(delivered) / max(1e-9, finished - started), 3),
                    "wall_s": round(finished - started, 2),
                    "create_latency_ms": {"p50": round(pct(create_latency, 0.5) * 1000, 1),
                                          "p99": round(pct(create_latency, 0.99) * 1000, 1)},
                    "creation_to_webhook_s": {"p50": pct(to_webhook, 0.5), "p99": pct(to_webhook, 0.99),
                                              "mean": round(statistics.fmean(to_webhook), 3) if to_webhook else None},
                    "job_status": dict(statuses),
                    "duplicate_deliveries": sum(c - 1 for c in per_event.values() if c > 1),
                    "lost": n - len(delivered),
                }
            finally:
                for c in clients:
                    await c.aclose()
    finally:
        await receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--fresh-media", action="store_true")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds to wait for the last webhook")
    args = parser.parse_args()
    admin = pg_admin_url()
    if not pg_reachable(admin):
        raise SystemExit(f"PostgreSQL not reachable at {admin}")
    name = "conduit_load_" + uuid.uuid4().hex[:8]
    _admin(admin, f"CREATE DATABASE {name}")
    database_url = _with_database(admin, name)
    with tempfile.TemporaryDirectory(prefix="conduit-load-") as tmp_dir:
        tmp = Path(tmp_dir)
        moto = start_moto(tmp)
        try:
            subprocess.run([sys.executable, "-m", "conduit_server.cli", "migrate"], check=True, capture_output=True,
                           env={**__import__("os").environ, "CONDUIT_DATABASE_URL": database_url,
                                "CONDUIT_DATA_DIR": str(tmp / "migrate")}, timeout=120)
            result = asyncio.run(run(args.jobs, args.fresh_media, args.deadline, tmp, database_url, moto))
        finally:
            stop_process(moto.proc)
            _admin(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
