"""`Sample`: the indicators of one speaker in one recording, storable as JSON (camelCase, like the wire)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .reliability import Reliability, assess_inputs


@dataclass(frozen=True, slots=True)
class Evidence:
    start_seconds: float
    end_seconds: float
    text: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "startSeconds": self.start_seconds,
            "endSeconds": self.end_seconds,
            "text": self.text,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Evidence:
        return cls(d["startSeconds"], d["endSeconds"], d["text"], d["note"])


@dataclass(frozen=True, slots=True)
class Indicator:
    key: str
    raw: float
    unit: str
    normalized: float
    binned: str
    evidence: tuple[Evidence, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "normalized": self.normalized,
            "binned": self.binned,
            "raw": self.raw,
            "unit": self.unit,
            "evidence": [e.to_json() for e in self.evidence],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Indicator:
        return cls(
            d["key"],
            d["raw"],
            d["unit"],
            d["normalized"],
            d["binned"],
            tuple(Evidence.from_json(e) for e in d.get("evidence") or ()),
        )


@dataclass(frozen=True, slots=True)
class Sample:
    """One speaker of one recording. `indicators` holds only what could be measured (e.g. no pitch -> no
    `pitch_variability`), in a fixed order."""

    speaker_index: int
    speech_seconds: float
    metrics: dict[str, float]  # speechSeconds, utteranceCount, wordsPerMinute, meanPauseSeconds
    indicators: tuple[Indicator, ...]
    reliability: Reliability | None = None  # None on samples stored before reliability existed

    @property
    def assessed(self) -> Reliability:
        """The reliability, or for older samples one judged on speech alone."""
        return self.reliability if self.reliability is not None else assess_inputs(self.speech_seconds)

    def indicator(self, key: str) -> Indicator | None:
        for i in self.indicators:
            if i.key == key:
                return i
        return None

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(i.key for i in self.indicators)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "speakerIndex": self.speaker_index,
            "speechSeconds": self.speech_seconds,
            "metrics": dict(self.metrics),
            "indicators": [i.to_json() for i in self.indicators],
        }
        if self.reliability is not None:
            out["reliability"] = self.reliability.to_json()
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Sample:
        return cls(
            d["speakerIndex"],
            d["speechSeconds"],
            dict(d["metrics"]),
            tuple(Indicator.from_json(i) for i in d["indicators"]),
            Reliability.from_json(d["reliability"]) if d.get("reliability") else None,
        )
