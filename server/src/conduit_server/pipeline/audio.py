"""Media boundary: probe a container and decode its first audio stream to float32 mono 16 kHz.

Everything below this module works on float32 samples (`decode_chunks` streams them in bounded chunks, which the
pipeline keeps on disk: `pcm.py`); every PyAV/FFmpeg failure is mapped here to a
`MediaError` (`UnsupportedMediaError` when there is no usable audio stream, `MediaTooLongError` over the limit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np

from conduit_server.pipeline.types import MediaError, MediaProbe, MediaTooLongError, UnsupportedMediaError

SAMPLE_RATE = 16000
CHUNK_SECONDS = 10.0  # decode_chunks: 640 kB per chunk

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
# The only demuxers FFmpeg may use on an upload: single-file media containers. The rest of FFmpeg's ~350 include
# playlists and scripts that open other files or URLs (concat, hls, dash, image2, tee, lavfi...) and parsers
# nobody needs for voice; a file sniffed as one of those is refused (415) before its header is read.
# mov covers mp4/m4a/3gp, matroska covers webm, ogg covers opus and vorbis.
ACCEPTED_CONTAINERS = ("mov", "matroska", *_AUDIO_MIME, *_VIDEO_MIME)
_OPEN_OPTIONS = {"format_whitelist": ",".join(ACCEPTED_CONTAINERS), "protocol_whitelist": "file"}

__all__ = ["CHUNK_SECONDS", "SAMPLE_RATE", "decode_audio", "decode_chunks", "probe_media"]


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
        return av.open(str(path), mode="r", metadata_errors="ignore", options=_OPEN_OPTIONS)
    except MediaError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise UnsupportedMediaError(
            f"not an accepted audio or video container ({exc.__class__.__name__}); accepted: "
            f"{', '.join(sorted(ACCEPTED_CONTAINERS))} (FFmpeg demuxer names)"
        ) from exc


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


def decode_chunks(
    path: Path,
    *,
    max_seconds: float,
    progress: Callable[[float], None] | None = None,
    chunk_seconds: float = CHUNK_SECONDS,
) -> Iterator[np.ndarray]:
    """`decode_audio`'s samples as float32 arrays of exactly `chunk_seconds` (the last one shorter), so a caller
    can store them (`pcm.PcmFile`) without ever holding the whole recording.

    Raises what `decode_audio` raises; `MediaTooLongError` and the empty-stream `MediaError` come while iterating,
    possibly after chunks were yielded, so a caller drops what it stored when iteration raises."""
    limit = int(max_seconds * SAMPLE_RATE)
    size = max(1, int(chunk_seconds * SAMPLE_RATE))
    pending: list[np.ndarray] = []
    held = total = 0
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
                        pending.append(pcm)
                        held += pcm.size
                        total += pcm.size
                if total > limit:
                    raise MediaTooLongError(f"the recording is longer than the limit of {max_seconds:.0f} s")
                if held >= size:
                    buffer = np.concatenate(pending)
                    cut = held - held % size
                    yield from (_finite(buffer[i : i + size]) for i in range(0, cut, size))
                    pending, held = [buffer[cut:]], held - cut
                if progress is not None and duration and packet.pts is not None and packet.time_base:
                    frac = min(1.0, float(packet.pts * packet.time_base) / duration)
                    if frac - last_report >= 0.05:
                        progress(frac)
                        last_report = frac
            for out in resampler.resample(None):
                pcm = out.to_ndarray().reshape(-1)
                pending.append(pcm)
                held += pcm.size
                total += pcm.size
        except MediaError:
            raise
        except (av.error.FFmpegError, ValueError) as exc:
            if not total:  # nothing decodable; a truncated tail keeps what came before it
                raise MediaError(f"the audio could not be decoded ({exc.__class__.__name__})") from exc
    if total == 0:
        raise MediaError("the audio stream is empty")
    if total > limit:
        raise MediaTooLongError(f"the recording is longer than the limit of {max_seconds:.0f} s")
    if held:
        buffer = np.concatenate(pending)
        yield from (_finite(buffer[i : i + size]) for i in range(0, held, size))
    if progress is not None:
        progress(1.0)


def _finite(pcm: np.ndarray) -> np.ndarray:
    pcm = pcm.astype(np.float32, copy=False)
    return pcm if np.all(np.isfinite(pcm)) else np.nan_to_num(pcm, nan=0.0, posinf=0.0, neginf=0.0)


def decode_audio(
    path: Path,
    *,
    max_seconds: float,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """First audio stream as float32 mono 16 kHz, in memory (short clips; the pipeline streams `decode_chunks`
    to disk instead). Video streams are skipped, not decoded.

    Raises `UnsupportedMediaError` without an audio stream, `MediaError` (invalid_media) when nothing decodes,
    `MediaTooLongError` when the audio is longer than `max_seconds`. A truncated file keeps what decoded."""
    return np.concatenate(list(decode_chunks(path, max_seconds=max_seconds, progress=progress)))
