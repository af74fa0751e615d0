"""Bad uploads: each is one error of docs/api.md §7 and stores nothing (no row, no blob, no temp file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conduit_server.store import accounts
from conduit_server.store.scratch import LOCK_NAME
from fixtures.api_helpers import assert_error, file_count, headers_of, new_workspace_key, upload
from fixtures.speech import tone
from server_testkit import asgi_client, open_test_runtime

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
async def small(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    """A runtime whose upload limit is 64 KiB, with its own client and key."""
    data_dir = tmp_path_factory.mktemp("small-data")
    async with open_test_runtime(database_url, data_dir, max_upload_bytes=LIMIT) as rt:
        key = await accounts.create_key(rt.engine, rt.clock())
        async with asgi_client(rt) as c:
            yield rt, c, headers_of(key)


@pytest.fixture()
async def fresh(runtime) -> dict[str, str]:
    return headers_of(await new_workspace_key(runtime, "bad-media"))


def _tmp_files(rt) -> list[str]:
    """Upload bodies left in the processes' scratch folders (their lock files aside)."""
    tmp = Path(rt.settings.data_dir) / "tmp"
    return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file() and p.name != LOCK_NAME)


def _blob_files(rt) -> list[str]:
    root = Path(rt.settings.data_dir)
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and "tmp" not in p.parts)


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"hello, this is plain text and certainly not audio\n" * 20, "notes.wav"),
        (bytes(range(256)) * 64, "noise.mp3"),
        (tone(2.0).read_bytes()[:30], "truncated.wav"),  # a WAV header cut off before the data chunk
        (b"RIFF\x00\x00\x00\x00WAVE", "header-only.wav"),
        (b"%PDF-1.4\n" + b"0" * 2000, "doc.m4a"),
    ],
)
async def test_undecodable_uploads_are_415_and_store_nothing(client, runtime, fresh, content, filename) -> None:
    before_tmp = _tmp_files(runtime)
    r = await upload(client, fresh, content, filename=filename, part_type="audio/wav")
    assert_error(r, 415, "unsupported_media_type")
    assert await file_count(client, fresh) == 0
    assert _tmp_files(runtime) == before_tmp


async def test_zero_length_upload_is_accepted_and_failed(client, fresh) -> None:
    r = await upload(client, fresh, b"", filename="empty.wav")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sizeBytes"] == 0 and body["durationSeconds"] is None and body["label"] == "empty"
    detail = (await client.get(f"/v1/files/{body['mediaId']}", headers=fresh)).json()
    assert detail["processingStatus"] == "FAILED"
    assert detail["speakers"] == []
    assert detail["transcription"] == {"durationSeconds": 0, "speakerCount": 0, "utterances": []}


async def test_missing_file_part_is_invalid_upload(client, fresh) -> None:
    r = await client.post("/v1/files", headers=fresh, files={"other": ("a.wav", b"x", "audio/wav")},
                          data={"label": "x"})
    assert_error(r, 422, "invalid_upload")
    r = await client.post("/v1/files", headers=fresh, data={"label": "only a label"},
                          files={"": ("", b"", "text/plain")})
    assert_error(r, 422, "invalid_upload")
    assert await file_count(client, fresh) == 0


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/json", b'{"file": "x"}'),
        ("application/x-www-form-urlencoded", b"file=abc"),
        ("multipart/form-data", b"--x\r\n"),  # no boundary parameter
        (None, b"raw bytes"),
    ],
)
async def test_non_multipart_body_is_bad_form(client, fresh, content_type, content) -> None:
    headers = {**fresh, **({"Content-Type": content_type} if content_type else {})}
    assert_error(await client.post("/v1/files", headers=headers, content=content), 422, "bad_form")
    assert await file_count(client, fresh) == 0


async def test_truncated_multipart_body_is_bad_form_not_a_partial_file(client, runtime, fresh) -> None:
    """The body ends inside the file part (client died mid-upload): nothing may be stored."""
    wav = tone(2.0).read_bytes()
    boundary = "conduitboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode()
    before_tmp = _tmp_files(runtime)
    r = await client.post("/v1/files", headers={**fresh, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                          content=head + wav[: len(wav) // 2])
    assert_error(r, 422, "bad_form")
    assert await file_count(client, fresh) == 0
    assert _tmp_files(runtime) == before_tmp


async def test_declared_content_length_over_the_limit_is_413_at_once(small) -> None:
    rt, c, auth = small
    before = await file_count(c, auth)
    boundary = "b0undary"
    # Content-Length says the body is huge; the server must refuse before reading it.
    consumed = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal consumed
        for _ in range(100):
            consumed += 1
            yield b"x" * 1024

    r = await c.post("/v1/files", content=body(),
                     headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}",
                              "Content-Length": str(10 * LIMIT)})
    assert_error(r, 413, "payload_too_large")
    assert consumed <= 1
    assert await file_count(c, auth) == before


async def test_streamed_upload_over_the_limit_is_413_mid_stream(small) -> None:
    rt, c, auth = small
    before = await file_count(c, auth)
    before_tmp = _tmp_files(rt)
    before_blobs = _blob_files(rt)
    boundary = "streamboundary"
    chunk = 8 * 1024
    total_chunks = 64  # 512 KiB, 8x the limit
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nbig\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n"
               "Content-Type: audio/wav\r\n\r\n").encode()
        for _ in range(total_chunks):
            sent += 1
            yield b"\x01" * chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    r = await c.post("/v1/files", content=body(),
                     headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert "content-length" not in r.request.headers  # really streamed (chunked), no size known up front
    error = assert_error(r, 413, "payload_too_large")
    assert str(LIMIT) in error["message"]
    assert sent < total_chunks, "the server read the whole oversized body before refusing it"
    assert sent * chunk <= LIMIT + 2 * chunk
    assert _tmp_files(rt) == before_tmp
    assert _blob_files(rt) == before_blobs
    assert await file_count(c, auth) == before


async def test_upload_just_under_the_limit_is_accepted(small) -> None:
    rt, c, auth = small
    path = tone(1.0)
    assert path.stat().st_size < LIMIT
    r = await upload(c, auth, path)
    assert r.status_code == 200, r.text
    assert _tmp_files(rt) == []
