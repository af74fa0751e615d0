"""Requests built to hurt the server (issue 10): hostile text, oversized or padded forms, huge matching groups.
Each one is a 4xx in the envelope of docs/api.md §7.1, costs a bounded amount of work and leaves nothing half stored."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conduit_server.app import build_api
from conduit_server.store import accounts
from fixtures.api_helpers import assert_error, file_count, headers_of, new_workspace_key, upload
from fixtures.speech import tone
from server_testkit import asgi_client, open_test_runtime

LIMIT = 256 * 1024


@pytest.fixture()
async def fresh(runtime) -> dict[str, str]:
    return headers_of(await new_workspace_key(runtime, "bounded"))


@pytest.fixture(scope="module")
async def small(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    """A runtime whose upload limit is 256 KiB, with its own client and key."""
    data_dir = tmp_path_factory.mktemp("bounded-small")
    async with open_test_runtime(database_url, data_dir, max_upload_bytes=LIMIT) as rt:
        key = await accounts.create_key(rt.engine, rt.clock())
        async with asgi_client(rt) as c:
            yield rt, c, headers_of(key)


@pytest.fixture(scope="module")
async def lenient(runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the 500 response of an unexpected error, as a real one does (not the exception)."""
    app = build_api()
    app.state.runtime = runtime
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://conduit.test") as c:
        yield c


def _blob_files(rt) -> list[str]:
    root = Path(rt.settings.data_dir) / "media"
    return sorted(str(p) for p in root.rglob("*") if p.is_file())


def _tmp_files(rt) -> list[str]:
    tmp = Path(rt.settings.data_dir) / "tmp"
    return sorted(str(p) for p in tmp.rglob("upload-*") if p.is_file())


# --- hostile text -------------------------------------------------------------------------------------------------

_NUL_PATHS = [
    ("GET", "/v1/files/med_%00x"),
    ("GET", "/v1/files/%00/speakers"),
    ("DELETE", "/v1/files/med_%00"),
    ("GET", "/v1/reports/rep_%00"),
    ("GET", "/v1/reports/by-job/job_%00"),
    ("GET", "/v1/jobs/job_%00"),
    ("POST", "/v1/jobs/job_%00/cancel"),
    ("GET", "/v1/entities/ent_%00"),
    ("GET", "/v1/matching/mat_%00"),
    ("GET", "/v2/psychometrics/ana_%00"),
    ("GET", "/v1/webhooks/events/evt_%00/attempts"),
]


@pytest.mark.parametrize(("method", "path"), _NUL_PATHS)
async def test_nul_in_a_path_is_a_4xx(client, auth, method, path) -> None:
    r = await client.request(method, path, headers=auth)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["error"]["code"] in ("validation_error", "not_found")


@pytest.mark.parametrize(
    "query",
    ["search=%00", "cursor=%00", "createdByUserId=u%00", "createdAfter=2026%00", "includeDeleted=%00"],
)
async def test_nul_in_a_query_is_a_4xx(client, auth, query) -> None:
    r = await client.get(f"/v1/files?{query}", headers=auth)
    assert_error(r, 422, "validation_error")


async def test_invalid_utf8_in_a_query_is_replaced_not_a_500(client, auth) -> None:
    r = await client.get("/v1/files?search=%ED%A0%80%FF", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["files"] == []


@pytest.mark.parametrize("query", ["jobId=job_%00", "cursor=%00"])
async def test_nul_in_webhook_event_query_is_a_4xx(client, auth, query) -> None:
    r = await client.get(f"/v1/webhooks/events?{query}", headers=auth)
    assert_error(r, 422, "validation_error")


def _report(media_id: str, **extra: Any) -> dict[str, Any]:
    return {"media": {"mediaId": media_id}, "output": {"template": "general_report"},
            "target": {"strategy": "dominant"}, **extra}


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (json.dumps(_report("med_\u0000x")), 422, "validation_error"),
        (json.dumps(_report("med_x", label="a\u0000b")), 422, "validation_error"),
        (json.dumps(_report("med_x", entityLabel="\u0000")), 422, "validation_error"),
        ('{"media": {"mediaId": "med_\\ud800"}, "output": {"template": "general_report"}, '
         '"target": {"strategy": "dominant"}}', 422, "validation_error"),
        (json.dumps(_report("med_x", label="\udfff")), 422, "validation_error"),
        (json.dumps({**_report("med_x"), "k\u0000": 1}), 422, "validation_error"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", 400, "bad_request"),
        ('{"a": ' + "[" * 200 + "]" * 200 + "}", 400, "bad_request"),
        ('{"a": ' + "9" * 5000 + "}", 400, "bad_request"),
        ('{"a": 1e999999}', 400, "bad_request"),
    ],
    ids=["nul-media-id", "nul-label", "nul-entity-label", "lone-high-surrogate", "lone-low-surrogate", "nul-key",
         "deep-nesting", "nesting-over-limit", "huge-integer", "huge-exponent"],
)
async def test_bad_json_text_is_a_4xx(client, auth, raw, status, code) -> None:
    r = await client.post("/v1/reports/jobs", headers={**auth, "Content-Type": "application/json"},
                          content=raw.encode())
    assert_error(r, status, code)


