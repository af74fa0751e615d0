"""The target selector (docs/api.md §12): parse it once at the boundary, then pick a speaker of a media.

    parse_target_selector(wire dict) -> TargetSelector      raises SelectorError(issues) -> 422 validation_error
    select_target(analysis, selector, ...) -> Selection      speaker_index None = miss -> target_not_found

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
from typing import Any

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

STRATEGIES = ("dominant", "timerange", "entity_id", "magic_hint", "speaker_index")
ON_MISS = ("error", "fallback_dominant")
_HINT_MAX = 1024
_ENTITY_ID_MAX = 256


class SelectorError(Exception):
    """An invalid selector. `issues` are `(path, message)` pairs, e.g. `("target.hint", "Required")`."""

    code = "validation_error"

    def __init__(self, issues: list[tuple[str, str]], message: str | None = None) -> None:
        self.issues = issues
        self.message = message or "; ".join(f"{path}: {msg}" for path, msg in issues)
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class TimeRange:
    start_seconds: float | None = None
    end_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class TargetSelector:
    strategy: str
    on_miss: str = "error"
    entity_id: str | None = None
    hint: str | None = None
    speaker_index: int | None = None
    timerange: TimeRange | None = None

    def to_wire(self) -> dict[str, Any]:
        """The normalised wire form: strategy, on_miss and only the field the strategy uses."""
        wire: dict[str, Any] = {"strategy": self.strategy, "on_miss": self.on_miss}
        if self.strategy == "entity_id":
            wire["entity_id"] = self.entity_id
        elif self.strategy == "magic_hint":
            wire["hint"] = self.hint
        elif self.strategy == "speaker_index":
            wire["speaker_index"] = self.speaker_index
        elif self.strategy == "timerange" and self.timerange is not None:
            tr = self.timerange
            wire["timerange"] = {"start_seconds": tr.start_seconds, "end_seconds": tr.end_seconds}
        return wire


@dataclass(frozen=True, slots=True)
class Selection:
    speaker_index: int | None  # None = miss (the job fails target_not_found)
    strategy_used: str  # "dominant" after a fallback
    fallback: bool
    reason: str


def parse_target_selector(obj: object, *, path: str = "target") -> TargetSelector:
    """Validate a wire selector (snake_case keys). Unknown keys and fields the strategy does not use are ignored."""
    if not isinstance(obj, Mapping):
        raise SelectorError([(path, "Expected object")])
    issues: list[tuple[str, str]] = []
    required: list[str] = []

    strategy = obj.get("strategy")
    if strategy is None:
        issues.append((f"{path}.strategy", "Required"))
    elif strategy not in STRATEGIES:
        issues.append((f"{path}.strategy", "Invalid enum value. Expected " + " | ".join(f"'{s}'" for s in STRATEGIES)))
    on_miss = obj.get("on_miss")
    if on_miss is None:
        on_miss = "error"
    elif on_miss not in ON_MISS:
        issues.append((f"{path}.on_miss", "Invalid enum value. Expected 'error' | 'fallback_dominant'"))

    fields: dict[str, Any] = {}
    field_name = (
        {
            "entity_id": "entity_id",
            "magic_hint": "hint",
            "speaker_index": "speaker_index",
            "timerange": "timerange",
        }.get(strategy)
        if isinstance(strategy, str)
        else None
    )
    if field_name is not None:
        value = obj.get(field_name)
        where = f"{path}.{field_name}"
        if value is None:
            issues.append((where, "Required"))
            required.append(where)
        elif strategy == "entity_id":
            if not isinstance(value, str):
                issues.append((where, "Expected string"))
            elif not 1 <= len(value) <= _ENTITY_ID_MAX:
                issues.append((where, f"Must be 1-{_ENTITY_ID_MAX} characters"))
            fields["entity_id"] = value
        elif strategy == "magic_hint":
            if not isinstance(value, str):
                issues.append((where, "Expected string"))
            elif not value.strip():
                issues.append((where, "Must not be blank"))
            elif len(value) > _HINT_MAX:
                issues.append((where, f"Must be at most {_HINT_MAX} characters"))
            fields["hint"] = value
        elif strategy == "speaker_index":
            if isinstance(value, bool) or not isinstance(value, int):
                issues.append((where, "Expected integer"))
            elif value < 0:
                issues.append((where, "Must be >= 0"))
            fields["speaker_index"] = value
        else:
            fields["timerange"] = _parse_timerange(value, where, issues)

    if issues:
        message = None
        if required and len(issues) == 1:
            message = f"{required[0]} is required for {strategy} strategy"
        raise SelectorError(issues, message)
    return TargetSelector(strategy=str(strategy), on_miss=str(on_miss), **fields)


def _parse_timerange(value: object, where: str, issues: list[tuple[str, str]]) -> TimeRange | None:
    if not isinstance(value, Mapping):
        issues.append((where, "Expected object"))
        return None
    bounds: dict[str, float | None] = {}
    for key in ("start_seconds", "end_seconds"):
        bound = value.get(key)
        if bound is None:
            bounds[key] = None
        elif isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
            issues.append((f"{where}.{key}", "Expected number"))
            bounds[key] = None
        elif bound < 0:
            issues.append((f"{where}.{key}", "Must be >= 0"))
            bounds[key] = None
        else:
            bounds[key] = float(bound)
    start, end = bounds["start_seconds"], bounds["end_seconds"]
    if value.get("start_seconds") is None and value.get("end_seconds") is None:
        issues.append((where, "At least one of start_seconds and end_seconds is required"))
    if start is not None and end is not None and start >= end:
        issues.append((where, "start_seconds must be less than end_seconds"))
    return TimeRange(start, end)


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
