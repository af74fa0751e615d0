"""Turns: words (from ASR) meet speakers (from diarization).

Each word goes to the diarization label that covers most of its time span (the nearest label within 1 s when
none covers it, else the previous word's); word edges that stick out of diarized speech are trimmed onto it.
Consecutive words of one speaker form an utterance until the speaker changes or a pause exceeds `max_pause`
seconds; utterance edges then snap outwards to the edges of that speaker's diarized speech. Speakers are
renumbered 0, 1, ... in order of first speech; diarization clusters that never got a word are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conduit_server.pipeline.diarize import FRAME_S, SpeakerSegment
from conduit_server.pipeline.types import Utterance, Word

_NEAREST_S = 1.0
_WORD_GAP_S = 1.0  # silence inside one word longer than this is a misplaced word edge, not a pause

__all__ = ["Turns", "build_turns"]


@dataclass(frozen=True, slots=True)
class Turns:
    utterances: tuple[Utterance, ...]  # speaker_index already renumbered
    label_of_speaker: tuple[int, ...]  # speaker index -> diarization label
    speech_seconds: tuple[float, ...]  # per speaker index, from the diarization segments


def _frame_labels(segments: Sequence[SpeakerSegment], duration: float) -> np.ndarray:
    labels = np.full(int(np.ceil(duration / FRAME_S)) + 1, -1, dtype=np.int16)
    for s in segments:
        labels[int(round(s.start / FRAME_S)) : int(round(s.end / FRAME_S))] = s.speaker
    return labels


def _word_label(frames: np.ndarray, w: Word, previous: int) -> int:
    a = int(np.floor(w.start / FRAME_S))
    b = max(a + 1, int(np.ceil(w.end / FRAME_S)))
    span = frames[a:b]
    voiced = span[span >= 0]
    if voiced.size:
        return int(np.bincount(voiced).argmax())
    reach = int(_NEAREST_S / FRAME_S)
    left = frames[max(0, a - reach) : a][::-1]
    right = frames[b : b + reach]
    li = np.flatnonzero(left >= 0)
    ri = np.flatnonzero(right >= 0)
    if li.size and (not ri.size or li[0] <= ri[0]):
        return int(left[li[0]])
    if ri.size:
        return int(right[ri[0]])
    return previous


def _trim_to_speech(frames: np.ndarray, w: Word) -> Word:
    """Whisper often starts a turn's first word in the silence before it: move the edges onto voiced frames.

    A word whose span holds several stretches of speech apart by more than `_WORD_GAP_S` is put on the longest of
    them: on far-field meetings Whisper now and then stretches the first word of a piece over many seconds of
    silence (AMI trn07: one "right." from 0 s to 15.6 s), which would otherwise become one long utterance over
    the silence and the speech of others."""
    a = int(np.floor(w.start / FRAME_S))
    b = max(a + 1, int(np.ceil(w.end / FRAME_S)))
    voiced = np.flatnonzero(frames[a:b] >= 0)
    if voiced.size == 0:
        return w
    breaks = np.flatnonzero(np.diff(voiced) > int(_WORD_GAP_S / FRAME_S))
    if breaks.size:
        firsts = np.concatenate([[0], breaks + 1])
        lasts = np.concatenate([breaks, [voiced.size - 1]])
        longest = int(np.argmax(voiced[lasts] - voiced[firsts]))
        voiced = voiced[firsts[longest] : lasts[longest] + 1]
    start = max(w.start, (a + voiced[0]) * FRAME_S)
    end = min(w.end, (a + voiced[-1] + 1) * FRAME_S)
    return w if (start, end) == (w.start, w.end) else Word(start, max(start, end), w.text, w.probability)


def _snap(frames: np.ndarray, label: int, start: float, end: float, lo: float, hi: float) -> tuple[float, float]:
    """Move utterance edges outwards onto the edges of the speaker's diarized speech (up to `_NEAREST_S`, never past
    the neighbouring utterances): Whisper's word times tend to cut a turn's first onset and last decay short."""
    reach = int(_NEAREST_S / FRAME_S)
    a, b = int(round(start / FRAME_S)), int(round(end / FRAME_S))
    a_min, b_max = max(0, int(np.ceil(lo / FRAME_S)), a - reach), min(len(frames), int(hi / FRAME_S), b + reach)
    while a > a_min and frames[a - 1] == label:
        a -= 1
    while b < b_max and frames[b] == label:
        b += 1
    return min(start, a * FRAME_S), max(end, b * FRAME_S)


def build_turns(words: Sequence[Word], segments: Sequence[SpeakerSegment], duration: float,
                *, max_pause: float = 1.0) -> Turns:
    frames = _frame_labels(segments, duration)
    default = segments[0].speaker if segments else 0
    groups: list[tuple[int, list[Word]]] = []
    previous = default
    for w in sorted(words, key=lambda w: w.start):
        w = _trim_to_speech(frames, w)
        label = _word_label(frames, w, previous)
        if groups and groups[-1][0] == label and w.start - groups[-1][1][-1].end <= max_pause:
            groups[-1][1].append(w)
        else:
            groups.append((label, [w]))
        previous = label
    order: list[int] = []
    for label, _ in groups:
        if label not in order:
            order.append(label)
    index = {label: i for i, label in enumerate(order)}
    utterances: list[Utterance] = []
    for i, (label, ws) in enumerate(groups):
        lo = utterances[-1].end if utterances else 0.0
        hi = groups[i + 1][1][0].start if i + 1 < len(groups) else duration
        start, end = _snap(frames, label, ws[0].start, max(w.end for w in ws), lo, hi)
        utterances.append(Utterance(speaker_index=index[label], start=start, end=end,
                                    text=" ".join(w.text for w in ws), words=tuple(ws)))
    seconds = tuple(float(sum(s.end - s.start for s in segments if s.speaker == label)) for label in order)
    return Turns(tuple(utterances), tuple(order), seconds)
