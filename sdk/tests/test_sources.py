from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from conduit import ConduitError, InvalidSourceError, RemoteFetchError, RemoteFetchTooLargeError
from conduit._sources import LimitedReader
from sdk_testkit import UPLOAD, Recorder, json_response, make_client

RECEIPT = {"jobId": "job_1", "status": "queued"}


def _multipart(request: httpx.Request) -> bytes:
    return request.content


def _client(rec: Recorder, fetch: httpx.MockTransport | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    return make_client(rec, _fetch_transport=fetch, **kwargs)


def test_path_source_uploads_file_with_stem_label_and_mime(tmp_path: Path) -> None:
    audio = tmp_path / "call-a.wav"
    audio.write_bytes(b"RIFFdata")
    rec = Recorder(json_response(200, UPLOAD), json_response(200, RECEIPT))
    receipt = _client(rec).reports.create(
        source={"path": str(audio)},
        output={"template": "general_report"},
        target={"strategy": "dominant"},
        idempotency_key="k1",
    )
    upload, create = rec.requests
    body = _multipart(upload)
    assert b'filename="call-a.wav"' in body and b"audio/" in body and b"RIFFdata" in body
    assert b'name="label"\r\n\r\ncall-a' in body
    assert upload.headers["Idempotency-Key"] == create.headers["Idempotency-Key"] == "k1"
    assert receipt.media_id == "med_1"


def test_bytes_source_goes_as_upload_bin_with_label() -> None:
    rec = Recorder(json_response(200, UPLOAD))
    _client(rec).primitives.media.upload(file=b"abc", label="mine")
    body = _multipart(rec.requests[0])
    assert b'filename="upload.bin"' in body and b'name="label"\r\n\r\nmine' in body


def test_file_object_source_and_size_guard() -> None:
    rec = Recorder(json_response(200, UPLOAD))
    _client(rec).primitives.media.upload(file=io.BytesIO(b"12345"))
    assert b"12345" in _multipart(rec.requests[0])
    with pytest.raises(InvalidSourceError) as info:
        _client(rec, max_source_bytes=4).primitives.media.upload(file=io.BytesIO(b"12345"))
    assert info.value.code == "source_too_large"
    with pytest.raises(InvalidSourceError):
        _client(rec, max_source_bytes=2).primitives.media.upload(file=b"abc")


def test_limited_reader_counts_and_rewinds() -> None:
    reader = LimitedReader(io.BytesIO(b"abcdef"), 4)
    assert reader.read(4) == b"abcd"
    reader.seek(0)
    assert reader.read(3) == b"abc"
    with pytest.raises(InvalidSourceError):
        reader.read()


@pytest.mark.parametrize(
    "source", [{}, {"media_id": "m", "url": "http://x/a.wav"}, {"path": "/definitely/missing.wav"}]
)
def test_invalid_sources(source: dict[str, object]) -> None:
    with pytest.raises(InvalidSourceError) as info:
        _client(Recorder(json_response(200, UPLOAD))).reports.create(
            source=source,
            output={"template": "general_report"},
            target={"strategy": "dominant"},  # type: ignore[arg-type]
        )
    assert info.value.code == "invalid_source"


def test_url_source_follows_redirects_then_uploads() -> None:
    def remote(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(302, headers={"location": "/files/meeting.mp3"})
        return httpx.Response(200, content=b"ID3audio", headers={"content-type": "audio/mpeg"})

    rec = Recorder(json_response(200, UPLOAD))
    _client(rec, httpx.MockTransport(remote)).primitives.media.upload(url="https://cdn.test/start")
    body = _multipart(rec.requests[0])
    assert b'filename="meeting.mp3"' in body and b"ID3audio" in body and b"audio/mpeg" in body
    assert b'name="label"\r\n\r\nmeeting' in body


def test_url_source_redirect_limit() -> None:
    hops: list[str] = []

    def loop(request: httpx.Request) -> httpx.Response:
        hops.append(request.url.path)
        return httpx.Response(302, headers={"location": f"/hop{len(hops)}"})

    with pytest.raises(RemoteFetchError) as info:
        _client(Recorder(json_response(200, UPLOAD)), httpx.MockTransport(loop)).primitives.media.upload(
            url="http://x/a"
        )
    assert info.value.code == "remote_fetch_redirects_exhausted" and len(hops) == 6


def test_url_source_size_guard_and_http_error() -> None:
    big = httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 100))
    with pytest.raises(RemoteFetchTooLargeError) as info:
        _client(Recorder(json_response(200, UPLOAD)), big, max_source_bytes=10).primitives.media.upload(
            url="http://x/a"
        )
    assert info.value.code == "source_too_large"
    missing = httpx.MockTransport(lambda r: httpx.Response(404))
    with pytest.raises(RemoteFetchError) as fetch:
        _client(Recorder(json_response(200, UPLOAD)), missing).primitives.media.upload(url="http://x/a")
    assert (fetch.value.code, fetch.value.status) == ("remote_fetch_failed", 404)


def test_url_source_rejects_non_http_scheme() -> None:
    with pytest.raises(InvalidSourceError):
        _client(Recorder(json_response(200, UPLOAD))).primitives.media.upload(url="file:///etc/passwd")


def test_target_selector_and_output_conversion() -> None:
    rec = Recorder(json_response(200, RECEIPT))
    client = _client(rec)
    client.reports.create(
        source={"mediaId": "med_1"},
        output={"template": "sales_playbook", "templateParams": {"roleTitle": "AE"}},  # type: ignore[typeddict-unknown-key]
        target={"strategy": "timerange", "timeRange": {"startSeconds": 3, "end_seconds": 9.5}},  # type: ignore[typeddict-unknown-key]
        language="es",
        webhook={"url": "https://app.test/hook", "headers": {"x-tenant-id": "t1"}},
    )
    import json

    body = json.loads(rec.requests[0].content)
    assert body == {
        "media": {"mediaId": "med_1"},
        "output": {"template": "sales_playbook", "templateParams": {"roleTitle": "AE"}},
        "target": {"strategy": "timerange", "timerange": {"start_seconds": 3.0, "end_seconds": 9.5}},
        "language": "es",
        "webhook": {"url": "https://app.test/hook", "headers": {"x-tenant-id": "t1"}},
    }
    client.reports.create(
        source={"media_id": "med_1"},
        output={"template": "general_report"},
        target={"strategy": "speaker_index", "speaker_index": 1, "on_miss": "fallback_dominant"},
    )
    assert json.loads(rec.requests[1].content)["target"] == {
        "strategy": "speaker_index",
        "on_miss": "fallback_dominant",
        "speaker_index": 1,
    }


def test_matching_validation_before_any_request() -> None:
    rec = Recorder(json_response(200, RECEIPT))
    client = _client(rec)
    with pytest.raises(ConduitError) as empty:
        client.matching.create(context="behavioral_compatibility", target={"entity_id": "ent_a"}, group=[])
    with pytest.raises(ConduitError) as dup:
        client.matching.create(
            context="behavioral_compatibility", target={"entity_id": "ent_a"}, group=[{"entity_id": "ent_a"}]
        )
    assert empty.value.code == dup.value.code == "invalid_request" and rec.requests == []
    client.matching.create(
        context="behavioral_compatibility",
        target={"entity_id": "ent_a"},
        group=[{"media_id": "med_1", "selector": {"strategy": "magic_hint", "hint": "the host"}}],
    )
    import json

    assert json.loads(rec.requests[0].content)["group"] == [
        {"type": "media_target", "mediaId": "med_1", "selector": {"strategy": "magic_hint", "hint": "the host"}}
    ]
