"""The offline speech pipeline: decode -> VAD -> speaker embeddings -> clustering -> Whisper ASR -> turns ->
prosody, plus target selection and voice-identity (entity) matching. Knows nothing of HTTP or the database."""

from .entities import DEFAULT_ENTITY_THRESHOLD, assign_speakers, cosine, entity_similarity, update_centroid
from .models import Models
from .pipeline import SpeechPipeline
from .target import Selection, SelectorError, TargetSelector, parse_target_selector, select_target
from .types import (
    Aborted,
    InsufficientSpeechError,
    MediaAnalysis,
    MediaError,
    MediaProbe,
    MediaTooLongError,
    Speaker,
    SpeakerProsody,
    UnsupportedMediaError,
    Utterance,
    Word,
)

__all__ = [
    "DEFAULT_ENTITY_THRESHOLD",
    "Aborted",
    "InsufficientSpeechError",
    "MediaAnalysis",
    "MediaError",
    "MediaProbe",
    "MediaTooLongError",
    "Models",
    "Selection",
    "SelectorError",
    "Speaker",
    "SpeakerProsody",
    "SpeechPipeline",
    "TargetSelector",
    "UnsupportedMediaError",
    "Utterance",
    "Word",
    "assign_speakers",
    "cosine",
    "entity_similarity",
    "parse_target_selector",
    "select_target",
    "update_centroid",
]
