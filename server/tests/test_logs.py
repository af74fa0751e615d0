"""Structured logs (CONDUIT_LOG_FORMAT=json): every line is one JSON object that says which request, workspace, job
or webhook event it belongs to; each HTTP request gets exactly one access line; credentials never show."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conduit_server.api.deps import principal
from conduit_server.app import build_api
from conduit_server.domain import jobs as J
from conduit_server.domain.clock import utcnow
from conduit_server.http_server import uvicorn_config
from conduit_server.jobs.worker import build_app
from conduit_server.logs import log_context, make_handler
from conduit_server.runtime import Runtime
from conduit_server.settings import Settings, SettingsError
from conduit_server.store import accounts
from conduit_server.store import jobs as job_store
from conduit_server.store.queue import TASK_RUN_JOB
from fastapi import Depends

Lines = Callable[[], list[dict[str, Any]]]
API_KEY = "sk_live0123456789abcdefghij"


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """What the root logger writes in JSON format from here on, each line parsed (a line that is not one JSON
    object fails the test)."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def _client_with_probe(runtime: Runtime) -> httpx.AsyncClient:
    """The real app plus one authenticated route that logs a line the way any handler would."""
    app = build_api()
    app.state.runtime = runtime

    @app.get("/v1/log-probe")
    async def probe(found: accounts.Principal = Depends(principal)) -> dict[str, str]:  # noqa: B008 (FastAPI)
        logging.getLogger("conduit_server.test").info("inside the handler")
        return {"ok": "yes"}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://conduit.test")


async def test_authenticated_request_lines_carry_request_and_workspace(
    json_lines: Lines, runtime: Runtime, key: accounts.CreatedKey,
) -> None:
    async with _client_with_probe(runtime) as client:
        r = await client.get("/v1/log-probe", headers={"Mappa-Api-Key": key.api_key, "X-Request-Id": "req-logs-1"})
        assert r.status_code == 200, r.text
        anonymous = await client.get("/v1/files", headers={"X-Request-Id": "req-logs-2"})
        assert anonymous.status_code == 401
    lines = json_lines()
    for line in lines:
        datetime.fromisoformat(line["timestamp"])
        assert line["timestamp"].endswith("Z") and line["level"] and line["logger"] and "message" in line

    mine = [line for line in lines if line.get("request_id") == "req-logs-1"]
    inside = [line for line in mine if line["logger"] == "conduit_server.test"]
    assert len(inside) == 1 and inside[0]["workspace_id"] == key.workspace_id
    (access,) = [line for line in mine if line["logger"] == "conduit_server.access"]  # exactly one
    assert access["workspace_id"] == key.workspace_id
    assert (access["method"], access["route"], access["status"]) == ("GET", "/v1/log-probe", 200)
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    assert access["level"] == "INFO" and API_KEY not in json.dumps(lines) and key.api_key not in json.dumps(lines)

    (refused,) = [line for line in lines if line.get("request_id") == "req-logs-2"]
    assert (refused["status"], refused["route"], refused["workspace_id"]) == (401, "/v1/files", None)


async def test_a_worker_job_line_carries_the_job_id(
    json_lines: Lines, runtime: Runtime, key: accounts.CreatedKey,
) -> None:
    async with runtime.engine.begin() as conn:
        job = await job_store.insert(conn, {
            "id": "job_logs0000000000000000001", "workspace_id": key.workspace_id, "type": J.REPORT_JOB,
            "request": {"mediaId": "med_gone00000000000000000000", "target": {"strategy": "dominant"},
                        "template": "general_report"},
        }, utcnow())
    task = build_app(runtime).tasks[TASK_RUN_JOB]  # the task the worker runs for a queued job
    await task.func(job_id=job.id, workspace_id=key.workspace_id)

    ran = [line for line in json_lines() if line["logger"] == "conduit_server.jobs.run_job"]
    assert [line["message"] for line in ran] == [f"job {job.id} started (report.generate, queued)",
                                                 f"job {job.id} failed (media_deleted)"]
    for line in ran:
        assert (line["job_id"], line["workspace_id"]) == (job.id, key.workspace_id)
        assert "request_id" not in line


def test_credentials_are_masked_and_tracebacks_are_one_field(json_lines: Lines) -> None:
    log = logging.getLogger("conduit_server.test")
    try:
        raise ConnectionError("could not connect to postgresql://conduit:db-Pa55word@db:5432/x")
    except ConnectionError:
        with log_context(event_id="evt_1"):
            log.exception("a client sent %s", API_KEY)
    (line,) = json_lines()
    assert line["message"] == "a client sent sk_***" and line["event_id"] == "evt_1"
    assert line["exception"].startswith("Traceback") and "ConnectionError" in line["exception"]
    assert "db-Pa55word" not in line["exception"] and "postgresql://***@db:5432/x" in line["exception"]
    assert line["level"] == "ERROR" and line["logger"] == "conduit_server.test"


def test_text_lines_append_the_context() -> None:
    stream = io.StringIO()
    handler = make_handler("text", stream)
    record_log = logging.getLogger("conduit_server.test.text")
    record_log.addHandler(handler)
    record_log.propagate = False
    try:
        with log_context(job_id="job_1", workspace_id="ws_1"):
            record_log.warning("slow step for %s", API_KEY)
        record_log.warning("no context")
    finally:
        record_log.removeHandler(handler)
        record_log.propagate = True
    first, second = stream.getvalue().splitlines()
    assert first.endswith("WARNING conduit_server.test.text: slow step for sk_*** job_id=job_1 workspace_id=ws_1")
    assert second.endswith("conduit_server.test.text: no context")


def test_log_format_setting_and_one_access_log(tmp_path: Path) -> None:
    assert Settings.from_env({"CONDUIT_LOG_FORMAT": "json"}).log_format == "json"
    assert Settings.from_env({}).log_format == "text"
    with pytest.raises(SettingsError, match="CONDUIT_LOG_FORMAT"):
        Settings.from_env({"CONDUIT_LOG_FORMAT": "xml"})
    config = uvicorn_config(build_api(), Settings(data_dir=tmp_path))
    assert config.access_log is False and config.log_config is None  # the app's access line is the only one

