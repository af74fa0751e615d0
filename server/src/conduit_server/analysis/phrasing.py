"""Wording of measured facts, chosen by bin. Every phrase names the measured value, so it can be checked."""

from __future__ import annotations

from collections.abc import Callable

from .behavior_map import MapIndicator
from .dimensions import DIMENSIONS, POLES, Dimension

BIN_WORDS = {"very_low": "very low", "low": "low", "medium": "medium", "high": "high", "very_high": "very high"}


def level(binned: str) -> int:
    """-1 low side, 0 medium, +1 high side."""
    return -1 if binned in ("very_low", "low") else 1 if binned in ("high", "very_high") else 0


# key -> ((low, medium, high) descriptors, value formatter)
_FACTS: dict[str, tuple[tuple[str, str, str], Callable[[float], str]]] = {
    "pitch_variability": (("speaks with a flat, even pitch", "uses moderate pitch movement",
                           "uses a lively, varied pitch"), lambda r: f"{r:.1f} semitones pitch SD"),
    "intensity_variability": (("keeps loudness steady", "varies loudness moderately", "varies loudness strongly"),
                              lambda r: f"{r:.1f} dB loudness SD"),
    "speech_rate": (("speaks slowly", "speaks at a moderate pace", "speaks fast"),
                    lambda r: f"{r:.0f} words per minute"),
    "articulation_rate": (("articulates unhurriedly", "articulates at an even rate", "articulates rapidly"),
                          lambda r: f"{r:.0f} words per minute of voicing"),
    "filled_pauses": (("rarely says um or uh", "says um or uh now and then", "often says um or uh"),
                      lambda r: f"{r:.1f} filled pauses per 100 words"),
    "long_pauses": (("rarely stops for long mid-turn", "pauses mid-turn now and then",
                     "often stops for a second or more mid-turn"), lambda r: f"{r:.1f} long pauses per minute"),
    "talk_share": (("leaves most of the talking to others", "takes a fair share of the talk time",
                    "takes most of the talk time"), lambda r: f"{r * 100:.0f}% of all speech"),
    "mean_turn_length": (("keeps turns short", "takes turns of moderate length", "takes long turns"),
                         lambda r: f"{r:.1f} s per turn on average"),
    "longest_monologue": (("never holds the floor for long", "holds the floor for moderate stretches",
                           "holds the floor for long stretches"), lambda r: f"longest turn {r:.1f} s"),
    "interruptions_made": (("rarely cuts in on others", "cuts in on others now and then", "often cuts in on others"),
                           lambda r: f"{r:.1f} cut-ins per minute of speech"),
    "interruptions_received": (("is rarely cut off", "is cut off now and then", "is often cut off by others"),
                               lambda r: f"{r:.1f} times per minute of speech"),
    "response_latency": (("answers almost immediately", "answers after a normal beat", "takes time before answering"),
                         lambda r: f"{r:.2f} s mean gap before answering"),
    "question_rate": (("asks few questions", "asks questions regularly", "asks many questions"),
                      lambda r: f"{r:.1f} questions per minute"),
    "question_share": (("rarely puts a question in a turn", "puts a question in some turns",
                        "puts a question in many turns"), lambda r: f"{r * 100:.0f}% of turns"),
    "hedge_rate": (("seldom uses tentative words", "uses tentative words now and then",
                    "hedges a lot (maybe, I think, sort of)"), lambda r: f"{r:.1f} hedges per 100 words"),
    "certainty_ratio": (("leans on tentative rather than certain wording", "balances tentative and certain wording",
                         "speaks in certain terms"), lambda r: f"{r * 100:.0f}% certain wording"),
    "we_ratio": (("speaks mostly as 'I'", "mixes 'I' and 'we'", "speaks mostly as 'we'"),
                 lambda r: f"'we' in {r * 100:.0f}% of first-person words"),
    "tone": (("uses a negative tone", "uses a neutral tone", "uses a positive tone"),
             lambda r: f"VADER tone {r:+.2f}"),
    "future_orientation": (("talks mostly about the past", "balances past and future",
                            "talks mostly about what comes next"),
                           lambda r: f"{r * 100:.0f}% of time references point ahead"),
}


def fact(key: str, ind: MapIndicator) -> str:
    """e.g. 'speaks fast (182 words per minute, high)'."""
    words, fmt = _FACTS[key]
    return f"{words[level(ind.binned) + 1]} ({fmt(ind.raw)}, {BIN_WORDS[ind.binned]})"


def dimension_label(dim: Dimension) -> str:
    low, high = POLES[dim.key]
    if dim.binned == "medium":
        return f"Balanced {dim.key}"
    word = high if dim.normalized >= 0.5 else low
    return f"Very {word.lower()}" if dim.binned in ("very_low", "very_high") else word


def driver(dim: Dimension, available: dict[str, MapIndicator]) -> str:
    """The input that pushes the dimension furthest towards its side."""
    side = 1.0 if dim.normalized >= 0.5 else -1.0
    best = ("", -9.0)
    for key, w in DIMENSIONS[dim.key]:
        if key not in available:
            continue
        x = available[key].normalized if w > 0 else 1.0 - available[key].normalized
        push = abs(w) * (x - 0.5) * side
        if push > best[1] + 1e-12:
            best = (key, push)
    return best[0]


def supporting(dim: Dimension, available: dict[str, MapIndicator], n: int = 2) -> list[str]:
    """Up to `n` inputs that push the dimension towards its side, strongest first (the driver at least)."""
    side = 1.0 if dim.normalized >= 0.5 else -1.0
    scored = []
    for i, (key, w) in enumerate(DIMENSIONS[dim.key]):
        if key in available:
            x = available[key].normalized if w > 0 else 1.0 - available[key].normalized
            scored.append((-abs(w) * (x - 0.5) * side, i, key))
    scored.sort()
    keep = [k for p, _, k in scored if p < 0][:n]
    return keep or [driver(dim, available)]


def dimension_keys(dim: Dimension, available: dict[str, MapIndicator]) -> list[str]:
    return [k for k in dim.inputs if k in available]
