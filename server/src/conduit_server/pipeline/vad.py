"""Speech regions from per-frame speech probabilities: hysteresis, gap bridging, burst dropping, padding.

The probabilities come from pyannote segmentation-3.0 (`segmentation.py`), which replaced the Silero VAD: on
far-field meeting excerpts it finds far more of the speech (docs/speech.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000

__all__ = ["SpeechRegion", "VadSettings", "segment", "speech_seconds"]


@dataclass(frozen=True, slots=True)
class SpeechRegion:
    start: float  # seconds
    end: float


@dataclass(frozen=True, slots=True)
class VadSettings:
    threshold: float = 0.5
    neg_threshold: float = 0.4  # once speaking, stay in speech until the probability falls below this
    min_silence_s: float = 0.25  # shorter gaps are bridged
    min_speech_s: float = 0.15  # shorter bursts are dropped
    pad_s: float = 0.03


def speech_seconds(regions: list[SpeechRegion]) -> float:
    return float(sum(r.end - r.start for r in regions))


def segment(probs: np.ndarray, duration: float, s: VadSettings, *, step: float) -> list[SpeechRegion]:
    """Hysteresis on probabilities `step` seconds apart, then bridge short gaps, drop short bursts and pad."""
    raw: list[list[float]] = []
    speaking = False
    for i, p in enumerate(probs):
        if not speaking and p >= s.threshold:
            speaking = True
            raw.append([i * step, duration])
        elif speaking and p < s.neg_threshold:
            speaking = False
            raw[-1][1] = i * step
    merged: list[list[float]] = []
    for start, end in raw:
        if merged and start - merged[-1][1] < s.min_silence_s:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    out: list[SpeechRegion] = []
    for start, end in merged:
        if end - start < s.min_speech_s:
            continue
        a, b = max(0.0, start - s.pad_s), min(duration, end + s.pad_s)
        if out and a <= out[-1].end:
            out[-1] = SpeechRegion(out[-1].start, b)
        else:
            out.append(SpeechRegion(a, b))
    return out
