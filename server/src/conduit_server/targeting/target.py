"""The target selector (docs/api.md §12): parse it once at the boundary, then pick a speaker of a media.

    parse_target_selector(wire dict) -> TargetSelector      raises SelectorError(issues) -> 422 validation_error
    select_target(analysis, selector, ...) -> Selection      speaker_index None = miss -> target_not_found

The selector itself (`TargetSelector`, its parser and `to_wire`) is pure data in `domain.selector`, re-exported here.

Strategies: `dominant` (most speech; tie -> earliest first utterance, then lower index), `timerange` (most speech
inside the range; a missing bound is the media start/end; no speech there = miss), `entity_id` (the speaker most
similar to the entity, at or above the threshold, from similarities the caller computed with
`entities.entity_similarity`; else miss), `magic_hint` (`hint.match_hint`), `speaker_index` (out of range = miss).
On a miss, `on_miss="fallback_dominant"` switches to `dominant` and marks the selection `fallback=True`.
A media with no speakers is always a miss, fallback included.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from conduit_server.domain.selector import (
    ON_MISS,
    STRATEGIES,
    SelectorError,
    TargetSelector,
    TimeRange,
    parse_target_selector,
)
from conduit_server.pipeline.types import MediaAnalysis
from conduit_server.targeting.hint import match_hint

__all__ = [
    "ON_MISS",
    "STRATEGIES",
    "Selection",
    "SelectorError",
    "TargetSelector",
    "TimeRange",
    "parse_target_selector",
    "select_target",
]


@dataclass(frozen=True, slots=True)
class Selection:
    speaker_index: int | None  # None = miss (the job fails target_not_found)
    strategy_used: str  # "dominant" after a fallback
    fallback: bool
    reason: str


def select_target(
    analysis: MediaAnalysis,
    selector: TargetSelector,
    *,
    entity_similarity: Mapping[int, float] | None = None,
    threshold: float,
) -> Selection:
    """Apply `selector` to one media. `entity_similarity` ({speaker_index: cosine}) is needed for `entity_id`."""
    if not analysis.speakers:
        return Selection(None, selector.strategy, False, "the media has no speakers")
    index: int | None
    if selector.strategy == "dominant":
        index, reason = _dominant(analysis)
    elif selector.strategy == "timerange":
        index, reason = _timerange(analysis, selector.timerange or TimeRange())
    elif selector.strategy == "entity_id":
        index, reason = _entity(analysis, entity_similarity, threshold)
    elif selector.strategy == "magic_hint":
        match = match_hint(analysis, selector.hint or "")
        index, reason = match.speaker_index, match.reason
    elif selector.strategy == "speaker_index":
        index, reason = _by_index(analysis, selector.speaker_index)
    else:
        index, reason = None, f"unknown strategy {selector.strategy!r}"

    if index is not None:
        return Selection(index, selector.strategy, False, reason)
    if selector.on_miss == "fallback_dominant":
        fallback, why = _dominant(analysis)
        return Selection(fallback, "dominant", True, f"{reason}; fell back to dominant: {why}")
    return Selection(None, selector.strategy, False, reason)


def _first_starts(analysis: MediaAnalysis) -> dict[int, float]:
    starts: dict[int, float] = {}
    for u in analysis.utterances:
        starts[u.speaker_index] = min(u.start, starts.get(u.speaker_index, u.start))
    return starts


def _dominant(analysis: MediaAnalysis) -> tuple[int, str]:
    starts = _first_starts(analysis)
    best = min(analysis.speakers, key=lambda s: (-s.speech_seconds, starts.get(s.index, math.inf), s.index))
    return best.index, f"speaker {best.index} has the most speech ({best.speech_seconds:.1f} s)"


def _timerange(analysis: MediaAnalysis, tr: TimeRange) -> tuple[int | None, str]:
    start = tr.start_seconds if tr.start_seconds is not None else 0.0
    end = tr.end_seconds if tr.end_seconds is not None else math.inf
    seconds: dict[int, float] = {}
    first: dict[int, float] = {}
    for u in analysis.utterances:
        overlap = min(u.end, end) - max(u.start, start)
        if overlap > 0:
            seconds[u.speaker_index] = seconds.get(u.speaker_index, 0.0) + overlap
            first[u.speaker_index] = min(max(u.start, start), first.get(u.speaker_index, math.inf))
    known = {s.index for s in analysis.speakers}
    seconds = {i: v for i, v in seconds.items() if i in known}
    span = f"{start:g}-{'end' if math.isinf(end) else f'{end:g}'} s"
    if not seconds:
        return None, f"no speech between {span}"
    best = min(seconds, key=lambda i: (-seconds[i], first[i], i))
    return best, f"speaker {best} has the most speech between {span} ({seconds[best]:.1f} s)"


def _entity(
    analysis: MediaAnalysis, similarity: Mapping[int, float] | None, threshold: float
) -> tuple[int | None, str]:
    known = {s.index for s in analysis.speakers}
    candidates = {i: v for i, v in (similarity or {}).items() if i in known}
    if not candidates:
        return None, "no voiceprint to compare with the entity"
    best = min(candidates, key=lambda i: (-candidates[i], i))
    if candidates[best] < threshold:
        return None, f"no speaker is similar enough to the entity (best {candidates[best]:.3f} < {threshold:.3f})"
    return best, f"speaker {best} matches the entity (cosine {candidates[best]:.3f} >= {threshold:.3f})"


def _by_index(analysis: MediaAnalysis, index: int | None) -> tuple[int | None, str]:
    if index is not None and any(s.index == index for s in analysis.speakers):
        return index, f"speaker {index} requested by index"
    return None, f"speaker index {index} is out of range ({len(analysis.speakers)} speakers)"
