"""The speech pipeline on real human voices: who spoke when, voiceprints across recordings, target selection.

Conversations are assembled from LibriSpeech read speech with exact truth (`fixtures.real_voices`), including
same-sex pairs, which are what synthetic voices never test. Thresholds come from `bench/diarization.py` runs
(measured values in the comments) with margin for other CPUs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conduit_server.pipeline.audio import decode_audio
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.types import MediaAnalysis
from conduit_server.targeting.entities import DEFAULT_ENTITY_THRESHOLD, assign_speakers, entity_similarity
from conduit_server.targeting.target import TargetSelector, select_target
from fixtures import real_voices, scoring, speech

pytestmark = pytest.mark.slow
Analyse = Callable[[Path], MediaAnalysis]

CONVERSATIONS: dict[str, Callable[[], speech.Conversation]] = {
    "mixed-sex": real_voices.two_speakers_mixed_sex,
    "two women": lambda: real_voices.two_speakers_same_sex("F"),
    "two men": lambda: real_voices.two_speakers_same_sex("M"),
    "three": real_voices.three_speakers,
}


def _accuracy(conv: speech.Conversation, result: MediaAnalysis) -> float:
    return speech.diarization_accuracy(conv, [(u.start, u.end, u.speaker_index) for u in result.utterances])


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_real_conversation_is_diarized(name: str, analyse: Analyse) -> None:
    conv = CONVERSATIONS[name]()
    result = analyse(conv.path)
    accuracy = _accuracy(conv, result)
    margins = [s.separation_margin for s in result.speakers]
    print(f"{name}: speakers {len(result.speakers)}/{conv.speaker_count} accuracy {accuracy:.4f} margins {margins}")
    assert len(result.speakers) == conv.speaker_count
    assert accuracy >= 0.95  # measured 0.978-0.998 (CT2_FORCE_CPU_ISA=AVX2 and AVX512)
    assert all(m is not None and m > 0.2 for m in margins)


@pytest.mark.parametrize(("sex", "minimum"), [
    # measured 0.93-0.99: at 10 dB Whisper can stretch word times across a turn change, and those words change sides
    ("F", 0.88),
    # Whisper writes nothing for 12 s of this one (28.5-40.5 s); transcribed again on their own, the 5.8 s exchange at
    # 34.2-40.0 s comes back with words averaging 0.51 probability, which the old cut at 0.6 dropped (accuracy 0.895
    # then; 0.993-0.996 now, AVX2 and AVX512)
    ("M", 0.95),
])
def test_noisy_real_conversation(sex: str, minimum: float, analyse: Analyse) -> None:
    conv = real_voices.two_speakers_same_sex(sex, noise_snr_db=10)
    result = analyse(conv.path)
    accuracy = _accuracy(conv, result)
    print(f"two {sex} at 10 dB: speakers {len(result.speakers)} accuracy {accuracy:.4f}")
    assert len(result.speakers) == 2 and accuracy >= minimum


# Quick exchanges of two men at 10 dB SNR (`bench/diarization.py --only pairs`): with clusters merged only above
# centroid cosine 0.7, noise split one voice of each of these in two (clusters at cosine 0.64)
@pytest.mark.parametrize(("voices", "pool"), [(("1688", "2414"), "a"), (("2414", "3005"), "b")])
def test_quick_same_sex_exchange_in_noise_is_two_people(voices: tuple[str, str], pool: str, analyse: Analyse) -> None:
    conv = real_voices.quick_turns(voices, pool=pool, noise_snr_db=10)
    result = analyse(conv.path)
    accuracy = _accuracy(conv, result)
    print(f"quick turns {voices} {pool} at 10 dB: speakers {len(result.speakers)} accuracy {accuracy:.4f}")
    assert len(result.speakers) == 2
    assert accuracy >= 0.85  # measured 0.921-0.970 (AVX2 and AVX512)


def test_same_person_joins_one_entity_and_strangers_do_not(analyse: Analyse) -> None:
    first, second = real_voices.shared_speaker_pair()  # "1998" is speaker 0 in the first, 1 in the second
    a, b = analyse(first.path), analyse(second.path)
    assert len(a.speakers) == len(b.speakers) == 2
    entities = {f"ent_{s.index}": s.voiceprint for s in a.speakers}
    joined = assign_speakers({s.index: s.voiceprint for s in b.speakers}, entities, threshold=DEFAULT_ENTITY_THRESHOLD)
    sims = {e: entity_similarity({s.index: s.voiceprint for s in b.speakers}, c) for e, c in entities.items()}
    print(f"similarities entity -> second recording's speakers: {sims}")
    assert joined == {0: None, 1: "ent_0"}


def _picker(result: MediaAnalysis) -> Callable[..., int | None]:
    def pick(selector: TargetSelector, **kw: object) -> int | None:
        return select_target(result, selector, threshold=DEFAULT_ENTITY_THRESHOLD, **kw).speaker_index  # type: ignore[arg-type]

    return pick


def test_dominant_and_amount_hint_find_who_talks_most(analyse: Analyse) -> None:
    conv = real_voices.two_speakers_mixed_sex()  # truth: 26.6 s vs 15.0 s of speech
    truth = conv.speaker_seconds()
    most = max(truth, key=lambda s: truth[s])
    assert truth[most] > 1.5 * min(truth.values())
    pick = _picker(analyse(conv.path))
    assert pick(TargetSelector("dominant")) == most
    assert pick(TargetSelector("magic_hint", hint="the one who talks the most")) == most
    assert pick(TargetSelector("magic_hint", hint="the person who talks least")) == 1 - most


def test_strategies_pick_the_right_person(analyse: Analyse) -> None:
    conv = real_voices.three_speakers()
    result = analyse(conv.path)
    pick = _picker(result)
    assert pick(TargetSelector("magic_hint", hint="the first speaker")) == 0
    assert pick(TargetSelector("speaker_index", speaker_index=2)) == 2
    assert pick(TargetSelector("speaker_index", speaker_index=3)) is None
    # entity_id: an enrolment recording of one of the three, with no audio in common with the conversation
    enrolled = analyse(real_voices.enrolment("533").path)
    assert len(enrolled.speakers) == 1
    similarity = entity_similarity({s.index: s.voiceprint for s in result.speakers}, enrolled.speakers[0].voiceprint)
    print(f"enrolment of 533 vs speakers: {similarity}")
    enrolled_index = conv.voices.index("533")
    assert pick(TargetSelector("entity_id", entity_id="ent_533"), entity_similarity=similarity) == enrolled_index
    stranger = analyse(real_voices.enrolment("2033").path)  # not in the conversation
    other = entity_similarity({s.index: s.voiceprint for s in result.speakers}, stranger.speakers[0].voiceprint)
    assert pick(TargetSelector("entity_id", entity_id="ent_2033"), entity_similarity=other) is None


def test_overlapped_speech_is_marked(analyse: Analyse) -> None:
    conv = real_voices.three_speakers()  # three short overlaps, 1.1 s in all
    result = analyse(conv.path)
    truth = conv.frame_truth == -2
    found = np.zeros(len(truth), dtype=bool)
    for a, b in result.overlaps:
        found[int(a * 100) : int(b * 100)] = True
    near = np.convolve(truth, np.ones(41), mode="same") > 0  # within 0.2 s of true overlap
    print(f"overlap: true {truth.sum() / 100:.2f} s, found {found.sum() / 100:.2f} s, "
          f"of it near true overlap {(found & near).sum() / 100:.2f} s; per speaker "
          f"{[s.overlap_seconds for s in result.speakers]}")
    # measured: found 1.8 s, all of it within 0.2 s of the 1.1 s of true overlap
    assert result.overlap_seconds == pytest.approx(found.sum() / 100, abs=0.05)
    assert (found & truth).sum() >= 0.6 * truth.sum()
    assert (found & near).sum() >= 0.8 * found.sum()
    assert sum(s.overlap_seconds > 0 for s in result.speakers) >= 2  # both sides of an overlap are told


def test_meeting_speech_is_found(models: Models) -> None:
    """Far-field meeting audio: segmentation-3.0 finds most of the annotated speech (Silero found 27-87 %)."""
    for name in ("trn05", "trn07"):
        path, truth = real_voices.ami_excerpt(name)
        activity = models.vad.detect(decode_audio(path, max_seconds=60))
        found = np.zeros(len(truth), dtype=bool)
        for r in activity.regions:
            found[int(r.start * 100) : int(r.end * 100)] = True
        speech = truth != -1
        recall, precision = (found & speech).sum() / speech.sum(), (found & speech).sum() / max(found.sum(), 1)
        print(f"{name}: recall {recall:.2f} precision {precision:.2f}")
        # measured recall/precision: trn05 0.98/0.99, trn07 0.80/0.80 (at the former speech threshold 0.5, trn07 was
        # 0.64/0.94: the quiet far end of the table was missed)
        least = {"trn05": (0.9, 0.85), "trn07": (0.7, 0.7)}[name]
        assert recall >= least[0] and precision >= least[1]


def test_meeting_main_speakers_are_told_apart(analyse: Analyse) -> None:
    """AMI far-field meetings with one or two main speakers: their single-speaker speech goes to the right person and
    no voice is split in two (the near-silent participants of these excerpts are not expected to be found)."""
    right = scored = 0
    for name in ("trn03", "trn06", "trn09"):
        path, truth = real_voices.ami_excerpt(name)
        spans, _ = real_voices.ami_reference(name)
        result = analyse(path)
        r, s = scoring.frame_agreement(truth, [(u.start, u.end, u.speaker_index) for u in result.utterances],
                                       len({speaker for *_, speaker in spans}))
        print(f"{name}: speakers {len(result.speakers)}/{len({sp for *_, sp in spans})} frame accuracy {r / s:.4f}")
        assert 1 <= len(result.speakers) <= len({speaker for *_, speaker in spans})
        right, scored = right + r, scored + s
    # measured (bench/diarization.py): 0.962, 0.912, 1.000; pooled 0.96
    assert right / scored >= 0.85
