"""How far a speaker's measurements can be trusted: little speech, uncertain speaker separation, overlapped speech.

`assess(analysis, speaker_index)` looks at one recording; `combine` pools the assessments of the recordings behind a
behavior map by pooling their inputs (speech and overlap add up, separation margins are speech-weighted) and applying
the same rules. Each reason that fires multiplies a `factor` (0..1] that scales every dimension confidence and adds a
plain-language caveat that the report shows near its top (docs/metrics.md "Reliability caveats").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conduit_server.pipeline.types import MediaAnalysis

# Below a minute of the speaker's own speech a profile is tentative. Same line as the psychometrics signal
# (psychometrics.py: < 60 s = "low") and docs/metrics.md "Known limits"; a project choice, not a published norm. On
# real speech (bench/calibrate_references.py) single read utterances of 5-20 s spread wider than the same readers'
# ~60 s recordings: P10-P90 speech rate 144-203 vs 155-192 wpm, pitch SD 2.4-5.5 vs 3.7-4.9 st.
MIN_RELIABLE_SPEECH_SECONDS = 60.0
# Mean over the speaker's embedding windows of cos(own centroid) - cos(nearest other centroid) (pipeline/types.py
# `Speaker.separation_margin`). Measured with CAM++ and spectral clustering (bench/diarization.py): speakers of the
# real-voice LibriSpeech conversations 0.42-0.71 (all diarized >= 0.98 right); on the AMI meeting excerpts, clusters
# that were one person split in two or a wrong mix scored 0.15-0.21, right ones 0.16-0.43. Below 0.25 the speaker's
# speech may be mixed with someone else's.
UNCERTAIN_SEPARATION_MARGIN = 0.25
# Share of the speaker's speech during which someone else spoke too. Provisional project choice; on the AMI
# meeting excerpts of tests/data/real the per-speaker share (an upper bound from turn-level RTTM) had a median of
# 0.30, so meeting recordings will often carry this caveat.
OVERLAP_SHARE_LIMIT = 0.15

# What each reason does to the confidence (the product of the reasons that fire):
# short speech: speech / MIN_RELIABLE_SPEECH_SECONDS (the share of the minute we wanted), never below the floor;
SHORT_SPEECH_FACTOR_FLOOR = 0.1
# uncertain separation: halved (a fair share of the speech may be someone else's; there is no finer model yet);
UNCERTAIN_SEPARATION_FACTOR = 0.5
# overlapped speech: 1 - overlap share (the share heard without anyone else), never below the floor.
OVERLAP_FACTOR_FLOOR = 0.25
# A factor under this makes the level "low" (else "reduced" when any reason fires, "ok" when none does).
LOW_FACTOR = 0.5

CAVEAT_PREFIX = "Read with caution:"
LEVELS = ("ok", "reduced", "low")


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # "short_speech" | "uncertain_separation" | "overlapped_speech"
    value: float  # what was measured: seconds, separation margin, overlap share
    limit: float  # the threshold it is on the wrong side of
    factor: float  # this reason's share of the confidence factor

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "value": self.value, "limit": self.limit, "factor": self.factor}


@dataclass(frozen=True, slots=True)
class Reliability:
    """Build with `assess_inputs` (or `assess`, `combine`, `from_json`): the derived fields follow the inputs."""

    speech_seconds: float
    overlap_seconds: float
    separation_margin: float | None  # None: a lone speaker, or unknown (older analyses)
    recordings: int
    reasons: tuple[Reason, ...]
    factor: float
    level: str

    @property
    def overlap_share(self) -> float:
        return self.overlap_seconds / self.speech_seconds if self.speech_seconds > 0 else 0.0

    def caveats(self, subject: str = "this speaker") -> tuple[str, ...]:
        """One plain sentence per reason, naming `subject`."""
        out = []
        where = f"across {self.recordings} recordings" if self.recordings > 1 else "in this recording"
        for r in self.reasons:
            if r.code == "short_speech":
                out.append(f"Only {r.value:.0f} s of {subject}'s speech could be measured {where}, less than the "
                           f"{r.limit:.0f} s a stable profile needs, so any reading here, a very high or very low one "
                           f"above all, may not hold up on a longer recording.")
            elif r.code == "uncertain_separation":
                out.append(f"{_cap(subject)}'s voice was hard to tell apart from the other voices {where} "
                           f"(separation margin {r.value:.2f}, below {r.limit:.2f}), so some of the speech "
                           f"attributed to {subject} may be someone else's.")
            elif r.code == "overlapped_speech":
                out.append(f"{r.value * 100:.0f}% of {subject}'s speech overlapped with someone else's, which "
                           f"blurs the pace, pitch and turn-taking measures.")
        return tuple(out)

    def caveat_text(self, subject: str = "this speaker") -> str | None:
        """The caution paragraph of a report, or None when nothing needs saying."""
        if not self.reasons:
            return None
        return (f"{CAVEAT_PREFIX} " + " ".join(self.caveats(subject))
                + f" Confidence is lowered accordingly (factor {self.factor:.2f}).")

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "factor": self.factor,
            "speechSeconds": self.speech_seconds,
            "overlapSeconds": self.overlap_seconds,
            "overlapShare": round(self.overlap_share, 3),
            "separationMargin": self.separation_margin,
            "recordings": self.recordings,
            "reasons": [r.to_json() for r in self.reasons],
            "caveats": list(self.caveats()),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Reliability:
        """Re-derived from the stored inputs, so stored samples follow the current thresholds."""
        return assess_inputs(d["speechSeconds"], d.get("overlapSeconds", 0.0), d.get("separationMargin"),
                             d.get("recordings", 1))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def assess_inputs(speech_seconds: float, overlap_seconds: float = 0.0, separation_margin: float | None = None,
                  recordings: int = 1) -> Reliability:
    speech = round(max(speech_seconds, 0.0), 3)
    overlap = round(min(max(overlap_seconds, 0.0), speech), 3)
    margin = None if separation_margin is None else round(separation_margin, 3)
    reasons: list[Reason] = []
    if speech < MIN_RELIABLE_SPEECH_SECONDS:
        f = max(SHORT_SPEECH_FACTOR_FLOOR, speech / MIN_RELIABLE_SPEECH_SECONDS)
        reasons.append(Reason("short_speech", speech, MIN_RELIABLE_SPEECH_SECONDS, round(f, 2)))
    if margin is not None and margin < UNCERTAIN_SEPARATION_MARGIN:
        reasons.append(Reason("uncertain_separation", margin, UNCERTAIN_SEPARATION_MARGIN,
                              UNCERTAIN_SEPARATION_FACTOR))
    share = overlap / speech if speech > 0 else 0.0
    if share > OVERLAP_SHARE_LIMIT:
        reasons.append(Reason("overlapped_speech", round(share, 3), OVERLAP_SHARE_LIMIT,
                              round(max(OVERLAP_FACTOR_FLOOR, 1.0 - share), 2)))
    factor = 1.0
    for r in reasons:
        factor *= r.factor
    factor = round(factor, 2)
    level = "ok" if not reasons else "low" if factor < LOW_FACTOR else "reduced"
    return Reliability(speech, overlap, margin, max(recordings, 1), tuple(reasons), factor, level)


def assess(analysis: MediaAnalysis, speaker_index: int, speech_seconds: float | None = None) -> Reliability:
    """One speaker in one recording. `speech_seconds` overrides the speaker's diarized speech (the sample's own
    figure, which falls back on utterance spans when diarization reported none)."""
    speaker = analysis.speaker(speaker_index)
    speech = speaker.speech_seconds if speech_seconds is None else speech_seconds
    return assess_inputs(speech, speaker.overlap_seconds, speaker.separation_margin)


def combine(parts: Sequence[Reliability]) -> Reliability:
    """Pool several recordings of one person: speech and overlap add up; the separation margin is the speech-weighted
    mean over the recordings that have one (a lone speaker's recording has nothing to separate)."""
    if not parts:
        raise ValueError("nothing to combine")
    if len(parts) == 1:
        return parts[0]
    speech = sum(p.speech_seconds for p in parts)
    overlap = sum(p.overlap_seconds for p in parts)
    with_margin = [p for p in parts if p.separation_margin is not None]
    margin = None
    if with_margin:
        weight = sum(p.speech_seconds for p in with_margin)
        margin = (sum(p.speech_seconds * (p.separation_margin or 0.0) for p in with_margin) / weight if weight > 0
                  else sum(p.separation_margin or 0.0 for p in with_margin) / len(with_margin))
    return assess_inputs(speech, overlap, margin, sum(p.recordings for p in parts))
