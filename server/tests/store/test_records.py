"""The typed records the store functions return: every column of their table, typed, immutable."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from conduit_server.domain import jobs as J
from conduit_server.domain.ids import new_id
from conduit_server.runtime import Runtime
from conduit_server.store import behavior as behavior_store
from conduit_server.store import entities as entity_store
from conduit_server.store import idempotency as idem_store
from conduit_server.store import jobs as job_store
from conduit_server.store import matchings as matching_store
from conduit_server.store import media as media_store
from conduit_server.store import outbox
from conduit_server.store import reports as report_store
from conduit_server.store.records import (
    Appearance,
    BehaviorMapRecord,
    EntityRecord,
    IdempotencyKeyRecord,
    JobEventRecord,
    JobRecord,
    MatchingRecord,
    MediaRecord,
    ReportRecord,
    SampleData,
    WebhookAttemptRecord,
    WebhookEventRecord,
)
from conduit_server.store.tables import (
    behavior_maps,
    entities,
    idempotency_keys,
    job_events,
    jobs,
    matchings,
    media,
    reports,
    webhook_attempts,
    webhook_events,
)
from store.conftest import Workspaces, add_media


@pytest.mark.parametrize(("record", "table"), [
    (JobRecord, jobs), (MediaRecord, media), (EntityRecord, entities), (ReportRecord, reports),
    (MatchingRecord, matchings), (JobEventRecord, job_events), (WebhookEventRecord, webhook_events),
    (WebhookAttemptRecord, webhook_attempts), (BehaviorMapRecord, behavior_maps),
    (IdempotencyKeyRecord, idempotency_keys),
])
def test_a_record_has_exactly_its_tables_columns(record: type, table: object) -> None:
    # a column added to tables.py without its field (or a field left behind) fails here, not in a caller
    assert [f.name for f in dataclasses.fields(record)] == [c.name for c in table.c]  # type: ignore[attr-defined]


async def test_job_reads_are_records_with_a_domain_status(runtime: Runtime, ws: Workspaces) -> None:
    async with runtime.engine.begin() as conn:
        created = await job_store.insert(conn, {"id": new_id("job_"), "workspace_id": ws.a, "type": J.REPORT_JOB,
                                                "request": {"mediaId": None}, "webhook": {"url": "https://x.test"}},
                                         runtime.clock())
    async with runtime.engine.connect() as conn:
        read = await job_store.get(conn, created.id)
        page = await job_store.list_page(conn, ws.a, limit=1)
    assert read == created and isinstance(read, JobRecord)
    assert read.status is J.JobStatus.QUEUED and read.status == "queued"
    assert read.webhook == {"url": "https://x.test"} and read.cancel_requested is False
    assert page.rows == [created] and isinstance(page.rows[0], JobRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.status = J.JobStatus.FAILED  # type: ignore[misc]


async def test_media_reads_and_pages_are_records(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        first = await add_media(conn, ws.b, now, label="first")
        second = await add_media(conn, ws.b, now, label="second")
    async with runtime.engine.connect() as conn:
        got = await media_store.get(conn, first.id, ws.b)
        page = await media_store.list_page(conn, ws.b, limit=1, cursor=None, include_deleted=False,
                                           created_after=None, created_by_user_id=None, search=None)
        rest = await media_store.list_page(conn, ws.b, limit=1, cursor=page.next_cursor, include_deleted=False,
                                           created_after=None, created_by_user_id=None, search=None)
    assert got == first and isinstance(got, MediaRecord) and got.internal is False
    assert page.has_more and page.next_cursor is not None  # the cursor survives the conversion to records
    assert {page.rows[0].id, rest.rows[0].id} == {first.id, second.id} and not rest.has_more
    assert rest.next_cursor is None


async def test_entity_reads_and_pages_are_records(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await entity_store.create(conn, "ent_rec", ws.b, [0.6, 0.8], now)
        renamed = await entity_store.set_label(conn, "ent_rec", ws.b, "Rae")
    async with runtime.engine.connect() as conn:
        got = await entity_store.get(conn, "ent_rec", ws.b)
        page = await entity_store.list_page(conn, ws.b, limit=10, cursor=None)
    assert isinstance(renamed, EntityRecord) and renamed.label == "Rae"
    assert got == renamed and got.centroid == [0.6, 0.8] and got.voice_count == 1
    assert page.rows == [got] and not page.has_more and page.next_cursor is None


async def test_report_and_matching_reads_are_records(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await report_store.insert(conn, id="rep_rec", workspace_id=ws.b, job_id="job_rep_rec", label=None,
                                  entity_id="ent_gone", media_id=None, speaker_index=1, template="general_report",
                                  markdown="# R", json={"title": "R"}, evidence={"claims": []},
                                  behavior_map_id="map_1", sample_ids=["smp_1"], created_at=now)
        await matching_store.insert(conn, id="mat_rec", workspace_id=ws.b, job_id="job_mat_rec", label="pair",
                                    context="hiring", target={"entityId": "ent_1"}, group=[{"entityId": "ent_2"}],
                                    markdown="# M", json={"title": "M"}, created_at=now)
    async with runtime.engine.connect() as conn:
        report = await report_store.of_job(conn, "job_rep_rec", ws.b)
        matching = await matching_store.get(conn, "mat_rec", ws.b)
    assert isinstance(report, ReportRecord) and report == await _report(runtime, "rep_rec", ws.b)
    assert (report.sample_ids, report.speaker_index, report.evidence) == (["smp_1"], 1, {"claims": []})
    assert isinstance(matching, MatchingRecord) and matching.group == [{"entityId": "ent_2"}]
    with pytest.raises(dataclasses.FrozenInstanceError):
        matching.label = None  # type: ignore[misc]


async def _report(runtime: Runtime, report_id: str, workspace_id: str) -> ReportRecord | None:
    async with runtime.engine.connect() as conn:
        return await report_store.get(conn, report_id, workspace_id)


async def test_job_events_and_webhook_outbox_reads_are_records(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        job = await job_store.insert(conn, {"id": new_id("job_"), "workspace_id": ws.b, "type": J.REPORT_JOB,
                                            "request": {}, "webhook": {"url": "https://hooks.test/r"}}, now)
        event_id = await outbox.create_event(conn, job, now, event_id=new_id("evt_"), event_type="report.completed",
                                             body=b'{"ok":true}')
        await outbox.record_attempt(conn, event_id, attempt=1, started_at=now, duration_ms=7, status_code=None,
                                    error="timeout", redelivery=False)
    async with runtime.engine.connect() as conn:
        events = await job_store.events_after(conn, job.id, 0)
        hook = await outbox.get(conn, event_id, ws.b)
        page = await outbox.list_page(conn, ws.b, job_id=job.id, limit=5, cursor=None)
        since = await outbox.created_since(conn, ws.b, now, limit=5)
        tried = await outbox.attempts(conn, event_id)
    assert [(type(e), e.job_id, e.event) for e in events] == [(JobEventRecord, job.id, "status")]
    assert isinstance(events[0].id, int) and events[0].data["status"] == "queued"
    assert isinstance(hook, WebhookEventRecord) and hook.body == b'{"ok":true}' and hook.headers == {}
    assert page.rows == [hook] and since == [hook]
    assert [(type(a), a.attempt, a.error, a.status_code) for a in tried] == [(WebhookAttemptRecord, 1, "timeout",
                                                                               None)]


async def test_behavior_reads_are_typed(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await entity_store.create(conn, "ent_beh", ws.b, [1.0, 0.0], now)
        heard = await add_media(conn, ws.b, now, processing_status="COMPLETED", analysis={"speakers": []})
        await entity_store.link_speaker(conn, heard.id, 3, "ent_beh")
        await behavior_store.upsert_sample(conn, "smp_beh", ws.b, "ent_beh", heard.id, 3, {"v": 1}, now)
        await behavior_store.insert_map(conn, "map_beh", ws.b, "ent_beh", ["smp_beh"], {"full": {}}, "c1", now)
    async with runtime.engine.connect() as conn:
        appearances = await behavior_store.appearances(conn, "ent_beh")
        samples = await behavior_store.samples_of(conn, "ent_beh")
        latest = await behavior_store.latest_map(conn, "ent_beh")
    assert appearances == [Appearance(heard.id, 3, {"speakers": []})] and isinstance(appearances[0], Appearance)
    assert samples == [SampleData("smp_beh", {"v": 1})] and isinstance(samples[0], SampleData)
    assert isinstance(latest, BehaviorMapRecord) and (latest.id, latest.sample_ids) == ("map_beh", ["smp_beh"])


async def test_a_held_idempotency_key_is_a_record(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    scope = idem_store.KeyScope(ws.b, "POST", "/v1/records", "k-rec")
    async with runtime.engine.begin() as conn:
        mine = await idem_store.try_claim(conn, scope, "fp", now, now + timedelta(seconds=60))
        assert isinstance(mine, idem_store.Claim)
        await idem_store.store_answer(conn, mine, 201, b"{}", now + timedelta(hours=24))
        held = await idem_store.try_claim(conn, scope, "fp", now, now + timedelta(seconds=60))
    assert isinstance(held, IdempotencyKeyRecord)
    assert (held.state, held.status_code, held.body, held.fingerprint) == ("done", 201, b"{}", "fp")
