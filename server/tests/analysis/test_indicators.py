"""Test vectors: every indicator on a tiny hand-built conversation, expected values worked out by hand."""

from __future__ import annotations

import pytest
from conduit_server.analysis import Sample, measure_sample
from conduit_server.pipeline.types import (
    InsufficientSpeechError,
    MediaAnalysis,
    Speaker,
    SpeakerProsody,
    Utterance,
    Word,
)
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

U1 = "Um, what do you think? I guess we will go."  # 10 tokens, 1 filler, 1 question, hedge 'i guess', 'will'
U2 = "I definitely know. It was great."  # 6 tokens
U3 = "Maybe our plan is good. Is it ready?"  # 8 tokens, hedge 'maybe', question, 'plan' (future)
W1 = (Word(0.0, 0.3, "Um,"), Word(0.4, 0.7, "what"), Word(0.8, 1.0, "do"), Word(1.0, 1.2, "you"),
      Word(1.2, 1.5, "think?"), Word(2.7, 3.0, "I"), Word(3.0, 3.2, "guess"), Word(3.2, 3.4, "we"),
      Word(3.4, 3.7, "will"), Word(3.7, 4.0, "go."))  # one 1.2 s gap; the 0.1 s gaps are below 0.25 s

VECTOR = MediaAnalysis(
    duration_seconds=16.0,
    speakers=(Speaker(0, 6.0, 2, prosody=SpeakerProsody(200.0, 3.0, 65.0, 7.5, 5.0)), Speaker(1, 4.0, 1)),
    utterances=(Utterance(0, 0.0, 4.0, U1, W1), Utterance(1, 4.02, 9.0, U2), Utterance(0, 9.5, 15.5, U3)),
)


def by_key(s: Sample) -> dict[str, tuple[float, float, str]]:
    return {i.key: (i.raw, i.normalized, i.binned) for i in s.indicators}


def test_speaker0_vector() -> None:
    s = measure_sample(VECTOR, 0)
    got = by_key(s)
    vader = SentimentIntensityAnalyzer()
    tone = (vader.polarity_scores(U1)["compound"] * 10 + vader.polarity_scores(U3)["compound"] * 8) / 18
    tone_norm = min(1.0, max(0.0, (round(tone, 2) + 0.4) / 1.0))
    expected = {
        "pitch_variability": (3.0, 0.0, "very_low"),  # (3-3)/(7.5-3)
        "intensity_variability": (7.5, 0.0, "very_low"),  # (7.5-8)/9 clipped
        "speech_rate": (180.0, 0.64, "high"),  # 18 words / 0.1 min; (180-100)/125
        "articulation_rate": (122.73, 0.0, "very_low"),  # 18 / (10 s spoken - 1.2 s pause) * 60; below 140
        "filled_pauses": (5.56, 1.0, "very_high"),  # 1/18*100
        "long_pauses": (10.0, 1.0, "very_high"),  # one >= 1 s pause / 0.1 min
        "talk_share": (0.6, 0.6, "high"),  # 6/(6+4); equal share 0.5 -> 0.5
        "mean_turn_length": (5.0, 0.26, "low"),  # turns 4 s and 6 s; (5-1.5)/13.5
        "longest_monologue": (6.0, 0.02, "very_low"),  # (6-5)/55
        "interruptions_made": (0.0, 0.0, "very_low"),
        "interruptions_received": (10.0, 1.0, "very_high"),  # speaker 1 came in 0.02 s after u1
        "response_latency": (0.5, 0.5, "medium"),  # 9.5 - 9.0; 0.5/1.0
        "question_rate": (20.0, 1.0, "very_high"),  # 2 questions / 0.1 min
        "question_share": (1.0, 1.0, "very_high"),  # both utterances hold a question
        "hedge_rate": (11.11, 1.0, "very_high"),  # 'i guess' + 'maybe' = 2/18*100
        "certainty_ratio": (0.38, 0.38, "low"),  # ('will' 1 + .5) / (2 + 1 + 1) = 0.375
        "we_ratio": (0.62, 0.62, "high"),  # (we, our = 2 + .5) / (I 1 + 2 + 1) = 0.625
        "tone": (round(tone, 2), round(tone_norm, 2), got["tone"][2]),
        "future_orientation": (0.83, 0.83, "very_high"),  # ('will', 'plan' 2 + .5) / (2 + 0 + 1)
    }
    assert got == expected
    assert s.metrics == {"speechSeconds": 6.0, "utteranceCount": 2, "wordsPerMinute": 180.0, "meanPauseSeconds": 1.2}
    ev = s.indicator("long_pauses").evidence  # type: ignore[union-attr]
    assert [(e.start_seconds, e.note) for e in ev] == [(0.0, "1.2 s pause")]
    assert [e.start_seconds for e in s.indicator("question_rate").evidence] == [0.0, 9.5]  # type: ignore[union-attr]
    assert s.indicator("hedge_rate").evidence[1].note == "hedge: maybe"  # type: ignore[union-attr]


