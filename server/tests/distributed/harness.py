"""Helpers for the cluster tests: a webhook receiver whose behaviour can be switched (down, 500, trickle, stall,
ok), job/report/webhook bookkeeping read straight from the database, and waits bounded in time."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from conduit_server.store.tables import jobs, reports, webhook_attempts, webhook_events
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from webhooks.webhook_receiver import ReceivedRequest

TERMINAL = ("succeeded", "failed", "canceled")


def report_body(media_id: str, webhook_url: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"media": {"mediaId": media_id}, "output": {"template": "general_report"},
                            "target": {"strategy": "dominant"}, **extra}
    if webhook_url:
        body["webhook"] = {"url": webhook_url}
    return body


@dataclass
class Delivery:
    event_id: str
    job_id: str
    type: str
    at: float
    wall: float = field(default_factory=time.time)  # epoch seconds, comparable with the database's timestamps


@dataclass
class SwitchReceiver:
    """A raw HTTP receiver on 127.0.0.1 whose mode can change while a test runs:
    `ok` (200), `error` (500), `gone` (410), `trickle` (one header byte every 0.5 s, never finishing),
    `stall` (holds the request without answering until `release` is set or 30 s pass). `stall_path`: only the
    next request to that path is held (whatever the mode), every other request follows the mode.
    `stop()` closes the listening socket (connection refused); `start()` binds the same port again.
    `fail_ratio`: in `ok` mode, that share of requests (drawn from a seeded generator) gets a 500 (a flapping
    receiver)."""

    mode: str = "ok"
    fail_ratio: float = 0.0
    _rng: random.Random = field(default_factory=lambda: random.Random(7))
    stall_path: str | None = None
    port: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    stalled: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    def by_job(self) -> dict[str, list[Delivery]]:
        out: dict[str, list[Delivery]] = defaultdict(list)
        for d in self.deliveries:
            out[d.job_id].append(d)
        return out

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
            method, path, _ = request_line.split(" ", 2)
            pairs = [(k.strip().lower(), v.strip()) for k, v in (h.split(":", 1) for h in header_lines)]
            headers = dict(pairs)
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(ReceivedRequest(method, path, headers, pairs, body))
            mode = self.mode
            if self.stall_path is not None and path == self.stall_path:
                self.stall_path = None
                mode = "stall"
            if mode == "stall":
                self.stalled.set()
                try:
                    await asyncio.wait_for(self.release.wait(), 30)
                except TimeoutError:
                    pass
                return
            if mode == "trickle":
                for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n":
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.5)
                return
            status = {"ok": 200, "error": 500, "gone": 410}[mode]
            if status == 200 and self.fail_ratio and self._rng.random() < self.fail_ratio:
                status = 500
            if status == 200:
                payload = json.loads(body)
                self.deliveries.append(Delivery(payload["id"], payload["data"]["jobId"], payload["type"],
                                                time.monotonic()))
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, asyncio.CancelledError):
                pass
            self._tasks.discard(task)  # type: ignore[arg-type]


async def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


async def wait_jobs(api: httpx.AsyncClient, job_ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    done: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(job_ids):
        for job_id in job_ids:
            if job_id in done:
                continue
            r = await api.get(f"/v1/jobs/{job_id}")
            if r.status_code == 200 and r.json()["status"] in TERMINAL:
                done[job_id] = r.json()
        if len(done) < len(job_ids):
            if time.monotonic() > deadline:
                missing = [j for j in job_ids if j not in done]
                raise AssertionError(f"jobs not terminal after {timeout:.0f} s: {missing}")
            await asyncio.sleep(0.5)
    return done


def reports_per_job(db: Engine, job_ids: list[str]) -> dict[str, int]:
    with db.connect() as conn:
        rows = conn.execute(select(reports.c.job_id, func.count()).where(reports.c.job_id.in_(job_ids))
                            .group_by(reports.c.job_id)).all()
    counts = {j: 0 for j in job_ids}
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def job_rows(db: Engine, job_ids: list[str]) -> dict[str, Any]:
    with db.connect() as conn:
        return {r.id: r for r in conn.execute(select(jobs).where(jobs.c.id.in_(job_ids)))}


def events_for(db: Engine, job_ids: list[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    with db.connect() as conn:
        for row in conn.execute(select(webhook_events).where(webhook_events.c.job_id.in_(job_ids))):
            out[row.job_id].append(row)
    return out


def attempts_for(db: Engine, event_id: str) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(webhook_attempts).where(webhook_attempts.c.event_id == event_id)
                                 .order_by(webhook_attempts.c.attempt, webhook_attempts.c.id)))


def advisory_lock_holders(db: Engine) -> list[str]:
    """application_name of the sessions that hold an advisory lock (the media-processing lock)."""
    with db.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"))
        return [r[0] for r in rows]


def check_delivery_guarantees(db: Engine, receiver: SwitchReceiver, job_ids: list[str]) -> dict[str, int]:
    """Every job: one terminal state, one report if succeeded, every event delivered at least once, all
    deliveries of an event carry its one id. Returns the counts the report quotes."""
    rows = job_rows(db, job_ids)
    counts = reports_per_job(db, job_ids)
    events = events_for(db, job_ids)
    received = receiver.by_job()
    lost = duplicates = duplicate_reports = 0
    for job_id in job_ids:
        row = rows[job_id]
        assert row.status in TERMINAL, (job_id, row.status)
        expected_reports = 1 if row.status == "succeeded" else 0
        assert counts[job_id] == expected_reports, (job_id, row.status, counts[job_id])
        duplicate_reports += max(0, counts[job_id] - 1)
        job_events = events[job_id]
        assert job_events, f"no webhook event for {job_id}"
        for event in job_events:
            got = [d for d in received.get(job_id, []) if d.event_id == event.id]
            if not got:
                lost += 1
            duplicates += max(0, len(got) - 1)
            assert event.status == "delivered", (job_id, event.id, event.status)
        ids = {d.event_id for d in received.get(job_id, [])}
        assert ids <= {e.id for e in job_events}, (job_id, ids)
    assert lost == 0
    return {"jobs": len(job_ids), "lost": lost, "duplicate_deliveries": duplicates,
            "duplicate_reports": duplicate_reports}
