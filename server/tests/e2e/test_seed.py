"""The seed page (docs "Webhooks") runs unchanged against our server.

`seed_app.py` is the page's FastAPI handler copied verbatim (indentation restored). It runs under uvicorn in a
subprocess configured only through env vars (CONDUIT_API_KEY, CONDUIT_WEBHOOK_SECRET, CONDUIT_BASE_URL); the job is
created with the page's first snippet, its `source={"url": ...}` served by a local HTTP server the SDK downloads.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conduit import Conduit

from e2e.file_server import FileServer
from e2e.server_process import ServerProcess, clean_env, free_port

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent


@dataclass
class SeedApp:
    url: str
    stdout_path: Path

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def wait_for_output(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stdout():
            if time.monotonic() > deadline:
                raise AssertionError(f"the seed app never printed the expected text; its output:\n{self.stdout()}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def seed_app(conduit_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedApp]:
    port = free_port()
    env = clean_env(
        CONDUIT_API_KEY=conduit_server.api_key,
        CONDUIT_WEBHOOK_SECRET=conduit_server.webhook_secret,
        CONDUIT_BASE_URL=conduit_server.base_url,
        PYTHONUNBUFFERED="1",  # print() reaches the captured stdout at once
    )
    out = tmp_path_factory.mktemp("seed") / "stdout.txt"
    cmd = [sys.executable, "-m", "uvicorn", "seed_app:app", "--app-dir", str(HERE),
           "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with out.open("wb") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=HERE)
    app = SeedApp(f"http://127.0.0.1:{port}", out)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"seed app exited:\n{app.stdout()}"
            try:
                httpx.get(app.url + "/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"seed app did not start:\n{app.stdout()}"
                time.sleep(0.2)
        yield app
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_seed_handler_rejects_unsigned_and_forged_deliveries(seed_app: SeedApp) -> None:
    hook = seed_app.url + "/webhooks/conduit"
    body = b'{"id":"evt_x","type":"report.completed"}'
    r = httpx.post(hook, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 401 and r.json() == {"detail": "webhook_signature_missing"}
    forged = {"content-type": "application/json", "Conduit-Signature": f"t={int(time.time())},v1={'0' * 64}"}
    r = httpx.post(hook, content=body, headers=forged)
    assert r.status_code == 401 and r.json() == {"detail": "webhook_signature_invalid"}


def test_seed_page_end_to_end_with_a_url_source(
    conduit_server: ServerProcess, seed_app: SeedApp, speech_path: Path
) -> None:
    conduit = Conduit(api_key=conduit_server.api_key, base_url=conduit_server.base_url)
    with FileServer(speech_path) as files, conduit:
        # the page's first snippet, with our URLs
        receipt = conduit.reports.create(
            source={"url": files.url},
            output={"template": "general_report"},
            target={"strategy": "dominant"},
            webhook={
                "url": seed_app.url + "/webhooks/conduit",
                "headers": {"x-tenant-id": "tenant_123"},
            },
        )
        assert files.hits == 1  # the SDK downloaded the URL itself
        print(receipt.job_id)

        # the page's local fallback
        report = receipt.handle.wait(timeout_ms=300_000)
        print(report.id)

        assert report.job_id == receipt.job_id and report.output.markdown
        seed_app.wait_for_output(report.output.markdown, timeout=60)

        media = conduit.primitives.media.get(report.media_id or "")
        assert media.size_bytes == speech_path.stat().st_size and media.label == speech_path.stem
        events = conduit.primitives.webhook_events.list(job_id=receipt.job_id).events
        assert len(events) == 1 and events[0].status == "delivered" and events[0].type == "report.completed"
        attempts = conduit.primitives.webhook_events.attempts(events[0].id)
        assert [a.status_code for a in attempts] == [200]  # verified by the seed handler on the first try
