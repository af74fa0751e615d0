"""Data rights (docs/data.md): `DELETE /v1/entities/{id}` (ext) erases a voice identity - voiceprints, samples,
behavior maps - while reports stay; purging a file removes its transcript quotes from entity samples."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conduit_server.analysis.sample import Evidence, Indicator, Sample
from conduit_server.domain.ids import new_id
from conduit_server.jobs import behavior
from conduit_server.jobs.worker import expire_and_purge
from conduit_server.pipeline.types import MediaAnalysis, Speaker, Utterance
from conduit_server.runtime import Runtime
from conduit_server.store.tables import behavior_maps, media, media_speakers, reports, samples
from fixtures.api_helpers import assert_error, headers_of, insert_entity, new_workspace_key, uploaded_id
from fixtures.speech import tone
from server_testkit import open_test_runtime
from sqlalchemy import func, select

QUOTE = "my account number is four two four two"


def _analysis() -> dict[str, Any]:
    return MediaAnalysis(
        duration_seconds=40.0,
        speakers=(Speaker(0, 20.0, 1, voiceprint=(0.6, 0.8, 0.0)), Speaker(1, 20.0, 1, voiceprint=(0.0, 0.6, 0.8))),
        utterances=(Utterance(0, 0.0, 20.0, QUOTE), Utterance(1, 20.0, 40.0, "and I am the other voice")),
    ).to_json()


def _sample(speaker_index: int) -> Sample:
    quote = Evidence(1.0, 3.0, QUOTE, "fast stretch")
    return Sample(speaker_index, 20.0, {"speechSeconds": 20.0},
                  (Indicator("speech_rate", 190.0, "wpm", 0.7, "high", (quote,)),))


async def _processed_media(client: httpx.AsyncClient, rt: Runtime, auth: dict[str, str]) -> str:
    """An uploaded file marked processed with a two-speaker analysis (processing itself needs the models)."""
    media_id = await uploaded_id(client, auth, tone(2.0))
    async with rt.engine.begin() as conn:
        await conn.execute(media.update().where(media.c.id == media_id)
                           .values(processing_status="COMPLETED", analysis=_analysis()))
    return media_id


async def _heard(rt: Runtime, workspace_id: str, entity_id: str, media_id: str, speaker_index: int) -> None:
    """Link the entity to one speaker of the media, with a sample and a fresh behavior map, as a report would."""
    async with rt.engine.begin() as conn:
        await conn.execute(media_speakers.insert().values(media_id=media_id, speaker_index=speaker_index,
                                                          entity_id=entity_id, similarity=0.9))
        await behavior.save_sample(conn, workspace_id, entity_id, media_id, _sample(speaker_index), rt.clock())
        await behavior.new_map(conn, workspace_id, entity_id, rt.clock())


async def _report(rt: Runtime, workspace_id: str, entity_id: str, media_id: str) -> str:
    report_id = new_id("rep_")
    async with rt.engine.begin() as conn:
        await conn.execute(reports.insert().values(
            id=report_id, workspace_id=workspace_id, job_id=new_id("job_"), label="call", entity_id=entity_id,
            media_id=media_id, speaker_index=0, template="general_report", markdown=f"> {QUOTE}",
            json={"sections": []}, evidence={"quotes": [QUOTE]}, created_at=rt.clock()))
    return report_id


async def _rows(rt: Runtime, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with rt.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


@pytest.fixture()
async def ws(runtime: Runtime):  # type: ignore[no-untyped-def]
    return await new_workspace_key(runtime, "erasure")


async def test_delete_entity_erases_voiceprint_samples_and_maps(client: httpx.AsyncClient, runtime: Runtime,
                                                                 ws) -> None:  # type: ignore[no-untyped-def]
    auth = headers_of(ws)
    entity_id = await insert_entity(runtime, ws.workspace_id, label="Dana")
    kept_id = await insert_entity(runtime, ws.workspace_id, label="Sam")
    media_ids = [await _processed_media(client, runtime, auth) for _ in range(2)]
    for media_id in media_ids:
        await _heard(runtime, ws.workspace_id, entity_id, media_id, 0)
    await _heard(runtime, ws.workspace_id, kept_id, media_ids[0], 1)
    report_id = await _report(runtime, ws.workspace_id, entity_id, media_ids[0])
    assert (await client.get(f"/v1/entities/{entity_id}/behavior-map", headers=auth)).status_code == 200

    r = await client.delete(f"/v1/entities/{entity_id}", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json() == {"entityId": entity_id, "deleted": True}

    assert_error(await client.get(f"/v1/entities/{entity_id}", headers=auth), 404, "not_found")
    assert_error(await client.get(f"/v1/entities/{entity_id}/behavior-map", headers=auth), 404, "not_found")
    listed = (await client.get("/v1/entities", headers=auth)).json()["entities"]
    assert [e["id"] for e in listed] == [kept_id]
    for table in (samples, behavior_maps, media_speakers):
        assert await _rows(runtime, table, table.c.entity_id == entity_id) == 0
    async with runtime.engine.connect() as conn:
        analyses = [a for (a,) in await conn.execute(select(media.c.analysis).where(media.c.id.in_(media_ids)))]
    for analysis in analyses:  # that voice's voiceprint is gone from every file; the other speaker keeps theirs
        prints = {s["index"]: s["voiceprint"] for s in analysis["speakers"]}
        assert prints[0] == [] and prints[1] == [0.0, 0.6, 0.8]
    speakers = (await client.get(f"/v1/files/{media_ids[0]}", headers=auth)).json()["speakers"]
    assert [(s["speakerIndex"], s["entityId"]) for s in speakers] == [(0, None), (1, kept_id)]
    assert await _rows(runtime, samples, samples.c.entity_id == kept_id) == 1  # other entities untouched
    assert (await client.get(f"/v1/entities/{kept_id}/behavior-map", headers=auth)).status_code == 200

    report = await client.get(f"/v1/reports/{report_id}", headers=auth)  # reports already produced stay
    assert report.status_code == 200 and "entity" not in report.json()

    assert_error(await client.delete(f"/v1/entities/{entity_id}", headers=auth), 404, "not_found")


async def test_delete_entity_of_another_workspace_is_not_found(client: httpx.AsyncClient, runtime: Runtime,
                                                               ws) -> None:  # type: ignore[no-untyped-def]
    entity_id = await insert_entity(runtime, ws.workspace_id)
    other = await new_workspace_key(runtime, "intruder")
    assert_error(await client.delete(f"/v1/entities/{entity_id}", headers=headers_of(other)), 404, "not_found")
    assert (await client.get(f"/v1/entities/{entity_id}", headers=headers_of(ws))).status_code == 200
    assert_error(await client.delete(f"/v1/entities/{entity_id}"), 401, "unauthorized")


async def test_delete_entity_is_idempotent_under_a_key(client: httpx.AsyncClient, runtime: Runtime,
                                                       ws) -> None:  # type: ignore[no-untyped-def]
    entity_id = await insert_entity(runtime, ws.workspace_id)
    headers = headers_of(ws, **{"Idempotency-Key": "forget-dana-1"})
    first = await client.delete(f"/v1/entities/{entity_id}", headers=headers)
    again = await client.delete(f"/v1/entities/{entity_id}", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {"entityId": entity_id, "deleted": True}
    assert again.headers.get("idempotent-replayed") == "true"
    other = await insert_entity(runtime, ws.workspace_id)
    reused = await client.delete(f"/v1/entities/{other}", headers=headers)  # same key, another entity
    assert_error(reused, 422, "idempotency_key_reused")


async def test_purging_a_file_drops_its_quotes_from_entity_samples(client: httpx.AsyncClient, runtime: Runtime,
                                                                   database_url: str, tmp_path_factory, ws
                                                                   ) -> None:  # type: ignore[no-untyped-def]
    auth = headers_of(ws)
    entity_id = await insert_entity(runtime, ws.workspace_id)
    deleted_media, kept_media = [await _processed_media(client, runtime, auth) for _ in range(2)]
    for media_id in (deleted_media, kept_media):
        await _heard(runtime, ws.workspace_id, entity_id, media_id, 0)
    report_id = await _report(runtime, ws.workspace_id, entity_id, deleted_media)
    assert (await client.delete(f"/v1/files/{deleted_media}", headers=auth)).status_code == 200

    async with open_test_runtime(database_url, tmp_path_factory.mktemp("purge"), purge_grace_days=0.0) as rt:
        await expire_and_purge(rt)

    async with runtime.engine.connect() as conn:
        stored = {r.media_id: r.data for r in await conn.execute(
            select(samples.c.media_id, samples.c.data).where(samples.c.entity_id == entity_id))}
    assert set(stored) == {deleted_media, kept_media}  # the entity keeps what it learned from the file...
    purged = stored[deleted_media]["indicators"]
    assert [i["key"] for i in purged] == ["speech_rate"] and purged[0]["raw"] == 190.0
    assert purged[0]["evidence"] == []  # ...but not the words said in it
    assert stored[kept_media]["indicators"][0]["evidence"][0]["text"] == QUOTE
    assert_error(await client.get(f"/v1/files/{deleted_media}", headers=auth), 404, "not_found")
    assert (await client.get(f"/v1/reports/{report_id}", headers=auth)).status_code == 200  # reports stay
