"""`conduit restore`: an archive of `conduit backup` (store/backup.py) into a fresh data dir of the embedded default.

Every part is checked against the manifest's sha256 before anything is written, and an archive from a newer
release (a schema revision this release does not know) is refused. Then: a new embedded cluster, pg_restore of
the dump (row counts checked against the manifest), the blobs put back through the configured blob store, and
the migrations, so a backup from an older release comes back upgraded. A data dir that already holds a database
or recordings is refused unless `force`, which replaces them (never while a server runs on it).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg
from alembic.script import ScriptDirectory

from conduit_server.settings import Settings
from conduit_server.store.backup import (
    DUMP,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MEDIA,
    BackupError,
    blob_store,
    embedded_database,
    pg_tool,
    refuse_cluster,
    run_tool,
    sha256_stream,
)
from conduit_server.store.embedded import EmbeddedPostgres
from conduit_server.store.fsmodes import private_dir
from conduit_server.store.migrate import alembic_config, upgrade


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError(f"not a Conduit backup: no {MANIFEST} (an interrupted backup never gets its final name)")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("version"), int):
        raise BackupError("not a Conduit backup: unknown manifest format")
    if manifest["version"] > FORMAT_VERSION:
        raise BackupError(f"backup format {manifest['version']} is newer than this release reads ({FORMAT_VERSION})")
    return manifest


def check_revision(revision: str | None) -> None:
    """Refuse a schema this release cannot migrate from: one written by a newer release."""
    if revision is None:
        raise BackupError("the backup's database has no schema revision")
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://unused/none"))
    if revision not in {s.revision for s in scripts.walk_revisions()}:
        raise BackupError(f"the backup's schema revision {revision!r} is unknown to this release "
                          "(made by a newer Conduit?); restore it with that release or a later one")


def media_key(name: str) -> str:
    """The storage key of an archive member under media/, refusing names that would leave the blob store."""
    key = name[len(MEDIA):]
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or any(p in {"..", "."} for p in parts):
        raise BackupError(f"unsafe media name in the archive: {name!r}")
    return key


def verify(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every part listed is present, whole and unchanged, and nothing else is in the archive."""
    expected: dict[str, dict[str, Any]] = manifest["parts"]
    seen: set[str] = set()
    for member in tar:
        if member.name == MANIFEST:
            continue
        if member.name not in expected or not member.isfile():
            raise BackupError(f"unexpected entry in the archive: {member.name!r}")
        if member.name.startswith(MEDIA):
            media_key(member.name)
        stream = tar.extractfile(member)
        assert stream is not None
        part = sha256_stream(stream)
        want = expected[member.name]
        if (part.bytes, part.sha256) != (want["bytes"], want["sha256"]):
            raise BackupError(f"{member.name} does not match the manifest (corrupt or altered archive)")
        seen.add(member.name)
    if DUMP not in seen or seen != set(expected):
        raise BackupError(f"the archive lacks parts: {sorted(set(expected) - seen) or [DUMP]}")


def holds_data(settings: Settings) -> bool:
    pgdata = settings.data_dir / "pg"
    media = settings.data_dir / "media"
    has_db = pgdata.is_dir() and any(pgdata.iterdir())
    has_media = settings.storage_url is None and media.is_dir() and any(p.is_file() for p in media.rglob("*"))
    return has_db or has_media


def clear(settings: Settings) -> None:
    """Remove the embedded database and the local recordings: what `--force` replaces."""
    pgdata = settings.data_dir / "pg"
    if pgdata.exists() and EmbeddedPostgres(pgdata).postmaster_pid() is not None:
        raise BackupError(f"a server is running on {settings.data_dir}; stop it before restoring over it")
    shutil.rmtree(pgdata, ignore_errors=True)
    if settings.storage_url is None:
        shutil.rmtree(settings.data_dir / "media", ignore_errors=True)


def restore_database(url: str, dump_path: Path, counts: dict[str, int]) -> None:
    run_tool([pg_tool("pg_restore"), "--exit-on-error", "--no-owner", f"--dbname={url}", str(dump_path)])
    with psycopg.connect(url) as conn:
        for table, want in counts.items():
            row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # names from the manifest, quoted
            if row is None or int(row[0]) != want:
                raise BackupError(f"restored {table} has {row[0] if row else '?'} rows, the backup {want}")


def _prepare(settings: Settings, path: Path, force: bool) -> tuple[dict[str, Any], Path]:
    """The archive's verified manifest and a work folder in a data dir that is empty (or emptied: `force`)."""
    refuse_cluster(settings, "restore")
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    with tarfile.open(path, "r:") as tar:
        manifest = read_manifest(tar)
        check_revision(manifest.get("schemaRevision"))
        verify(tar, manifest)
    if holds_data(settings):
        if not force:
            raise BackupError(f"{settings.data_dir} already holds data; restore into an empty data dir "
                              "or pass --force to replace it")
        clear(settings)
    private_dir(settings.data_dir, tighten_existing=False)
    return manifest, Path(tempfile.mkdtemp(prefix=".conduit-restore-", dir=settings.data_dir))


async def restore(settings: Settings, path: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore the archive at `path` into `settings.data_dir`; return its manifest."""
    manifest, work = await asyncio.to_thread(_prepare, settings, path, force)
    try:
        with tarfile.open(path, "r:") as tar:
            dump_path = work / DUMP
            await asyncio.to_thread(_extract, tar, DUMP, dump_path)

            def database() -> None:
                with embedded_database(settings.data_dir) as url:
                    restore_database(url, dump_path, {k: int(v) for k, v in manifest["counts"].items()})
                    upgrade(url)

            await asyncio.to_thread(database)
            blobs = blob_store(settings)
            for name in manifest["parts"]:
                if name.startswith(MEDIA):
                    blob = work / "blob"
                    await asyncio.to_thread(_extract, tar, name, blob)
                    await blobs.put_file(media_key(name), blob)
                    blob.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _extract(tar: tarfile.TarFile, name: str, target: Path) -> None:
    stream = tar.extractfile(name)
    assert stream is not None
    with target.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
