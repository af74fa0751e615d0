"""Speaker embeddings: the same voice in two recordings is close, different voices are far apart."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conduit_server.pipeline.audio import decode_audio
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.voiceprint import Embedder, VoiceFilterEmbedder, cosine
from fixtures import speech

VOICES = ("rms", "slt", "awb")


@pytest.fixture(scope="module")
def prints(models: Models) -> dict[tuple[str, int], np.ndarray]:
    return {
        (voice, variant): models.embedder.embed(decode_audio(speech.monologue(voice, variant).path, max_seconds=60))
        for voice in VOICES
        for variant in (0, 1)
    }


def test_default_embedder_meets_the_protocol(models: Models) -> None:
    emb = models.embedder
    assert isinstance(emb, Embedder) and isinstance(emb, VoiceFilterEmbedder)
    assert emb.dim == 256 and emb.sample_rate == 16000


def test_same_voice_across_recordings_is_close(prints: dict[tuple[str, int], np.ndarray]) -> None:
    for voice in VOICES:
        c = cosine(prints[(voice, 0)], prints[(voice, 1)])
        print(f"same voice {voice}: cosine {c:.3f}")
        assert c >= 0.85


def test_different_voices_are_far_apart(prints: dict[tuple[str, int], np.ndarray]) -> None:
    for a, b in itertools.combinations(VOICES, 2):
        c = cosine(prints[(a, 0)], prints[(b, 1)])
        print(f"{a} vs {b}: cosine {c:.3f}")
        assert c <= 0.6


def test_embeddings_are_unit_length(prints: dict[tuple[str, int], np.ndarray]) -> None:
    for vec in prints.values():
        assert float(np.linalg.norm(vec)) == pytest.approx(1.0, abs=1e-4)


def test_window_embeddings_match_whole_clip(models: Models) -> None:
    audio = decode_audio(speech.monologue("slt", 0).path, max_seconds=60)
    windows = [(1.0, 2.5), (3.0, 4.5), (0.0, 0.2)]
    vecs = models.embedder.embed_windows(audio, windows)
    assert vecs.shape == (3, 256)
    assert cosine(vecs[0], models.embedder.embed(audio)) > 0.7
