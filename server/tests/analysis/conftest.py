"""Hand-built conversations for the analysis tests (no audio, no models)."""

from __future__ import annotations

import pytest
from conduit_server.pipeline.types import MediaAnalysis, Speaker, SpeakerProsody, Utterance, Word


def timed(text: str, start: float, end: float) -> tuple[Word, ...]:
    """Evenly spaced word timings without gaps."""
    parts = text.split()
    step = (end - start) / len(parts)
    return tuple(Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), w) for i, w in enumerate(parts))


FAST_HEDGER = ("Maybe we could sort of look at the numbers first, I think they matter. "
               "What do you think about the plan and how would you approach it?")  # 26 words
SLOW_CERTAIN = "We will definitely do it exactly."  # 6 words


def scripted(pairs: int = 10) -> MediaAnalysis:
    """Speaker 0: 7 s turns, fast, questions, hedges (70% of speech). Speaker 1: 3 s turns, slow, certain."""
    utts, t = [], 0.0
    for _ in range(pairs):
        utts.append(Utterance(0, t, t + 7.0, FAST_HEDGER, timed(FAST_HEDGER, t, t + 7.0), 180.0, 4.5, 68.0))
        t += 7.0 + 0.8
        utts.append(Utterance(1, t, t + 3.0, SLOW_CERTAIN, timed(SLOW_CERTAIN, t, t + 3.0), 110.0, 1.4, 62.0))
        t += 3.0 + 0.3
    speakers = (
        Speaker(0, 7.0 * pairs, pairs, prosody=SpeakerProsody(180.0, 4.5, 68.0, 9.0, 7.0 * pairs)),
        Speaker(1, 3.0 * pairs, pairs, prosody=SpeakerProsody(110.0, 1.4, 62.0, 4.0, 3.0 * pairs)),
    )
    return MediaAnalysis(round(t, 3), speakers, tuple(utts))


def similar(pairs: int = 10) -> MediaAnalysis:
    """Two speakers with the same style (both the slow, certain one)."""
    utts, t = [], 0.0
    for _ in range(pairs):
        for spk in (0, 1):
            utts.append(Utterance(spk, t, t + 3.0, SLOW_CERTAIN, timed(SLOW_CERTAIN, t, t + 3.0), 110.0, 1.4, 62.0))
            t += 3.0 + 0.8
    speakers = tuple(Speaker(i, 3.0 * pairs, pairs, prosody=SpeakerProsody(110.0, 1.4, 62.0, 4.0, 3.0 * pairs))
                     for i in (0, 1))
    return MediaAnalysis(round(t, 3), speakers, tuple(utts))


@pytest.fixture
def convo() -> MediaAnalysis:
    return scripted()


@pytest.fixture
def similar_convo() -> MediaAnalysis:
    return similar()
