"""Jobs started from this machine: the API has no job listing, so ``conduit jobs list`` shows these.

One JSON line per job in ``$XDG_STATE_HOME/conduit/jobs.jsonl`` (default ``~/.local/state``), keyed by base URL.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._config import state_dir

MAX_SHOWN = 50


def _path() -> Path:
    return state_dir() / "jobs.jsonl"


def record(base_url: str, job_id: str, label: str) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"baseUrl": base_url, "jobId": job_id, "label": label}) + "\n")


def recent(base_url: str, limit: int = MAX_SHOWN) -> list[tuple[str, str]]:
    """(job id, label) of the newest jobs started against ``base_url``, newest first."""
    path = _path()
    if not path.exists():
        return []
    found: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and item.get("baseUrl") == base_url:
            found.append((str(item.get("jobId")), str(item.get("label") or "")))
    return found[::-1][:limit]
