"""`conduit backup` / `conduit restore` on the embedded default, with real content: an embedded data dir with two
files, a report job completed by the real workers (its report, entity and delivered webhook event), backed up by
the CLI while the server still runs on it, restored into a fresh data dir, and opened again: the API answers the
same for every file, job, report, entity and webhook event, and the recordings are the same bytes."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from alembic.script import ScriptDirectory
from conduit_server.services import open_runtime
from conduit_server.store import accounts
from conduit_server.store.backup import backup
from conduit_server.store.embedded import EmbeddedPostgres
from conduit_server.store.migrate import alembic_config
from fixtures.api_helpers import uploaded_id
from fixtures.speech import tone, two_speaker_short
from server_testkit import asgi_client, make_settings, postgres_pids, workers_for
from webhooks.webhook_receiver import Receiver, respond

pytestmark = pytest.mark.slow  # one real pipeline run makes the report

API_PATHS = ("/v1/files?includeDeleted=true", "/v1/entities", "/v1/webhooks/events")


def _conduit(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "conduit_server.cli", command, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)




def _blobs(data_dir: Path) -> dict[str, bytes]:
    media = data_dir / "media"
    return {str(p.relative_to(media)): p.read_bytes() for p in sorted(media.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    """Outside pytest's temp root (0700), which the embedded server's own system user must be able to enter."""
    path = Path(tempfile.mkdtemp(prefix="conduit-test-backup-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for pgdata in path.glob("*/pg"):
            for pid in postgres_pids(pgdata):
                with contextlib.suppress(psutil.Error):
                    psutil.Process(pid).kill()
        shutil.rmtree(path, ignore_errors=True)


async def _state(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    """What a client sees of the data dir: every file, the job, its report and evidence, entities, webhook events."""
    state: dict[str, Any] = {}
    job = (await api.get(f"/v1/jobs/{job_id}")).json()
    report_id = job["reportId"]
    paths = [*API_PATHS, f"/v1/jobs/{job_id}", f"/v1/reports/{report_id}", f"/v1/reports/{report_id}/evidence"]
    for path in paths:
        r = await api.get(path)
        assert r.status_code == 200, (path, r.text)
        state[path] = r.json()
    for file in state["/v1/files?includeDeleted=true"]["files"]:
        state[file["mediaId"]] = (await api.get(f"/v1/files/{file['mediaId']}")).json()
    for event in state["/v1/webhooks/events"]["events"]:
        state[event["id"]] = (await api.get(f"/v1/webhooks/events/{event['id']}/attempts")).json()
    return state


async def _wait(api: httpx.AsyncClient, path: str, done: Any, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = (await api.get(path)).json()
        if done(body):
            return body
        await asyncio.sleep(0.3)
    raise AssertionError(f"{path} did not reach the expected state in {timeout} s")


@dataclass
class Original:
    api_key: str
    job_id: str
    state: dict[str, Any]
    blobs: dict[str, bytes]
    backup_out: str


@pytest.fixture(scope="module")
async def hooks() -> AsyncIterator[Receiver]:
    rec = Receiver(routes={"/hook": respond(204)})
    await rec.start()
    yield rec
    await rec.close()


@pytest.fixture(scope="module")
async def original(root: Path, hooks: Receiver) -> Original:
    """A data dir with real content, backed up by `conduit backup` (another process) while the server runs."""
    settings = make_settings(root / "data", min_speech_seconds=5.0)
    async with open_runtime(settings) as rt, workers_for(rt):
        created = await accounts.create_key(rt.engine, rt.clock())
        async with asgi_client(rt) as api:
            api.headers["Mappa-Api-Key"] = created.api_key
            await uploaded_id(api, {}, tone(3.0), label="a tone")
            media_id = await uploaded_id(api, {}, two_speaker_short().path, label="call")
            body = {"media": {"mediaId": media_id}, "output": {"template": "general_report"},
                    "target": {"strategy": "dominant"}, "entityLabel": "Rhys", "webhook": {"url": hooks.url("/hook")}}
            job_id = (await api.post("/v1/reports/jobs", json=body)).json()["jobId"]
            job = await _wait(api, f"/v1/jobs/{job_id}", lambda j: j["status"] in ("succeeded", "failed"))
            assert job["status"] == "succeeded", job
            await _wait(api, "/v1/webhooks/events",
                        lambda b: [e["status"] for e in b["events"]] == ["delivered"])
            state = await _state(api, job_id)
            assert len(state["/v1/entities"]["entities"]) >= 1

            made = await asyncio.to_thread(_conduit, "backup", str(root / "backup.tar"), "--data-dir",
                                           str(root / "data"))
            assert made.returncode == 0, made.stderr[-3000:]
            # the server's database was joined, not stopped: the running server still answers
            assert EmbeddedPostgres(root / "data" / "pg").postmaster_pid() is not None
            assert (await api.get(f"/v1/jobs/{job_id}")).status_code == 200
            over_live = await asyncio.to_thread(_conduit, "restore", str(root / "backup.tar"), "--data-dir",
                                                str(root / "data"), "--force")
            assert over_live.returncode == 1 and "a server is running" in over_live.stderr
    assert not postgres_pids(root / "data" / "pg"), "the last owner (this runtime) stopped PostgreSQL"
    return Original(created.api_key, job_id, state, _blobs(root / "data"), made.stdout)


async def test_restore_brings_back_every_file_job_report_entity_and_event(root: Path, original: Original) -> None:
    assert "backup written" in original.backup_out and "2 media files" in original.backup_out
    restored = await asyncio.to_thread(_conduit, "restore", str(root / "backup.tar"), "--data-dir",
                                       str(root / "restored"))
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert not postgres_pids(root / "restored" / "pg"), "restore stops the PostgreSQL it started"

    assert _blobs(root / "restored") == original.blobs and len(original.blobs) == 2
    async with open_runtime(make_settings(root / "restored")) as rt, asgi_client(rt) as api:
        api.headers["Mappa-Api-Key"] = original.api_key  # keys are restored too
        assert await _state(api, original.job_id) == original.state


async def test_restore_refuses_a_data_dir_that_holds_data(root: Path, original: Original) -> None:
    refused = await asyncio.to_thread(_conduit, "restore", str(root / "backup.tar"), "--data-dir",
                                      str(root / "data"))
    assert refused.returncode == 1
    assert "already holds data" in refused.stderr and "--force" in refused.stderr
    assert _blobs(root / "data") == original.blobs


async def test_backup_of_a_stopped_server_starts_and_stops_postgres(root: Path, original: Original) -> None:
    manifest = await backup(make_settings(root / "data"), root / "offline.tar")
    assert not postgres_pids(root / "data" / "pg")
    head = ScriptDirectory.from_config(alembic_config("postgresql://unused/none")).get_current_head()
    assert manifest["schemaRevision"] == head and manifest["mediaFiles"] == 2
    assert manifest["counts"]["jobs"] == 1 and manifest["counts"]["reports"] == 1
    assert manifest["counts"]["webhook_events"] == 1 and manifest["counts"]["entities"] >= 1
    assert set(manifest["parts"]) == {"db.dump", *(f"media/{key}" for key in original.blobs)}