async def test_bad_json_text_on_every_json_route(client, auth) -> None:
    nul = {"Content-Type": "application/json"}
    matching = {"context": "behavioral_compatibility", "target": {"type": "entity_id", "entityId": "ent_\u0000"},
                "group": [{"type": "entity_id", "entityId": "ent_b"}]}
    r = await client.post("/v1/matching/jobs", headers={**auth, **nul}, content=json.dumps(matching).encode())
    assert_error(r, 422, "validation_error")
    r = await client.patch("/v1/entities/ent_x", headers={**auth, **nul}, content=b'{"label": "a\\u0000"}')
    assert r.status_code in (404, 422), r.text
    r = await client.patch("/v1/files/med_x/retention", headers={**auth, **nul}, content=b'{"lock": "\\ud800"}')
    assert r.status_code in (404, 422), r.text


async def test_unexpected_error_logs_escape_control_characters(lenient, auth, caplog, monkeypatch) -> None:
    """A 500 logs the request path, and a path can carry any byte: a newline in it must not forge a log line."""
    from conduit_server.store import media as media_store

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(media_store, "get", broken)
    with caplog.at_level(logging.ERROR, logger="conduit_server.api.errors"):
        r = await lenient.get("/v1/files/med_x%0A2026-01-01 00:00:00 INFO forged%1B[2J", headers=auth)
    assert_error(r, 500, "internal")
    messages = [rec.getMessage() for rec in caplog.records if rec.name == "conduit_server.api.errors"]
    assert messages, "the 500 was not logged"
    assert all("\n" not in m and "\x1b" not in m for m in messages), messages
    assert any("forged\\x1b[2J" in m for m in messages), messages


# --- uploads ------------------------------------------------------------------------------------------------------


async def test_upload_label_with_nul_is_refused_and_stores_nothing(client, runtime, fresh) -> None:
    before = _blob_files(runtime)
    r = await upload(client, fresh, tone(1.0), label="bad\x00label")
    error = assert_error(r, 422, "validation_error")
    assert error["details"]["issues"][0]["path"] == "label"
    assert await file_count(client, fresh) == 0
    assert _blob_files(runtime) == before


