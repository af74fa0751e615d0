"""Voice identities (entities): pure assignment rules of docs/api.md §16(i).

An entity is a workspace-scoped voice identity represented by a *centroid*: the mean of the L2-normalised
voiceprints of every speaker that joined it, re-normalised to unit length. When a media is processed, each of its
speakers is compared with every centroid by cosine similarity:

- a (speaker, entity) pair *passes* when its similarity is >= the threshold;
- passing pairs are taken best first (highest similarity); a speaker takes at most one entity and, within one
  media, an entity takes at most one speaker, so a later, weaker pair that reuses either side is skipped;
- speakers left without an entity get a new one (`None` in the result).

Ties are broken deterministically: higher similarity, then lower speaker index, then lexicographically smaller
entity id.

Threshold (`DEFAULT_ENTITY_THRESHOLD = 0.50`), measured on real speech with the default embedder (CAM++) by
`bench/diarization.py --only eer`: voiceprints (mean of 1 s window embeddings, as the pipeline makes them) of 100
LibriSpeech test-other utterances (2-23 s, 10 speakers, 5 F / 5 M), all 4,950 pairs:

| pair | cosine |
|---|---|
| same speaker (450 pairs) | median 0.78, 1st percentile 0.47 |
| different speakers (4,500 pairs) | median 0.09, 99th percentile 0.35, maximum 0.41 |

EER 0.22 % (at 0.38). At 0.50 no different-speaker pair joins (0.09 above the worst one) and 1.8 % of same-speaker
pairs of short utterances would not; a wrongly merged identity is worse than a split one, so the threshold sits
above the EER point (docs/targeting.md). Anyone swapping the embedder must re-measure and reconfigure (the threshold
is a setting).

Nothing here touches the database: callers load centroids, call these functions and store the results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

DEFAULT_ENTITY_THRESHOLD = 0.50

__all__ = [
    "DEFAULT_ENTITY_THRESHOLD",
    "assign_speakers",
    "cosine",
    "entity_similarity",
    "normalise",
    "update_centroid",
]


def normalise(vector: Sequence[float]) -> tuple[float, ...]:
    """`vector` scaled to unit length; a zero or empty vector comes back unchanged (as a tuple)."""
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if norm == 0.0 or not math.isfinite(norm):
        return tuple(float(x) for x in vector)
    return tuple(float(x) / norm for x in vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity in [-1, 1].

    Vectors that cannot be compared - empty, all zeros, or of different dimensions (voiceprints of another
    embedder) - score 0.0, i.e. "not the same voice", so they never join an entity by accident.
    """
    if len(a) == 0 or len(a) != len(b):
        return 0.0
    na = math.sqrt(math.fsum(x * x for x in a))
    nb = math.sqrt(math.fsum(y * y for y in b))
    if na == 0.0 or nb == 0.0 or not (math.isfinite(na) and math.isfinite(nb)):
        return 0.0
    value = math.fsum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)
    return max(-1.0, min(1.0, value))


def entity_similarity(
    speaker_voiceprints: Mapping[int, Sequence[float]], centroid: Sequence[float]
) -> dict[int, float]:
    """Cosine of each speaker's voiceprint to one entity centroid: `{speaker_index: similarity}`."""
    return {index: cosine(vp, centroid) for index, vp in speaker_voiceprints.items()}


def assign_speakers(
    speaker_voiceprints: Mapping[int, Sequence[float]],
    entity_centroids: Mapping[str, Sequence[float]],
    *,
    threshold: float,
) -> dict[int, str | None]:
    """Map every speaker of one media to the entity it joins, or `None` where a new entity must be created.

    Best pairs first: all (speaker, entity) pairs with similarity >= `threshold` are sorted by similarity (ties:
    lower speaker index, then smaller entity id) and taken greedily while neither side is used yet.
    """
    pairs: list[tuple[float, int, str]] = []
    for index, vp in speaker_voiceprints.items():
        for entity_id, centroid in entity_centroids.items():
            similarity = cosine(vp, centroid)
            if similarity >= threshold:
                pairs.append((similarity, index, entity_id))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))

    result: dict[int, str | None] = {index: None for index in sorted(speaker_voiceprints)}
    taken: set[str] = set()
    for _, index, entity_id in pairs:
        if result[index] is None and entity_id not in taken:
            result[index] = entity_id
            taken.add(entity_id)
    return result


def update_centroid(centroid: Sequence[float], count: int, voiceprint: Sequence[float]) -> tuple[float, ...]:
    """The centroid after one more voiceprint joined: running mean of normalised voiceprints, re-normalised.

    `count` is how many voiceprints the centroid already averages (0, or an empty centroid, for a new entity:
    the result is then just the normalised voiceprint). The stored centroid is unit length, so the old mean's
    direction is weighted by `count`; this is the mean of directions, which is what cosine comparisons use.
    """
    unit = normalise(voiceprint)
    if count <= 0 or len(centroid) == 0:
        return unit
    if len(centroid) != len(unit):
        # another embedder's centroid cannot be averaged with this voiceprint: start over from the new one
        return unit
    old = normalise(centroid)
    mean = tuple((c * count + v) / (count + 1) for c, v in zip(old, unit, strict=True))
    return normalise(mean)
