"""`SpeechPipeline`: one recording in, one `MediaAnalysis` out.

Named steps, each timed into `stage_seconds`: decode -> vad -> embed -> cluster -> asr -> turns -> prosody.
Progress goes to the hook as ("transcoding", f) while decoding and ("extracting", f) afterwards, f rising
from 0 to 1 within each. The abort check is polled between steps (and between ASR segments); it raises
`Aborted`. Audio without speech is not an error here: it yields an analysis with zero speakers, and the job
layer decides (insufficient_speech).

The decoded audio goes to an anonymous temporary file (`pcm.PcmFile`, in `tmp_dir`, else the system's temporary
folder), never into memory as a whole: each step reads the slices it works on, so memory stays flat from a minute
to the 4 h limit, and a long recording without speech costs segmentation only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from conduit_server.pipeline.asr_gaps import recover_skipped_speech, words_in_speech
from conduit_server.pipeline.asr_pieces import MAX_PIECE_S, plan_pieces, transcribe_pieces
from conduit_server.pipeline.audio import SAMPLE_RATE, decode_chunks
from conduit_server.pipeline.diarize import (
    ClusterSettings,
    clean_windows,
    cluster,
    overlap_by_label,
    segments_from_labels,
    speech_windows,
)
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.pcm import PcmFile, Samples
from conduit_server.pipeline.prosody import ProsodyAnalyzer
from conduit_server.pipeline.turns import build_turns
from conduit_server.pipeline.types import AbortCheck, Aborted, MediaAnalysis, ProgressHook, Speaker
from conduit_server.pipeline.vad import SpeechRegion

# Where each step ends on the "extracting" progress scale (ASR dominates the run time).
_EXTRACT_END = {"vad": 0.04, "embed": 0.16, "cluster": 0.2, "asr": 0.9, "turns": 0.93, "prosody": 1.0}

__all__ = ["SpeechPipeline"]


class _Run:
    """Book-keeping of one run: timings, monotonic progress, abort polling."""

    def __init__(self, hook: ProgressHook | None, should_abort: AbortCheck | None) -> None:
        self.hook, self.should_abort = hook, should_abort
        self.stage_seconds: dict[str, float] = {}
        self._last: dict[str, float] = {}

    def progress(self, phase: str, fraction: float) -> None:
        fraction = min(1.0, max(fraction, self._last.get(phase, 0.0)))
        if self.hook is not None and fraction > self._last.get(phase, -1.0):
            self._last[phase] = fraction
            self.hook(phase, fraction)

    def check(self) -> None:
        if self.should_abort is not None and self.should_abort():
            raise Aborted("aborted by request")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.check()
        t0 = time.perf_counter()
        yield
        self.stage_seconds[name] = round(time.perf_counter() - t0, 4)
        if name != "decode":
            self.progress("extracting", _EXTRACT_END[name])

    def extract_span(self, name: str) -> Callable[[float], None]:
        """Map a step's own 0..1 progress onto its slice of the extracting scale."""
        names = list(_EXTRACT_END)
        lo = _EXTRACT_END[names[names.index(name) - 1]] if names.index(name) else 0.0
        hi = _EXTRACT_END[name]
        return lambda f: self.progress("extracting", lo + (hi - lo) * f)


