"""Cancel a job while it runs the speech pipeline: it stops at the next checkpoint within seconds, produces no
report, and the media is still processed for later jobs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from conduit_server.store import accounts
from fixtures.speech import two_speaker_short
from server_testkit import asgi_client, open_test_runtime, workers_for

from jobs.conftest import upload, wait_job

BODY = {"output": {"template": "general_report"}, "target": {"strategy": "dominant"}}


async def test_cancel_while_running_stops_at_the_next_checkpoint(database_url: str, tmp_path: Path) -> None:
    async with open_test_runtime(database_url, tmp_path, min_speech_seconds=5.0) as rt:
        key = await accounts.create_key(rt.engine, rt.clock())
        async with asgi_client(rt) as api:
            api.headers["Mappa-Api-Key"] = key.api_key
            media = await upload(api, two_speaker_short(noise_snr_db=15.0).path, "noisy")
            # created before any worker runs: the job outranks the upload's own processing task, so it is the
            # job that runs the pipeline (stages transcoding, extracting)
            job_id = (await api.post("/v1/reports/jobs", json={"media": {"mediaId": media["mediaId"]},
                                                               **BODY})).json()["jobId"]
            async with workers_for(rt):
                deadline = time.monotonic() + 120
                job = {}
                while time.monotonic() < deadline:
                    job = (await api.get(f"/v1/jobs/{job_id}")).json()
                    if job.get("stage") == "extracting":
                        break
                    await asyncio.sleep(0.1)
                assert job.get("stage") == "extracting" and job["status"] == "running", job
                r = await api.post(f"/v1/jobs/{job_id}/cancel")
                assert r.status_code == 200 and r.json()["status"] in ("running", "canceled")
                started = time.monotonic()
                final = await wait_job(api, job_id, timeout=60)
                assert final["status"] == "canceled", final
                assert time.monotonic() - started < 15  # "within a few seconds"
                assert final["stage"] == "extracting"  # a terminal job keeps the last stage it reached
                assert (await api.get(f"/v1/reports/by-job/{job_id}")).json() is None

                again = (await api.post("/v1/reports/jobs", json={"media": {"mediaId": media["mediaId"]},
                                                                  **BODY})).json()["jobId"]
                assert (await wait_job(api, again))["status"] == "succeeded"
