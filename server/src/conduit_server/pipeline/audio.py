"""Media boundary: probe a container and decode its first audio stream to float32 mono 16 kHz.

Everything below this module works on numpy arrays; every PyAV/FFmpeg failure is mapped here to a
`MediaError` (`UnsupportedMediaError` when there is no usable audio stream, `MediaTooLongError` over the limit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from conduit_server.pipeline.types import MediaError, MediaProbe, MediaTooLongError, UnsupportedMediaError

SAMPLE_RATE = 16000

# FFmpeg demuxer name -> MIME type when the file has no video stream / has one.
_AUDIO_MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "aiff": "audio/aiff",
    "amr": "audio/amr",
    "caf": "audio/x-caf",
    "w64": "audio/wav",
    "asf": "audio/x-ms-wma",
}
_VIDEO_MIME = {"avi": "video/x-msvideo", "flv": "video/x-flv", "mpegts": "video/mp2t", "mpeg": "video/mpeg"}

__all__ = ["SAMPLE_RATE", "decode_audio", "probe_media"]


def _mime(container: av.container.InputContainer, head: bytes) -> str:
    names = set(container.format.name.split(","))
    has_video = any(s.type == "video" and not _is_cover_art(s) for s in container.streams)
    if names & {"mov", "mp4"}:
        if has_video:
            return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
        return "audio/mp4"
    if names & {"matroska", "webm"}:
        kind = "video" if has_video else "audio"
        return f"{kind}/webm" if b"webm" in head[:64] else f"{kind}/x-matroska"
    if "ogg" in names and has_video:
        return "video/ogg"
    for name in container.format.name.split(","):
        if name in _AUDIO_MIME:
            return _AUDIO_MIME[name]
        if name in _VIDEO_MIME:
            return _VIDEO_MIME[name]
    return f"{'video' if has_video else 'audio'}/x-{sorted(names)[0]}"


def _is_cover_art(stream: av.stream.Stream) -> bool:
    return bool(getattr(stream, "disposition", 0) & getattr(av.stream.Disposition, "attached_pic", 0))


def _open(path: Path) -> av.container.InputContainer:
    try:
        if Path(path).stat().st_size == 0:
            raise UnsupportedMediaError("the file is empty")
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except MediaError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise UnsupportedMediaError(f"not a recognised audio or video container ({exc.__class__.__name__})") from exc


def probe_media(path: Path) -> MediaProbe:
    """Sniff type, duration and audio presence from the bytes (the file name is ignored)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    with _open(path) as container:
        if container.format.name in {"tty", "image2", "lavfi"} or not container.streams.audio:
            raise UnsupportedMediaError("no audio stream")
        audio = container.streams.audio[0]
        if audio.codec_context is None or not audio.codec_context.name:
            raise UnsupportedMediaError("the audio stream has no known codec")
        duration: float | None = None
        if container.duration is not None and container.duration > 0:
            duration = container.duration / av.time_base
        elif audio.duration is not None and audio.time_base is not None:
            duration = float(audio.duration * audio.time_base)
        return MediaProbe(content_type=_mime(container, head), duration_seconds=duration, has_audio=True)


def decode_audio(
    path: Path,
    *,
    max_seconds: float,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """First audio stream as float32 mono 16 kHz; video streams are skipped, not decoded.

    Raises `UnsupportedMediaError` without an audio stream, `MediaError` (invalid_media) when nothing decodes,
    `MediaTooLongError` when the audio is longer than `max_seconds`. A truncated file keeps what decoded."""
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    with _open(path) as container:
        if not container.streams.audio:
            raise UnsupportedMediaError("no audio stream")
        stream = container.streams.audio[0]
        duration = container.duration / av.time_base if container.duration else None
        if duration is not None and duration > max_seconds + 1.0:
            raise MediaTooLongError(f"the recording is {duration:.0f} s long; the limit is {max_seconds:.0f} s")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        last_report = -1.0
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    for out in resampler.resample(frame):
                        pcm = out.to_ndarray().reshape(-1)
                        chunks.append(pcm)
                        total += pcm.size
                if total > limit:
                    raise MediaTooLongError(f"the recording is longer than the limit of {max_seconds:.0f} s")
                if progress is not None and duration and packet.pts is not None and packet.time_base:
                    frac = min(1.0, float(packet.pts * packet.time_base) / duration)
                    if frac - last_report >= 0.05:
                        progress(frac)
                        last_report = frac
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except MediaError:
            raise
        except (av.error.FFmpegError, ValueError) as exc:
            if not chunks:  # nothing decodable; a truncated tail keeps what came before it
                raise MediaError(f"the audio could not be decoded ({exc.__class__.__name__})") from exc
    audio = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
    if audio.size == 0:
        raise MediaError("the audio stream is empty")
    if audio.size > limit:
        raise MediaTooLongError(f"the recording is longer than the limit of {max_seconds:.0f} s")
    if not np.all(np.isfinite(audio)):
        audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
    if progress is not None:
        progress(1.0)
    return audio
