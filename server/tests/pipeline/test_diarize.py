"""Diarization building blocks on synthetic embeddings (fast, no model)."""

from __future__ import annotations

import numpy as np
import pytest
from conduit_server.pipeline.diarize import (
    SpeakerSegment,
    clean_windows,
    cluster,
    overlap_by_label,
    segments_from_labels,
    speech_windows,
)
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


def test_long_recordings_cluster_on_a_sample() -> None:
    x, truth = _voices(3, 1500, spread=0.05)  # 4,500 windows: more than max_spectral_windows
    result = cluster(x)
    assert result.k == 3 and len(result.labels) == 4500
    assert len({(a, b) for a, b in zip(result.labels, truth, strict=True)}) == 3


def test_one_voice_has_no_margin() -> None:
    x, _ = _voices(1, 40, spread=0.3)
    assert cluster(x).mean_margin(0) is None


def test_overlapped_windows_are_left_out_of_clustering() -> None:
    regions = [SpeechRegion(0.0, 4.0), SpeechRegion(6.0, 6.8)]
    wins = speech_windows(regions)  # (0,1) (0.5,1.5) ... (3,4) and (6,6.8)
    overlaps = [SpeechRegion(1.2, 2.6), SpeechRegion(6.0, 6.8)]
    kept = clean_windows(regions, wins, overlaps)
    # more than half overlapped: (1.0,2.0) 0.8, (1.5,2.5) 1.0, (2.0,3.0) 0.6; the short region keeps its only window
    assert kept == [(0.0, 1.0), (0.5, 1.5), (2.5, 3.5), (3.0, 4.0), (6.0, 6.8)]
    assert clean_windows(regions, wins, []) == wins


def test_overlap_counts_for_everyone_speaking_around_it() -> None:
    segs = [SpeakerSegment(0.0, 5.0, 0), SpeakerSegment(5.0, 9.0, 1), SpeakerSegment(20.0, 25.0, 2)]
    assert overlap_by_label(segs, [SpeechRegion(4.6, 5.2)]) == {0: pytest.approx(0.6), 1: pytest.approx(0.6)}


def test_segments_follow_labels() -> None:
    regions = [SpeechRegion(0.0, 3.0)]
    wins = [(0.0, 1.5), (1.5, 3.0)]
    segs = segments_from_labels(regions, wins, np.array([0, 1]))
    assert [s.speaker for s in segs] == [0, 1]
    assert segs[0].start == 0.0 and abs(segs[0].end - 1.5) < 0.02 and abs(segs[1].end - 3.0) < 1e-6


def test_a_long_region_is_labelled_in_bounded_memory() -> None:
    # 10 min without a pause the detector keeps (music taken for speech, a monologue): 60,000 frames and 1,200
    # windows; a frames x windows distance matrix would take 576 MB here and 20 GB for an hour
    import tracemalloc

    regions = [SpeechRegion(0.0, 600.0)]
    wins = speech_windows(regions)
    labels = (np.arange(len(wins)) // 120) % 2  # a turn change every minute
    tracemalloc.start()
    segs = segments_from_labels(regions, wins, labels)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20, peak
    assert [s.speaker for s in segs] == [0, 1] * 5
    assert all(abs(s.start - 60 * i) < 0.3 for i, s in enumerate(segs))
