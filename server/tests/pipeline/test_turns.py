"""Words + diarization -> utterances (pure logic)."""

from __future__ import annotations

from conduit_server.pipeline.diarize import SpeakerSegment
from conduit_server.pipeline.turns import build_turns
from conduit_server.pipeline.types import Word


def _w(start: float, end: float, text: str) -> Word:
    return Word(start, end, text)


def test_speaker_change_and_pause_split_utterances() -> None:
    segs = [SpeakerSegment(0.5, 3.0, 7), SpeakerSegment(3.2, 5.0, 2), SpeakerSegment(7.0, 8.0, 2)]
    words = [_w(0.0, 0.9, "Hello"), _w(1.0, 1.5, "there."), _w(3.3, 3.8, "Hi."), _w(4.0, 4.5, "Yes"),
             _w(7.1, 7.5, "again")]
    turns = build_turns(words, segs, 9.0)
    assert [(u.speaker_index, u.text) for u in turns.utterances] == [(0, "Hello there."), (1, "Hi. Yes"), (1, "again")]
    assert turns.label_of_speaker == (7, 2)
    assert turns.utterances[0].start == 0.5  # the first word's leading silence is trimmed onto speech
    assert turns.speech_seconds == (2.5, 2.8)


def test_word_outside_diarized_speech_takes_nearest_speaker() -> None:
    segs = [SpeakerSegment(0.0, 1.0, 0), SpeakerSegment(2.0, 3.0, 1)]
    turns = build_turns([_w(1.05, 1.2, "uh"), _w(1.8, 1.95, "so")], segs, 4.0)
    assert [u.speaker_index for u in turns.utterances] == [0, 1]


def test_no_words_no_speakers() -> None:
    turns = build_turns([], [SpeakerSegment(0.0, 1.0, 0)], 2.0)
    assert turns.utterances == () and turns.label_of_speaker == ()


def test_word_stretched_over_silence_lands_on_one_stretch_of_speech() -> None:
    # Whisper now and then times the first word of a piece from long before it (AMI: "right." over 0-15.6 s); the
    # utterance must not span the silence and the other speaker's turn in between
    segs = [SpeakerSegment(8.2, 9.6, 0), SpeakerSegment(15.5, 15.6, 1), SpeakerSegment(15.6, 17.0, 1)]
    turns = build_turns([_w(0.0, 15.6, "right."), _w(15.6, 16.2, "Okay.")], segs, 20.0)
    first = turns.utterances[0]
    assert first.text == "right." and (first.start, first.end) == (8.2, 9.6)
    assert [u.speaker_index for u in turns.utterances] == [0, 1]
