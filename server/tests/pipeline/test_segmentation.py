"""Speech / overlap detection (segmentation-3.0 on onnxruntime): weights checked, every frame scored once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conduit_server.pipeline.audio import decode_audio
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.segmentation import FRAME_STEP_S, GRAPH_PATH, SegmentationModel, weights_path
from fixtures import real_voices


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    blob = bytearray(weights_path().read_bytes())
    blob[-64] ^= 0x01
    (tmp_path / "w.pt").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="sha256"):
        SegmentationModel(weights=tmp_path / "w.pt")
    assert GRAPH_PATH.stat().st_size < 500_000  # the committed graph carries no weights


@pytest.mark.parametrize("seconds", [0.5, 7.0, 23.3])
def test_every_frame_is_scored(models: Models, seconds: float) -> None:
    audio = np.zeros(int(seconds * 16000), np.float32)
    scores = models.vad.scores(audio)
    assert len(scores.speech) == len(scores.overlap) == int(seconds / FRAME_STEP_S) + 1
    assert np.all((scores.speech >= 0) & (scores.speech <= 1)) and float(scores.speech.max()) < 0.5
    assert models.vad.detect(audio).regions == []


def test_speech_is_continuous_across_chunk_edges(models: Models) -> None:
    """23 s of a real conversation span three 10 s chunks (5 s hop): speech found does not depend on where they
    fall."""
    audio = decode_audio(real_voices.three_speakers().path, max_seconds=600)[: 16000 * 23]
    whole = models.vad.detect(audio).regions
    shifted = models.vad.detect(np.concatenate([np.zeros(16000 * 3, np.float32), audio])).regions
    total = sum(r.end - r.start for r in whole)
    total_shifted = sum(r.end - r.start for r in shifted)
    assert total > 10 and abs(total - total_shifted) < 0.05 * total
