"""/v1/files: uploads (shape, sniffed type, labels), listing and paging, detail, delete (410), retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conduit_server.domain.clock import parse_iso
from conduit_server.store.tables import media
from fixtures.api_helpers import (
    assert_error,
    file_count,
    has_id,
    headers_of,
    is_iso,
    new_workspace_key,
    upload,
    uploaded_id,
)
from fixtures.speech import tone, two_speaker_short
from sqlalchemy import update

UPLOAD_KEYS = {"mediaId", "createdAt", "contentType", "label", "sizeBytes", "durationSeconds", "source",
               "createdByApiKeyId", "createdByUserId", "workspaceId"}
FILE_KEYS = UPLOAD_KEYS | {"processingStatus", "lastUsedAt", "retention", "hasReports", "deletedAt"}


@pytest.fixture(scope="module")
def wav() -> Path:
    return tone(2.0, container="wav")


@pytest.mark.parametrize(
    ("container", "filename", "part_type", "expected"),
    [
        ("wav", "call.wav", "audio/wav", "audio/wav"),
        ("wav", "x.mp3", "audio/mpeg", "audio/wav"),  # sniffed from bytes, not the name or the part type
        ("mp3", "call.mp3", None, "audio/mpeg"),
        ("mp3", "call.wav", "audio/wav", "audio/mpeg"),
        ("mp4", "call", "application/octet-stream", "video/mp4"),  # the generated MP4 carries a video track
        ("flac", "call.ogg", "audio/ogg", "audio/flac"),
    ],
)
async def test_upload_shape_and_sniffed_content_type(
    client: httpx.AsyncClient, auth, key, container, filename, part_type, expected
) -> None:
    path = tone(2.0, container=container)
    r = await upload(client, auth, path, filename=filename, part_type=part_type, label="call-a")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == UPLOAD_KEYS
    assert has_id(body["mediaId"], "med_")
    assert is_iso(body["createdAt"])
    assert body["contentType"] == expected
    assert body["label"] == "call-a"
    assert body["sizeBytes"] == path.stat().st_size and isinstance(body["sizeBytes"], int)
    assert isinstance(body["durationSeconds"], float) and body["durationSeconds"] == pytest.approx(2.0, abs=0.1)
    assert body["source"] == "SDK"
    assert body["createdByApiKeyId"] == key.api_key_id
    assert has_id(body["createdByUserId"], "user_")
    assert body["workspaceId"] == key.workspace_id


async def test_upload_of_a_real_conversation_is_pending_with_empty_detail(client: httpx.AsyncClient, auth) -> None:
    conv = two_speaker_short()
    media_id = await uploaded_id(client, auth, conv.path, filename="two.wav")
    r = await client.get(f"/v1/files/{media_id}", headers=auth)
    assert r.status_code == 200
    detail = r.json()
    assert FILE_KEYS | {"speakers", "transcription"} <= set(detail)
    assert detail["processingStatus"] == "PENDING"
    assert detail["speakers"] == []
    assert detail["transcription"] == {"durationSeconds": 0, "speakerCount": 0, "utterances": []}
    assert detail["durationSeconds"] == pytest.approx(conv.duration, abs=0.1)
    assert detail["hasReports"] is False and detail["deletedAt"] is None
    assert detail["lastUsedAt"] == detail["createdAt"]
    r = await client.get(f"/v1/files/{media_id}/speakers", headers=auth)
    assert r.status_code == 200
    assert r.json() == {"mediaId": media_id, "status": "PENDING", "durationSeconds": detail["durationSeconds"],
                        "speakers": []}


@pytest.mark.parametrize(
    ("label", "filename", "expected"),
    [
        ("  call-a  ", "x.wav", "call-a"),
        ("   ", "Team Call.final.wav", "Team Call"),
        (None, "dir/sub/interview.2026.mp3", "interview"),
        ("", "C:\\Users\\me\\memo.m4a", "memo"),
        (None, None, "upload"),
        ("   ", ".wav", "upload"),
        ("x" * 300, "a.wav", "x" * 256),
        (None, "y" * 300 + ".wav", "y" * 256),
    ],
)
async def test_label_rules(client: httpx.AsyncClient, auth, wav, label, filename, expected) -> None:
    content = wav.read_bytes()
    data = {"label": label} if label is not None else None
    r = await client.post("/v1/files", headers=auth, files={"file": (filename, content, "audio/wav")}, data=data)
    assert r.status_code == 200, r.text
    assert r.json()["label"] == expected


async def test_list_pages_newest_first_with_cursor(client: httpx.AsyncClient, runtime, wav) -> None:
    other = headers_of(await new_workspace_key(runtime, "paging"))
    ids = [await uploaded_id(client, other, wav, label=f"page-{i}") for i in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        r = await client.get("/v1/files", headers=other, params=params)
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"files", "hasMore", "nextCursor"}
        for f in body["files"]:
            assert set(f) == FILE_KEYS
            assert f["deletedAt"] is None and f["processingStatus"] == "PENDING"
            assert f["retention"]["locked"] is False and f["retention"]["daysRemaining"] == 180
        seen += [f["mediaId"] for f in body["files"]]
        pages += 1
        if not body["hasMore"]:
            assert body["nextCursor"] is None
            break
        assert isinstance(body["nextCursor"], str) and body["nextCursor"]
        cursor = body["nextCursor"]
    assert seen == list(reversed(ids))
    assert pages == 3
    r = await client.get("/v1/files", headers=other)
    assert len(r.json()["files"]) == 5 and r.json()["hasMore"] is False


async def test_list_does_not_skip_rows_created_within_one_millisecond(client: httpx.AsyncClient, runtime, wav) -> None:
    """Cursors must carry the full timestamp: rows created in the same millisecond are neither lost nor repeated."""
    other = headers_of(await new_workspace_key(runtime, "same-ms"))
    ids = [await uploaded_id(client, other, wav, label=f"ms-{i}") for i in range(4)]
    base = datetime(2026, 11, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    async with runtime.engine.begin() as conn:
        for i, media_id in enumerate(ids):  # same millisecond, different microseconds
            await conn.execute(update(media).where(media.c.id == media_id)
                               .values(created_at=base + timedelta(microseconds=100 * i)))
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/v1/files", headers=other, params=params)).json()
        seen += [f["mediaId"] for f in body["files"]]
        if not body["hasMore"]:
            break
        cursor = body["nextCursor"]
    assert seen == list(reversed(ids))


async def test_list_filters_search_and_created_after(client: httpx.AsyncClient, runtime, wav) -> None:
    other = headers_of(await new_workspace_key(runtime, "filters"))
    first = (await upload(client, other, wav, label="Quarterly Review")).json()
    await asyncio.sleep(0.01)
    second = (await upload(client, other, wav, label="standup 50% done")).json()
    await upload(client, other, wav, label="other")

    async def labels(**params: str) -> list[str]:
        r = await client.get("/v1/files", headers=other, params=params)
        assert r.status_code == 200, r.text
        return [f["label"] for f in r.json()["files"]]

    assert await labels(search="quarterly") == ["Quarterly Review"]
    assert await labels(search="REVIEW") == ["Quarterly Review"]
    assert await labels(search="50%") == ["standup 50% done"]  # LIKE wildcards are literal
    assert await labels(search="_") == []
    assert await labels(search="nothing-like-this") == []
    # createdAfter is exclusive of the file whose createdAt is passed back (the API's own ms precision)
    after_first = await labels(createdAfter=first["createdAt"])
    assert "Quarterly Review" not in after_first and "standup 50% done" in after_first
    assert await labels(createdAfter=second["createdAt"]) == ["other"]
    assert await labels(createdAfter="2999-01-01T00:00:00.000Z") == []
    assert await labels(createdAfter="9999-12-31T23:59:59.999Z") == []
    assert len(await labels(createdAfter="2020-01-01T00:00:00+02:00")) == 3
    assert await labels(createdByUserId=first["createdByUserId"]) == ["other", "standup 50% done",
                                                                      "Quarterly Review"]
    assert await labels(createdByUserId="user_nobody") == []


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"cursor": "not-a-cursor"}, {"includeDeleted": "yes"},
     {"createdAfter": "yesterday"}, {"search": ""}, {"search": "s" * 201}],
)
async def test_list_rejects_bad_query(client: httpx.AsyncClient, auth, params) -> None:
    r = await client.get("/v1/files", headers=auth, params=params)
    error = assert_error(r, 422, "validation_error")
    assert error["details"]["issues"][0]["path"] == next(iter(params))


async def test_delete_is_soft_idempotent_and_answers_410(client: httpx.AsyncClient, runtime, wav) -> None:
    other = headers_of(await new_workspace_key(runtime, "delete"))
    keep = await uploaded_id(client, other, wav, label="keep")
    gone = await uploaded_id(client, other, wav, label="gone")
    r = await client.delete(f"/v1/files/{gone}", headers=other)
    assert r.status_code == 200 and r.json() == {"mediaId": gone, "deleted": True}
    r = await client.delete(f"/v1/files/{gone}", headers=other)
    assert r.status_code == 200 and r.json() == {"mediaId": gone, "deleted": True}

    for path in (f"/v1/files/{gone}", f"/v1/files/{gone}/speakers"):
        r = await client.get(path, headers=other)
        assert r.status_code == 410, path
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert set(body) == {"deletedAt", "error", "code", "message"}
        assert body["error"] == "gone" and body["code"] == "gone" and body["message"] == "File was deleted"
        assert is_iso(body["deletedAt"])
    r = await client.patch(f"/v1/files/{gone}/retention", headers=other, json={"lock": True})
    assert r.status_code == 410 and r.json()["code"] == "gone"

    listed = (await client.get("/v1/files", headers=other)).json()["files"]
    assert [f["mediaId"] for f in listed] == [keep]
    listed = (await client.get("/v1/files", headers=other, params={"includeDeleted": "true"})).json()["files"]
    by_id = {f["mediaId"]: f for f in listed}
    assert set(by_id) == {keep, gone}
    assert is_iso(by_id[gone]["deletedAt"]) and by_id[keep]["deletedAt"] is None
    assert by_id[gone]["retention"]["daysRemaining"] is None


async def test_unknown_file_is_404(client: httpx.AsyncClient, auth) -> None:
    for method, path in (("GET", "/v1/files/med_doesnotexist000000000000"),
                         ("GET", "/v1/files/med_doesnotexist000000000000/speakers"),
                         ("DELETE", "/v1/files/med_doesnotexist000000000000")):
        assert_error(await client.request(method, path, headers=auth), 404, "not_found")
    r = await client.patch("/v1/files/med_doesnotexist000000000000/retention", headers=auth, json={"lock": True})
    assert_error(r, 404, "not_found")


async def test_retention_lock_on_and_off(client: httpx.AsyncClient, auth, wav) -> None:
    media_id = await uploaded_id(client, auth, wav)
    r = await client.patch(f"/v1/files/{media_id}/retention", headers=auth, json={"lock": True})
    assert r.status_code == 200
    assert r.json() == {"mediaId": media_id, "retentionLock": True, "message": "Retention lock enabled"}
    detail = (await client.get(f"/v1/files/{media_id}", headers=auth)).json()
    assert detail["retention"] == {"expiresAt": None, "daysRemaining": None, "locked": True}

    r = await client.patch(f"/v1/files/{media_id}/retention", headers=auth, json={"lock": False})
    assert r.json() == {"mediaId": media_id, "retentionLock": False, "message": "Retention lock disabled"}
    detail = (await client.get(f"/v1/files/{media_id}", headers=auth)).json()
    retention = detail["retention"]
    assert retention["locked"] is False and retention["daysRemaining"] == 180
    expires = parse_iso(retention["expiresAt"]) - parse_iso(detail["lastUsedAt"])
    assert abs(expires - timedelta(days=180)) < timedelta(milliseconds=2)

    for bad in ({"lock": "yes"}, {}, {"lock": None}, {"lock": 1}):
        assert_error(await client.patch(f"/v1/files/{media_id}/retention", headers=auth, json=bad),
                     422, "validation_error")
    r = await client.patch(f"/v1/files/{media_id}/retention", headers=auth, content=b"{oops",
                           )
    assert_error(r, 400, "bad_request")


async def test_upload_count_matches_list(client: httpx.AsyncClient, runtime, wav) -> None:
    other = headers_of(await new_workspace_key(runtime, "count"))
    assert await file_count(client, other) == 0
    for _ in range(3):
        await uploaded_id(client, other, wav)
    assert await file_count(client, other) == 3
