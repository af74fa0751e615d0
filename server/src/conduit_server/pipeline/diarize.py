"""Diarization: who spoke when, from speech regions and speaker embeddings.

Steps (each a pure function, timed separately by the pipeline):
1. `speech_windows`: ~1.5 s windows every 0.75 s inside VAD speech regions (a short region is one window).
2. the embedder turns each window into an L2-normalised d-vector (see `voiceprint.py`).
3. `cluster`: k-means on the embeddings, k chosen by cosine silhouette over 2..8, with a rule for k = 1.
4. `segments_from_labels`: each 10 ms voiced frame takes the label of the nearest window centre in its region;
   runs of one label become `SpeakerSegment`s.

Rule for k (silhouette is undefined for k = 1): fewer than 4 windows -> 1; best silhouette below
`min_silhouette` (0.2: no real cluster structure) -> 1; otherwise take the best-silhouette clustering and merge
clusters whose centroids are more alike than `merge_cosine` (0.75), most similar pair first. One voice split by
content gives centroids at ~0.9 cosine; different flite voices are <= 0.46 (<= 0.63 at 5 dB SNR), and the same
voice across recordings ~0.96. So a single speaker ends at k = 1 even when silhouette rises with k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conduit_server.pipeline.vad import SpeechRegion

FRAME_S = 0.01

__all__ = ["ClusterResult", "ClusterSettings", "SpeakerSegment", "cluster", "segments_from_labels", "speech_windows"]


@dataclass(frozen=True, slots=True)
class SpeakerSegment:
    start: float
    end: float
    speaker: int  # cluster label, not yet renumbered by first speech


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    max_speakers: int = 8
    min_silhouette: float = 0.2
    merge_cosine: float = 0.75
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ClusterResult:
    labels: np.ndarray  # (n_windows,) int
    centroids: np.ndarray  # (k, dim) L2-normalised
    silhouettes: dict[int, float]  # k -> silhouette, for logs and tuning

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])


def speech_windows(regions: list[SpeechRegion], *, length: float = 1.5, hop: float = 0.75,
                   min_length: float = 0.3) -> list[tuple[float, float]]:
    """Windows (start, end) in seconds covering every region; the last window of a region ends at its end."""
    out: list[tuple[float, float]] = []
    for r in regions:
        dur = r.end - r.start
        if dur < min_length:
            continue
        if dur <= length:
            out.append((r.start, r.end))
            continue
        starts = list(np.arange(r.start, r.end - length, hop))
        if not starts or starts[-1] + length < r.end:
            starts.append(r.end - length)
        out.extend((float(s), float(s) + length) for s in starts)
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)


def cluster(embeddings: np.ndarray, settings: ClusterSettings | None = None) -> ClusterResult:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    s = settings or ClusterSettings()
    x = _normalise(np.asarray(embeddings, dtype=np.float64))
    n = len(x)
    one = ClusterResult(np.zeros(n, dtype=int), _normalise(x.mean(axis=0, keepdims=True)) if n else x[:0], {})
    if n < 4:
        return one
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    sils: dict[int, float] = {}
    for k in range(2, min(s.max_speakers, n - 1) + 1):
        km = KMeans(n_clusters=k, n_init=4, random_state=s.seed).fit(x)
        labels = km.labels_
        if len(set(labels.tolist())) < k:
            continue
        sil = float(silhouette_score(x, labels, metric="cosine"))
        sils[k] = sil
        if best is None or sil > best[0]:
            best = (sil, labels, _normalise(km.cluster_centers_))
    if best is None or best[0] < s.min_silhouette:
        return ClusterResult(one.labels, one.centroids, sils)
    labels, centroids = _merge_similar(x, best[1], s.merge_cosine)
    return ClusterResult(labels, centroids, sils)


def _merge_similar(x: np.ndarray, labels: np.ndarray, merge_cosine: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge the two most similar clusters while their centroids are more alike than `merge_cosine`;
    labels come back as 0..k-1."""
    labels = labels.copy()
    while True:
        ids = sorted(set(labels.tolist()))
        cents = _normalise(np.stack([x[labels == i].mean(axis=0) for i in ids]))
        if len(ids) == 1:
            break
        sim = cents @ cents.T
        np.fill_diagonal(sim, -1.0)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] <= merge_cosine:
            break
        labels[labels == ids[b]] = ids[a]
    remap = {old: new for new, old in enumerate(ids)}
    return np.array([remap[int(v)] for v in labels], dtype=int), cents


def segments_from_labels(regions: list[SpeechRegion], windows: list[tuple[float, float]],
                         labels: np.ndarray) -> list[SpeakerSegment]:
    """Label every voiced frame by its nearest window centre (within its region) and merge runs."""
    centres = np.array([(a + b) / 2 for a, b in windows]) if windows else np.zeros(0)
    segs: list[SpeakerSegment] = []
    for r in regions:
        inside = np.flatnonzero((centres >= r.start - 1e-6) & (centres <= r.end + 1e-6))
        if inside.size == 0:
            continue
        times = np.arange(r.start, r.end, FRAME_S) + FRAME_S / 2
        nearest = inside[np.argmin(np.abs(times[:, None] - centres[inside][None, :]), axis=1)]
        frame_labels = labels[nearest]
        cuts = np.flatnonzero(np.diff(frame_labels)) + 1
        bounds = [0, *cuts.tolist(), len(frame_labels)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            start = r.start + a * FRAME_S
            end = min(r.end, r.start + b * FRAME_S)
            segs.append(SpeakerSegment(float(start), float(end), int(frame_labels[a])))
    return segs
