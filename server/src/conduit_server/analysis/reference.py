"""Reference ranges that turn raw indicator values into 0..1 scores, kept as data with their sources.

`normalized = clip((raw - low) / (high - low), 0, 1)`, rounded to 2 dp. `low`/`high` bracket the usual spread of
conversational speech, so 0.5 is "typical" and the ends are "unusual". Where no published norm fits our exact
definition the source says so ("measured on generated speech" = calibrated on the espeak/flite test
conversations of this repository, which are not human norms).
"""

from __future__ import annotations

from dataclasses import dataclass

BINS = ("very_low", "low", "medium", "high", "very_high")


@dataclass(frozen=True, slots=True)
class Reference:
    low: float
    high: float
    unit: str
    source: str


REFERENCES: dict[str, Reference] = {
    "pitch_variability": Reference(
        1.0,
        5.0,
        "st",
        "F0 SD of conversational speech is typically ~2-4 semitones (e.g. Traunmüller & Eriksson 1995; "
        "Patel et al. 2011 on monotone speech below ~1.5 st); range widened by 1 st each side",
    ),
    "intensity_variability": Reference(
        3.0,
        12.0,
        "dB",
        "typical spread of frame intensity in conversational speech; measured on generated speech",
    ),
    "speech_rate": Reference(
        110.0,
        200.0,
        "wpm",
        "conversational American English averages ~150-160 words/min (Yuan, Liberman & Cieri 2006, "
        "'Towards an integrated understanding of speaking rate in conversation')",
    ),
    "articulation_rate": Reference(
        140.0,
        240.0,
        "wpm",
        "rate with pauses >= 0.25 s removed (Goldman-Eisler 1968 pause threshold); ~20-30% above speech rate "
        "in conversation; measured on generated speech",
    ),
    "filled_pauses": Reference(
        0.0,
        5.0,
        "per_100_words",
        "filled pauses occur at ~1-3 per 100 words in conversation (Bortfeld et al. 2001; Shriberg 1994)",
    ),
    "long_pauses": Reference(
        0.0,
        6.0,
        "per_minute",
        "within-turn silences >= 1 s per minute of own speech; heuristic range",
    ),
    "talk_share": Reference(
        0.0,
        1.0,
        "ratio",
        "share of all speech, scaled so an equal share (1/number of speakers) maps to 0.5 (see docs/metrics.md)",
    ),
    "mean_turn_length": Reference(
        1.0,
        15.0,
        "s",
        "conversational turns average ~2 s but vary widely (Levinson 2016, 'Turn-taking in human "
        "communication'); interviews and pitches run longer",
    ),
    "longest_monologue": Reference(5.0, 60.0, "s", "heuristic range for the longest uninterrupted turn"),
    "interruptions_made": Reference(
        0.0,
        2.0,
        "per_minute",
        "speaker changes with gap < 0.05 s or overlap, per minute of own speech; heuristic",
    ),
    "interruptions_received": Reference(
        0.0,
        2.0,
        "per_minute",
        "same definition, counted when another speaker takes over; heuristic",
    ),
    "response_latency": Reference(
        0.0,
        1.5,
        "s",
        "cross-linguistic mean gap between turns is ~0.2 s with a long tail (Stivers et al. 2009, PNAS)",
    ),
    "question_rate": Reference(
        0.0, 4.0, "per_minute", "questions per minute of own speech; measured on generated speech"
    ),
    "question_share": Reference(0.0, 0.6, "ratio", "share of own turns containing a question; heuristic range"),
    "hedge_rate": Reference(
        0.0,
        4.0,
        "per_100_words",
        "hedging devices per 100 words, same order as Hyland 1998 counts; heuristic",
    ),
    "certainty_ratio": Reference(
        0.0,
        1.0,
        "ratio",
        "certainty words / (hedges + certainty words), add-0.5 smoothed; 0.5 = balanced",
    ),
    "we_ratio": Reference(
        0.0,
        1.0,
        "ratio",
        "first-person plural / (singular + plural), add-0.5 smoothed (cf. Pennebaker 2011)",
    ),
    "tone": Reference(
        -0.4,
        0.6,
        "vader_compound",
        "VADER compound (Hutto & Gilbert 2014), word-weighted mean over turns; everyday talk skews mildly "
        "positive, so the range is shifted up",
    ),
    "future_orientation": Reference(
        0.0,
        1.0,
        "ratio",
        "future markers / (future + past markers), add-0.5 smoothed; 0.5 = balanced",
    ),
}


def normalize(key: str, raw: float) -> float:
    ref = REFERENCES[key]
    x = (raw - ref.low) / (ref.high - ref.low)
    return round(min(1.0, max(0.0, x)), 2)


def bin_of(normalized: float) -> str:
    """Quintile-width bins on the normalized scale: [0,.2) very_low ... [.8,1] very_high."""
    return BINS[min(4, int(normalized * 5 + 1e-9))]
