"""The measurement parts of the ReportEvidence payload (docs/api.md §3.7, camelCase)."""

from __future__ import annotations

from typing import Any

from .reliability import Reliability
from .render import Claim
from .sample import Sample


def build_evidence(sample: Sample, claims: list[Claim], reliability: Reliability | None = None) -> dict[str, Any]:
    """`{speakerIndex, metrics, indicators, claims, reliability}`; the caller adds reportId, jobId, mediaId, entityId
    and behaviorMapId. `reliability` is what the report was judged on (`RenderedReport.reliability`, the behavior
    map's); without it, this recording's. Raises ValueError if a claim cites an indicator the sample lacks (a renderer
    bug)."""
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
        "reliability": (reliability or sample.assessed).to_json(),  # *ext*: the evidence payload is non-strict
    }
