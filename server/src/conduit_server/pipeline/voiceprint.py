"""Speaker embeddings ("voiceprints") behind a small protocol, so another embedder can replace the default.

The default is CAM++ (`campplus.py`, 192-d). An embedder turns a single-speaker clip, or many short windows of a
recording, into L2-normalised vectors whose cosine similarity is high for the same voice and low for different
ones. Thresholds that compare voiceprints (entity matching, cluster merging) belong to one embedder: anyone
swapping it must re-measure them on real speech (`bench/diarization.py --only eer`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from conduit_server.pipeline.pcm import Samples

__all__ = ["Embedder", "cosine"]


@runtime_checkable
class Embedder(Protocol):
    dim: int
    sample_rate: int

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """One L2-normalised embedding of a whole (single-speaker) clip."""
        ...

    def embed_windows(self, audio: Samples, windows: list[tuple[float, float]]) -> np.ndarray:
        """(len(windows), dim) L2-normalised embeddings of the (start, end) second spans of `audio`, read by
        slices (it may be a `PcmFile` of a 4 h recording)."""
        ...


def cosine(a: np.ndarray | tuple[float, ...], b: np.ndarray | tuple[float, ...]) -> float:
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / denom) if denom > 0 else 0.0
