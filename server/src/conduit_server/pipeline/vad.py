"""Voice activity detection: the Silero v6 ONNX model that ships inside faster-whisper.

`SileroVad` owns its own ONNX session (faster-whisper's `get_speech_timestamps` uses a process-wide cached one);
segmentation is the usual hysteresis over 32 ms speech probabilities.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
_WINDOW = 512  # samples per Silero step at 16 kHz

__all__ = ["SileroVad", "SpeechRegion", "VadSettings", "speech_seconds"]


@dataclass(frozen=True, slots=True)
class SpeechRegion:
    start: float  # seconds
    end: float


@dataclass(frozen=True, slots=True)
class VadSettings:
    # Lower than Silero's usual 0.5/0.35: on far-field meeting excerpts (AMI) 0.35 finds ~5 % more of the speech
    # with precision still >= 0.99; on a 5 dB SNR synthetic conversation precision drops from 0.97 to 0.95.
    threshold: float = 0.35
    neg_threshold: float = 0.25  # once speaking, stay in speech until the probability falls below this
    min_silence_s: float = 0.25  # shorter gaps are bridged
    min_speech_s: float = 0.15  # shorter bursts are dropped
    pad_s: float = 0.03


def speech_seconds(regions: list[SpeechRegion]) -> float:
    return float(sum(r.end - r.start for r in regions))


class SileroVad:
    """Load once per process (see `Models`); `regions(audio)` is safe to call from one thread at a time."""

    def __init__(self, settings: VadSettings | None = None) -> None:
        import onnxruntime
        from faster_whisper.utils import get_assets_path
        from faster_whisper.vad import SileroVADModel

        self.settings = settings or VadSettings()
        path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        del onnxruntime  # imported only to fail early with a clear error when it is missing
        self._model = SileroVADModel(path)  # single-threaded session: the model is tiny

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Speech probability per 32 ms step."""
        if audio.size == 0:
            return np.zeros(0, dtype=np.float32)
        padded = np.pad(audio.astype(np.float32, copy=False), (0, _WINDOW - audio.size % _WINDOW))
        return np.asarray(self._model(padded), dtype=np.float32).reshape(-1)

    def regions(self, audio: np.ndarray) -> list[SpeechRegion]:
        probs = self.probabilities(audio)
        return segment(probs, len(audio) / SAMPLE_RATE, self.settings)


def segment(probs: np.ndarray, duration: float, s: VadSettings) -> list[SpeechRegion]:
    """Hysteresis on the probabilities, then bridge short gaps, drop short bursts and pad."""
    step = _WINDOW / SAMPLE_RATE
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
