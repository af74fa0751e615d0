"""probe_media / decode_audio across containers and on bad input."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from conduit_server.pipeline.audio import decode_audio, probe_media
from conduit_server.pipeline.types import MediaError, MediaTooLongError, UnsupportedMediaError
from fixtures import speech

EXPECTED_MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "ogg": "audio/ogg",
    "webm": "audio/webm",
    "flac": "audio/flac",
}


@pytest.fixture(scope="module")
def reference(two: speech.Conversation) -> np.ndarray:
    return decode_audio(two.path, max_seconds=600)


@pytest.mark.parametrize("container", speech.CONTAINERS)
def test_probe_sniffs_type_and_duration(container: str, two: speech.Conversation) -> None:
    conv = speech.two_speaker_short(container=container)
    probe = probe_media(conv.path)
    assert probe.content_type == EXPECTED_MIME[container]
    assert probe.has_audio
    assert probe.duration_seconds == pytest.approx(two.duration, abs=0.25)


def test_probe_ignores_the_file_name(two: speech.Conversation, tmp_path: Path) -> None:
    disguised = tmp_path / "recording.mp3"
    disguised.write_bytes(speech.two_speaker_short(container="mp4").path.read_bytes())
    assert probe_media(disguised).content_type == "video/mp4"


@pytest.mark.parametrize("container", speech.CONTAINERS)
def test_every_container_decodes_to_the_same_signal(container: str, reference: np.ndarray) -> None:
    conv = speech.two_speaker_short(container=container)
    audio = decode_audio(conv.path, max_seconds=600)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) / 16000 == pytest.approx(len(reference) / 16000, abs=0.1)
    n = min(len(audio), len(reference))
    ref_rms = float(np.sqrt(np.mean(reference[:n] ** 2)))
    assert float(np.sqrt(np.mean(audio[:n] ** 2))) == pytest.approx(ref_rms, rel=0.1)
    corr = float(np.corrcoef(audio[:n], reference[:n])[0, 1])
    print(f"{container}: correlation with the WAV {corr:.4f}")
    assert corr > 0.9


@pytest.mark.parametrize(
    "name, content",
    [
        ("text.wav", b"this is not audio at all\n" * 20),
        ("zero.wav", b""),
        ("garbage.mp3", bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8))),
        ("header-only.flac", b"fLaC\x00\x00\x00\x22"),
    ],
)
def test_probe_rejects_non_media(name: str, content: bytes, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnsupportedMediaError) as err:
        probe_media(path)
    assert err.value.code == "unsupported_media_type"
    with pytest.raises(MediaError):
        decode_audio(path, max_seconds=60)


def test_video_without_audio_is_unsupported(tmp_path: Path) -> None:
    import av

    path = tmp_path / "silent-video.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=2)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(4):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(UnsupportedMediaError):
        probe_media(path)
    with pytest.raises(UnsupportedMediaError):
        decode_audio(path, max_seconds=60)


def test_zero_length_audio_is_invalid_media(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    with pytest.raises(MediaError) as err:
        decode_audio(path, max_seconds=60)
    assert err.value.code == "invalid_media"


def test_truncated_file_keeps_what_decodes(two: speech.Conversation, tmp_path: Path) -> None:
    data = speech.two_speaker_short(container="mp3").path.read_bytes()
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: len(data) // 2])
    audio = decode_audio(path, max_seconds=600)
    assert len(audio) / 16000 == pytest.approx(two.duration / 2, abs=3.0)


def test_too_long_is_rejected(two: speech.Conversation) -> None:
    with pytest.raises(MediaTooLongError) as err:
        decode_audio(two.path, max_seconds=10)
    assert err.value.code == "media_too_long"


def test_decode_reports_progress(two: speech.Conversation) -> None:
    seen: list[float] = []
    decode_audio(speech.two_speaker_short(container="mp3").path, max_seconds=600, progress=seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
