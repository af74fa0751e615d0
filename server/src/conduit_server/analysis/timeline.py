"""Conversation timeline facts shared by the indicators: turns, within-turn pauses, speaker changes."""

from __future__ import annotations

from dataclasses import dataclass

from conduit_server.pipeline.types import MediaAnalysis, Utterance

PAUSE_MIN_SECONDS = 0.25  # Goldman-Eisler's classic threshold: shorter gaps are articulation, not pauses
LONG_PAUSE_SECONDS = 1.0
INTERRUPTION_GAP_SECONDS = 0.05  # a change of speaker faster than this (or overlapping) counts as cutting in


@dataclass(frozen=True, slots=True)
class Turn:
    speaker_index: int
    utterances: tuple[Utterance, ...]

    @property
    def start(self) -> float:
        return self.utterances[0].start

    @property
    def end(self) -> float:
        return max(u.end for u in self.utterances)


@dataclass(frozen=True, slots=True)
class Pause:
    start: float
    end: float
    utterance: Utterance  # where it happened (the utterance it ends, for gaps between utterances)

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Change:
    """Another speaker took over: `gap` < 0 is overlap."""

    before: Utterance
    after: Utterance

    @property
    def gap(self) -> float:
        return self.after.start - self.before.end

    @property
    def is_interruption(self) -> bool:
        return self.gap < INTERRUPTION_GAP_SECONDS


def ordered(analysis: MediaAnalysis) -> list[Utterance]:
    return sorted(analysis.utterances, key=lambda u: (u.start, u.end, u.speaker_index))


def turns(analysis: MediaAnalysis) -> list[Turn]:
    """Consecutive utterances of one speaker form one turn."""
    out: list[Turn] = []
    for u in ordered(analysis):
        if out and out[-1].speaker_index == u.speaker_index:
            out[-1] = Turn(u.speaker_index, (*out[-1].utterances, u))
        else:
            out.append(Turn(u.speaker_index, (u,)))
    return out


def changes(analysis: MediaAnalysis) -> list[Change]:
    seq = ordered(analysis)
    return [Change(a, b) for a, b in zip(seq, seq[1:], strict=False) if a.speaker_index != b.speaker_index]


def pauses(analysis: MediaAnalysis, speaker_index: int) -> list[Pause]:
    """Silences >= PAUSE_MIN_SECONDS inside the speaker's turns: word gaps within an utterance and gaps between
    two utterances of the same turn."""
    out: list[Pause] = []
    for turn in turns(analysis):
        if turn.speaker_index != speaker_index:
            continue
        prev: Utterance | None = None
        for u in turn.utterances:
            if prev is not None and u.start - prev.end >= PAUSE_MIN_SECONDS:
                out.append(Pause(prev.end, u.start, u))
            for a, b in zip(u.words, u.words[1:], strict=False):
                if b.start - a.end >= PAUSE_MIN_SECONDS:
                    out.append(Pause(a.end, b.start, u))
            prev = u
    return out
