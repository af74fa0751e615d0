"""/v1/entities (docs/api.md §3.2, §11) over rows written directly: list and paging, get, label PATCH rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conduit_server.store.tables import media_speakers
from fixtures.api_helpers import (
    assert_error,
    headers_of,
    insert_entity,
    is_iso,
    issue_paths,
    new_workspace_key,
    uploaded_id,
)
from fixtures.speech import tone

ENTITY_KEYS = {"id", "label", "createdAt", "mediaCount", "lastSeenAt"}


@pytest.fixture()
async def ws(runtime):
    return await new_workspace_key(runtime, "entities")


async def test_list_pages_newest_first_with_cursor_key(client: httpx.AsyncClient, runtime, ws) -> None:
    auth = headers_of(ws)
    base = datetime(2026, 11, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    # two of them inside one millisecond: paging must neither lose nor repeat them
    offsets = [timedelta(0), timedelta(microseconds=200), timedelta(microseconds=400), timedelta(seconds=5),
               timedelta(minutes=1)]
    ids = [await insert_entity(runtime, ws.workspace_id, created_at=base + off) for off in offsets]
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        r = await client.get("/v1/entities", headers=auth, params=params)
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"entities", "cursor", "hasMore"}
        for e in body["entities"]:
            assert set(e) == ENTITY_KEYS
            assert is_iso(e["createdAt"]) and e["lastSeenAt"] is None and e["mediaCount"] == 0
        seen += [e["id"] for e in body["entities"]]
        if not body["hasMore"]:
            assert body["cursor"] is None
            break
        cursor = body["cursor"]
    assert seen == list(reversed(ids))
    assert_error(await client.get("/v1/entities", headers=auth, params={"cursor": "@@"}), 422, "validation_error")
    assert_error(await client.get("/v1/entities", headers=auth, params={"limit": "0"}), 422, "validation_error")


async def test_get_and_media_count(client: httpx.AsyncClient, runtime, ws) -> None:
    auth = headers_of(ws)
    seen_at = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    entity_id = await insert_entity(runtime, ws.workspace_id, label="Dana", last_seen_at=seen_at)
    media_ids = [await uploaded_id(client, auth, tone(2.0)) for _ in range(2)]
    async with runtime.engine.begin() as conn:
        for media_id in media_ids:
            await conn.execute(media_speakers.insert().values(media_id=media_id, speaker_index=0,
                                                              entity_id=entity_id, similarity=0.9))
    r = await client.get(f"/v1/entities/{entity_id}", headers=auth)
    assert r.status_code == 200
    assert r.json() == {"id": entity_id, "label": "Dana", "createdAt": r.json()["createdAt"], "mediaCount": 2,
                        "lastSeenAt": "2026-11-20T08:30:00.000Z"}
    await client.delete(f"/v1/files/{media_ids[0]}", headers=auth)
    assert (await client.get(f"/v1/entities/{entity_id}", headers=auth)).json()["mediaCount"] == 1
    assert_error(await client.get("/v1/entities/ent_nope00000000000000000000", headers=auth), 404, "not_found")
    r = await client.get(f"/v1/entities/{entity_id}/behavior-map", headers=auth)
    assert_error(r, 404, "not_found")


async def test_patch_label_rules(client: httpx.AsyncClient, runtime, ws) -> None:
    auth = headers_of(ws)
    entity_id = await insert_entity(runtime, ws.workspace_id)
    path = f"/v1/entities/{entity_id}"

    async def patch(body: object) -> httpx.Response:
        return await client.patch(path, headers=auth, json=body)

    r = await patch({"label": "  Dana  "})
    assert r.status_code == 200 and r.json()["label"] == "Dana" and set(r.json()) == ENTITY_KEYS
    assert (await patch({})).json()["label"] == "Dana"  # absent key: no change
    assert (await patch({"other": 1})).json()["label"] == "Dana"
    assert (await patch({"label": "x" * 64})).json()["label"] == "x" * 64
    assert (await patch({"label": None})).json()["label"] is None  # null clears
    assert (await client.get(path, headers=auth)).json()["label"] is None
    for bad in ({"label": ""}, {"label": "   "}, {"label": "x" * 65}, {"label": 5}, {"label": ["Dana"]}):
        assert issue_paths(await patch(bad)) == ["label"], bad
    assert (await client.get(path, headers=auth)).json()["label"] is None
    assert_error(await client.patch(path, headers=auth, content=b"[]",
                                    ), 400, "bad_request")
    r = await client.patch("/v1/entities/ent_nope00000000000000000000", headers=auth, json={"label": "x"})
    assert_error(r, 404, "not_found")
