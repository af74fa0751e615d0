"""The whole pipeline on generated conversations (real models)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.pipeline import SpeechPipeline
from conduit_server.pipeline.transcribe import WHISPER_BASE_MD5, ensure_whisper_model
from conduit_server.pipeline.types import Aborted, MediaAnalysis
from conduit_server.pipeline.voiceprint import cosine
from fixtures import speech

pytestmark = pytest.mark.slow
Analyse = Callable[[Path], MediaAnalysis]


def _score(conv: speech.Conversation, result: MediaAnalysis) -> tuple[float, float]:
    hyp = " ".join(u.text for u in result.utterances)
    spans = [(u.start, u.end, u.speaker_index) for u in result.utterances]
    return speech.wer(conv.text, hyp), speech.diarization_accuracy(conv, spans)


@pytest.mark.parametrize("which", ["two", "three", "noisy"])
def test_conversation(which: str, request: pytest.FixtureRequest, analyse: Analyse) -> None:
    conv: speech.Conversation = request.getfixturevalue(which)
    result = analyse(conv.path)
    word_error, accuracy = _score(conv, result)
    print(f"{which}: speakers {len(result.speakers)}/{conv.speaker_count} WER {word_error:.3f} "
          f"diarization {accuracy:.4f} stages {result.stage_seconds}")
    assert len(result.speakers) == conv.speaker_count
    assert accuracy >= 0.97
    assert word_error <= 0.10
    assert [s.index for s in result.speakers] == list(range(conv.speaker_count))
    assert result.utterances[0].speaker_index == 0  # numbered in order of first speech
    assert result.language == "en"
    assert set(result.stage_seconds) == {"decode", "vad", "embed", "cluster", "asr", "turns", "prosody"}


def test_speakers_carry_voiceprints_and_prosody(two: speech.Conversation, analyse: Analyse) -> None:
    result = analyse(two.path)
    male, female = result.speakers  # rms speaks first
    assert len(male.voiceprint) == 192
    assert cosine(male.voiceprint, female.voiceprint) < 0.6
    assert male.prosody.pitch_median_hz and female.prosody.pitch_median_hz
    assert 80 < male.prosody.pitch_median_hz < 130 < female.prosody.pitch_median_hz < 220
    assert male.speech_seconds == pytest.approx(two.speaker_seconds()[0], rel=0.2)
    assert all(u.pitch_median_hz for u in result.utterances)


def test_voiceprint_recognises_a_voice_in_another_recording(two: speech.Conversation, three: speech.Conversation,
                                                            analyse: Analyse) -> None:
    a, b = analyse(two.path), analyse(three.path)
    same = cosine(a.speakers[0].voiceprint, b.speakers[0].voiceprint)  # rms in both
    other = cosine(a.speakers[0].voiceprint, b.speakers[2].voiceprint)  # rms vs awb
    print(f"rms across recordings {same:.3f}, rms vs awb {other:.3f}")
    assert same > 0.8 and other < 0.6


def test_result_survives_json(two: speech.Conversation, analyse: Analyse) -> None:
    result = analyse(two.path)
    assert MediaAnalysis.from_json(result.to_json()) == result


def test_silence_yields_zero_speakers(analyse: Analyse) -> None:
    result = analyse(speech.silence(8.0))
    assert result.speakers == () and result.utterances == ()
    assert result.duration_seconds == pytest.approx(8.0, abs=0.05)


def test_tone_yields_zero_speakers(analyse: Analyse) -> None:
    assert analyse(speech.tone(5.0)).speakers == ()


def test_progress_is_monotonic(pipeline: SpeechPipeline) -> None:
    events: list[tuple[str, float]] = []
    pipeline.run(speech.monologue("awb", 1).path, hook=lambda step, f: events.append((step, f)))
    steps = [s for s, _ in events]
    assert steps[0] == "transcoding" and steps[-1] == "extracting"
    assert steps.index("extracting") > max(i for i, s in enumerate(steps) if s == "transcoding")
    for step in ("transcoding", "extracting"):
        fractions = [f for s, f in events if s == step]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0.0 <= fractions[0]


@pytest.mark.parametrize("after_polls", [0, 3])
def test_abort_check_raises(after_polls: int, pipeline: SpeechPipeline) -> None:
    polls = {"n": 0}

    def should_abort() -> bool:
        polls["n"] += 1
        return polls["n"] > after_polls

    with pytest.raises(Aborted):
        pipeline.run(speech.monologue("awb", 1).path, should_abort=should_abort)


def test_whisper_model_is_joined_once(models: Models, models_dir: Path) -> None:
    _ = models.transcriber
    path = ensure_whisper_model(models_dir)
    assert (path / "model.bin").stat().st_size == 145_217_532
    assert (path / ".verified-md5").read_text().strip() == WHISPER_BASE_MD5
    assert ensure_whisper_model(models_dir) == path
    assert not [p for p in models_dir.iterdir() if p.name.endswith(".tmp")]


def test_explicit_asr_model_dir_overrides(models_dir: Path, tmp_path: Path) -> None:
    custom = Models(tmp_path / "unused", asr_model_dir=ensure_whisper_model(models_dir))
    assert custom.transcriber.model_dir == models_dir / "whisper-base"
    assert not (tmp_path / "unused").exists()
