"""Upgrades: migrations run at every start (embedded) or by `conduit migrate`, so a new release upgrades the data
it finds. Tested: an empty database migrates to head and then matches tables.py, migrating again is a no-op, the
revisions downgrade one step and to base and upgrade again, a job queued before a restart (embedded PostgreSQL
stopped and started, migrations run again) still completes afterwards, and a job queued in a database at the
revision before head completes once a start has migrated it to head.
That last test queues its job with this release's code against the previous revision's tables, which holds while
a revision leaves the tables a queued job touches (jobs, media, the job queue's own) as they were; a revision that
changes them must queue that job with the previous revision's own SQL instead."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conduit_server.services import open_runtime
from conduit_server.settings import Settings
from conduit_server.store import accounts
from conduit_server.store.db import sync_url
from conduit_server.store.embedded import EmbeddedPostgres
from conduit_server.store.migrate import alembic_config, upgrade
from conduit_server.store.tables import metadata
from fixtures.api_helpers import report_body, uploaded_id
from fixtures.speech import two_speaker_short
from server_testkit import _admin, _with_database, asgi_client, make_settings, postgres_pids, workers_for
from sqlalchemy import create_engine, text

QUEUE_PREFIX = "procrastinate_"  # the job queue's own schema, made by its SchemaManager, not by tables.py


def _empty_database(server_url: str) -> str:
    name = "conduit_up_" + uuid.uuid4().hex[:12]
    _admin(server_url, f"CREATE DATABASE {name}")
    return _with_database(server_url, name)


def _query(url: str, sql: str) -> list[Any]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    rows = _query(url, "SELECT version_num FROM alembic_version")
    return str(rows[0][0]) if rows else None


def _public_objects(url: str) -> set[str]:
    """Tables, functions and types in the public schema (types of tables excluded)."""
    rows = _query(url, """
        SELECT tablename FROM pg_tables WHERE schemaname = 'public'
        UNION SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
        UNION SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')""")
    return {str(r[0]) for r in rows}


def _drift(url: str) -> list[Any]:
    """Differences between the migrated database and tables.py (the queue's own tables aside)."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _not_the_queue})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _not_the_queue(name: str | None, type_: str, _parents: Any) -> bool:
    return not (type_ == "table" and (name or "").startswith(QUEUE_PREFIX))


_SCRIPTS = ScriptDirectory.from_config(alembic_config("postgresql://unused/none"))
HEAD = _SCRIPTS.get_current_head()
PREVIOUS = _SCRIPTS.get_revision(HEAD).down_revision  # the schema of the release before this one


def test_an_empty_database_migrates_to_head_matching_the_schema(server_url: str) -> None:
    url = _empty_database(server_url)
    upgrade(url)
    assert _revision(url) == HEAD
    assert _drift(url) == [], "a change to tables.py needs its own migration revision"
    objects = _public_objects(url)
    assert {t.name for t in metadata.sorted_tables} <= objects
    assert {"procrastinate_jobs", "procrastinate_job_status", "procrastinate_fetch_job_v2"} <= objects
    upgrade(url)  # every start migrates: at head it is a no-op
    assert _revision(url) == HEAD and _public_objects(url) == objects


def test_downgrade_a_step_and_to_base_then_upgrade_again(server_url: str) -> None:
    url = _empty_database(server_url)
    upgrade(url)
    migrated = _public_objects(url)
    assert isinstance(PREVIOUS, str)
    command.downgrade(alembic_config(url), PREVIOUS)  # one step: only what head added goes
    assert _revision(url) == PREVIOUS
    stepped_back = _public_objects(url)
    assert stepped_back < migrated and "procrastinate_jobs" in stepped_back
    command.downgrade(alembic_config(url), "base")
    assert _revision(url) is None
    assert _public_objects(url) == {"alembic_version"}, "base leaves nothing of Conduit or its job queue"
    upgrade(url)
    assert _revision(url) == HEAD and _public_objects(url) == migrated




@pytest.fixture()
def root() -> Iterator[Path]:
    """Outside pytest's temp root (0700), which the embedded server's own system user must be able to enter."""
    path = Path(tempfile.mkdtemp(prefix="conduit-test-upgrade-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for pid in postgres_pids(path / "data" / "pg"):  # only a failed test leaves one
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
        shutil.rmtree(path, ignore_errors=True)


async def _wait_terminal(api: httpx.AsyncClient, job_id: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = (await api.get(f"/v1/jobs/{job_id}")).json()
        if job["status"] in ("succeeded", "failed", "canceled"):
            return job
        await asyncio.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


async def _queue_a_report_job(settings: Settings, *, migrate: bool = True) -> tuple[str, str]:
    """A report job on a two-speaker recording, left queued (no workers run): (its API key, its id)."""
    async with open_runtime(settings, migrate=migrate) as rt:
        created = await accounts.create_key(rt.engine, rt.clock())
        async with asgi_client(rt) as api:
            api.headers["Mappa-Api-Key"] = created.api_key
            media_id = await uploaded_id(api, {}, two_speaker_short().path, label="call")
            job_id = (await api.post("/v1/reports/jobs", json=report_body(media_id))).json()["jobId"]
            assert (await api.get(f"/v1/jobs/{job_id}")).json()["status"] == "queued"
    return created.api_key, str(job_id)


async def _start_and_see_it_succeed(settings: Settings, api_key: str, job_id: str) -> None:
    async with open_runtime(settings) as rt, workers_for(rt), asgi_client(rt) as api:  # start: migrations run
        api.headers["Mappa-Api-Key"] = api_key
        job = await _wait_terminal(api, job_id)
        assert job["status"] == "succeeded", job
        assert (await api.get(f"/v1/reports/{job['reportId']}")).status_code == 200


@pytest.mark.slow
async def test_a_job_queued_before_a_restart_completes_after_it(root: Path) -> None:
    settings = make_settings(root / "data", min_speech_seconds=5.0)
    api_key, job_id = await _queue_a_report_job(settings)
    assert EmbeddedPostgres(root / "data" / "pg").postmaster_pid() is None, "the embedded server stopped"
    await _start_and_see_it_succeed(settings, api_key, job_id)


@pytest.mark.slow
async def test_a_job_queued_at_the_previous_revision_completes_after_upgrading(server_url: str, root: Path) -> None:
    assert isinstance(PREVIOUS, str), "head has a previous revision"
    url = _empty_database(server_url)
    command.upgrade(alembic_config(url), PREVIOUS)  # the database as the previous release left it
    settings = make_settings(root / "data", database_url=url, min_speech_seconds=5.0)
    api_key, job_id = await _queue_a_report_job(settings, migrate=False)
    assert _revision(url) == PREVIOUS

    await _start_and_see_it_succeed(settings, api_key, job_id)  # the start migrates to head, then runs the job
    assert _revision(url) == HEAD and _drift(url) == []
