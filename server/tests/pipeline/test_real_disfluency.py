"""Filled pauses on real speech: Whisper drops "um"/"uh" unless every window is conditioned on disfluent text
(`transcribe.FILLER_PROMPT`), and then must not invent them where nobody hesitates.

Measured with CTranslate2's AVX2 and AVX512 kernels (CT2_FORCE_CPU_ISA; AVX2 is what it picks on this AMD host),
Whisper base int8, seeded fallback: AMI trn06 and trn09 each get 2 filled pauses with the prompt ("uh" 15.9 s,
"um" 26.4 or 25.6 s; "um" 7.1 s, "um" 13.1 s), 0 without; the synthetic conversations get none either way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conduit_server.analysis.indicators import measure_sample
from conduit_server.domain.lexicon import FILLED_PAUSES, tokens
from conduit_server.pipeline.audio import decode_audio
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.transcribe import FILLER_PROMPT, Transcriber, drop_prompt_copies, drop_repeat_loops
from conduit_server.pipeline.types import MediaAnalysis, Word
from fixtures import real_voices, speech

pytestmark = pytest.mark.slow
Analyse = Callable[[Path], MediaAnalysis]

EXCERPTS = ("trn06", "trn09")  # 2 + 2 measured on both ISAs: at least 1 each, 3 together, leaves a margin
TRUTH_SLACK = 0.3  # seconds: a filler's middle must lie within a true speech turn, give or take this


def _fillers(words: tuple[Word, ...] | list[Word]) -> list[Word]:
    return [w for w in words if any(t in FILLED_PAUSES for t in tokens(w.text))]


def _words(analysis: MediaAnalysis) -> list[Word]:
    return [w for u in analysis.utterances for w in u.words]


def test_whisper_spellings_of_fillers_count() -> None:
    text = "Um, umm, Ummm... uh, uhh, Uhm, er, erm, Hmm. hmmm, hm, Mm. mmm, ah"
    assert all(t in FILLED_PAUSES for t in tokens(text))
    assert not [t for t in tokens("Umbrella, hummus, her, amount, ahead, err on the side") if t in FILLED_PAUSES]


def _w(text: str) -> list[Word]:
    return [Word(start=float(i), end=i + 0.5, text=t, probability=0.9) for i, t in enumerate(text.split())]


def test_a_written_out_prompt_is_dropped_and_speech_is_kept() -> None:
    copied = _w("the stomach may be removed Um, so the, uh, the Tuesday train, er, leaves from platform nine. Thanks.")
    assert [w.text for w in drop_prompt_copies(copied, FILLER_PROMPT)] == ["the", "stomach", "may", "be",
                                                                          "removed", "Thanks."]
    for said in ("so the Tuesday meeting, um, is about trains", "the train leaves from here", "um, uh, so, the"):
        assert drop_prompt_copies(_w(said), FILLER_PROMPT) == _w(said)


def test_a_whisper_loop_is_cut_to_its_first_time() -> None:
    phrase = "I'm not sure if I can get the right answer."
    looped = _w(f"Well, {phrase} {phrase} {phrase} But some parts")
    assert [w.text for w in drop_repeat_loops(looped)] == ["Well,", *phrase.split(), "But", "some", "parts"]
    for said in ("no, no, no, no, no, no, no, no, no, no", "yeah yeah yeah yeah yeah yeah yeah yeah yeah yeah",
                 "we said we would go and we said we would stay", "one two three four five one two three four six"):
        assert drop_repeat_loops(_w(said)) == _w(said)


@pytest.mark.parametrize("name", EXCERPTS)
def test_real_meeting_fillers_reach_the_transcript(name: str, analyse: Analyse) -> None:
    path, _ = real_voices.ami_excerpt(name)
    spans, _ = real_voices.ami_reference(name)
    fillers = _fillers(_words(analyse(path)))
    print(f"{name}: {[(w.text, round(w.start, 2), round(w.end, 2)) for w in fillers]}")
    assert len(fillers) >= 1
    for w in fillers:  # heard in someone's speech, not invented in a pause
        mid = (w.start + w.end) / 2
        assert any(s - TRUTH_SLACK <= mid <= e + TRUTH_SLACK for s, e, _ in spans), w


def test_real_meeting_filled_pause_rate(analyse: Analyse) -> None:
    total = 0
    rates: list[float] = []
    for name in EXCERPTS:
        analysis = analyse(real_voices.ami_excerpt(name)[0])
        total += len(_fillers(_words(analysis)))
        for speaker in analysis.speakers:
            if any(u.words for u in analysis.utterances_of(speaker.index)):
                ind = measure_sample(analysis, speaker.index).indicator("filled_pauses")
                assert ind is not None
                rates.append(ind.raw)
                if ind.raw > 0:
                    assert any("filled pause: " in e.note for e in ind.evidence), ind
    print(f"fillers {total}, filled_pauses per 100 words by speaker {rates}")
    assert total >= 3
    assert max(rates) > 0


def test_prompt_off_drops_the_fillers(models: Models, analyse: Analyse) -> None:
    """The prompt is what brings them: the same excerpt without it (the Whisper default) has fewer."""
    path, _ = real_voices.ami_excerpt("trn09")
    with_prompt = len(_fillers(_words(analyse(path))))
    plain = Transcriber(models.transcriber.model_dir, filler_prompt=None)
    without = len(_fillers(list(plain.transcribe(decode_audio(path, max_seconds=600), language="en").words)))
    print(f"trn09 fillers: {with_prompt} with the prompt, {without} without")
    assert without < with_prompt


@pytest.mark.parametrize("which", ["two", "noisy"])
def test_synthetic_speech_gets_no_invented_fillers(which: str, request: pytest.FixtureRequest,
                                                   analyse: Analyse) -> None:
    conv: speech.Conversation = request.getfixturevalue(which)
    assert not [t for t in tokens(conv.text) if t in FILLED_PAUSES]  # the script has none
    analysis = analyse(conv.path)
    assert _words(analysis)
    assert _fillers(_words(analysis)) == []
    for speaker in analysis.speakers:
        ind = measure_sample(analysis, speaker.index).indicator("filled_pauses")
        assert ind is not None and ind.raw == 0.0
