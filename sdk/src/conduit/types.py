"""Request TypedDicts, literals, constants and telemetry types."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, NotRequired, Protocol, TypedDict

REPORT_TEMPLATE_GENERAL_REPORT = "general_report"
REPORT_TEMPLATE_SALES_PLAYBOOK = "sales_playbook"
MATCHING_CONTEXT_BEHAVIORAL_COMPATIBILITY = "behavioral_compatibility"

ReportTemplate = Literal["general_report", "sales_playbook"]
ReportLanguage = Literal["en", "es", "pt"]
MatchingContext = Literal["behavioral_compatibility"]
OnMiss = Literal["error", "fallback_dominant"]
TargetStrategy = Literal["dominant", "timerange", "entity_id", "magic_hint", "speaker_index"]

BinaryLike = bytes | bytearray | memoryview | BinaryIO
HeaderValue = str | Sequence[str] | None
HeaderMapping = Mapping[str, HeaderValue]


class CancelSignal(Protocol):
    """Anything with ``is_set()``: ``threading.Event``, ``asyncio.Event``."""

    def is_set(self) -> bool: ...


@dataclass(slots=True)
class RequestTelemetry:
    """Emitted before each HTTP attempt."""

    method: str
    request_id: str
    url: str


@dataclass(slots=True)
class ResponseTelemetry:
    """Emitted when an HTTP attempt got a response."""

    duration_ms: float
    method: str
    request_id: str
    status: int
    url: str


@dataclass(slots=True)
class ErrorTelemetry:
    """Emitted when an HTTP attempt failed (error status or transport failure)."""

    duration_ms: float
    error: BaseException
    method: str
    request_id: str
    url: str


@dataclass(slots=True)
class TelemetryHooks:
    """Optional callbacks observing every HTTP attempt."""

    on_error: Callable[[ErrorTelemetry], None] | None = None
    on_request: Callable[[RequestTelemetry], None] | None = None
    on_response: Callable[[ResponseTelemetry], None] | None = None


class WebhookConfig(TypedDict, total=False):
    """Per-job webhook target."""

    headers: dict[str, str]
    url: str


class ReportSourceMedia(TypedDict):
    """Already uploaded media."""

    media_id: str


class ReportSourceFile(TypedDict, total=False):
    """Bytes or a binary file object to upload."""

    file: BinaryLike
    label: str


class ReportSourceUrl(TypedDict, total=False):
    """A remote http(s) URL the SDK downloads, then uploads."""

    label: str
    url: str


class ReportSourcePath(TypedDict, total=False):
    """A local file to upload."""

    label: str
    path: str


ReportSource = ReportSourceMedia | ReportSourceFile | ReportSourceUrl | ReportSourcePath


class ReportOutput(TypedDict):
    """Report template and optional template parameters."""

    template: ReportTemplate
    template_params: NotRequired[dict[str, Any]]


class TimeRange(TypedDict, total=False):
    """Seconds bounds for the ``timerange`` strategy."""

    end_seconds: float | None
    start_seconds: float | None


class TargetDominant(TypedDict, total=False):
    on_miss: OnMiss
    strategy: Literal["dominant"]


class TargetTimeRange(TypedDict, total=False):
    on_miss: OnMiss
    strategy: Literal["timerange"]
    time_range: TimeRange


class TargetEntityId(TypedDict, total=False):
    entity_id: str
    on_miss: OnMiss
    strategy: Literal["entity_id"]


class TargetMagicHint(TypedDict, total=False):
    hint: str
    on_miss: OnMiss
    strategy: Literal["magic_hint"]


class TargetSpeakerIndex(TypedDict, total=False):
    """Ours: pick the diarization index directly."""

    on_miss: OnMiss
    speaker_index: int
    strategy: Literal["speaker_index"]


TargetSelector = TargetDominant | TargetTimeRange | TargetEntityId | TargetMagicHint | TargetSpeakerIndex


class MatchingEntityRef(TypedDict):
    entity_id: str


class MatchingMediaRef(TypedDict):
    media_id: str
    selector: TargetSelector


MatchingSubjectRef = MatchingEntityRef | MatchingMediaRef

PsychometricsTargetStrategy = Literal["dominant", "magic_hint"]


class PsychometricsSourceFile(TypedDict, total=False):
    file: BinaryLike
    label: str


class PsychometricsSourceUrl(TypedDict, total=False):
    label: str
    url: str


class PsychometricsSourcePath(TypedDict, total=False):
    label: str
    path: str


PsychometricsSource = PsychometricsSourceFile | PsychometricsSourceUrl | PsychometricsSourcePath


class PsychometricsTargetDominant(TypedDict):
    strategy: Literal["dominant"]


class PsychometricsTargetMagicHint(TypedDict):
    hint: str
    strategy: Literal["magic_hint"]


PsychometricsTargetSelector = PsychometricsTargetDominant | PsychometricsTargetMagicHint

__all__ = [
    "MATCHING_CONTEXT_BEHAVIORAL_COMPATIBILITY",
    "REPORT_TEMPLATE_GENERAL_REPORT",
    "REPORT_TEMPLATE_SALES_PLAYBOOK",
    "BinaryLike",
    "CancelSignal",
    "ErrorTelemetry",
    "HeaderMapping",
    "HeaderValue",
    "MatchingContext",
    "MatchingEntityRef",
    "MatchingMediaRef",
    "MatchingSubjectRef",
    "OnMiss",
    "PsychometricsSource",
    "PsychometricsSourceFile",
    "PsychometricsSourcePath",
    "PsychometricsSourceUrl",
    "PsychometricsTargetDominant",
    "PsychometricsTargetMagicHint",
    "PsychometricsTargetSelector",
    "PsychometricsTargetStrategy",
    "ReportLanguage",
    "ReportOutput",
    "ReportSource",
    "ReportSourceFile",
    "ReportSourceMedia",
    "ReportSourcePath",
    "ReportSourceUrl",
    "ReportTemplate",
    "RequestTelemetry",
    "ResponseTelemetry",
    "TargetDominant",
    "TargetEntityId",
    "TargetMagicHint",
    "TargetSelector",
    "TargetSpeakerIndex",
    "TargetStrategy",
    "TargetTimeRange",
    "TelemetryHooks",
    "TimeRange",
    "WebhookConfig",
]
