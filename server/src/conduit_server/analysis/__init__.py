"""Behavioral analysis: indicators, behavior maps, report and matching rendering, psychometrics, validators.

Pure and deterministic throughout: the same input gives byte-identical output. Formulas: docs/metrics.md.
"""

from .behavior_map import MODEL_CHECKPOINT, BehaviorMap, MapIndicator, build_behavior_map
from .dimensions import DIMENSIONS, Dimension
from .evidence import build_evidence
from .indicators import measure_sample
from .matching import Pairing, RenderedMatching, Subject, compare, render_matching
from .psychometrics import estimate_psychometrics, quality, signal_of
from .reference import REFERENCES
from .reliability import Reliability, assess, combine
from .render import Claim, RenderedReport, render_report
from .sample import Evidence, Indicator, Sample
from .schema import SchemaError, validate_matching_json, validate_report_json
from .templates import SECTIONS, TEMPLATE_VERSION

__all__ = [
    "DIMENSIONS", "MODEL_CHECKPOINT", "REFERENCES", "SECTIONS", "TEMPLATE_VERSION",
    "BehaviorMap", "Claim", "Dimension", "Evidence", "Indicator", "MapIndicator", "Pairing", "RenderedMatching",
    "Reliability", "RenderedReport", "Sample", "SchemaError", "Subject",
    "assess", "build_behavior_map", "build_evidence", "combine", "compare", "estimate_psychometrics", "measure_sample",
    "quality",
    "render_matching", "render_report", "signal_of", "validate_matching_json", "validate_report_json",
]
