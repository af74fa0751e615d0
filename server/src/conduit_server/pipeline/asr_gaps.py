"""Words versus detected speech: speech Whisper skipped is transcribed again; words where nobody speaks are dropped.

Whisper invents text over silence and noise (a prompt makes that likelier): on a 30 s meeting excerpt with 0.7 s
of speech it wrote 14 words spread over the whole file, which became a long utterance of an invented speaker.
A word that does not touch detected speech (within `SLACK_S`) is dropped.

Whisper sometimes drops a whole stretch of clear speech (most often a turn that straddles the end of a 30 s
window, or the last turn of a file): the words are missing, so the speaker loses that time and its words. Seen on
real voices: a 5 s final turn of a LibriSpeech conversation vanished, costing 8 % of the frame accuracy. Detected
speech of at least `MIN_GAP_S` that no word comes near is transcribed again as a short clip; its words are kept
only when their mean probability reaches `MIN_MEAN_PROBABILITY`, so crosstalk or noise the VAD took for speech does
not turn into invented text. A span longer than `MAX_CLIP_S` (a long stretch of noise the detector took for speech)
is transcribed in parts of at most that, so memory stays bounded however long it is.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence

import numpy as np

from conduit_server.pipeline.pcm import Samples
from conduit_server.pipeline.types import Word
from conduit_server.pipeline.vad import SAMPLE_RATE, SpeechRegion

MIN_GAP_S = 1.0  # shorter uncovered speech is breath, laughter or a word Whisper merged into its neighbour
SLACK_S = 0.3  # a word covers this much around itself (Whisper's word edges are loose)
PAD_S = 5.0  # context around a re-transcribed clip (Whisper decodes 30 s windows: context costs nothing)
# Measured on the 92 spans re-transcribed in the recordings of `bench/diarization.py` (AMI, the LibriSpeech
# conversations clean and at 10 dB, the quick-turn pairs) and of noisy test speech (synthetic and LibriSpeech at 5 and
# 0 dB SNR; a minute of brown or of white noise gave no span at all): the 4 spans whose words averaged under 0.35 were
# 20-66 % speech (AMI crosstalk, "Hello." at 0.01); the 15 between 0.46 and 0.6, which 0.6 used to drop, were
# 49-100 % speech (median 0.85) and their words mostly right ("there will only when however the two ... was quite
# nigh unto them"). Two men at 10 dB then keep a 5.8 s exchange (frame accuracy 0.895 -> 0.995).
MIN_MEAN_PROBABILITY = 0.4
MAX_CLIP_S = 120.0

__all__ = ["recover_skipped_speech", "untranscribed_speech", "words_in_speech"]


def untranscribed_speech(regions: Sequence[SpeechRegion], words: Sequence[Word], *,
                         min_seconds: float = MIN_GAP_S) -> list[tuple[float, float]]:
    """(start, end) spans of detected speech, at least `min_seconds` long, that no word comes near."""
    spans = sorted((w.start - SLACK_S, w.end + SLACK_S) for w in words)
    starts = [a for a, _ in spans]
    out: list[tuple[float, float]] = []
    for r in regions:
        cursor = r.start
        i = max(0, bisect.bisect_left(starts, r.start) - 1)
        while i < len(spans) and spans[i][0] < r.end:
            a, b = spans[i]
            if b > cursor:
                if a - cursor >= min_seconds:
                    out.append((cursor, a))
                cursor = max(cursor, b)
            i += 1
        if r.end - cursor >= min_seconds:
            out.append((cursor, r.end))
    return out


def recover_skipped_speech(audio: Samples, regions: Sequence[SpeechRegion], words: Sequence[Word],
                           transcribe: Callable[[np.ndarray], Sequence[Word]]) -> tuple[Word, ...]:
    """`words` plus the confident words of every untranscribed speech span, transcribed again; sorted.

    Spans whose context would overlap are transcribed in one clip (up to `MAX_CLIP_S` of spans): Whisper reads a
    sentence better whole. The end of a LibriSpeech conversation, where Whisper wrote nothing, came as two spans
    1.4 s apart; on their own, the second span's clip came back without the words that a clip of both gave it.
    Each span keeps its own words only when their mean probability reaches `MIN_MEAN_PROBABILITY`."""
    found: list[Word] = []
    for group in _grouped(_bounded(untranscribed_speech(regions, words))):
        a = max(0, int((group[0][0] - PAD_S) * SAMPLE_RATE))
        b = min(len(audio), int((group[-1][1] + PAD_S) * SAMPLE_RATE))
        offset = a / SAMPLE_RATE
        clip = [Word(w.start + offset, w.end + offset, w.text, w.probability) for w in transcribe(audio[a:b])]
        kept: set[int] = set()  # a word between two close spans counts for both but is added once
        for start, end in group:
            inside = [i for i, w in enumerate(clip) if start - SLACK_S <= (w.start + w.end) / 2 <= end + SLACK_S]
            if inside and float(np.mean([clip[i].probability for i in inside])) >= MIN_MEAN_PROBABILITY:
                kept.update(inside)
        found.extend(clip[i] for i in sorted(kept))
    return tuple(sorted([*words, *found], key=lambda w: (w.start, w.end)))


def _grouped(spans: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Sorted spans in groups: a span joins the previous one's group when their contexts (`PAD_S` either side)
    overlap and the group then still spans at most `MAX_CLIP_S`."""
    groups: list[list[tuple[float, float]]] = []
    for span in spans:
        if groups and span[0] - groups[-1][-1][1] <= 2 * PAD_S and span[1] - groups[-1][0][0] <= MAX_CLIP_S:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def _bounded(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in spans:
        parts = max(1, math.ceil((end - start) / MAX_CLIP_S))
        step = (end - start) / parts
        out.extend((start + k * step, end if k == parts - 1 else start + (k + 1) * step) for k in range(parts))
    return out


def words_in_speech(words: Sequence[Word], regions: Sequence[SpeechRegion]) -> tuple[Word, ...]:
    """The words that touch detected speech (within `SLACK_S`); `regions` sorted by start."""
    starts = [r.start for r in regions]
    kept: list[Word] = []
    for w in words:
        i = bisect.bisect_right(starts, w.end + SLACK_S) - 1
        if i >= 0 and regions[i].end + SLACK_S > w.start:
            kept.append(w)
    return tuple(kept)
