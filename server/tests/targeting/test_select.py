from __future__ import annotations

import pytest
from conduit_server.targeting.target import TargetSelector, TimeRange, select_target

from targeting._media import media, speakers_only

THRESHOLD = 0.7
# speaker 0 speaks 0-10 and 30-32, speaker 1 speaks 10-25, speaker 2 speaks 40-41
THREE = media(
    [
        (0, 0.0, 10.0, "Welcome everyone."),
        (1, 10.0, 25.0, "Thanks for having me."),
        (0, 30.0, 32.0, "Great."),
        (2, 40.0, 41.0, "Bye."),
    ]
)


def pick(analysis, selector: TargetSelector, **kwargs):  # type: ignore[no-untyped-def]
    return select_target(analysis, selector, threshold=kwargs.pop("threshold", THRESHOLD), **kwargs)


def test_dominant() -> None:
    selection = pick(THREE, TargetSelector("dominant"))
    assert (selection.speaker_index, selection.strategy_used, selection.fallback) == (1, "dominant", False)


def test_dominant_tie_goes_to_the_earliest_first_utterance() -> None:
    tied = media([(1, 0.0, 5.0, "First."), (0, 5.0, 10.0, "Second.")])
    assert tied.speaker(0).speech_seconds == tied.speaker(1).speech_seconds
    assert pick(tied, TargetSelector("dominant")).speaker_index == 1


def test_dominant_tie_without_transcript_goes_to_the_lower_index() -> None:
    assert pick(speakers_only({2: 7.0, 1: 7.0}), TargetSelector("dominant")).speaker_index == 1


@pytest.mark.parametrize(
    ("timerange", "expected"),
    [
        (TimeRange(0.0, 12.0), 0),  # 10 s of 0 vs 2 s of 1
        (TimeRange(5.0, 20.0), 1),  # 5 s vs 10 s
        (TimeRange(None, 12.0), 0),  # missing start = media start
        (TimeRange(28.0, None), 0),  # missing end = media end: 2 s of 0 vs 1 s of 2
        (TimeRange(39.5, None), 2),
        (TimeRange(25.0, 30.0), None),  # silence
        (TimeRange(100.0, None), None),  # after the end
    ],
)
def test_timerange(timerange: TimeRange, expected: int | None) -> None:
    assert pick(THREE, TargetSelector("timerange", timerange=timerange)).speaker_index == expected


def test_timerange_tie_goes_to_the_earliest_speech_in_range() -> None:
    assert pick(THREE, TargetSelector("timerange", timerange=TimeRange(8.0, 12.0))).speaker_index == 0


def test_entity_id_picks_the_most_similar_speaker_at_or_above_the_threshold() -> None:
    selector = TargetSelector("entity_id", entity_id="ent_x")
    assert pick(THREE, selector, entity_similarity={0: 0.2, 1: 0.91, 2: 0.88}).speaker_index == 1
    assert pick(THREE, selector, entity_similarity={0: 0.2, 1: 0.7}).speaker_index == 1
    assert pick(THREE, selector, entity_similarity={0: 0.2, 1: 0.69}).speaker_index is None
    assert pick(THREE, selector, entity_similarity={7: 0.99}).speaker_index is None  # not a speaker of this media
    assert pick(THREE, selector, entity_similarity=None).speaker_index is None


def test_speaker_index() -> None:
    assert pick(THREE, TargetSelector("speaker_index", speaker_index=2)).speaker_index == 2
    assert pick(THREE, TargetSelector("speaker_index", speaker_index=3)).speaker_index is None


def test_magic_hint() -> None:
    assert pick(THREE, TargetSelector("magic_hint", hint="the first speaker")).speaker_index == 0
    assert pick(THREE, TargetSelector("magic_hint", hint="the woman")).speaker_index is None


@pytest.mark.parametrize(
    "selector",
    [
        TargetSelector("speaker_index", speaker_index=9),
        TargetSelector("timerange", timerange=TimeRange(25.0, 30.0)),
        TargetSelector("entity_id", entity_id="ent_x"),
        TargetSelector("magic_hint", hint="the older man"),
    ],
)
def test_on_miss_both_ways(selector: TargetSelector) -> None:
    miss = pick(THREE, selector)
    assert (miss.speaker_index, miss.strategy_used, miss.fallback) == (None, selector.strategy, False)
    assert miss.reason

    fallback = pick(THREE, TargetSelector(**{**_fields(selector), "on_miss": "fallback_dominant"}))
    assert (fallback.speaker_index, fallback.strategy_used, fallback.fallback) == (1, "dominant", True)
    assert "fell back" in fallback.reason


def test_a_hit_does_not_fall_back() -> None:
    selection = pick(THREE, TargetSelector("speaker_index", "fallback_dominant", speaker_index=2))
    assert (selection.speaker_index, selection.strategy_used, selection.fallback) == (2, "speaker_index", False)


@pytest.mark.parametrize("on_miss", ["error", "fallback_dominant"])
@pytest.mark.parametrize(
    "selector",
    [
        TargetSelector("dominant"),
        TargetSelector("speaker_index", speaker_index=0),
        TargetSelector("timerange", timerange=TimeRange(0.0, None)),
        TargetSelector("magic_hint", hint="the first speaker"),
        TargetSelector("entity_id", entity_id="ent_x"),
    ],
)
def test_zero_speakers_is_always_a_miss(selector: TargetSelector, on_miss: str) -> None:
    empty = speakers_only({})
    selection = pick(empty, TargetSelector(**{**_fields(selector), "on_miss": on_miss}), entity_similarity={0: 1.0})
    assert selection.speaker_index is None


def _fields(selector: TargetSelector) -> dict[str, object]:
    return {name: getattr(selector, name) for name in TargetSelector.__dataclass_fields__}
