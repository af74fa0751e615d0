"""Typed results of the speech pipeline.

`MediaAnalysis` is what media processing produces once per file (transcoding + extracting). It is cached as
JSON on the media row and is the only input the scoring stage needs: later jobs never decode the audio again.
Times are seconds from the start of the recording; speaker indexes are 0-based in order of first speech.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conduit_server import PIPELINE_VERSION


class MediaError(Exception):
    """Media that cannot be processed. `code` is a job error code (docs/api.md §7.3)."""

    code = "invalid_media"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class UnsupportedMediaError(MediaError):
    """No decodable audio stream (upload answers 415 `unsupported_media_type`)."""

    code = "unsupported_media_type"


class MediaTooLongError(MediaError):
    code = "media_too_long"


class InsufficientSpeechError(MediaError):
    code = "insufficient_speech"


@dataclass(frozen=True, slots=True)
class MediaProbe:
    """What a cheap probe of the container tells before decoding."""

    content_type: str  # sniffed MIME type, e.g. "audio/wav", "video/mp4"
    duration_seconds: float | None
    has_audio: bool


@dataclass(frozen=True, slots=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True, slots=True)
class Utterance:
    """One turn: consecutive words of one speaker without a long pause or a speaker change."""

    speaker_index: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    pitch_median_hz: float | None = None  # over voiced frames of this utterance
    pitch_sd_semitones: float | None = None
    intensity_mean_db: float | None = None


@dataclass(frozen=True, slots=True)
class SpeakerProsody:
    pitch_median_hz: float | None = None
    pitch_sd_semitones: float | None = None  # variability of F0, semitones re. the speaker's median
    intensity_mean_db: float | None = None
    intensity_sd_db: float | None = None
    voiced_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Speaker:
    index: int
    speech_seconds: float  # total duration of this speaker's speech (diarized, after VAD)
    utterance_count: int
    voiceprint: tuple[float, ...] = ()  # L2-normalised speaker embedding (192-d for the default CAM++ embedder)
    prosody: SpeakerProsody = field(default_factory=SpeakerProsody)
    # How surely this speaker's speech was told apart from the others': mean over the speaker's embedding windows of
    # cos(own centroid) - cos(nearest other centroid). None when the recording has one speaker.
    separation_margin: float | None = None
    overlap_seconds: float = 0.0  # own speech during which someone else spoke too (marked, never silently assigned)


@dataclass(frozen=True, slots=True)
class MediaAnalysis:
    duration_seconds: float
    speakers: tuple[Speaker, ...]
    utterances: tuple[Utterance, ...]
    language: str = "en"
    pipeline_version: str = PIPELINE_VERSION
    stage_seconds: dict[str, float] = field(default_factory=dict)  # timing per step, for bench/ and logs
    overlap_seconds: float = 0.0  # speech with two or more speakers at once, over the whole recording
    overlaps: tuple[tuple[float, float], ...] = ()  # (start, end) of each stretch of overlapped speech

    def speaker(self, index: int) -> Speaker:
        for s in self.speakers:
            if s.index == index:
                return s
        raise KeyError(index)

    def utterances_of(self, index: int) -> list[Utterance]:
        return [u for u in self.utterances if u.speaker_index == index]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MediaAnalysis:
        speakers = tuple(
            Speaker(
                index=s["index"],
                speech_seconds=s["speech_seconds"],
                utterance_count=s["utterance_count"],
                voiceprint=tuple(s.get("voiceprint") or ()),
                prosody=SpeakerProsody(**(s.get("prosody") or {})),
                separation_margin=s.get("separation_margin"),
                overlap_seconds=s.get("overlap_seconds", 0.0),
            )
            for s in data["speakers"]
        )
        utterances = tuple(
            Utterance(
                **{k: v for k, v in u.items() if k != "words"},
                words=tuple(Word(**w) for w in u.get("words") or ()),
            )
            for u in data["utterances"]
        )
        return cls(
            duration_seconds=data["duration_seconds"],
            speakers=speakers,
            utterances=utterances,
            language=data.get("language", "en"),
            pipeline_version=data.get("pipeline_version", PIPELINE_VERSION),
            stage_seconds=dict(data.get("stage_seconds") or {}),
            overlap_seconds=data.get("overlap_seconds", 0.0),
            overlaps=tuple((float(a), float(b)) for a, b in data.get("overlaps") or ()),
        )


# Progress hook: (step name, fraction 0..1 of that step). Steps: "transcoding", "extracting".
ProgressHook = Callable[[str, float], None]
# Abort check, polled between steps; the pipeline raises `Aborted` when it returns True.
AbortCheck = Callable[[], bool]


class Aborted(Exception):
    """Raised by the pipeline when its abort check returned True between two steps."""
