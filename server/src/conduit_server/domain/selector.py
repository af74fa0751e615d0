"""The target selector's model (docs/api.md §12): which speaker of a media a job is about, as a value.

    parse_target_selector(wire dict) -> TargetSelector      raises SelectorError(issues) -> 422 validation_error
    TargetSelector.to_wire() -> the normalised wire dict     (what job requests store)

Pure data and validation, so the stored job requests (`domain.requests`) can hold a typed selector below every
layer; choosing the speaker (`select_target`) needs a media's analysis and lives in `targeting.target`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ON_MISS",
    "STRATEGIES",
    "SelectorError",
    "TargetSelector",
    "TimeRange",
    "parse_target_selector",
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
