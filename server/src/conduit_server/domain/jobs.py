"""Job statuses, stages and their progress guide (docs/api.md §4)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class JobStatus(StrEnum):
    """A job's status; the members are the wire strings (they compare equal to them and serialise as them)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Stage(StrEnum):
    """Where a job is, in order (docs/api.md §4)."""

    UPLOADED = "uploaded"
    QUEUED = "queued"
    TRANSCODING = "transcoding"
    EXTRACTING = "extracting"
    SCORING = "scoring"
    RENDERING = "rendering"
    FINALIZING = "finalizing"


class JobType(StrEnum):
    REPORT = "report.generate"
    MATCHING = "matching.generate"


QUEUED: Final = JobStatus.QUEUED
RUNNING: Final = JobStatus.RUNNING
SUCCEEDED: Final = JobStatus.SUCCEEDED
FAILED: Final = JobStatus.FAILED
CANCELED: Final = JobStatus.CANCELED
TERMINAL: Final = frozenset({SUCCEEDED, FAILED, CANCELED})

STAGES: Final = tuple(Stage)
STAGE_ORDER: Final[dict[str, int]] = {name.value: i for i, name in enumerate(STAGES)}
# progress reached when a stage ends (docs/api.md §4, stage table)
STAGE_END_PROGRESS: Final = {
    "uploaded": 0.0,
    "queued": 0.0,
    "transcoding": 0.15,
    "extracting": 0.6,
    "scoring": 0.75,
    "rendering": 0.95,
    "finalizing": 1.0,
}
STAGE_START_PROGRESS: Final = {
    "uploaded": 0.0,
    "queued": 0.0,
    "transcoding": 0.0,
    "extracting": 0.15,
    "scoring": 0.6,
    "rendering": 0.75,
    "finalizing": 0.95,
}

REPORT_JOB: Final = JobType.REPORT
MATCHING_JOB: Final = JobType.MATCHING

# job error code -> (retryable, default message) (docs/api.md §7.3)
JOB_ERRORS: Final = {
    "target_not_found": (False, "Could not identify target speaker"),
    "insufficient_speech": (False, "The selected speaker has too little speech"),
    "invalid_media": (False, "The media is empty or could not be decoded"),
    "media_too_long": (False, "The media is longer than the allowed maximum"),
    "media_deleted": (False, "The media was deleted before the job used it"),
    "duplicate_subject": (False, "Two matching subjects resolved to the same entity"),
    "processing_failed": (True, "Media processing failed"),
}


def job_error(code: str, message: str | None = None, details: dict[str, object] | None = None) -> dict[str, object]:
    retryable, default = JOB_ERRORS.get(code, (False, "Job failed"))
    error: dict[str, object] = {"code": code, "message": message or default, "retryable": retryable}
    if details:
        error["details"] = details
    return error


def stage_progress(stage: str, fraction: float) -> float:
    start, end = STAGE_START_PROGRESS[stage], STAGE_END_PROGRESS[stage]
    return round(start + (end - start) * max(0.0, min(1.0, fraction)), 3)
