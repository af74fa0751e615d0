"""The optional narrative renderer against fake OpenAI-compatible endpoints (in-process and on 127.0.0.1).

A faithful rewrite is accepted; anything else (invented numbers, structure changes, HTTP errors, slow or absent
servers) falls back to the deterministic report, unchanged.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from analysis.conftest import scripted
from conduit_server.analysis import (
    RenderedReport,
    Sample,
    build_behavior_map,
    build_evidence,
    measure_sample,
    render_report,
    validate_report_json,
)
from conduit_server.analysis.markdown import report_markdown
from conduit_server.analysis.narrative import NarrativeRenderer, build_messages, fidelity_violations
from conduit_server.settings import Settings, SettingsError

MODEL = "qwen2.5-7b-instruct"
Reply = tuple[int, dict[str, Any] | str]


@pytest.fixture(scope="module")
def inputs() -> tuple[Sample, RenderedReport]:
    sample = measure_sample(scripted(), 0)
    det = render_report(build_behavior_map([sample]), sample, template="general_report", subject_label="Dana",
                        template_params={"roleTitle": "Account Executive"}, language="en", server_version="0.1.0")
    return sample, det


def report_of(body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(body["messages"][1]["content"])["report"]


def faithful(report: dict[str, Any]) -> dict[str, Any]:
    """A rewrite that changes every claim-bearing string but keeps structure, titles and numbers."""
    r = copy.deepcopy(report)
    r["summary"] = "Put simply, " + r["summary"].replace("comes across as", "reads as")
    for s in r["sections"]:
        if "body" in s:
            s["body"] = "In short: " + s["body"].replace("This speaker", "Dana").replace("this speaker", "Dana")
        if "phrases" in s:
            s["phrases"] = [f"Notably {p[0].lower()}{p[1:]}" for p in s["phrases"]]
        for it in s.get("items", []):
            it["context"] = it["context"].replace("This speaker", "Dana") + " Keep it friendly."
    return r


def completion(doc: dict[str, Any] | str) -> dict[str, Any]:
    content = doc if isinstance(doc, str) else json.dumps(doc)
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


class Fake:
    """An in-process OpenAI-compatible endpoint (httpx.MockTransport) that records every request."""

    def __init__(self, respond: Callable[[dict[str, Any], int], Reply]) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict[str, Any]] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = json.loads(await request.aread())
        self.bodies.append(body)
        status, payload = self.respond(body, len(self.bodies))
        if isinstance(payload, str):
            return httpx.Response(status, text=payload)
        return httpx.Response(status, json=payload)

    def renderer(self, **kw: Any) -> NarrativeRenderer:
        return NarrativeRenderer("http://llm.test/v1/", MODEL, transport=httpx.MockTransport(self.handle), **kw)


async def run(renderer: NarrativeRenderer, inputs: tuple[Sample, RenderedReport],
              language: str = "en") -> RenderedReport:
    sample, det = inputs
    return await renderer.render(det, sample, language=language, server_version="0.1.0")


def assert_accepted(out: RenderedReport, inputs: tuple[Sample, RenderedReport], attempts: int) -> None:
    sample, det = inputs
    assert out is not det
    validate_report_json(out.json)
    assert out.json["meta"]["prompt"]["labels"] == ["renderer:llm", "conduit:0.1.0", "lang:en"]
    assert out.json["meta"]["prompt"]["name"] == "conduit.general_report"
    assert out.json["meta"]["render"] == {"provider": "openai", "model": MODEL, "attempts": attempts}
    assert out.markdown == report_markdown(out.json) and out.markdown != det.markdown
    assert out.json["summary"].startswith("Put simply, ")
    # claims: 1:1 with the deterministic ones, same sections and indicator keys, text from the new report
    assert [(c.section_key, c.indicator_keys) for c in out.claims] == \
        [(c.section_key, c.indicator_keys) for c in det.claims]
    assert all(n.text != d.text for n, d in zip(out.claims, det.claims, strict=True))
    ev = build_evidence(sample, out.claims)
    texts = {c["text"] for c in ev["claims"]}
    assert out.json["summary"] in texts
    for s in out.json["sections"]:
        if s["kind"] == "traits":
            assert set(s["phrases"]) <= texts and s["body"] in texts
        elif s["kind"] == "paragraph":
            assert s["body"] in texts
        else:
            assert {f"{i['title']}: {i['context']}" for i in s["items"]} <= texts
    traits = [c for c in out.claims if c.section_key == "dominating_traits"]
    assert "question_rate" in traits[0].indicator_keys and "talk_share" in traits[1].indicator_keys


async def test_faithful_rewrite_is_accepted(inputs: tuple[Sample, RenderedReport]) -> None:
    fake = Fake(lambda body, n: (200, completion(faithful(report_of(body)))))
    out = await run(fake.renderer(api_key="sk-local"), inputs)
    assert_accepted(out, inputs, attempts=1)
    assert len(fake.requests) == 1
    req, body = fake.requests[0], fake.bodies[0]
    assert req.method == "POST" and str(req.url) == "http://llm.test/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-local"
    assert body["model"] == MODEL and body["response_format"] == {"type": "json_object"}
    # the prompt carries only the deterministic report (no meta) and its claims with measured values
    prompt = json.loads(body["messages"][1]["content"])
    assert set(prompt) == {"report", "claims"} and "meta" not in prompt["report"]
    _, det = inputs
    assert prompt["report"]["sections"] == det.json["sections"]
    rate = next(c for c in prompt["claims"] if "speech_rate" in c["indicators"])
    assert rate["indicators"]["speech_rate"]["unit"] == "wpm" and rate["indicators"]["speech_rate"]["raw"] > 200
    assert "Maybe we could" not in body["messages"][1]["content"]  # no transcript text
    assert "invent" in body["messages"][0]["content"].lower()


async def test_fenced_reply_and_language_labels(inputs: tuple[Sample, RenderedReport]) -> None:
    sample = inputs[0]
    det_es = render_report(build_behavior_map([sample]), sample, template="sales_playbook", subject_label="Dana",
                           template_params=None, language="es", server_version="0.1.0")
    fake = Fake(lambda body, n: (200, completion("```json\n" + json.dumps(faithful(report_of(body))) + "\n```")))
    out = await fake.renderer().render(det_es, sample, language="es", server_version="0.1.0")
    validate_report_json(out.json)
    assert out.json["meta"]["prompt"]["labels"] == ["renderer:llm", "conduit:0.1.0", "lang:es", "fallback:en"]
    assert out.json["meta"]["prompt"]["name"] == "conduit.sales_playbook"
    assert [s["key"] for s in out.json["sections"]] == [s["key"] for s in det_es.json["sections"]]


async def test_invented_number_retries_then_falls_back(inputs: tuple[Sample, RenderedReport],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    def respond(body: dict[str, Any], n: int) -> Reply:
        r = faithful(report_of(body))
        r["summary"] += " They were right 99% of the time."
        return 200, completion(r)

    fake = Fake(respond)
    with caplog.at_level(logging.INFO, logger="conduit_server.analysis.narrative"):
        out = await run(fake.renderer(), inputs)
    assert out is inputs[1]
    assert out.json["meta"]["prompt"]["labels"][0] == "renderer:deterministic"
    assert len(fake.bodies) == 2
    # the retry tells the model what was wrong
    assert fake.bodies[1]["messages"][2]["role"] == "assistant"
    assert "99" in fake.bodies[1]["messages"][3]["content"]
    assert "after 2 attempt(s)" in caplog.text and "numbers not in the original text: 99" in caplog.text


async def test_retry_can_succeed(inputs: tuple[Sample, RenderedReport]) -> None:
    def respond(body: dict[str, Any], n: int) -> Reply:
        r = faithful(report_of(body))
        if n == 1:
            r["sections"][1]["body"] += " Their score is 4.2."
        return 200, completion(r)

    fake = Fake(respond)
    out = await run(fake.renderer(), inputs)
    assert_accepted(out, inputs, attempts=2)
    assert "4.2" not in out.markdown


async def test_number_moved_from_another_claim_is_rejected(inputs: tuple[Sample, RenderedReport]) -> None:
    """Numbers must come from the same claim's text, so a claim never quotes a value its indicators don't back."""
    _, det = inputs
    new = faithful({k: v for k, v in det.json.items() if k != "meta"})
    new["summary"] += " They speak at 231 words per minute."
    assert "231" in det.markdown and "231" not in det.json["summary"]
    new["meta"] = det.json["meta"]
    assert any("231" in e for e in fidelity_violations(det.json, new))
    same = faithful({k: v for k, v in det.json.items() if k != "meta"}) | {"meta": det.json["meta"]}
    assert fidelity_violations(det.json, same) == []


@pytest.mark.parametrize("breakage", ["missing_section", "extra_key", "extra_top_key", "changed_title",
                                      "dropped_item", "empty_body", "reordered", "not_json", "json_array"])
async def test_structure_violations_fall_back(inputs: tuple[Sample, RenderedReport], breakage: str) -> None:
    def respond(body: dict[str, Any], n: int) -> Reply:
        r = faithful(report_of(body))
        sections = r["sections"]
        if breakage == "missing_section":
            del sections[3]
        elif breakage == "extra_key":
            sections[2]["confidence"] = "high"
        elif breakage == "extra_top_key":
            r["notes"] = "rewritten"
        elif breakage == "changed_title":
            sections[1]["title"] = "Their thinking"
        elif breakage == "dropped_item":
            next(s for s in sections if s["kind"] == "actions")["items"].pop()
        elif breakage == "empty_body":
            sections[1]["body"] = " "
        elif breakage == "reordered":
            sections[1], sections[2] = sections[2], sections[1]
        elif breakage == "not_json":
            return 200, completion("Here is your report: " + json.dumps(r))
        elif breakage == "json_array":
            return 200, completion(json.dumps([r]))
        return 200, completion(r)

    fake = Fake(respond)
    out = await run(fake.renderer(), inputs)
    assert out is inputs[1]
    assert len(fake.bodies) == 2


async def test_server_error_retries_then_falls_back(inputs: tuple[Sample, RenderedReport],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    fake = Fake(lambda body, n: (500, {"error": {"message": "model overloaded"}}))
    with caplog.at_level(logging.WARNING, logger="conduit_server.analysis.narrative"):
        out = await run(fake.renderer(max_attempts=3), inputs)
    assert out is inputs[1] and len(fake.bodies) == 3
    assert "after 3 attempt(s)" in caplog.text and "HTTP 500" in caplog.text


async def test_server_error_then_success_counts_attempts(inputs: tuple[Sample, RenderedReport]) -> None:
    fake = Fake(lambda body, n: (503, "busy") if n == 1 else (200, completion(faithful(report_of(body)))))
    out = await run(fake.renderer(), inputs)
    assert_accepted(out, inputs, attempts=2)


async def test_client_error_is_not_retried(inputs: tuple[Sample, RenderedReport]) -> None:
    fake = Fake(lambda body, n: (400, {"error": {"message": "response_format not supported"}}))
    out = await run(fake.renderer(), inputs)
    assert out is inputs[1] and len(fake.bodies) == 1


async def test_reply_without_choices_falls_back(inputs: tuple[Sample, RenderedReport]) -> None:
    fake = Fake(lambda body, n: (200, {"object": "error"}))
    out = await run(fake.renderer(), inputs)
    assert out is inputs[1] and len(fake.bodies) == 2


# -- a real HTTP server on 127.0.0.1 ------------------------------------------------------------------------------

class LocalServer:
    """A minimal HTTP/1.1 server speaking just enough of /chat/completions."""

    def __init__(self, respond: Callable[[dict[str, Any]], Awaitable[Reply]]) -> None:
        self.respond = respond
        self.paths: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            method, path, _ = head.split("\r\n", 1)[0].split(" ", 2)
            self.paths.append(f"{method} {path}")
            length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n")
                          if line.lower().startswith("content-length:"))
            body = json.loads(await reader.readexactly(length))
            status, payload = await self.respond(body)
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + data)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, asyncio.CancelledError):
                pass
            self.tasks.discard(task)


async def test_local_socket_server_faithful(inputs: tuple[Sample, RenderedReport]) -> None:
    async def respond(body: dict[str, Any]) -> Reply:
        return 200, completion(faithful(report_of(body)))

    server = LocalServer(respond)
    async with server as url:
        out = await run(NarrativeRenderer(url, MODEL, timeout_s=10), inputs)
    assert_accepted(out, inputs, attempts=1)
    assert server.paths == ["POST /v1/chat/completions"]


async def test_slow_server_falls_back_within_the_deadline(inputs: tuple[Sample, RenderedReport]) -> None:
    async def respond(body: dict[str, Any]) -> Reply:
        await asyncio.sleep(30)
        return 200, completion(faithful(report_of(body)))

    server = LocalServer(respond)
    async with server as url:
        t0 = time.monotonic()
        out = await run(NarrativeRenderer(url, MODEL, timeout_s=0.5, max_attempts=3), inputs)
        elapsed = time.monotonic() - t0
    assert out is inputs[1]
    assert 0.4 < elapsed < 1.5
    assert len(server.paths) == 1  # the overall deadline covers all attempts


async def test_connection_refused_falls_back(inputs: tuple[Sample, RenderedReport]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    out = await run(NarrativeRenderer(f"http://127.0.0.1:{port}/v1", MODEL, timeout_s=5), inputs)
    assert out is inputs[1] and time.monotonic() - t0 < 5


def test_build_messages_asks_for_a_rewrite_only(inputs: tuple[Sample, RenderedReport]) -> None:
    sample, det = inputs
    system, user = build_messages(det, sample)
    assert system["role"] == "system" and user["role"] == "user"
    claims = json.loads(user["content"])["claims"]
    assert [c["text"] for c in claims] == [c.text for c in det.claims]
    assert all(set(c["indicators"]) == set(d.indicator_keys) for c, d in zip(claims, det.claims, strict=True))


def test_settings_off_by_default_and_parsed() -> None:
    assert NarrativeRenderer.from_settings(Settings.from_env({})) is None
    s = Settings.from_env({"CONDUIT_LLM_URL": "http://127.0.0.1:8080/v1", "CONDUIT_LLM_MODEL": MODEL,
                           "CONDUIT_LLM_API_KEY": "sk-secret", "CONDUIT_LLM_TIMEOUT_SECONDS": "12"})
    assert (s.llm_url, s.llm_model, s.llm_api_key, s.llm_timeout_seconds) == (
        "http://127.0.0.1:8080/v1", MODEL, "sk-secret", 12.0)
    assert "sk-secret" not in repr(s)
    r = NarrativeRenderer.from_settings(s)
    assert r is not None and (r.base_url, r.model, r.api_key, r.timeout_s) == (
        "http://127.0.0.1:8080/v1", MODEL, "sk-secret", 12.0)
    assert "sk-secret" not in repr(r)
    with pytest.raises(SettingsError):
        Settings.from_env({"CONDUIT_LLM_URL": "http://127.0.0.1:8080/v1"})


# -- in a report job: the model is called holding no database transaction ----------------------------------------

# sessions of this database that have sat inside an open transaction, doing nothing, for a while (a pool's
# connection between two statements of a short transaction is there for microseconds, not 300 ms)
STUCK_IN_TRANSACTION = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND state LIKE 'idle in transaction%' AND state_change < clock_timestamp() - interval '300 milliseconds'
"""


