"""The API process stays light: importing the app (everything a request needs to be routed and validated, target
selectors included) loads none of the speech or analysis libraries. Those take seconds and hundreds of MB to load
and only worker processes use them (the pipeline loads them lazily in `Runtime.pipeline`). The import layers
themselves are checked by `lint-imports server/pyproject.toml` (`make lint`)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("av", "numpy", "vaderSentiment", "onnxruntime", "faster_whisper", "ctranslate2")
API_MODULES = ("conduit_server.app", "conduit_server.api.validation", "conduit_server.targeting.target")

_PROBE = """
import importlib, json, sys
modules, heavy = sys.argv[1].split(","), set(sys.argv[2].split(","))
for name in modules:
    importlib.import_module(name)
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in heavy)))
"""


def _heavy_loaded_by(*modules: str) -> list[str]:
    """The HEAVY top-level modules a fresh interpreter holds after importing `modules` (this test session has long
    since imported the pipeline for other tests, so it cannot tell)."""
    out = subprocess.run([sys.executable, "-c", _PROBE, ",".join(modules), ",".join(HEAVY)], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    loaded: list[str] = json.loads(out.strip().splitlines()[-1])
    return loaded


def test_the_api_process_loads_no_speech_or_analysis_library() -> None:
    assert _heavy_loaded_by(*API_MODULES) == []


def test_the_probe_sees_the_libraries_the_worker_pipeline_loads() -> None:
    """The check above is not vacuous: the same probe sees them once the speech pipeline is imported."""
    loaded = set(_heavy_loaded_by(*API_MODULES, "conduit_server.pipeline.pipeline"))
    assert {"av", "numpy", "ctranslate2"} <= loaded
