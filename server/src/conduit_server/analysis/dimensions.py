"""Higher-level dimensions as documented linear combinations of normalized indicators.

`value = sum(w * x') / sum(|w|)` over the inputs that were measured, where `x' = x` for a positive weight and
`1 - x` for a negative one, so every dimension stays in [0, 1] and 0.5 means "typical". Confidence falls with
little speech and with missing inputs: `coverage * speech / (speech + 30 s) * reliability factor` (reliability.py:
short speech, uncertain speaker separation, overlapped speech).
"""

from __future__ import annotations

from dataclasses import dataclass

from .reference import bin_of

# dimension -> ((indicator key, weight), ...); negative weight = the indicator counts against the dimension
DIMENSIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "assertiveness": (("talk_share", 1.0), ("certainty_ratio", 1.0), ("interruptions_made", 0.5),
                      ("hedge_rate", -0.5), ("mean_turn_length", 0.5), ("intensity_variability", 0.5)),
    "warmth": (("tone", 1.0), ("we_ratio", 1.0), ("question_share", 0.5), ("interruptions_made", -0.5),
               ("pitch_variability", 0.5)),
    "energy": (("speech_rate", 1.0), ("pitch_variability", 1.0), ("intensity_variability", 1.0),
               ("articulation_rate", 0.5), ("response_latency", -0.5)),
    "deliberation": (("response_latency", 1.0), ("long_pauses", 1.0), ("speech_rate", -1.0), ("hedge_rate", 0.5),
                     ("interruptions_made", -0.5)),
    "curiosity": (("question_rate", 1.0), ("question_share", 1.0), ("talk_share", -0.5)),
    "structure": (("filled_pauses", -1.0), ("long_pauses", -0.5), ("certainty_ratio", 0.5),
                  ("mean_turn_length", 0.5), ("future_orientation", 0.5)),
    "composure": (("filled_pauses", -1.0), ("hedge_rate", -0.5), ("tone", 0.5), ("interruptions_made", -0.5),
                  ("response_latency", -0.5)),
}

# Words for each dimension at the low / high end (the renderer uses these).
POLES: dict[str, tuple[str, str]] = {
    "assertiveness": ("Reserved", "Assertive"),
    "warmth": ("Matter-of-fact", "Warm"),
    "energy": ("Calm", "Energetic"),
    "deliberation": ("Quick to respond", "Deliberate"),
    "curiosity": ("Statement-driven", "Curious"),
    "structure": ("Loose", "Structured"),
    "composure": ("Visibly hesitant", "Composed"),
}

CONFIDENCE_HALF_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Dimension:
    key: str
    normalized: float
    binned: str
    confidence: float
    inputs: tuple[str, ...]  # indicator keys that were available (the evidence behind the dimension)


def score_dimensions(indicators: dict[str, float], speech_seconds: float, reliability_factor: float = 1.0
                     ) -> dict[str, Dimension]:
    out: dict[str, Dimension] = {}
    amount = speech_seconds / (speech_seconds + CONFIDENCE_HALF_SECONDS) if speech_seconds > 0 else 0.0
    for key, terms in DIMENSIONS.items():
        have = [(k, w) for k, w in terms if k in indicators]
        if not have:
            continue
        total = sum(abs(w) for _, w in have)
        value = sum(abs(w) * (indicators[k] if w > 0 else 1.0 - indicators[k]) for k, w in have) / total
        coverage = total / sum(abs(w) for _, w in terms)
        n = round(value, 2)
        confidence = round(coverage * amount * reliability_factor, 2)
        out[key] = Dimension(key, n, bin_of(n), confidence, tuple(k for k, _ in have))
    return out
