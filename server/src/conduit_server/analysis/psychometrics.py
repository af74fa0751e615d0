"""HEXACO-style estimates from a behavior map. An ESTIMATE from speech behaviour, not a validated instrument:
each domain is a fixed linear mix of dimensions/indicators (docs/metrics.md); missing inputs count as 0.5."""

from __future__ import annotations

from typing import Any

from .behavior_map import BehaviorMap

# domain -> ((dimension or indicator key, weight), ...); negative weight uses 1 - value
MAPPING: dict[str, tuple[tuple[str, float], ...]] = {
    "honestyHumility": (("assertiveness", -0.4), ("we_ratio", 0.3), ("talk_share", -0.3)),
    "emotionality": (("composure", -0.4), ("pitch_variability", 0.3), ("hedge_rate", 0.3)),
    "extraversion": (("energy", 0.4), ("assertiveness", 0.4), ("warmth", 0.2)),
    "agreeableness": (("warmth", 0.5), ("interruptions_made", -0.3), ("tone", 0.2)),
    "conscientiousness": (("structure", 0.5), ("deliberation", 0.3), ("certainty_ratio", 0.2)),
    "opennessToExperience": (("curiosity", 0.5), ("pitch_variability", 0.3), ("future_orientation", 0.2)),
}
SIGNAL_SECONDS = (60.0, 180.0)  # < 60 s low, < 180 s medium, else high


def _value(m: BehaviorMap, key: str) -> float:
    if key in m.traits:
        return m.traits[key].normalized
    if key in m.indicators:
        return m.indicators[key].normalized
    return 0.5


def estimate_psychometrics(behavior_map: BehaviorMap) -> dict[str, float]:
    out: dict[str, float] = {}
    for domain, terms in MAPPING.items():
        total = sum(abs(w) for _, w in terms)
        v = sum(abs(w) * (_value(behavior_map, k) if w > 0 else 1.0 - _value(behavior_map, k)) for k, w in terms)
        out[domain] = round(min(1.0, max(0.0, v / total)), 2)
    return out


def signal_of(speech_seconds: float) -> str:
    return "low" if speech_seconds < SIGNAL_SECONDS[0] else "medium" if speech_seconds < SIGNAL_SECONDS[1] else "high"


def quality(*, target_seconds: float, target_utterances: int, source_seconds: float, segment_count: int
            ) -> dict[str, Any]:
    """The `quality` object of PsychometricsResult (docs/api.md §3.6)."""
    return {
        "segmentCount": segment_count,
        "signal": signal_of(target_seconds),
        "sourceAudioDurationSeconds": round(source_seconds, 3),
        "speakerCoverageRatio": round(target_seconds / source_seconds, 2) if source_seconds > 0 else 0.0,
        "targetAudioDurationSeconds": round(target_seconds, 3),
        "targetUtteranceCount": target_utterances,
    }
