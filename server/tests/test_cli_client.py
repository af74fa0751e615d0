"""The client `conduit` commands against a real server (uvicorn on a free port, real workers, real speech models):
`conduit report` prints the report or fails with the job's error code, `conduit listen` forwards a workspace's
webhook events signed so the SDK's verification accepts them, and the workspace stream resumes by Last-Event-ID
and never shows another workspace's events."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner, Result
from conduit import Conduit
from conduit.cli import app
from conduit_server.app import create_app
from conduit_server.http_server import uvicorn_config
from conduit_server.store import accounts
from e2e.receiver import WebhookReceiver
from server_testkit import open_test_runtime

pytestmark = [pytest.mark.slow]

UNREACHABLE = "http://127.0.0.1:9/hooks"  # the server's own delivery fails: listen is the only way in


@dataclass
class Server:
    base_url: str
    a: accounts.CreatedKey
    b: accounts.CreatedKey  # another workspace


@pytest.fixture(scope="module")
async def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("cli")
    async with open_test_runtime(database_url, tmp, run_workers=True, host="127.0.0.1", port=0) as rt:
        a = await accounts.create_key(rt.engine, rt.clock())
        other = await accounts.create_workspace(rt.engine, rt.clock(), "other")
        b = await accounts.create_key(rt.engine, rt.clock(), workspace_id=other)
        srv = uvicorn.Server(uvicorn_config(create_app(rt.settings, runtime=rt), rt.settings, log_level="warning"))
        task = asyncio.create_task(srv.serve())
        async with asyncio.timeout(30):
            while not srv.started:
                await asyncio.sleep(0.01)
        port = srv.servers[0].sockets[0].getsockname()[1]
        try:
            yield Server(f"http://127.0.0.1:{port}", a, b)
        finally:
            srv.should_exit = True
            await task


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def _env(server: Server, home: Path, key: accounts.CreatedKey) -> dict[str, str]:
    return {"CONDUIT_API_KEY": key.api_key, "CONDUIT_BASE_URL": server.base_url,
            "XDG_CONFIG_HOME": str(home / "config"), "XDG_STATE_HOME": str(home / "state")}


async def conduit(server: Server, home: Path, *args: str, key: accounts.CreatedKey | None = None,
                  stdin: str | None = None) -> Result:
    """Run a client command in a thread (the server runs in this event loop)."""
    env = _env(server, home, key or server.a)
    return await asyncio.to_thread(CliRunner().invoke, app(), list(args), env=env, input=stdin)


@dataclass
class Listener:
    process: asyncio.subprocess.Process

    async def finish(self, within: float) -> tuple[str, str]:
        """Its stdout and stderr once it exits; stopped (SIGTERM) if it is still running after `within` s."""
        try:
            async with asyncio.timeout(within):
                await self.process.wait()
        except TimeoutError:
            self.process.terminate()
        out, err = await self.process.communicate()
        return out.decode(), err.decode()


async def start_listener(server: Server, home: Path, receiver: WebhookReceiver, *extra: str) -> Listener:
    """`conduit listen` as its own process, returned once it says it is connected."""
    env = {**os.environ, **_env(server, home, server.a), "CONDUIT_WEBHOOK_SECRET": server.a.webhook_secret}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "conduit.cli", "listen", "--forward-to", receiver.url("/webhooks"), *extra,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stderr is not None
    line = await asyncio.wait_for(process.stderr.readline(), timeout=30)
    assert b"Ready" in line, line
    return Listener(process)


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


@dataclass
class Flow:
    report: Result
    failed: Result
    listen_out: str


@pytest.fixture(scope="module")
async def flow(server: Server, home: Path, receiver: WebhookReceiver) -> Flow:
    from fixtures.speech import silence, two_speaker_short

    listener = await start_listener(server, home, receiver, "--max-events", "2")
    report = await conduit(server, home, "report", str(two_speaker_short().path), "--template", "sales_playbook",
                           "--target", "magic_hint:the one who talks most", "--on-miss", "fallback_dominant",
                           "--webhook", UNREACHABLE, "--label", "call")
    failed = await conduit(server, home, "report", str(silence(12.0)), "--webhook", UNREACHABLE)
    out, err = await listener.finish(within=60)
    assert listener.process.returncode == 0, (out, err, report.output, failed.output)
    return Flow(report, failed, out)


def test_report_prints_the_rendered_report_and_exits_0(flow: Flow) -> None:
    assert flow.report.exit_code == 0, flow.report.output
    assert "Bottom line" in flow.report.stdout and "How to close" in flow.report.stdout  # sales_playbook sections
    assert "## " not in flow.report.stdout  # rendered by rich, not raw markdown


def test_a_failing_job_exits_1_with_its_error_code(flow: Flow) -> None:
    assert flow.failed.exit_code == 1, flow.failed.output
    assert "error: " in flow.failed.stderr
    code = flow.failed.stderr.split("error: ", 1)[1].split(":", 1)[0]
    assert code in {"insufficient_speech", "invalid_media", "no_speech", "target_not_found"}, flow.failed.stderr


def test_listen_forwards_events_signed_like_real_deliveries(flow: Flow, server: Server,
                                                            receiver: WebhookReceiver) -> None:
    lines = [line for line in flow.listen_out.splitlines() if line.strip()]
    assert len(lines) == 2 and "report.completed" in lines[0] and "report.failed" in lines[1], lines
    assert all(line.endswith("-> 200") for line in lines), lines
    delivery = receiver.wait_for(lambda d: d.headers.get("conduit-event-type") == "report.completed", timeout=5)
    with Conduit(api_key="sk_unused", base_url=server.base_url) as sdk:
        assert sdk.webhooks.verify_signature(delivery.body, delivery.headers, server.a.webhook_secret)
        event = sdk.webhooks.parse_event(delivery.body)
    assert event.type == "report.completed" and delivery.headers["conduit-event-id"] == event.id
    assert delivery.headers["conduit-delivery-attempt"] == "1"


async def _frames(server: Server, key: accounts.CreatedKey, last_event_id: str | None) -> list[tuple[str, str]]:
    """(id, event) of every frame of one 2 s stream session."""
    headers = {"Mappa-Api-Key": key.api_key, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    frames: list[tuple[str, str]] = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        async with http.stream("GET", "/v1/webhooks/stream", params={"timeout": "2000"}, headers=headers) as rsp:
            assert rsp.status_code == 200 and rsp.headers["content-type"].startswith("text/event-stream")
            current: dict[str, str] = {}
            async for line in rsp.aiter_lines():
                if not line:
                    if "id" in current:
                        frames.append((current["id"], current["event"]))
                        json.loads(current["data"])
                    current = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    current[name] = value
    return frames


async def test_stream_resumes_after_last_event_id_and_is_per_workspace(flow: Flow, server: Server, home: Path) -> None:
    listed = await conduit(server, home, "events", "list", "--json")
    events = json.loads(listed.stdout)["events"]  # newest first
    assert [e["type"] for e in events] == ["report.failed", "report.completed"]
    first, second = events[1]["id"], events[0]["id"]
    assert await _frames(server, server.a, first) == [(second, "report.failed")]
    assert await _frames(server, server.a, None) == []  # no Last-Event-ID: live only
    assert await _frames(server, server.b, first) == []  # another workspace's id is unknown there
    other = await conduit(server, home, "events", "list", "--json", key=server.b)
    assert json.loads(other.stdout)["events"] == []



async def test_jobs_files_entities_and_transcript(flow: Flow, server: Server, home: Path) -> None:
    listed = json.loads((await conduit(server, home, "jobs", "list", "--json")).stdout)
    assert [j["status"] for j in listed][:2] == ["failed", "succeeded"]  # the workspace's jobs, newest first
    job_id = listed[1]["id"]
    only_failed = json.loads((await conduit(server, home, "jobs", "list", "--status", "failed", "--json")).stdout)
    assert [j["id"] for j in only_failed] == [listed[0]["id"]]
    watched = await conduit(server, home, "jobs", "watch", job_id, "--json")
    assert watched.exit_code == 0 and json.loads(watched.stdout)["job_id"] == job_id
    failed = await conduit(server, home, "jobs", "watch", listed[0]["id"])
    assert failed.exit_code == 1 and failed.stderr.startswith("error: ")
    job = json.loads((await conduit(server, home, "jobs", "get", job_id, "--json")).stdout)
    files = json.loads((await conduit(server, home, "files", "list", "--json")).stdout)["files"]
    media_id = next(f["media_id"] for f in files if f["label"] == "call")
    transcript = await conduit(server, home, "transcript", media_id)
    assert transcript.exit_code == 0, transcript.output
    lines = transcript.stdout.strip().splitlines()
    assert len(lines) >= 4 and all(line.startswith("[00:") and "] Speaker " in line for line in lines), lines
    assert {line.split("] ", 1)[1].split(":", 1)[0] for line in lines} >= {"Speaker 0", "Speaker 1"}
    entities = json.loads((await conduit(server, home, "entities", "list", "--json")).stdout)["entities"]
    renamed = await conduit(server, home, "entities", "rename", entities[0]["id"], "Dana")
    assert renamed.exit_code == 0 and "Dana" in renamed.stdout
    missing = await conduit(server, home, "jobs", "get", "job_doesnotexist000000000000")
    assert missing.exit_code == 1 and missing.stderr.startswith("error: not_found:")
    assert job["report_id"]


async def test_events_redeliver_makes_another_attempt(flow: Flow, server: Server, home: Path) -> None:
    events = json.loads((await conduit(server, home, "events", "list", "--json")).stdout)["events"]
    result = await conduit(server, home, "events", "redeliver", events[0]["id"])
    assert result.exit_code == 0 and events[0]["id"] in result.stdout


async def test_login_saves_a_private_profile_after_verifying_the_key(server: Server, home: Path,
                                                                     tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "CONDUIT_API_KEY": "", "CONDUIT_BASE_URL": ""}
    runner = CliRunner()
    bad = await asyncio.to_thread(runner.invoke, app(), ["login", "--base-url", server.base_url],
                                  env=env, input="sk_wrong\n")
    assert bad.exit_code == 1 and "unauthorized" in bad.stderr
    assert not (tmp_path / "cfg" / "conduit" / "credentials.toml").exists()
    good = await asyncio.to_thread(runner.invoke, app(), ["login", "--base-url", server.base_url],
                                   env=env, input=server.a.api_key + "\n")
    assert good.exit_code == 0, good.output
    assert server.a.api_key not in good.output  # the prompt does not echo the key
    path = tmp_path / "cfg" / "conduit" / "credentials.toml"
    assert path.stat().st_mode & 0o777 == 0o600
    listed = await asyncio.to_thread(runner.invoke, app(), ["files", "list"], env=env)  # the saved profile
    assert listed.exit_code == 0, listed.output


def test_one_conduit_command_lists_client_and_server_commands() -> None:
    for command in ([str(Path(sys.executable).parent / "conduit"), "--help"],
                    [sys.executable, "-m", "conduit.cli", "--help"]):
        text = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
        for name in ("report", "listen", "jobs", "transcript", "serve", "worker", "keys", "migrate"):
            assert f"  {name} " in text, (command, text)


async def test_ctrl_c_asks_and_cancels_the_job(server: Server, home: Path) -> None:
    from fixtures.speech import three_speaker_short

    env = {**os.environ, **_env(server, home, server.a)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "conduit.cli", "report", str(three_speaker_short().path), env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stderr is not None and process.stdin is not None
    async with asyncio.timeout(60):
        while b" queued" not in (line := await process.stderr.readline()):
            assert line, "report exited before creating its job"
    job_id = line.decode().split()[1]
    process.send_signal(signal.SIGINT)
    process.stdin.write(b"y\n")
    await process.stdin.drain()
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 130, (line, err)
    assert f"cancel requested for {job_id}" in err.decode()
    watched = await conduit(server, home, "jobs", "watch", job_id)
    assert watched.exit_code == 1 and "job_canceled" in watched.stderr


async def test_stream_sends_heartbeat_comments_and_needs_a_key(server: Server,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from conduit_server.api import webhook_stream

    monkeypatch.setattr(webhook_stream, "HEARTBEAT_SECONDS", 0.5)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        async with http.stream("GET", "/v1/webhooks/stream", params={"timeout": "2000"},
                               headers={"Mappa-Api-Key": server.b.api_key}) as rsp:
            lines = [line async for line in rsp.aiter_lines()]
        assert lines[0] == ": connected" and lines.count(": heartbeat") >= 1, lines
        refused = await http.get("/v1/webhooks/stream")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
