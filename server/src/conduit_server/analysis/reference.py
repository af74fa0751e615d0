"""Reference ranges that turn raw indicator values into 0..1 scores, kept as data with their sources.

`normalized = clip((raw - low) / (high - low), 0, 1)`, rounded to 2 dp. `low`/`high` bracket the usual spread of
conversational speech, so 0.5 is "typical" and the ends are "unusual".

Calibration (bench/calibrate_references.py, docs/metrics.md "Reference ranges"): our own pipeline (Whisper base,
Silero VAD, Praat prosody) measured real human speech in tests/data/real: 8 speakers with >= 5 s in 9 AMI meeting
excerpts of 30 s (conversational, far-field; speakers from the RTTM truth) and 10 LibriSpeech readers (~63 s each,
read, close-talk). Rule: low/high = the AMI 10th/90th percentiles, widened to include the published typical value
cited in the source, rounded outward; for a roughly symmetric spread this makes the five bins close to population
quintiles. 8 meeting speakers is a small sample: these ranges are a first real-speech calibration, not norms.
Indicators the data cannot calibrate say so in their source.
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
        3.0,
        7.5,
        "st",
        "calibrated on real speech: AMI meetings P10-P90 3.5-7.3 st (median 5.3, n=8), widened down to the published "
        "~3 st centre of conversational F0 SD (~2-4 st: Traunmüller & Eriksson 1995; Patel et al. 2011 put monotone "
        "below ~1.5 st); LibriSpeech readers median 4.2 st (n=10). Our far-field AMI pitch tracks may run high",
    ),
    "intensity_variability": Reference(
        8.0,
        17.0,
        "dB",
        "calibrated on real speech, no published norm for this definition (SD of frame intensity over the speaker's "
        "utterances): union of the P10-P90 of AMI meetings (10.6-14.9 dB, n=8) and LibriSpeech readers "
        "(8.3-16.6 dB, n=10), because the recording (microphone distance, noise floor) moves it as much as the speaker",
    ),
    "speech_rate": Reference(
        100.0,
        225.0,
        "wpm",
        "calibrated on real speech: AMI meetings P10-P90 102-221 wpm (median 156, n=8), which holds the published "
        "conversational mean of ~150-160 words/min (Yuan, Liberman & Cieri 2006); LibriSpeech readers median 182 "
        "(n=10). Words are our ASR's, which misses some far-field words",
    ),
    "articulation_rate": Reference(
        140.0,
        270.0,
        "wpm",
        "calibrated on real speech: AMI meetings P10-P90 143-267 wpm (median 204, n=8), which holds the published "
        "~20-30% above a ~150-160 wpm speech rate (180-208); pauses >= 0.25 s removed (Goldman-Eisler 1968 "
        "threshold); LibriSpeech readers median 195 (n=10)",
    ),
    "filled_pauses": Reference(
        0.0,
        3.0,
        "per_100_words",
        "AMI meeting speakers with our filler-prompted ASR: P50 0, P75 2.0, P90 2.9 per 100 words (n = 9; read "
        "LibriSpeech: ~0); published ~1-3 per 100 words in conversation (Bortfeld et al. 2001; Shriberg 1994). "
        "Whisper still writes only some of the fillers people say, so rates read low",
    ),
    "long_pauses": Reference(
        0.0,
        6.5,
        "per_minute",
        "calibrated on real speech: AMI meetings P10-P90 0-6.1 per minute (median 0, n=8; 5-30 s per speaker); "
        "no published norm for this definition; LibriSpeech readers median 1.0 (n=10)",
    ),
    "talk_share": Reference(
        0.0,
        1.0,
        "ratio",
        "share of all speech, scaled so an equal share (1/number of speakers) maps to 0.5 (see docs/metrics.md)",
    ),
    "mean_turn_length": Reference(
        1.5,
        15.0,
        "s",
        "low calibrated on real speech: AMI meetings P10 1.9 s (median 4.6, n=8), near the published ~2 s average "
        "conversational turn (Levinson 2016); high kept heuristic (interviews and pitches run longer): 30 s "
        "excerpts cap every turn at 30 s, so they cannot show the upper tail",
    ),
    "longest_monologue": Reference(
        5.0,
        60.0,
        "s",
        "heuristic range for the longest uninterrupted turn. Not calibrated: it grows with the recording's length "
        "and the 30 s AMI excerpts cap it (P10-P90 3.9-25.8 s, n=8)",
    ),
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
        1.0,
        "s",
        "calibrated on real speech: AMI meetings P10-P90 0-0.9 s (median 0: most replies overlapped or latched, "
        "n=7), which holds the published cross-linguistic mean gap of ~0.2 s (Stivers et al. 2009, PNAS)",
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
