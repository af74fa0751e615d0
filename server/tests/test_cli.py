"""The admin CLI: on the embedded default, keys are created in the default workspace with its webhook secret and
a revoked key stops working; workspaces are created and disabled, and keys are listed without their secrets."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx


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


async def _admin(data_dir: Path, database_url: str, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI against the test database (CONDUIT_DATABASE_URL: no embedded server to start)."""
    argv = [sys.executable, "-m", "conduit_server.cli", command, "--data-dir", str(data_dir), *args]
    env = {**os.environ, "CONDUIT_DATABASE_URL": database_url}
    return await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=120, check=False,
                                   env=env)


async def test_workspaces_and_key_listing(tmp_path: Path, database_url: str, client: httpx.AsyncClient) -> None:
    created = await _admin(tmp_path, database_url, "workspace", "create", "acme")
    assert created.returncode == 0, created.stderr[-2000:]
    workspace_id = _values(created.stdout)["CONDUIT_WORKSPACE_ID"]
    assert workspace_id.startswith("ws_")
    made = await _admin(tmp_path, database_url, "keys", "create", "--workspace", workspace_id, "--label", "ci")
    secrets = _values(made.stdout)
    api_key, webhook_secret = secrets["CONDUIT_API_KEY"], secrets["CONDUIT_WEBHOOK_SECRET"]
    key_id = next(part for part in made.stderr.split() if part.startswith("key_"))

    async def listed() -> list[list[str]]:
        out = await _admin(tmp_path, database_url, "keys", "list", "--workspace", workspace_id)
        assert out.returncode == 0, out.stderr[-2000:]
        assert api_key not in out.stdout + out.stderr and webhook_secret not in out.stdout + out.stderr
        header, *rows = [line.split("\t") for line in out.stdout.splitlines()]
        assert header == ["KEY_ID", "PREFIX", "WORKSPACE_ID", "WORKSPACE", "CREATED", "REVOKED", "LABEL"]
        return rows

    ((row_id, prefix, row_ws, name, created_at, revoked_at, label),) = await listed()
    assert (row_id, row_ws, name, revoked_at, label) == (key_id, workspace_id, "acme", "-", "ci")
    assert prefix == api_key[:8] + "..." and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", created_at)

    auth = {"Mappa-Api-Key": api_key}
    assert (await client.get("/v1/files", headers=auth)).status_code == 200
    disabled = await _admin(tmp_path, database_url, "workspace", "disable", workspace_id)
    assert (disabled.returncode, disabled.stdout.strip()) == (0, "disabled")
    refused = await client.get("/v1/files", headers=auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"  # docs/api.md §7.2
    assert (await listed())[0][3] == "acme (disabled)"
    assert (await _admin(tmp_path, database_url, "workspace", "enable", workspace_id)).returncode == 0
    assert (await client.get("/v1/files", headers=auth)).status_code == 200

    assert (await _admin(tmp_path, database_url, "keys", "revoke", key_id)).returncode == 0
    assert (await listed())[0][5] != "-"
    assert (await client.get("/v1/files", headers=auth)).status_code == 401
    unknown = await _admin(tmp_path, database_url, "workspace", "disable", "ws_nope00000000000000000000")
    assert (unknown.returncode, unknown.stdout.strip()) == (1, "no such workspace")