def test_speaker1_vector() -> None:
    got = by_key(measure_sample(VECTOR, 1))
    assert "pitch_variability" not in got and "intensity_variability" not in got  # nothing measured -> absent
    assert got["speech_rate"] == (90.0, 0.0, "very_low")  # 6 words / (4/60)
    assert got["talk_share"] == (0.4, 0.4, "medium")
    assert got["interruptions_made"] == (15.0, 1.0, "very_high")  # 1 / (4/60)
    assert got["interruptions_received"] == (0.0, 0.0, "very_low")
    assert got["response_latency"] == (0.02, 0.02, "very_low")
    assert got["certainty_ratio"] == (0.75, 0.75, "high")  # ('definitely' 1 + .5) / (0 + 1 + 1)
    assert got["future_orientation"] == (0.25, 0.25, "low")  # (0 + .5) / ('was' 1 + 1)
    assert got["question_share"] == (0.0, 0.0, "very_low")
    assert got["we_ratio"] == (0.25, 0.25, "low")  # (0 + .5) / (I 1 + 1)


def test_pitch_falls_back_to_utterances() -> None:
    a = MediaAnalysis(4.0, (Speaker(0, 4.0, 2),), (
        Utterance(0, 0.0, 1.0, "yes indeed", pitch_sd_semitones=2.0, intensity_mean_db=60.0),
        Utterance(0, 1.0, 4.0, "no way at all", pitch_sd_semitones=4.0, intensity_mean_db=80.0)))
    got = by_key(measure_sample(a, 0))
    assert got["pitch_variability"] == (3.5, 0.11, "very_low")  # (2*1 + 4*3)/4 = 3.5; (3.5-3)/4.5 = 0.111
    assert got["intensity_variability"] == (10.0, 0.22, "low")  # population SD of 60, 80; (10-8)/9
    assert got["talk_share"] == (1.0, 0.5, "medium")  # a lone speaker is "medium"
    assert "response_latency" not in got


def test_negated_certainty_is_not_certainty() -> None:
    a = MediaAnalysis(3.0, (Speaker(0, 3.0, 1),), (Utterance(0, 0.0, 3.0, "I am not sure, definitely not."),))
    got = by_key(measure_sample(a, 0))
    assert got["certainty_ratio"] == (0.5, 0.5, "medium")  # 'not sure' hedge 1, 'definitely' 1 -> 1.5/3


def test_no_words_raises() -> None:
    a = MediaAnalysis(3.0, (Speaker(0, 3.0, 1),), (Utterance(0, 0.0, 3.0, ""),))
    with pytest.raises(InsufficientSpeechError):
        measure_sample(a, 0)


def test_sample_json_round_trip() -> None:
    s = measure_sample(VECTOR, 0)
    assert Sample.from_json(s.to_json()) == s
