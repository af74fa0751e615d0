"""The admin CLI on the embedded default: keys are created in the default workspace with its webhook secret,
and a revoked key stops working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _conduit(data_dir: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`conduit <command> --data-dir DIR <args...>` (options of a command come before its subcommand)."""
    argv = [sys.executable, "-m", "conduit_server.cli", command, "--data-dir", str(data_dir), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def _values(out: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line and not line.startswith("#"))


def test_keys_create_and_revoke(tmp_path: Path) -> None:
    migrated = _conduit(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    first = _conduit(tmp_path, "keys", "create")
    second = _conduit(tmp_path, "keys", "create", "--label", "ci")
    assert first.returncode == 0 and second.returncode == 0, (first.stderr[-2000:], second.stderr[-2000:])
    a, b = _values(first.stdout), _values(second.stdout)
    assert a["CONDUIT_API_KEY"].startswith("sk_") and a["CONDUIT_API_KEY"] != b["CONDUIT_API_KEY"]
    assert a["CONDUIT_WEBHOOK_SECRET"].startswith("whsec_")
    assert a["CONDUIT_WEBHOOK_SECRET"] == b["CONDUIT_WEBHOOK_SECRET"]  # one secret per workspace
    key_id = next(part for part in first.stderr.split() if part.startswith("key_"))
    assert _conduit(tmp_path, "keys", "revoke", key_id).returncode == 0
    assert _conduit(tmp_path, "keys", "revoke", key_id).returncode == 1  # already revoked
    assert not list(tmp_path.glob("pg/postmaster.pid"))  # the embedded server was stopped each time
