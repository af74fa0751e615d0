"""Finding detected speech that got no words (fast, no model)."""

from __future__ import annotations

import numpy as np
from conduit_server.pipeline.asr_gaps import (
    MAX_CLIP_S,
    PAD_S,
    recover_skipped_speech,
    untranscribed_speech,
    words_in_speech,
)
from conduit_server.pipeline.types import Word
from conduit_server.pipeline.vad import SpeechRegion


def test_finds_only_long_uncovered_speech() -> None:
    regions = [SpeechRegion(0.0, 10.0), SpeechRegion(12.0, 12.8), SpeechRegion(20.0, 25.0)]
    words = [Word(0.5, 1.0, "hello"), Word(1.1, 1.5, "there"), Word(7.0, 7.5, "again")]
    gaps = untranscribed_speech(regions, words)
    assert gaps == [(1.8, 6.7), (7.8, 10.0), (20.0, 25.0)]  # the 0.8 s region is too short to matter


def test_confident_words_of_a_skipped_span_are_added_in_place() -> None:
    audio = np.zeros(16000 * 30, np.float32)
    regions = [SpeechRegion(0.0, 4.0), SpeechRegion(20.0, 24.0)]
    words = (Word(0.2, 0.6, "first"), Word(0.7, 3.8, "turn"))
    calls: list[int] = []

    def transcribe(clip: np.ndarray) -> list[Word]:
        calls.append(len(clip))
        # the clip starts 5 s before the skipped region; a word outside the region belongs to the first pass
        return [Word(0.5, 1.0, "echo", 0.9), Word(5.5, 6.0, "late", 0.9), Word(6.2, 7.0, "words", 0.8)]

    merged = recover_skipped_speech(audio, regions, words, transcribe)
    assert calls == [int(14.0 * 16000)]  # only the skipped region, with 5 s of context on each side
    assert [w.text for w in merged] == ["first", "turn", "late", "words"]
    assert merged[2].start == 15.0 + 5.5


def test_close_skipped_spans_are_transcribed_together() -> None:
    audio = np.zeros(16000 * 120, np.float32)
    # two spans 1.4 s apart (one clip with context), and one a minute later (its own clip)
    regions = [SpeechRegion(57.3, 58.4), SpeechRegion(59.8, 62.8), SpeechRegion(100.0, 102.0)]
    calls: list[int] = []

    def transcribe(clip: np.ndarray) -> list[Word]:
        calls.append(len(clip))
        if len(clip) > 16000 * 15:  # the joint clip, from 52.3 s: a sentence over both spans and the gap between
            return [Word(5.1, 5.9, "tried", 0.9), Word(6.5, 7.0, "liked", 0.9), Word(7.6, 10.3, "consequence", 0.8)]
        return [Word(5.2, 6.0, "later", 0.9)]

    merged = recover_skipped_speech(audio, regions, (), transcribe)
    assert calls == [int(67.8 * 16000) - int(52.3 * 16000), int(12.0 * 16000)]
    # "liked" falls between the spans (not detected speech): not kept
    assert [w.text for w in merged] == ["tried", "consequence", "later"]


def test_unsure_words_are_dropped() -> None:
    audio = np.zeros(16000 * 10, np.float32)
    merged = recover_skipped_speech(audio, [SpeechRegion(1.0, 5.0)], (),
                                    lambda clip: [Word(0.5, 1.0, "thank", 0.3), Word(1.0, 1.4, "you", 0.4)])
    assert merged == ()


def test_words_where_nobody_speaks_are_dropped() -> None:
    regions = [SpeechRegion(1.0, 3.0), SpeechRegion(10.0, 12.0)]
    words = [Word(0.5, 0.9, "edge"), Word(1.5, 2.0, "in"), Word(5.0, 5.5, "invented"), Word(9.0, 9.8, "near"),
             Word(12.2, 12.5, "tail"), Word(20.0, 21.0, "thanks")]
    assert [w.text for w in words_in_speech(words, regions)] == ["edge", "in", "near", "tail"]


def test_a_long_skipped_span_is_transcribed_in_bounded_clips() -> None:
    audio = np.zeros(16000 * 600, np.float32)  # 10 min the detector called speech and Whisper gave no word
    calls: list[int] = []

    def transcribe(clip: np.ndarray) -> list[Word]:
        calls.append(len(clip))
        return []

    recover_skipped_speech(audio, [SpeechRegion(0.0, 600.0)], (), transcribe)
    assert len(calls) == 5 and max(calls) <= (MAX_CLIP_S + 2 * PAD_S) * 16000
