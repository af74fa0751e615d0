"""Diarization building blocks on synthetic embeddings (fast, no model)."""

from __future__ import annotations

import numpy as np
from conduit_server.pipeline.diarize import cluster, segments_from_labels, speech_windows
from conduit_server.pipeline.vad import SpeechRegion


def _voices(n_speakers: int, per: int, spread: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_speakers, 256))
    labels = np.repeat(np.arange(n_speakers), per)
    x = centres[labels] + spread * rng.standard_normal((len(labels), 256))
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def test_finds_the_number_of_voices() -> None:
    for k in (2, 3, 5):
        x, truth = _voices(k, 12, spread=0.05)
        result = cluster(x)
        assert result.k == k
        assert len({(a, b) for a, b in zip(result.labels, truth, strict=True)}) == k


def test_one_voice_gives_one_speaker() -> None:
    x, _ = _voices(1, 40, spread=0.3)
    assert cluster(x).k == 1


def test_few_windows_give_one_speaker() -> None:
    x, _ = _voices(2, 1, spread=0.01)
    assert cluster(x).k == 1


def test_windows_cover_regions() -> None:
    regions = [SpeechRegion(0.0, 4.0), SpeechRegion(5.0, 5.8), SpeechRegion(7.0, 7.1)]
    wins = speech_windows(regions)
    assert wins[0] == (0.0, 1.0) and wins[1] == (0.5, 1.5) and wins[-1] == (5.0, 5.8)
    assert max(b for a, b in wins if b <= 4.0) == 4.0
    assert all(b - a <= 1.0 + 1e-9 for a, b in wins)


def test_tiny_cluster_is_absorbed_and_margins_reported() -> None:
    x, truth = _voices(2, 30, spread=0.05)
    stray = _voices(1, 2, spread=0.05, seed=7)[0]  # two windows of a third "voice": too few to be a speaker
    result = cluster(np.concatenate([x, stray]))
    assert result.k == 2 and len(result.labels) == 62
    assert result.margins.shape == (62,) and all((result.mean_margin(k) or 0.0) > 0.3 for k in range(2))


def test_one_voice_has_no_margin() -> None:
    x, _ = _voices(1, 40, spread=0.3)
    assert cluster(x).mean_margin(0) is None


def test_segments_follow_labels() -> None:
    regions = [SpeechRegion(0.0, 3.0)]
    wins = [(0.0, 1.5), (1.5, 3.0)]
    segs = segments_from_labels(regions, wins, np.array([0, 1]))
    assert [s.speaker for s in segs] == [0, 1]
    assert segs[0].start == 0.0 and abs(segs[0].end - 1.5) < 0.02 and abs(segs[1].end - 3.0) < 1e-6
