"""`conduit check`: one ok/FAIL line per check and a non-zero exit when any failed, for a good configuration, an
unreachable database, a database `conduit migrate` has not reached, and a setting that does not parse."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from server_testkit import _admin, _with_database, models_dir

CHECKS = ["settings", "database", "migrations", "storage", "models"]


def _check(tmp: Path, *args: str, **env: str) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Run `conduit check --data-dir TMP ARGS` with only the given CONDUIT_* variables; (exit status, each
    check's (ok|FAIL, detail) by name, stderr)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONDUIT_")}
    argv = [sys.executable, "-m", "conduit_server.cli", "check", "--data-dir", str(tmp), *args]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False, env={**clean, **env})
    lines = {}
    for line in out.stdout.splitlines():
        verdict, name, detail = line.split(None, 2)
        lines[name] = (verdict, detail)
    return out.returncode, lines, out.stderr


def test_good_settings_pass_every_check_and_load_the_models(tmp_path: Path, database_url: str) -> None:
    code, lines, stderr = _check(tmp_path, CONDUIT_DATABASE_URL=database_url, CONDUIT_MODELS_DIR=str(models_dir()))
    assert code == 0, (lines, stderr[-2000:])
    assert list(lines) == CHECKS and all(verdict == "ok" for verdict, _ in lines.values())
    assert "loaded in" in lines["models"][1]
    assert "file://" in lines["storage"][1]
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]  # the probe object is gone


def test_no_models_skips_loading_them(tmp_path: Path, database_url: str) -> None:
    code, lines, stderr = _check(tmp_path, "--no-models", CONDUIT_DATABASE_URL=database_url)
    assert code == 0, (lines, stderr[-2000:])
    assert lines["models"] == ("ok", "skipped (--no-models)")


def test_unreachable_database_fails_quickly_and_says_why(tmp_path: Path) -> None:
    started = time.monotonic()
    code, lines, _ = _check(tmp_path, "--no-models",
                            CONDUIT_DATABASE_URL="postgresql://conduit:Pa55word@127.0.0.1:1/conduit")
    assert code == 1 and time.monotonic() - started < 30
    assert lines["settings"][0] == "ok" and "postgresql://***@127.0.0.1:1/conduit" in lines["settings"][1]
    verdict, detail = lines["database"]
    assert verdict == "FAIL" and "port 1" in detail and "refused" in detail.lower()
    assert lines["migrations"] == ("FAIL", "unknown: the database is not reachable")
    assert lines["storage"][0] == "ok"  # the other checks still answer
    assert "Pa55word" not in str(lines)


def test_unmigrated_database_fails_the_migrations_check(tmp_path: Path, server_url: str) -> None:
    name = "conduit_t_empty_" + uuid.uuid4().hex[:8]
    _admin(server_url, f"CREATE DATABASE {name}")
    code, lines, _ = _check(tmp_path, "--no-models", CONDUIT_DATABASE_URL=_with_database(server_url, name))
    assert code == 1
    assert lines["database"][0] == "ok"
    verdict, detail = lines["migrations"]
    assert verdict == "FAIL" and "schema at no migration, this build needs" in detail


def test_an_invalid_setting_is_named_and_fails(tmp_path: Path, database_url: str) -> None:
    code, lines, stderr = _check(tmp_path, "--no-models", CONDUIT_PORT="eighty")
    assert code == 1 and "Traceback" not in stderr
    assert lines == {"settings": ("FAIL", "CONDUIT_PORT must be a int, got 'eighty'")}  # nothing else ran
    code, lines, _ = _check(tmp_path, "--no-models", CONDUIT_LOG_FORMAT="xml")
    assert code == 1 and lines["settings"] == ("FAIL", "CONDUIT_LOG_FORMAT must be text or json, got 'xml'")
    code, lines, _ = _check(tmp_path, "--no-models", CONDUIT_PORT="70000", CONDUIT_DATABASE_URL=database_url)
    assert code == 1 and lines["settings"] == ("FAIL", "CONDUIT_PORT must be between 1 and 65535, got 70000")
    assert lines["database"][0] == "ok"  # parsed settings with a bad value: the other checks still run
