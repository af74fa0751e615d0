"""The real server as a child process: `conduit serve` on a free port with its own embedded PostgreSQL under its
data dir (the README's one-command setup), bootstrap key and secret from the environment.

`stop()` sends SIGTERM and checks the process exits in time and leaves no PostgreSQL behind.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[3]
MODELS_DIR = Path(os.environ.get("CONDUIT_TEST_MODELS_DIR", REPO / ".cache" / "models"))
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment without any CONDUIT_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUIT_")}
    env.update(extra)
    return env


def processes_mentioning(needle: str) -> list[tuple[int, str]]:
    """(pid, cmdline) of live processes whose command line contains `needle` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmd:
            found.append((int(entry.name), cmd.strip()))
    return found


def wait_until(check, *, timeout: float, interval: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())


@dataclass
class ServerProcess:
    data_dir: Path
    port: int = field(default_factory=free_port)
    api_key: str = field(default_factory=lambda: "sk_" + secrets.token_hex(16))
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None
    exit_seconds: float | None = None
    env: dict[str, str] = field(default_factory=dict)  # extra CONDUIT_* settings for this server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / "server.log"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> None:
        env = clean_env(
            CONDUIT_MODELS_DIR=str(MODELS_DIR),
            CONDUIT_BOOTSTRAP_API_KEY=self.api_key,
            CONDUIT_BOOTSTRAP_WEBHOOK_SECRET=self.webhook_secret,
            CONDUIT_WEBHOOK_ALLOW_LOOPBACK="true",
            **self.env,
        )
        conduit = Path(sys.executable).parent / "conduit"
        cmd = [str(conduit), "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--data-dir", str(self.data_dir)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.data_dir.parent
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"conduit serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + "/v1/health/ping", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"conduit serve did not answer /v1/health/ping within {START_TIMEOUT_S}s:\n{self.log_tail()}"
        )

    def stop(self) -> int | None:
        """SIGTERM; wait up to STOP_TIMEOUT_S (then SIGKILL). Returns the exit code, sets `exit_seconds`."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT_S)
            self.exit_seconds = time.monotonic() - started
            return code
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            self.exit_seconds = None
            return None

    def leftover_postgres(self) -> list[tuple[int, str]]:
        pgdata = str((self.data_dir / "pg").resolve())
        return [p for p in processes_mentioning(pgdata) if "postgres" in p[1]]
