"""`BehaviorMap`: an entity's indicators and dimensions combined over its samples, weighted by speech."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dimensions import Dimension, score_dimensions
from .reference import REFERENCES, bin_of
from .reliability import Reliability, assess_inputs, combine
from .sample import Sample

MODEL_CHECKPOINT = "conduit-behavior-1"


@dataclass(frozen=True, slots=True)
class MapIndicator:
    normalized: float
    binned: str
    raw: float  # speech-weighted mean of the samples' raw values (for wording such as "182 words per minute")
    unit: str


@dataclass(frozen=True, slots=True)
class BehaviorMap:
    indicators: dict[str, MapIndicator]
    traits: dict[str, Dimension]
    speech_seconds: float
    sample_count: int
    model_checkpoint: str = MODEL_CHECKPOINT
    reliability: Reliability | None = None  # pooled over the samples (reliability.combine); None on old stored maps

    @property
    def assessed(self) -> Reliability:
        """The reliability, or for maps stored before it existed one judged on their speech alone."""
        if self.reliability is not None:
            return self.reliability
        return assess_inputs(self.speech_seconds, recordings=self.sample_count)

    def payload(self) -> dict[str, Any]:
        """The `behaviorMap` object of the BehaviorMap extension (docs/api.md §3.7)."""
        return {
            "indicators": {k: {"normalized": v.normalized, "binned": v.binned} for k, v in self.indicators.items()},
            "traits": {k: {"normalized": v.normalized, "binned": v.binned} for k, v in self.traits.items()},
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "modelCheckpoint": self.model_checkpoint, "speechSeconds": self.speech_seconds,
            "sampleCount": self.sample_count,
            "indicators": {k: {"normalized": v.normalized, "binned": v.binned, "raw": v.raw, "unit": v.unit}
                           for k, v in self.indicators.items()},
            "traits": {k: {"normalized": v.normalized, "binned": v.binned, "confidence": v.confidence,
                           "inputs": list(v.inputs)} for k, v in self.traits.items()},
        }
        if self.reliability is not None:
            out["reliability"] = self.reliability.to_json()
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BehaviorMap:
        return cls(
            indicators={k: MapIndicator(v["normalized"], v["binned"], v["raw"], v["unit"])
                        for k, v in d["indicators"].items()},
            traits={k: Dimension(k, v["normalized"], v["binned"], v["confidence"], tuple(v["inputs"]))
                    for k, v in d["traits"].items()},
            speech_seconds=d["speechSeconds"], sample_count=d["sampleCount"], model_checkpoint=d["modelCheckpoint"],
            reliability=Reliability.from_json(d["reliability"]) if d.get("reliability") else None,
        )


def build_behavior_map(samples: list[Sample]) -> BehaviorMap:
    """Speech-weighted mean per indicator over the samples that measured it; dimensions from the result."""
    if not samples:
        raise ValueError("a behavior map needs at least one sample")
    indicators: dict[str, MapIndicator] = {}
    for key in REFERENCES:  # fixed order keeps the JSON byte-stable
        have = [(s.speech_seconds, ind) for s in samples if (ind := s.indicator(key)) is not None]
        if not have:
            continue
        weight = sum(w for w, _ in have) or float(len(have))
        ws = [(w if sum(x for x, _ in have) > 0 else 1.0) for w, _ in have]
        norm = round(sum(w * i.normalized for w, (_, i) in zip(ws, have, strict=True)) / weight, 2)
        raw = round(sum(w * i.raw for w, (_, i) in zip(ws, have, strict=True)) / weight, 2)
        indicators[key] = MapIndicator(norm, bin_of(norm), raw, have[0][1].unit)
    speech = round(sum(s.speech_seconds for s in samples), 3)
    reliability = combine([s.assessed for s in samples])
    traits = score_dimensions({k: v.normalized for k, v in indicators.items()}, speech, reliability.factor)
    return BehaviorMap(indicators, traits, speech, len(samples), reliability=reliability)
