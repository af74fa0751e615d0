"""The measurement parts of the ReportEvidence payload (contract 3.7, camelCase)."""

from __future__ import annotations

from typing import Any

from .render import Claim
from .sample import Sample


def build_evidence(sample: Sample, claims: list[Claim]) -> dict[str, Any]:
    """`{speakerIndex, metrics, indicators, claims}`; the caller adds reportId, jobId, mediaId, entityId and
    behaviorMapId. Raises ValueError if a claim cites an indicator the sample lacks (a renderer bug)."""
    keys = sample.keys
    for c in claims:
        missing = [k for k in c.indicator_keys if k not in keys]
        if not c.indicator_keys or missing:
            raise ValueError(f"claim in {c.section_key!r} cites unknown indicators {missing}")
    return {
        "speakerIndex": sample.speaker_index,
        "metrics": dict(sample.metrics),
        "indicators": [i.to_json() for i in sample.indicators],
        "claims": [c.to_json() for c in claims],
    }
