"""What a killed process leaves behind is removed: partial upload files (at the next start-up) and psychometrics
recordings (when their request ends, and by the workers' first maintenance pass for requests that died)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from conduit_server.api import psychometrics
from conduit_server.domain.ids import new_id
from conduit_server.jobs import recordings
from conduit_server.runtime import Runtime
from conduit_server.services import open_runtime
from conduit_server.store import accounts
from conduit_server.store.tables import media
from fixtures.api_helpers import assert_error, headers_of, new_workspace_key
from fixtures.speech import tone
from server_testkit import make_settings, workers_for
from sqlalchemy import select

_HOLD_SCRATCH = """
import sys
from pathlib import Path
from conduit_server.store.scratch import Scratch
folder = Scratch(Path(sys.argv[1])).dir()
(folder / "upload-partial").write_bytes(b"RIFF" + bytes(4096))  # an upload cut off mid-body
print(folder, flush=True)
if sys.argv[2] == "die":
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()  # alive until the test closes stdin
"""


def _process_with_scratch(root: Path, fate: str) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_SCRATCH, str(root), fate], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


async def test_startup_removes_partial_uploads_of_dead_processes_only(database_url: str, tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    dead, dead_folder = _process_with_scratch(root, "die")
    dead.communicate(timeout=30)
    assert dead.returncode == -9
    live, live_folder = _process_with_scratch(root, "live")
    legacy = root / "upload-abc123"  # earlier versions wrote upload bodies straight into data_dir/tmp
    legacy.write_bytes(b"partial")
    try:
        assert (dead_folder / "upload-partial").exists()
        async with open_runtime(make_settings(tmp_path, database_url=database_url), migrate=False) as rt:
            assert not dead_folder.exists() and not legacy.exists()
            assert (live_folder / "upload-partial").exists(), "a live process's upload is left alone"
            own = rt.scratch.dir()
            assert own.parent == root and own.exists()
        assert not own.exists(), "a clean shutdown removes its own folder"
    finally:
        live.communicate(timeout=30)


async def _recordings(rt: Runtime, workspace_id: str) -> list[tuple[str, str, object]]:
    async with rt.engine.connect() as conn:
        rows = await conn.execute(select(media.c.id, media.c.storage_key, media.c.deleted_at).where(
            media.c.workspace_id == workspace_id, media.c.internal.is_(True)))
        return [(r.id, r.storage_key, r.deleted_at) for r in rows]


async def test_a_request_that_gives_up_deletes_its_recording(client: httpx.AsyncClient, runtime: Runtime,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker runs here, so the request waits for its analysis until its deadline."""
    monkeypatch.setattr(psychometrics, "WAIT_SECONDS", 0.3)
    created = await new_workspace_key(runtime, "psy-timeout")
    r = await client.post("/v2/psychometrics", headers=headers_of(created),
                          files={"file": ("a.wav", tone(2.0).read_bytes())}, data={"strategy": "dominant"})
    assert_error(r, 503, "unavailable")
    [(_, key, deleted_at)] = await _recordings(runtime, created.workspace_id)
    assert deleted_at is not None
    assert not await runtime.blobs.exists(key), "the recording's bytes are gone"


async def test_workers_remove_recordings_of_requests_that_died(runtime: Runtime, tmp_path: Path) -> None:
    created = await new_workspace_key(runtime, "psy-crash")
    who = await accounts.authenticate(runtime.engine, created.api_key)
    assert who is not None
    now = runtime.clock()
    ids = {}
    for name, at in (("abandoned", now - recordings.ABANDONED_AFTER - timedelta(seconds=1)), ("waiting", now)):
        media_id = new_id("med_")
        key = f"{created.workspace_id}/{media_id}"
        await runtime.blobs.put_file(key, tone(2.0))
        async with runtime.engine.begin() as conn:
            await conn.execute(media.insert().values(
                id=media_id, workspace_id=created.workspace_id, label="psychometrics", content_type="audio/wav",
                size_bytes=1, source="SDK", created_by_api_key_id=who.api_key_id,
                created_by_user_id=who.user_id, storage_key=key, sha256="0" * 64, processing_status="PENDING",
                internal=True, created_at=at, last_used_at=at))
        ids[name] = (media_id, key)

    async def swept() -> bool:
        return any(deleted for mid, _, deleted in await _recordings(runtime, created.workspace_id)
                   if mid == ids["abandoned"][0])

    async with workers_for(runtime):  # their maintenance pass runs at start-up
        deadline = time.monotonic() + 60
        while not await swept():
            assert time.monotonic() < deadline, "the abandoned recording was never swept"
            await asyncio.sleep(0.1)
    assert not await runtime.blobs.exists(ids["abandoned"][1])
    assert await runtime.blobs.exists(ids["waiting"][1]), "a recording whose request may still wait is kept"
    waiting = [d for mid, _, d in await _recordings(runtime, created.workspace_id) if mid == ids["waiting"][0]]
    assert waiting == [None]
