"""Prosody: pitch and intensity per utterance and per speaker, with praatfan's Rust port of Praat.

Pitch: Praat autocorrelation, 10 ms step, 60-500 Hz; unvoiced frames are ignored. Variability is the standard
deviation in semitones relative to the median (of the utterance, or of the speaker for `SpeakerProsody`).
Intensity: Praat intensity (dB, 100 Hz minimum pitch), mean and SD over the utterance frames. Each utterance
is analysed on its own slice, so memory stays flat on long recordings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from conduit_server.pipeline.pcm import Samples
from conduit_server.pipeline.types import SpeakerProsody, Utterance

SAMPLE_RATE = 16000
TIME_STEP = 0.01
_PAD_S = 0.05
_MIN_S = 0.12

__all__ = ["ProsodyAnalyzer"]


def _semitone_sd(f0: np.ndarray) -> float | None:
    if f0.size < 2:
        return None
    return float(np.std(12.0 * np.log2(f0 / np.median(f0))))


class ProsodyAnalyzer:
    """Stateless apart from the backend selection; cheap to build (no model to load)."""

    def __init__(self, *, pitch_floor: float = 60.0, pitch_ceiling: float = 500.0) -> None:
        import praatfan

        praatfan.set_backend("praatfan_rust")
        self._praatfan = praatfan
        self.pitch_floor, self.pitch_ceiling = pitch_floor, pitch_ceiling

    def _measure(self, audio: Samples, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        a = max(0, int((start - _PAD_S) * SAMPLE_RATE))
        b = min(len(audio), int((end + _PAD_S) * SAMPLE_RATE))
        if (b - a) / SAMPLE_RATE < _MIN_S:
            return np.zeros(0), np.zeros(0)
        sound = self._praatfan.Sound(audio[a:b].astype(np.float64), SAMPLE_RATE)
        pitch = sound.to_pitch_ac(time_step=TIME_STEP, pitch_floor=self.pitch_floor, pitch_ceiling=self.pitch_ceiling)
        f0 = np.asarray(pitch.values(), dtype=np.float64)
        times = np.asarray(pitch.xs(), dtype=np.float64) + a / SAMPLE_RATE
        f0 = f0[(times >= start) & (times <= end) & np.isfinite(f0) & (f0 > 0)]
        try:
            inten = sound.to_intensity(minimum_pitch=100.0, time_step=TIME_STEP)
            db = np.asarray(inten.values(), dtype=np.float64)
            itimes = np.asarray(inten.xs(), dtype=np.float64) + a / SAMPLE_RATE
            db = db[(itimes >= start) & (itimes <= end) & np.isfinite(db)]
        except Exception:  # too short for Praat's intensity window: report no intensity, keep pitch
            db = np.zeros(0)
        return f0, db

    def analyse(
        self, audio: Samples, utterances: Sequence[Utterance], speaker_count: int
    ) -> tuple[tuple[Utterance, ...], tuple[SpeakerProsody, ...]]:
        """Utterances with pitch/intensity filled in, and one `SpeakerProsody` per speaker index."""
        pooled_f0: list[list[np.ndarray]] = [[] for _ in range(speaker_count)]
        pooled_db: list[list[np.ndarray]] = [[] for _ in range(speaker_count)]
        out: list[Utterance] = []
        for u in utterances:
            f0, db = self._measure(audio, u.start, u.end)
            pooled_f0[u.speaker_index].append(f0)
            pooled_db[u.speaker_index].append(db)
            out.append(
                dataclasses.replace(
                    u,
                    pitch_median_hz=float(np.median(f0)) if f0.size else None,
                    pitch_sd_semitones=_semitone_sd(f0),
                    intensity_mean_db=float(np.mean(db)) if db.size else None,
                )
            )
        speakers = []
        for i in range(speaker_count):
            f0 = np.concatenate(pooled_f0[i]) if pooled_f0[i] else np.zeros(0)
            db = np.concatenate(pooled_db[i]) if pooled_db[i] else np.zeros(0)
            speakers.append(
                SpeakerProsody(
                    pitch_median_hz=float(np.median(f0)) if f0.size else None,
                    pitch_sd_semitones=_semitone_sd(f0),
                    intensity_mean_db=float(np.mean(db)) if db.size else None,
                    intensity_sd_db=float(np.std(db)) if db.size > 1 else None,
                    voiced_seconds=float(f0.size * TIME_STEP),
                )
            )
        return tuple(out), tuple(speakers)
