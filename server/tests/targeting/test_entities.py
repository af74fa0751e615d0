from __future__ import annotations

import math

import pytest
from conduit_server.targeting.entities import (
    assign_speakers,
    cosine,
    entity_similarity,
    update_centroid,
)


def unit(*xs: float) -> tuple[float, ...]:
    n = math.sqrt(sum(x * x for x in xs))
    return tuple(x / n for x in xs)


def at_cosine(c: float) -> tuple[float, float]:
    """A unit 2-d vector whose cosine to (1, 0) is exactly `c`."""
    return (c, math.sqrt(1 - c * c))


def test_cosine() -> None:
    assert cosine((1.0, 0.0), (2.0, 0.0)) == pytest.approx(1.0)
    assert cosine((1.0, 0.0), (0.0, 3.0)) == pytest.approx(0.0)
    assert cosine((1.0, 0.0), (-1.0, 0.0)) == pytest.approx(-1.0)
    assert cosine((), ()) == 0.0
    assert cosine((0.0, 0.0), (1.0, 0.0)) == 0.0
    assert cosine((1.0, 0.0), (1.0, 0.0, 0.0)) == 0.0  # another embedder: not comparable


def test_new_entities_when_nothing_exists_or_nothing_is_similar() -> None:
    assert assign_speakers({0: (1.0, 0.0), 1: (0.0, 1.0)}, {}, threshold=0.7) == {0: None, 1: None}
    assert assign_speakers({0: (1.0, 0.0)}, {"ent_a": (0.0, 1.0)}, threshold=0.7) == {0: None}
    assert assign_speakers({}, {"ent_a": (0.0, 1.0)}, threshold=0.7) == {}


def test_joins_the_most_similar_entity() -> None:
    result = assign_speakers({0: at_cosine(0.95)}, {"ent_a": (1.0, 0.0), "ent_b": at_cosine(0.8)}, threshold=0.7)
    assert result == {0: "ent_a"}


def test_threshold_boundary_is_inclusive() -> None:
    entities = {"ent_a": (1.0, 0.0)}
    assert assign_speakers({0: at_cosine(0.7)}, entities, threshold=0.7) == {0: "ent_a"}
    assert assign_speakers({0: at_cosine(0.6999)}, entities, threshold=0.7) == {0: None}


def test_best_pairs_first_one_speaker_per_entity() -> None:
    # both speakers prefer ent_a; speaker 1 is closer, so speaker 0 falls to its next choice above the threshold
    speakers = {0: at_cosine(0.90), 1: at_cosine(0.97)}
    angle = math.radians(15)
    entities = {"ent_a": (1.0, 0.0), "ent_b": (math.cos(angle), -math.sin(angle))}
    sims = {(i, e): cosine(v, c) for i, v in speakers.items() for e, c in entities.items()}
    assert sims[(0, "ent_a")] > sims[(0, "ent_b")] >= 0.7  # sanity: a real conflict over ent_a
    assert sims[(1, "ent_a")] > sims[(0, "ent_a")]
    assert assign_speakers(speakers, entities, threshold=0.7) == {0: "ent_b", 1: "ent_a"}

    # a conflict where the loser has no other entity gets a new one
    speakers = {0: at_cosine(0.90), 1: at_cosine(0.97)}
    assert assign_speakers(speakers, {"ent_a": (1.0, 0.0)}, threshold=0.7) == {0: None, 1: "ent_a"}


def test_ties_are_deterministic() -> None:
    same = (1.0, 0.0)
    assert assign_speakers({1: same, 0: same}, {"ent_a": same}, threshold=0.7) == {0: "ent_a", 1: None}
    assert assign_speakers({0: same}, {"ent_b": same, "ent_a": same}, threshold=0.7) == {0: "ent_a"}


def test_update_centroid_is_a_normalised_running_mean() -> None:
    first = update_centroid((), 0, (3.0, 0.0))
    assert first == pytest.approx((1.0, 0.0))
    second = update_centroid(first, 1, (0.0, 5.0))  # voiceprint normalised before averaging
    assert second == pytest.approx(unit(1.0, 1.0))
    assert math.fsum(x * x for x in second) == pytest.approx(1.0)
    third = update_centroid(unit(1.0, 0.0), 3, (0.0, 1.0))  # three of (1,0), one of (0,1)
    assert third == pytest.approx(unit(3.0, 1.0))
    assert update_centroid((1.0, 0.0), 2, (0.0, 0.0, 1.0)) == pytest.approx((0.0, 0.0, 1.0))


def test_entity_similarity() -> None:
    sims = entity_similarity({0: (1.0, 0.0), 1: (0.0, 1.0), 2: ()}, (1.0, 0.0))
    assert sims == {0: pytest.approx(1.0), 1: pytest.approx(0.0), 2: 0.0}
