"""The real-voice conversation generator and the diarization scoring: fast, no speech models.

Benchmarks and slow tests trust these numbers, so the truth must add up, generation must be repeatable, and the
scores must reward the right answer whatever its labels are called."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures import real_voices, scoring, speech


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real-voices")


@pytest.fixture(scope="module")
def conv(cache: Path) -> speech.Conversation:
    return real_voices.make_real_conversation(["3080", "2609"], name="unit", seconds=25.0, overlaps=1, cache_dir=cache)


def _perfect(conv: speech.Conversation, relabel: dict[int, int] | None = None) -> list[tuple[float, float, int]]:
    """Hypothesis spans equal to the single-speaker truth, labels optionally renamed."""
    out = []
    for s in range(conv.speaker_count):
        label = relabel.get(s, s) if relabel else s
        out += [(a / 100, b / 100, label) for a, b in scoring.runs(conv.frame_truth == s)]
    return out


def test_truth_frames_add_up(conv: speech.Conversation) -> None:
    truth = conv.frame_truth
    assert len(truth) == round(conv.duration * speech.FRAME_RATE)
    assert set(np.unique(truth).tolist()) == {-2, -1, 0, 1}  # both speakers, silence and the overlap
    seconds = conv.speaker_seconds()
    silent, overlap = np.sum(truth == -1) / 100, np.sum(truth == -2) / 100
    assert sum(seconds.values()) + silent + overlap == pytest.approx(len(truth) / 100)
    assert min(seconds.values()) > 5.0 and 0.1 < overlap < 2.0
    assert conv.voices == ("3080", "2609") and [t.speaker for t in conv.truth_turns[:2]] == [0, 1]
    for s in range(2):  # every frame of a speaker lies inside one of their turns
        inside = np.zeros(len(truth), dtype=bool)
        for t in conv.truth_turns:
            if t.speaker == s:
                inside[round(t.start * 100) : round(t.end * 100)] = True
        assert not np.any((truth == s) & ~inside)


def test_same_inputs_same_file(conv: speech.Conversation, cache: Path, tmp_path: Path) -> None:
    again = real_voices.make_real_conversation(["3080", "2609"], name="unit", seconds=25.0, overlaps=1,
                                               cache_dir=tmp_path)
    assert again.path != conv.path and again.path.read_bytes() == conv.path.read_bytes()
    assert np.array_equal(again.frame_truth, conv.frame_truth)
    other = real_voices.make_real_conversation(["3080", "2609"], name="unit", seconds=25.0, overlaps=1, seed=1,
                                               cache_dir=tmp_path)
    assert other.path.read_bytes() != conv.path.read_bytes()
    noisy = real_voices.make_real_conversation(["3080", "2609"], name="unit", seconds=25.0, overlaps=1,
                                               noise_snr_db=10, cache_dir=cache)
    assert np.array_equal(noisy.frame_truth, conv.frame_truth)  # noise changes the audio, never the speech


def test_pools_are_disjoint_halves() -> None:
    assert len(real_voices.speakers("F")) == len(real_voices.speakers("M")) == 5
    for v in real_voices.speakers():
        a, b = set(real_voices.utterances(v, "a")), set(real_voices.utterances(v, "b"))
        assert a and b and not a & b and a | b == set(real_voices.utterances(v))


def test_shared_speaker_pair_shares_only_the_voice(cache: Path) -> None:
    first, second = real_voices.shared_speaker_pair(seconds=15.0, cache_dir=cache)
    assert first.voices[0] == second.voices[1] and first.voices[1] != second.voices[0]


def test_accuracy_rewards_the_right_split_whatever_the_labels(conv: speech.Conversation) -> None:
    assert speech.diarization_accuracy(conv, _perfect(conv)) == 1.0
    assert speech.diarization_accuracy(conv, _perfect(conv, {0: 1, 1: 0})) == 1.0
    assert scoring.frame_accuracy(conv.frame_truth, _perfect(conv, {0: 7, 1: 3})) == 1.0
    one_label = [(0.0, conv.duration, 0)]
    lower = speech.diarization_accuracy(conv, one_label)
    assert lower == pytest.approx(max(conv.speaker_seconds().values()) / sum(conv.speaker_seconds().values()))
    assert lower < 1.0 and scoring.frame_accuracy(conv.frame_truth, []) == 0.0


def test_der_of_perfect_swapped_and_wrong(conv: speech.Conversation) -> None:
    reference = scoring.conversation_reference(conv)
    uem = [(0.0, conv.duration)]
    for relabel in (None, {0: 1, 1: 0}):
        perfect = scoring.diarization_scores(reference, reference.rename_labels(
            {f"spk{s}": (relabel or {}).get(s, s) for s in range(2)}), uem)
        assert perfect.der == pytest.approx(0.0, abs=1e-9) and perfect.purity == perfect.coverage == 1.0
    # the reference has both speakers in an overlap: single-speaker spans alone miss each overlap frame twice
    single = scoring.diarization_scores(reference, scoring.annotation(_perfect(conv)), uem, collar=0.0)
    assert single.missed_s == pytest.approx(2 * np.sum(conv.frame_truth == -2) / 100, abs=0.02)
    wrong = scoring.diarization_scores(reference, scoring.annotation([(0.0, conv.duration, 0)]), uem)
    assert wrong.confusion > 0.2 and wrong.false_alarm > 0.1 and wrong.der > 0.3
    total = perfect + wrong
    assert total.speech_s == pytest.approx(2 * wrong.speech_s) and total.der == pytest.approx(wrong.der / 2)


def test_frame_truth_from_spans_marks_overlap_and_orders_by_first_speech() -> None:
    truth, names = scoring.frame_truth([(1.0, 2.0, "b"), (0.5, 1.2, "a"), (1.5, 1.6, "b")], 300)
    assert names == ("a", "b")
    assert truth[60] == 0 and truth[110] == -2 and truth[150] == 1 and truth[250] == -1 and truth[10] == -1


def test_ami_excerpt_truth() -> None:
    assert real_voices.ami_names() == tuple(f"trn0{i}" for i in range(1, 10))
    path, truth = real_voices.ami_excerpt("trn05")
    spans, uem = real_voices.ami_reference("trn05")
    assert path.exists() and uem == [(0.0, 30.0)] and len(truth) == 3000
    assert len({s for _, _, s in spans}) == 4
    assert set(np.unique(truth).tolist()) == {-2, -1, 0, 2}  # speakers 1 and 3 only ever talk over someone here
    assert truth[truth >= 0][0] == 0  # indexes in order of first speech
    with pytest.raises(ValueError):
        real_voices.ami_excerpt("trn00")  # in the RTTM, but no audio ships