def _speech_sample(audio: Samples, regions: list[SpeechRegion], max_seconds: float = 90.0) -> np.ndarray:
    """The first `max_seconds` of detected speech, joined: what the language is told by (silence and noise make
    Whisper guess)."""
    parts: list[np.ndarray] = []
    left = int(max_seconds * SAMPLE_RATE)
    for region in regions:
        lo = int(region.start * SAMPLE_RATE)
        hi = min(int(region.end * SAMPLE_RATE), lo + left)
        parts.append(np.asarray(audio[lo:hi], dtype=np.float32))
        left -= hi - lo
        if left <= 0:
            break
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class SpeechPipeline:
    """Reusable; share one `Models` across pipelines of a process. Not re-entrant: one `run` at a time."""

    def __init__(self, models: Models, *, max_seconds: float = 4 * 3600, language: str | None = None,
                 max_pause: float = 1.0, cluster_settings: ClusterSettings | None = None,
                 tmp_dir: Path | None = None, asr_piece_seconds: float = MAX_PIECE_S) -> None:
        """tmp_dir: where the decoded audio is kept during a run (about 230 MB per hour); asr_piece_seconds: longer
        recordings are transcribed in pieces of at most this (`asr_pieces`)."""
        self.models = models
        self.tmp_dir = tmp_dir
        self.asr_piece_seconds = asr_piece_seconds
        self.max_seconds = max_seconds
        self.language = language
        self.max_pause = max_pause
        self.cluster_settings = cluster_settings or ClusterSettings()

    def run(
        self, path: Path, hook: ProgressHook | None = None, should_abort: AbortCheck | None = None
    ) -> MediaAnalysis:
        r = _Run(hook, should_abort)
        with PcmFile(self.tmp_dir) as audio:
            with r.step("decode"):
                r.progress("transcoding", 0.0)
                audio.extend(decode_chunks(Path(path), max_seconds=self.max_seconds,
                                           progress=lambda f: r.progress("transcoding", f)))
                r.progress("transcoding", 1.0)
            return self._analyse(audio, r)

    def _analyse(self, audio: Samples, r: _Run) -> MediaAnalysis:
        duration = len(audio) / SAMPLE_RATE
        r.progress("extracting", 0.0)
        with r.step("vad"):
            activity = self.models.vad.detect(audio)
            regions, overlaps = activity.regions, activity.overlaps
        if not regions:
            return self._empty(duration, r)
        with r.step("embed"):
            windows = clean_windows(regions, speech_windows(regions), overlaps)
            if not windows:  # only blips shorter than a window: nothing to tell a voice by
                return self._empty(duration, r)
            embeddings = self.models.embedder.embed_windows(audio, windows)
        with r.step("cluster"):
            clusters = cluster(embeddings, self.cluster_settings)
            segments = segments_from_labels(regions, windows, clusters.labels)
            overlap_of = overlap_by_label(segments, overlaps)
        with r.step("asr"):
            transcriber = self.models.transcriber
            language = self.language or transcriber.identify_language(_speech_sample(audio, regions))[0]
            transcript = transcribe_pieces(
                transcriber, audio, plan_pieces(regions, duration, max_piece=self.asr_piece_seconds),
                language=language,
                progress=r.extract_span("asr"), should_abort=r.should_abort)
            words = recover_skipped_speech(
                audio, regions, words_in_speech(transcript.words, regions),
                lambda clip: transcriber.transcribe(clip, language=transcript.language, prompted=False).words)
        with r.step("turns"):
            turns = build_turns(words, segments, duration, max_pause=self.max_pause)
        with r.step("prosody"):
            utterances, prosody = ProsodyAnalyzer().analyse(audio, turns.utterances, len(turns.label_of_speaker))
        speakers = tuple(
            Speaker(
                index=i,
                speech_seconds=round(turns.speech_seconds[i], 3),
                utterance_count=sum(1 for u in utterances if u.speaker_index == i),
                voiceprint=tuple(float(v) for v in np.asarray(clusters.centroids[label], dtype=np.float64)),
                prosody=prosody[i],
                separation_margin=_round(clusters.mean_margin(label)),
                overlap_seconds=round(overlap_of.get(label, 0.0), 3),
            )
            for i, label in enumerate(turns.label_of_speaker)
        )
        return MediaAnalysis(duration_seconds=round(duration, 3), speakers=speakers, utterances=utterances,
                             language=transcript.language, stage_seconds=dict(r.stage_seconds),
                             overlap_seconds=round(sum(o.end - o.start for o in overlaps), 3),
                             overlaps=tuple((round(o.start, 3), round(o.end, 3)) for o in overlaps))

    def _empty(self, duration: float, r: _Run) -> MediaAnalysis:
        r.progress("extracting", 1.0)
        return MediaAnalysis(duration_seconds=round(duration, 3), speakers=(), utterances=(),
                             language=self.language or "en", stage_seconds=dict(r.stage_seconds))
