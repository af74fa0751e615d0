"""The text a `/metrics` scrape answers: this process's metrics (or, in multiprocess mode, every process's that
shares `PROMETHEUS_MULTIPROC_DIR`) followed by the gauges read from the database for this scrape."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the classic text format every Prometheus version reads


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class _Families(Collector):
    """Metric families computed elsewhere (the database gauges), served once."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def _process_metrics() -> CollectorRegistry:
    if multiprocess_dir() is None:
        return REGISTRY  # this process's metrics, plus prometheus_client's process and GC collectors
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # sums every process's files
    return registry


def render(extra: Iterable[Metric] = ()) -> bytes:
    return generate_latest(_process_metrics()) + generate_latest(_Families(extra))


def _forget_this_process() -> None:
    """Multiprocess mode: drop this process's live gauges (pool use) when it exits, so they stop adding up."""
    path = multiprocess_dir()
    if path is not None and os.path.isdir(path):
        multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


atexit.register(_forget_this_process)
