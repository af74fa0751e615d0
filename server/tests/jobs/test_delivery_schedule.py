"""Webhook delivery against a local receiver with an injected clock: retries follow the schedule (data in the
database, not sleeps), 410 and blocked destinations stop, redelivery makes one extra attempt."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conduit_server.domain import jobs as J
from conduit_server.domain.requests import ReportRequest, WebhookTarget
from conduit_server.domain.selector import TargetSelector
from conduit_server.jobs.delivery import deliver
from conduit_server.jobs.lifecycle import terminate
from conduit_server.jobs.submit import submit
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from conduit_server.store.tables import webhook_events
from server_testkit import open_test_runtime
from sqlalchemy import select, text
from webhooks.webhook_receiver import Receiver, respond


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def rt(database_url: str, tmp_path) -> Any:
    async with open_test_runtime(database_url, tmp_path, webhook_schedule=(5.0, 300.0, 1800.0)) as runtime:
        runtime.clock = FakeClock()
        yield runtime


@pytest.fixture
async def receiver() -> Any:
    rec = Receiver(routes={"/ok": respond(200), "/down": respond(500), "/gone": respond(410),
                           "/busy": respond(503, headers={"Retry-After": "2"})})
    await rec.start()
    yield rec
    await rec.close()


async def _event_for(rt: Runtime, url: str) -> str:
    key = await accounts.create_key(rt.engine, rt.clock())
    async with rt.engine.begin() as conn:
        request = ReportRequest(media_id="med_schedule", template="general_report", target=TargetSelector("dominant"),
                                webhook=WebhookTarget(url))
        job = await submit(conn, workspace_id=key.workspace_id, request=request, now=rt.clock())
        await terminate(conn, job.id, J.CANCELED, rt.clock(), rt.settings)
        event_id = (await conn.execute(select(webhook_events.c.id).where(webhook_events.c.job_id == job.id))).scalar()
        await conn.execute(text("DELETE FROM procrastinate_jobs"))  # these tests call deliver() themselves
    return str(event_id)


async def _event(rt: Runtime, event_id: str) -> Any:
    async with rt.engine.connect() as conn:
        return (await conn.execute(select(webhook_events).where(webhook_events.c.id == event_id))).one()


async def _scheduled(rt: Runtime) -> list[datetime]:
    async with rt.engine.connect() as conn:
        rows = await conn.execute(text("SELECT scheduled_at FROM procrastinate_jobs ORDER BY id"))
        return [r[0] for r in rows]


async def test_failures_follow_the_schedule_then_give_up(rt: Runtime, receiver: Receiver) -> None:
    event_id = await _event_for(rt, receiver.url("/down"))
    rng = random.Random(7)
    expected = [5.0, 300.0, 1800.0]
    for attempt, base in enumerate(expected, start=1):
        status = await deliver(rt, event_id, scheduled=True, rng=rng)
        assert status == "pending"
        row = await _event(rt, event_id)
        delay = (row.next_attempt_at - rt.clock()).total_seconds()
        assert base * 0.8 <= delay <= base * 1.2, (attempt, delay)
        assert (await _scheduled(rt))[-1] == row.next_attempt_at  # the retry is a queued job, not a sleep
        rt.clock.now = row.next_attempt_at
    assert await deliver(rt, event_id, scheduled=True, rng=rng) == "failed"
    row = await _event(rt, event_id)
    assert row.attempt_count == 4 and row.next_attempt_at is None
    assert [q.headers["conduit-delivery-attempt"] for q in receiver.requests] == ["1", "2", "3", "4"]
    bodies = {q.body for q in receiver.requests}
    assert len(bodies) == 1  # byte-identical body on every attempt
    assert len({q.headers["conduit-event-id"] for q in receiver.requests}) == 1


async def test_retry_after_shortens_but_never_extends_the_delay(rt: Runtime, receiver: Receiver) -> None:
    event_id = await _event_for(rt, receiver.url("/busy"))
    await deliver(rt, event_id, scheduled=True, rng=random.Random(1))
    row = await _event(rt, event_id)
    assert (row.next_attempt_at - rt.clock()).total_seconds() == pytest.approx(2.0)


async def test_410_stops_retrying(rt: Runtime, receiver: Receiver) -> None:
    event_id = await _event_for(rt, receiver.url("/gone"))
    assert await deliver(rt, event_id, scheduled=True) == "failed"
    assert await _scheduled(rt) == []


async def test_blocked_destination_is_a_failed_attempt_without_connection(rt: Runtime, receiver: Receiver) -> None:
    event_id = await _event_for(rt, "http://169.254.169.254/latest/meta-data")
    assert await deliver(rt, event_id, scheduled=True) == "failed"
    async with rt.engine.connect() as conn:
        attempts = list(await conn.execute(text("SELECT error, status_code FROM webhook_attempts WHERE event_id = :e"),
                                           {"e": event_id}))
    assert attempts == [("blocked_destination", None)]


async def test_success_then_redelivery_keeps_id_and_body_with_new_signature(rt: Runtime, receiver: Receiver) -> None:
    event_id = await _event_for(rt, receiver.url("/ok"))
    assert await deliver(rt, event_id, scheduled=True) == "delivered"
    rt.clock.now += timedelta(seconds=30)
    assert await deliver(rt, event_id, scheduled=False) == "delivered"
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["conduit-signature"] != second.headers["conduit-signature"]
    assert second.headers["conduit-delivery-attempt"] == "2"