async def test_failed_insert_deletes_the_stored_bytes(client, lenient, runtime, fresh, monkeypatch) -> None:
    """Bytes go to storage before the row is written; when the transaction fails, the bytes must go too."""
    from conduit_server.api import files as files_api

    def failing_defer(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("queue insert failed")

    monkeypatch.setattr(files_api, "defer_analysis", failing_defer)
    before = _blob_files(runtime)
    r = await upload(lenient, fresh, tone(1.0))
    assert_error(r, 500, "internal")
    assert await file_count(client, fresh) == 0
    assert _blob_files(runtime) == before


async def test_many_small_fields_in_a_chunked_body_are_refused_early(small) -> None:
    """The 64 KiB cap per field used to be the only bound: thousands of fields grew the server without limit."""
    rt, c, auth = small
    boundary = "manyfields"
    sent = 0
    field_bytes = 60 * 1024

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for i in range(3000):
            sent += 1
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\n").encode() \
                + b"x" * field_bytes + b"\r\n"
        yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n" \
              f"RIFF\r\n--{boundary}--\r\n".encode()

    before = await file_count(c, auth)
    r = await c.post("/v1/files", content=body(),
                     headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert "content-length" not in r.request.headers
    assert r.status_code in (413, 422), r.text
    assert "error" in r.json()
    assert sent * field_bytes <= 2 * LIMIT, f"the server read {sent} fields before refusing"
    assert await file_count(c, auth) == before
    assert _tmp_files(rt) == []


async def test_bytes_after_the_closing_boundary_count_against_the_upload_limit(small) -> None:
    """Bytes the reader throws away still cost: a body over the limit is 413 however it is padded."""
    rt, c, auth = small
    boundary = "padded"
    wav = tone(1.0).read_bytes()
    assert len(wav) < LIMIT
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
               "Content-Type: audio/wav\r\n\r\n").encode() + wav + f"\r\n--{boundary}--\r\n".encode()
        for _ in range(64):  # 4 MiB of epilogue, which multipart parsers discard
            sent += 1
            yield b"\x00" * (64 * 1024)

    before = await file_count(c, auth)
    r = await c.post("/v1/files", content=body(),
                     headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert_error(r, 413, "payload_too_large")
    assert sent < 64
    assert await file_count(c, auth) == before
    assert _tmp_files(rt) == []


def _part(boundary: str, name: str, value: bytes, extra_headers: str = "") -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n{extra_headers}\r\n").encode() \
        + value + b"\r\n"


_PADDING = "".join(f"X-Pad-{i}: {'p' * 4000}\r\n" for i in range(7))  # each part may carry 8 headers of 4 KiB


def _form(boundary: str, *parts: bytes) -> bytes:
    file_part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n"
                 ).encode() + tone(1.0).read_bytes() + b"\r\n"
    return b"".join(parts) + file_part + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([_part("B", f"x{i}", b"1") for i in range(40)], "parts"),  # many tiny unknown fields
        ([_part("B", "label", b"a" * 40_000), _part("B", "junk", b"j" * 40_000)], "bytes"),  # ignored still count
        ([_part("B", f"h{i}", b"", extra_headers=_PADDING) for i in range(3)], "bytes"),  # part headers
    ],
    ids=["too-many-parts", "field-bytes", "header-bytes"],
)
async def test_form_overhead_is_capped(client, fresh, parts, message) -> None:
    r = await client.post("/v1/files", headers={**fresh, "Content-Type": "multipart/form-data; boundary=B"},
                          content=_form("B", *parts))
    error = assert_error(r, 422, "bad_form")
    assert message in error["message"]
    assert await file_count(client, fresh) == 0


async def test_a_second_file_part_is_bad_form(client, fresh) -> None:
    wav = tone(1.0).read_bytes()
    second = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.wav\"\r\n\r\n" + wav + b"\r\n")
    r = await client.post("/v1/files", headers={**fresh, "Content-Type": "multipart/form-data; boundary=B"},
                          content=_form("B", second))
    assert_error(r, 422, "bad_form")
    assert await file_count(client, fresh) == 0


async def test_unknown_fields_are_ignored_and_known_ones_kept(client, fresh) -> None:
    r = await client.post("/v1/files", headers=fresh, data={"label": "  fine label  ", "labels": "x", "note": "y"},
                          files={"file": ("a.wav", tone(1.0).read_bytes(), "audio/wav")})
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "fine label"


async def test_psychometrics_form_with_nul_is_refused_before_storing(client, runtime, fresh) -> None:
    before = _blob_files(runtime)
    r = await client.post("/v2/psychometrics", headers=fresh, data={"strategy": "magic_hint", "hint": "the\x00host"},
                          files={"file": ("a.wav", tone(1.0).read_bytes(), "audio/wav")})
    error = assert_error(r, 422, "validation_error")
    assert error["details"]["issues"][0]["path"] == "hint"
    assert _blob_files(runtime) == before


# --- containers FFmpeg may open -----------------------------------------------------------------------------------


def test_playlists_and_scripts_are_not_opened(tmp_path: Path) -> None:
    """An ffconcat script naming a file next to it decoded that file (a read of any file the server can reach)."""
    from conduit_server.pipeline.audio import probe_media
    from conduit_server.pipeline.types import UnsupportedMediaError

    wav = tmp_path / "secret.wav"
    wav.write_bytes(tone(1.0).read_bytes())
    assert probe_media(wav).content_type == "audio/wav"
    concat = tmp_path / "upload-1"
    concat.write_text("ffconcat version 1.0\nfile 'secret.wav'\n")
    hls = tmp_path / "upload-2"
    hls.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nsecret.wav\n#EXT-X-ENDLIST\n")
    for path in (concat, hls):
        with pytest.raises(UnsupportedMediaError, match="not an accepted audio or video container"):
            probe_media(path)


