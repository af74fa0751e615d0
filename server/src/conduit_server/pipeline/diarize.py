"""Diarization: who spoke when, from speech regions and speaker embeddings.

Steps (each a pure function, timed separately by the pipeline):
1. `speech_windows`: 1.0 s windows every 0.5 s inside VAD speech regions (a shorter region is one window). Short
   windows keep a turn boundary from being averaged into one window with both voices.
2. the embedder turns each window into an L2-normalised speaker embedding (CAM++, see `campplus.py`).
3. `cluster`: spectral clustering of the cosine affinity (row-wise pruning, unnormalised Laplacian, the speaker
   count from the largest eigengap), then clusters too small to be a voice are absorbed by the nearest large one,
   and clusters whose centroids are as alike as one voice's are merged. The method and its defaults follow
   3D-Speaker's clustering for CAM++ (Apache-2.0); the constants were checked on real meetings and LibriSpeech
   conversations with `bench/diarization.py`, not on synthetic voices.
4. `segments_from_labels`: each 10 ms voiced frame takes the label of the nearest window centre in its region;
   runs of one label become `SpeakerSegment`s.

`ClusterResult.margins` tells how surely each window belongs to its speaker (cosine to its own centroid minus the
best other one); the pipeline averages it per speaker so reports can say when speakers were hard to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from conduit_server.pipeline.vad import SpeechRegion

FRAME_S = 0.01

__all__ = [
    "ClusterResult",
    "ClusterSettings",
    "SpeakerSegment",
    "clean_windows",
    "cluster",
    "overlap_by_label",
    "segments_from_labels",
    "speech_windows",
]


@dataclass(frozen=True, slots=True)
class SpeakerSegment:
    start: float
    end: float
    speaker: int  # cluster label, not yet renumbered by first speech


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    max_speakers: int = 8
    min_windows: int = 6  # fewer windows than this (about 3 s of speech) cannot show a second voice: one speaker
    prune: float = 0.022  # share of each affinity row kept (at least `min_neighbours` entries)
    min_neighbours: int = 6
    min_cluster_share: float = 0.04  # a cluster with less of the windows than this (and ...)
    min_cluster_windows: int = 4  # ... fewer windows than this is absorbed by its nearest large cluster
    # Centroids more alike than this are one voice. 3D-Speaker uses 0.8; 0.7 stopped one meeting speaker (AMI trn09)
    # from being split in four (frame accuracy 0.39 -> 0.95). 0.6 lies about midway between the highest cosine of two
    # different people's centroids measured (0.41 between LibriSpeech voiceprints; at most 0.35 in the AMI excerpts
    # and the LibriSpeech conversations) and the 5th percentile of one person's first half against their second
    # (0.78 in the quick-turn conversations of `bench/diarization.py --only pairs`, clean and at 10 dB SNR). At 0.7,
    # 10 dB noise split one voice of 2 of those 40 noisy conversations into two clusters (at 0.64); at 0.6 neither is
    # split, and no other recording of the benchmark changes.
    merge_cosine: float = 0.6
    # The affinity matrix is n x n: above this many windows (about 17 min of speech) spectral clustering runs on
    # evenly spaced windows and every window then joins its nearest centroid, so time and memory stay bounded.
    max_spectral_windows: int = 2000
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ClusterResult:
    labels: np.ndarray  # (n_windows,) int, 0..k-1
    centroids: np.ndarray  # (k, dim) L2-normalised
    margins: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_windows,) own minus best other cosine
    eigengaps: tuple[float, ...] = ()  # for logs and tuning

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    def mean_margin(self, label: int) -> float | None:
        """Mean window margin of one cluster; None when there is no other cluster to compare with."""
        if self.k < 2 or self.margins.size == 0:
            return None
        return float(np.mean(self.margins[self.labels == label]))


def speech_windows(regions: list[SpeechRegion], *, length: float = 1.0, hop: float = 0.5,
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
    unit: np.ndarray = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)
    return unit


def _centroids(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return _normalise(np.stack([x[labels == i].mean(axis=0) for i in range(int(labels.max()) + 1)]))


def _renumber(labels: np.ndarray) -> np.ndarray:
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype(int)


def _spectral(x: np.ndarray, s: ClusterSettings) -> tuple[np.ndarray, tuple[float, ...]]:
    from scipy.linalg import eigh
    from sklearn.cluster import KMeans

    n = len(x)
    affinity = x @ x.T
    keep = max(s.min_neighbours, int(np.ceil(s.prune * n)))
    if keep < n:  # zero all but each row's `keep` strongest links
        drop = np.argsort(affinity, axis=1)[:, : n - keep]
        np.put_along_axis(affinity, drop, 0.0, axis=1)
    affinity = np.clip(0.5 * (affinity + affinity.T), 0.0, None)
    np.fill_diagonal(affinity, 0.0)
    laplacian = np.diag(affinity.sum(axis=1)) - affinity
    top = min(s.max_speakers, n - 1)
    values, vectors = eigh(laplacian, subset_by_index=[0, top])
    gaps = tuple(float(g) for g in np.diff(values))
    k = int(np.argmax(gaps)) + 1 if gaps else 1
    if k == 1:
        return np.zeros(n, dtype=int), gaps
    labels = KMeans(n_clusters=k, n_init=10, random_state=s.seed).fit(vectors[:, :k]).labels_
    return _renumber(labels), gaps


def _absorb_small(x: np.ndarray, labels: np.ndarray, s: ClusterSettings) -> np.ndarray:
    """Windows of clusters too small to be a voice go to the most similar large cluster."""
    counts = np.bincount(labels)
    small = counts < max(s.min_cluster_windows, s.min_cluster_share * len(labels))
    if small.all() or not small.any():
        return labels
    big = np.flatnonzero(~small)
    cents = _centroids(x, labels)[big]
    out = labels.copy()
    moving = small[labels]
    out[moving] = big[np.argmax(x[moving] @ cents.T, axis=1)]
    return _renumber(out)


def _merge_similar(x: np.ndarray, labels: np.ndarray, merge_cosine: float) -> np.ndarray:
    """Merge the two most similar clusters while their centroids are more alike than `merge_cosine`."""
    labels = labels.copy()
    while int(labels.max()) > 0:
        cents = _centroids(x, labels)
        sim = cents @ cents.T
        np.fill_diagonal(sim, -1.0)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] <= merge_cosine:
            break
        labels[labels == max(a, b)] = min(a, b)
        labels = _renumber(labels)
    return labels


def cluster(embeddings: np.ndarray, settings: ClusterSettings | None = None) -> ClusterResult:
    s = settings or ClusterSettings()
    x = _normalise(np.asarray(embeddings, dtype=np.float64))
    n = len(x)
    if n == 0:
        return ClusterResult(np.zeros(0, dtype=int), x[:0], np.zeros(0))
    gaps: tuple[float, ...] = ()
    if n < s.min_windows:
        labels = np.zeros(n, dtype=int)
    else:
        if n > s.max_spectral_windows:
            sample = np.linspace(0, n - 1, s.max_spectral_windows).round().astype(int)
            sample_labels, gaps = _spectral(x[sample], s)
            labels = _renumber(np.argmax(x @ _centroids(x[sample], sample_labels).T, axis=1))
        else:
            labels, gaps = _spectral(x, s)
        labels = _merge_similar(x, _absorb_small(x, labels, s), s.merge_cosine)
    cents = _centroids(x, labels)
    sims = x @ cents.T
    own = sims[np.arange(n), labels]
    if cents.shape[0] > 1:
        sims[np.arange(n), labels] = -np.inf
        margins = own - sims.max(axis=1)
    else:
        margins = np.zeros(n)
    return ClusterResult(labels, cents, margins, gaps)


def _nearest(centres: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Index of the nearest of the sorted `centres` to each time, the earlier one on a tie. Linear in memory: an
    hour-long region has 360,000 frames and 7,200 windows, too many for a frames x windows distance matrix."""
    after = np.clip(np.searchsorted(centres, times), 0, len(centres) - 1)
    before = np.maximum(after - 1, 0)
    return np.where(np.abs(times - centres[before]) <= np.abs(centres[after] - times), before, after)


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
        frame_labels = labels[inside[_nearest(centres[inside], times)]]
        cuts = np.flatnonzero(np.diff(frame_labels)) + 1
        bounds = [0, *cuts.tolist(), len(frame_labels)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            start = r.start + a * FRAME_S
            end = min(r.end, r.start + b * FRAME_S)
            segs.append(SpeakerSegment(float(start), float(end), int(frame_labels[a])))
    return segs


def clean_windows(regions: list[SpeechRegion], windows: list[tuple[float, float]], overlaps: list[SpeechRegion],
                  *, max_share: float = 0.5) -> list[tuple[float, float]]:
    """Windows that are mostly one voice: an embedding of two voices at once sits between them and blurs both
    clusters. A region whose windows are all overlapped keeps them, so its speech still gets a speaker.
    `regions`, `windows` (as `speech_windows` makes them) and `overlaps` are sorted by start."""
    if not overlaps or not windows:
        return windows
    o_start = np.array([o.start for o in overlaps])
    o_end = np.array([o.end for o in overlaps])
    o_cum = np.concatenate([[0.0], np.cumsum(o_end - o_start)])

    def covered(t: np.ndarray) -> np.ndarray:  # overlap seconds before time t
        i = np.searchsorted(o_start, t, side="right")
        part = np.clip(t - o_start[np.maximum(i - 1, 0)], 0.0, (o_end - o_start)[np.maximum(i - 1, 0)])
        return np.where(i > 0, o_cum[np.maximum(i - 1, 0)] + part, 0.0)

    w = np.array(windows)
    share = (covered(w[:, 1]) - covered(w[:, 0])) / np.maximum(w[:, 1] - w[:, 0], 1e-9)
    region_of = np.searchsorted(np.array([r.start for r in regions]), (w[:, 0] + w[:, 1]) / 2 + 1e-6) - 1
    keep = share < max_share
    for region in np.unique(region_of[~keep]):  # a region left with no clean window keeps all of its windows
        mine = region_of == region
        if not keep[mine].any():
            keep[mine] = True
    return [windows[i] for i in np.flatnonzero(keep)]


def overlap_by_label(segments: list[SpeakerSegment], overlaps: list[SpeechRegion], *, reach: float = 0.5
                     ) -> dict[int, float]:
    """Seconds of overlapped speech per cluster label. The frames of an overlap went to one label, so every label
    speaking within `reach` seconds of it is counted as taking part. `segments` are sorted and do not overlap."""
    starts = np.array([s.start for s in segments])
    ends = np.array([s.end for s in segments])
    labels = [s.speaker for s in segments]
    out: dict[int, float] = {}
    for o in overlaps:
        first = int(np.searchsorted(ends, o.start - reach, side="right"))
        last = int(np.searchsorted(starts, o.end + reach, side="left"))
        for label in set(labels[first:last]):
            out[label] = out.get(label, 0.0) + (o.end - o.start)
    return out
