"""Entities, their speakers in media, and their samples and behavior maps."""

from __future__ import annotations

from datetime import timedelta

from conduit_server.runtime import Runtime
from conduit_server.store import behavior as behavior_store
from conduit_server.store import entities as entity_store
from store.conftest import Workspaces, add_media


async def test_entity_lifecycle_and_workspace_isolation(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await entity_store.lock_workspace(conn, ws.a)
        await entity_store.create(conn, "ent_a1", ws.a, [1.0, 0.0], now)
        await entity_store.add_voice(conn, "ent_a1", [0.6, 0.8], 2, now + timedelta(seconds=1))
        row = await entity_store.get(conn, "ent_a1", ws.a)
        assert row is not None and (list(row.centroid), row.voice_count, row.label) == ([0.6, 0.8], 2, None)
        assert await entity_store.get(conn, "ent_a1", ws.b) is None
        assert await entity_store.get(conn, "ent_missing", ws.a) is None
        assert await entity_store.set_label(conn, "ent_a1", ws.b, "Eve") is None  # not that workspace's
        renamed = await entity_store.set_label(conn, "ent_a1", ws.a, "Dana")
        assert renamed is not None and renamed.label == "Dana"
        assert await entity_store.label(conn, "ent_a1") == (True, "Dana")
        assert await entity_store.label(conn, "ent_missing") == (False, None)
        assert await entity_store.known_ids(conn, ws.a, {"ent_a1", "ent_missing"}) == {"ent_a1"}
        assert await entity_store.known_ids(conn, ws.b, {"ent_a1"}) == set()
        assert await entity_store.known_ids(conn, ws.a, set()) == set()
        assert await entity_store.centroids(conn, ws.a) == {"ent_a1": ([0.6, 0.8], 2)}
        assert await entity_store.centroids(conn, ws.b) == {}
        assert [r.id for r in (await entity_store.list_page(conn, ws.b, limit=10, cursor=None)).rows] == []


async def test_speakers_link_media_and_count_live_media_only(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await entity_store.create(conn, "ent_a2", ws.a, [0.0, 1.0], now)
        live = await add_media(conn, ws.a, now)
        gone = await add_media(conn, ws.a, now, deleted_at=now)
        await entity_store.link_speaker(conn, live.id, 1, "ent_a2")
        await entity_store.link_speaker(conn, gone.id, 0, "ent_a2")
        assert await entity_store.entity_of_speaker(conn, live.id, 1) == "ent_a2"
        assert await entity_store.entity_of_speaker(conn, live.id, 0) is None
        assert await entity_store.media_counts(conn, ["ent_a2", "ent_none"]) == {"ent_a2": 1, "ent_none": 0}
        assert await entity_store.media_counts(conn, []) == {}


async def test_samples_upsert_per_media_and_maps_come_newest_first(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await entity_store.create(conn, "ent_a3", ws.a, [1.0, 1.0], now)
        first = await add_media(conn, ws.a, now, processing_status="COMPLETED", analysis={"speakers": []})
        second = await add_media(conn, ws.a, now + timedelta(seconds=1), processing_status="COMPLETED",
                                 analysis={"speakers": []})
        await entity_store.link_speaker(conn, first.id, 0, "ent_a3")
        await entity_store.link_speaker(conn, second.id, 2, "ent_a3")
        sid = await behavior_store.upsert_sample(conn, "smp_1", ws.a, "ent_a3", first.id, 0, {"v": 1}, now)
        again = await behavior_store.upsert_sample(conn, "smp_2", ws.a, "ent_a3", first.id, 1, {"v": 2}, now)
        assert sid == again == "smp_1"  # one sample per (entity, media), its id stable
        assert [(r.id, r.data) for r in await behavior_store.samples_of(conn, "ent_a3")] == [("smp_1", {"v": 2})]
        assert await behavior_store.sampled_media(conn, "ent_a3") == {first.id}
        heard = await behavior_store.appearances(conn, "ent_a3")
        assert [(r.media_id, r.speaker_index) for r in heard] == [(first.id, 0), (second.id, 2)]
        assert await behavior_store.latest_map(conn, "ent_a3") is None
        await behavior_store.insert_map(conn, "map_1", ws.a, "ent_a3", ["smp_1"], {"behaviorMap": {}}, "c1", now)
        await behavior_store.insert_map(conn, "map_2", ws.a, "ent_a3", ["smp_1"], {"behaviorMap": {}}, "c1",
                                        now + timedelta(seconds=1))
        latest = await behavior_store.latest_map(conn, "ent_a3")
        assert latest is not None and (latest.id, list(latest.sample_ids)) == ("map_2", ["smp_1"])
