"""End-to-end fixtures: ONE real `conduit serve` process per session (own embedded PostgreSQL in its data dir),
ONE webhook receiver, and the shared two-speaker recording. Each full report job runs the real speech models,
so the modules share processed media wherever they can."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from conduit import Conduit

from e2e.receiver import WebhookReceiver
from e2e.server_process import ServerProcess, wait_until


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end to end against a real server process (runs the speech models)")


@pytest.fixture(scope="session")
def conduit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("e2e-server") / "data")
    server.start()
    try:
        yield server
    finally:
        code = server.stop()
        full_log = server.log_tail(chars=10**8)
        log = full_log[-4000:]
        assert server.exit_seconds is not None, f"server ignored SIGTERM for 10 s:\n{log}"
        # uvicorn re-raises the SIGTERM it handled once shutdown is complete, so -15 is a clean exit too
        assert code in (0, -signal.SIGTERM), f"server exited with {code}:\n{log}"
        assert "Application shutdown complete" in log, log
        assert "Traceback" not in full_log, full_log[full_log.index("Traceback") - 2000:][:6000]
        assert wait_until(lambda: not server.leftover_postgres(), timeout=5), server.leftover_postgres()


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


@pytest.fixture(scope="session")
def speech_path() -> Path:
    from fixtures.speech import two_speaker_short

    return two_speaker_short().path


@pytest.fixture(scope="session")
def sdk(conduit_server: ServerProcess) -> Iterator[Conduit]:
    with Conduit(api_key=conduit_server.api_key, base_url=conduit_server.base_url) as client:
        yield client