@pytest.mark.parametrize(
    "content",
    [b"ffconcat version 1.0\nfile '/etc/passwd'\n",
     b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n"],
    ids=["ffconcat", "hls"],
)
async def test_playlist_uploads_are_415(client, fresh, content) -> None:
    r = await upload(client, fresh, content, filename="call.wav")
    error = assert_error(r, 415, "unsupported_media_type")
    assert "not an accepted audio or video container" in error["message"]
    assert await file_count(client, fresh) == 0


# --- matching groups ----------------------------------------------------------------------------------------------


def _matching(group: list[dict[str, Any]]) -> dict[str, Any]:
    return {"context": "behavioral_compatibility", "target": {"type": "entity_id", "entityId": "ent_target"},
            "group": group}


async def test_matching_group_is_capped(client, auth) -> None:
    from conduit_server.api.validation import MAX_MATCHING_GROUP

    group = [{"type": "media_target", "mediaId": f"med_{i}", "selector": {"strategy": "dominant"}}
             for i in range(MAX_MATCHING_GROUP + 1)]
    r = await client.post("/v1/matching/jobs", headers=auth, json=_matching(group))
    error = assert_error(r, 422, "validation_error")
    assert error["details"]["issues"][0]["path"] == "group"
    assert str(MAX_MATCHING_GROUP) in error["message"]


async def test_matching_subjects_cost_the_same_queries_whatever_the_group_size(client, runtime, fresh) -> None:
    """Each media subject used to cost a full row read (analysis included); now one query covers the group."""
    from conduit_server.api.validation import MAX_MATCHING_GROUP
    from sqlalchemy import event

    r = await upload(client, fresh, tone(1.0))
    assert r.status_code == 200, r.text
    media_id = r.json()["mediaId"]
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async def queries_for(size: int) -> int:
        group = [{"type": "media_target", "mediaId": media_id, "selector": {"strategy": "dominant"}}] * size
        body = {**_matching(group), "target": {"type": "media_target", "mediaId": media_id,
                                               "selector": {"strategy": "dominant"}}}
        statements.clear()
        event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
        try:
            r = await client.post("/v1/matching/jobs", headers=fresh, json=body)
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)
        assert r.status_code == 200, r.text
        assert not any("analysis" in s and "FROM media" in s for s in statements), statements
        return len(statements)

    assert await queries_for(MAX_MATCHING_GROUP) == await queries_for(1)


async def test_unknown_media_in_a_large_group_is_named(client, fresh) -> None:
    r = await upload(client, fresh, tone(1.0))
    media_id = r.json()["mediaId"]
    group = [{"type": "media_target", "mediaId": media_id, "selector": {"strategy": "dominant"}}] * 10
    group[7] = {"type": "media_target", "mediaId": "med_missing", "selector": {"strategy": "dominant"}}
    r = await client.post("/v1/matching/jobs", headers=fresh, json=_matching(group))
    error = assert_error(r, 422, "unknown_entity")  # the target entity comes first
    assert "ent_target" in error["message"]
    body = {**_matching(group), "target": group[0]}
    error = assert_error(await client.post("/v1/matching/jobs", headers=fresh, json=body), 422, "unknown_media")
    assert "med_missing" in error["message"]


# --- orphan bytes ---------------------------------------------------------------------------------------------------


async def test_start_up_sweep_deletes_only_old_unreferenced_bytes(client, runtime, fresh) -> None:
    from conduit_server.store.orphans import sweep_orphan_blobs

    r = await upload(client, fresh, tone(1.0))
    assert r.status_code == 200, r.text
    root = Path(runtime.settings.data_dir) / "media"
    kept = next(p for p in root.rglob(r.json()["mediaId"]))
    old_orphan = root / "ws_gone" / "med_orphan_old"
    new_orphan = root / "ws_gone" / "med_orphan_new"
    old_orphan.parent.mkdir(parents=True, exist_ok=True)
    old_orphan.write_bytes(b"left behind")
    new_orphan.write_bytes(b"an upload in flight")
    two_hours_ago = runtime.clock().timestamp() - 7200
    for path in (kept, old_orphan):
        os.utime(path, (two_hours_ago, two_hours_ago))

    assert await sweep_orphan_blobs(runtime.engine, runtime.blobs, runtime.clock()) == 1
    assert not old_orphan.exists()
    assert kept.exists() and new_orphan.exists()
