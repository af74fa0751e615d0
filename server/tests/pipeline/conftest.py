"""Session fixtures: the models load once, each recording is generated and analysed once per session."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.pipeline import SpeechPipeline
from conduit_server.pipeline.types import MediaAnalysis
from fixtures import speech

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """Where the bundled Whisper model is joined: kept between sessions, outside git."""
    return Path(os.environ.get("CONDUIT_TEST_MODELS_DIR", REPO / ".cache" / "models"))


@pytest.fixture(scope="session")
def models(models_dir: Path) -> Models:
    return Models(models_dir)


@pytest.fixture(scope="session")
def pipeline(models: Models) -> SpeechPipeline:
    return SpeechPipeline(models, language="en", max_seconds=600)


@pytest.fixture(scope="session")
def analyse(pipeline: SpeechPipeline) -> Callable[[Path], MediaAnalysis]:
    """analyse(path) -> MediaAnalysis, memoised for the session."""
    done: dict[Path, MediaAnalysis] = {}

    def run(path: Path) -> MediaAnalysis:
        if path not in done:
            done[path] = pipeline.run(path)
        return done[path]

    return run


@pytest.fixture(scope="session")
def two() -> speech.Conversation:
    return speech.two_speaker_short()


@pytest.fixture(scope="session")
def three() -> speech.Conversation:
    return speech.three_speaker_short()


@pytest.fixture(scope="session")
def noisy() -> speech.Conversation:
    return speech.two_speaker_short(noise_snr_db=5)
