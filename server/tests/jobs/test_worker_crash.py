"""A worker killed with SIGKILL mid-job: a restarted worker finishes the job exactly once (one report, one
terminal state) and the webhook is delivered."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conduit_server.store import accounts
from conduit_server.store.tables import reports
from fixtures.speech import two_speaker_short
from server_testkit import asgi_client, models_dir, open_test_runtime
from sqlalchemy import func, select
from webhooks.webhook_receiver import Receiver, respond

from jobs.conftest import upload, wait_job


def _start_worker(database_url: str, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CONDUIT_DATABASE_URL": database_url,
        "CONDUIT_DATA_DIR": str(data_dir),
        "CONDUIT_MODELS_DIR": str(models_dir()),
        "CONDUIT_STALLED_AFTER_SECONDS": "8",
        "CONDUIT_MIN_SPEECH_SECONDS": "5",
        "CONDUIT_WEBHOOK_ALLOW_LOOPBACK": "true",
    }
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "conduit_server.cli", "worker"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.slow
async def test_sigkill_mid_job_then_restart_completes_once(database_url: str, tmp_path: Path) -> None:
    receiver = Receiver(routes={"/hook": respond(200)})
    await receiver.start()
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with open_test_runtime(database_url, tmp_path) as rt:
            key = await accounts.create_key(rt.engine, rt.clock())
            async with asgi_client(rt) as api:
                api.headers["Mappa-Api-Key"] = key.api_key
                media = await upload(api, two_speaker_short().path)
                r = await api.post("/v1/reports/jobs", json={
                    "media": {"mediaId": media["mediaId"]}, "output": {"template": "general_report"},
                    "target": {"strategy": "dominant"}, "webhook": {"url": receiver.url("/hook")}})
                job_id = r.json()["jobId"]

                workers.append(_start_worker(database_url, tmp_path, log))
                deadline = time.monotonic() + 120
                job: dict[str, Any] = {}
                while time.monotonic() < deadline:  # kill once the worker is inside the pipeline
                    job = (await api.get(f"/v1/jobs/{job_id}")).json()
                    if job.get("stage") == "extracting":
                        break
                    await asyncio.sleep(0.2)
                assert job.get("stage") == "extracting", (job, log.read_text()[-3000:])
                _stop(workers[0], signal.SIGKILL)

                assert (await api.get(f"/v1/jobs/{job_id}")).json()["status"] == "running"
                workers.append(_start_worker(database_url, tmp_path, log))
                done = await wait_job(api, job_id, timeout=300)
                assert done["status"] == "succeeded", (done, log.read_text()[-3000:])

                async with rt.engine.connect() as conn:
                    count = (await conn.execute(select(func.count()).select_from(reports)
                                                .where(reports.c.job_id == job_id))).scalar()
                assert count == 1
                stream = (await api.get(f"/v1/jobs/{job_id}/stream")).text
                assert stream.count("event: terminal") == 1

                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not receiver.requests:
                    await asyncio.sleep(0.2)
                events = [json.loads(q.body) for q in receiver.requests]
                assert events and {e["type"] for e in events} == {"report.completed"}
                assert len({e["id"] for e in events}) == 1
    finally:
        for proc in workers:
            _stop(proc)
        await receiver.close()
