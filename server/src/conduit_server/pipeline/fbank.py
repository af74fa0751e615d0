"""Kaldi-compatible log mel filterbank features in numpy (the front end CAM++ was trained with).

Matches `torchaudio.compliance.kaldi.fbank` / kaldi-native-fbank with: 16 kHz, 25 ms frames every 10 ms,
`snip_edges` (only whole frames), DC offset removed per frame, pre-emphasis 0.97, Povey window, 512-point FFT,
power spectrum, 80 triangular bins on Kaldi's mel scale (1127 ln(1 + f/700)) from 20 Hz to Nyquist, natural log
floored at float32 epsilon, no dither. The caller subtracts the per-segment mean (CAM++'s input normalisation).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["FRAME_HOP", "FRAME_LENGTH", "fbank", "frame_count"]

FRAME_LENGTH = 400  # samples (25 ms at 16 kHz)
FRAME_HOP = 160  # samples (10 ms)
_N_FFT = 512
_EPS = float(np.finfo(np.float32).eps)


def frame_count(n_samples: int) -> int:
    return 0 if n_samples < FRAME_LENGTH else 1 + (n_samples - FRAME_LENGTH) // FRAME_HOP


@functools.cache
def _povey() -> np.ndarray:
    n = np.arange(FRAME_LENGTH, dtype=np.float64)
    return ((0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME_LENGTH - 1))) ** 0.85).astype(np.float32)


@functools.cache
def _mel_banks(n_mels: int = 80, sample_rate: int = 16000, low_hz: float = 20.0) -> np.ndarray:
    """(n_fft/2, n_mels) triangular weights; Kaldi leaves out the Nyquist bin."""

    def mel(f: np.ndarray | float) -> np.ndarray:
        return np.asarray(1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0))

    high_hz = sample_rate / 2
    lo, hi = mel(low_hz), mel(high_hz)
    delta = (hi - lo) / (n_mels + 1)
    centres = lo + delta * np.arange(n_mels + 2)
    bins = mel(np.arange(_N_FFT // 2) * sample_rate / _N_FFT)[:, None]
    left, centre, right = centres[None, :-2], centres[None, 1:-1], centres[None, 2:]
    up = (bins - left) / (centre - left)
    down = (right - bins) / (right - centre)
    weights: np.ndarray = np.maximum(0.0, np.minimum(up, down)).astype(np.float32)
    return weights


def fbank(audio: np.ndarray, *, n_mels: int = 80, chunk_frames: int = 4096) -> np.ndarray:
    """(frames, n_mels) float32 log mel energies of 16 kHz mono audio in [-1, 1]."""
    audio = np.asarray(audio, dtype=np.float32)
    n = frame_count(audio.size)
    out = np.empty((n, n_mels), dtype=np.float32)
    banks, window = _mel_banks(n_mels), _povey()
    offsets = np.arange(FRAME_LENGTH)[None, :]
    for f0 in range(0, n, chunk_frames):  # bounded memory on long inputs
        f1 = min(n, f0 + chunk_frames)
        frames = audio[(np.arange(f0, f1) * FRAME_HOP)[:, None] + offsets].astype(np.float64)
        frames -= frames.mean(axis=1, keepdims=True)
        frames[:, 1:] -= 0.97 * frames[:, :-1]
        frames[:, 0] -= 0.97 * frames[:, 0]
        frames *= window
        power = np.abs(np.fft.rfft(frames, n=_N_FFT, axis=1)[:, : _N_FFT // 2]) ** 2
        out[f0:f1] = np.log(np.maximum(power.astype(np.float32) @ banks, _EPS))
    return out