async def test_report_job_calls_the_model_outside_any_transaction(database_url: str, tmp_path: Any) -> None:
    """A slow or unreachable LLM must not hold a transaction (and its row locks, and a pooled connection) open:
    while the endpoint is being called, no session of the job's database is idle inside a transaction."""
    from conduit_server.domain import jobs as J
    from conduit_server.domain.ids import new_id
    from conduit_server.domain.requests import ReportRequest
    from conduit_server.jobs.run_job import run_job
    from conduit_server.jobs.submit import submit
    from conduit_server.store import accounts, reports
    from conduit_server.store import entities as entity_store
    from conduit_server.store import jobs as job_store
    from conduit_server.store import media as media_store
    from server_testkit import open_test_runtime
    from sqlalchemy import text

    stuck: list[int] = []
    holder: dict[str, Any] = {}

    async def respond(body: dict[str, Any]) -> Reply:
        await asyncio.sleep(0.6)  # a model takes its time; a transaction left open meanwhile ages past 300 ms
        async with holder["rt"].engine.connect() as conn:
            stuck.append(int((await conn.execute(text(STUCK_IN_TRANSACTION))).scalar_one()))
        return 200, completion(faithful(report_of(body)))

    server = LocalServer(respond)
    async with server as url, open_test_runtime(database_url, tmp_path, llm_url=url, llm_model=MODEL,
                                                llm_timeout_seconds=10.0) as rt:
        holder["rt"] = rt
        workspace_id = (await accounts.create_key(rt.engine, rt.clock())).workspace_id
        now = rt.clock()
        media_id, entity_id = new_id("med_"), new_id("ent_")
        async with rt.engine.begin() as conn:  # a processed recording whose first speaker is a known entity
            await media_store.insert_upload(
                conn, id=media_id, workspace_id=workspace_id, label="call", content_type="audio/wav",
                source="SDK", created_by_user_id="usr_test", processing_status="COMPLETED",
                analysis=scripted().to_json(), created_at=now)
            await entity_store.create(conn, entity_id, workspace_id, [1.0, 0.0], now)
            await entity_store.link_speaker(conn, media_id, 0, entity_id)
            request = ReportRequest.from_json({
                "mediaId": media_id, "template": "general_report", "templateParams": None,
                "target": {"strategy": "dominant"}, "webhook": None, "language": "en", "label": None,
                "entityLabel": "Dana"})
            job = await submit(conn, workspace_id=workspace_id, media_id=media_id, now=now, request=request)
        await run_job(rt, job.id)
        async with rt.engine.connect() as conn:
            done = await job_store.get(conn, job.id)
            assert done is not None and done.status == J.SUCCEEDED, done
            report = await reports.get(conn, done.report_id, workspace_id)
    assert server.paths == ["POST /v1/chat/completions"] and stuck == [0]
    assert report is not None and report.json["summary"].startswith("Put simply, ")  # the model's rewrite is kept
    assert report.evidence["behaviorMapId"] is not None and report.entity_id == entity_id
