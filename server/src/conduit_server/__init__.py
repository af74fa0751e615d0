"""Conduit server: behavioral reports from voice recordings, wire-compatible with the hosted Conduit API."""

__version__ = "0.1.0"
# The speech analysis a stored MediaAnalysis came from, and what job usage reports as its model version.
# 2: CAM++ voiceprints (192-d), new clustering, overlap marks. Kept here so the API needs no pipeline import for it.
PIPELINE_VERSION = "pipeline-2"
