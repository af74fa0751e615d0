"""The generic run handle: any result type, any store, and no import of the resource modules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import conduit
import pytest
from conduit import ConduitError, MatchingRunHandle, ReportRunHandle
from conduit._handles import MATCHING, REPORT, RunHandle
from conduit._streaming import OnEvent
from conduit.models import Job, JobEvent, parse_job
from conduit.types import CancelSignal

WIRE_JOB = {"id": "job_1", "type": "report.generate", "status": "succeeded", "createdAt": "a", "updatedAt": "b"}


class FakeJobs:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.canceled: list[str] = []

    def get(self, job_id: str, /) -> Job:
        return self.job

    def cancel(self, job_id: str, /) -> Job:
        self.canceled.append(job_id)
        return self.job

    def stream(
        self, job_id: str, /, *, timeout_ms: int | None, on_event: OnEvent | None, signal: CancelSignal | None
    ) -> Iterator[JobEvent]:
        yield JobEvent(type="terminal", job=self.job)

    def wait(self, job_id: str, /, *, timeout_ms: int, on_event: OnEvent | None, signal: CancelSignal | None) -> Job:
        return self.job


class Store:
    """Results are plain strings here: the handle does not care what ``T`` is."""

    def __init__(self) -> None:
        self.fetched: list[str] = []

    def get(self, result_id: str, /) -> str:
        self.fetched.append(result_id)
        return f"result:{result_id}"

    def get_by_job(self, job_id: str, /) -> str | None:
        return None


def test_generic_handle_fetches_the_result_named_by_the_job() -> None:
    jobs, store = FakeJobs(parse_job({**WIRE_JOB, "reportId": "rep_9"})), Store()
    handle: RunHandle[str] = RunHandle("job_1", jobs, store, REPORT)
    assert handle.wait() == "result:rep_9" and store.fetched == ["rep_9"]
    assert handle.result() is None and handle.job().id == "job_1"
    assert [event.type for event in handle.stream()] == ["terminal"]
    handle.cancel()
    assert jobs.canceled == ["job_1"]


def test_succeeded_job_without_its_result_id_is_invalid_response() -> None:
    handle: RunHandle[str] = RunHandle("job_1", FakeJobs(parse_job({**WIRE_JOB, "reportId": "r"})), Store(), MATCHING)
    with pytest.raises(ConduitError) as info:
        handle.wait()
    assert info.value.code == "invalid_response" and "matchingId" in info.value.message


def test_public_handles_keep_their_constructor_and_repr() -> None:
    jobs = FakeJobs(parse_job(WIRE_JOB))
    report = ReportRunHandle("job_1", jobs, Store())  # type: ignore[arg-type]
    matching = MatchingRunHandle("job_2", jobs, Store())  # type: ignore[arg-type]
    assert repr(report) == "ReportRunHandle(job_id='job_1')" and report.report() is None
    assert matching.job_id == "job_2" and matching.matching() is None


def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``conduit`` that ``path`` imports, ``TYPE_CHECKING`` blocks included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            found.update({target, *(f"{target}.{alias.name}" for alias in node.names)})
    return found


def test_sdk_modules_have_no_import_cycle() -> None:
    root = Path(conduit.__file__).parent
    modules = {
        ".".join(("conduit", *path.relative_to(root).with_suffix("").parts)): path
        for path in root.rglob("*.py")
        if path.name != "__init__.py"
    }
    graph = {name: _imports(path, name.rsplit(".", 1)[0]) & modules.keys() for name, path in modules.items()}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), list(graph[start])
        while todo:
            name = todo.pop()
            if name == goal:
                return True
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
        return False

    assert "conduit._handles" in graph
    assert [name for name in graph if reaches(name, name)] == []
