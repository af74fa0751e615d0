"""`make demo`: start the embedded Conduit server, run one real report job on a generated two-speaker
conversation with a webhook target, print the report markdown and the signed webhook, then keep serving.

Environment: CONDUIT_PORT (default 8000), CONDUIT_DATA_DIR (default ./data), DEMO_EXIT=1 to stop afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from conduit import Conduit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server" / "tests"))
from fixtures.speech import two_speaker_short  # noqa: E402  (the test-audio generator, flite voices)


def free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def credentials(data_dir: Path) -> dict[str, str]:
    """One demo key + webhook secret per data dir, created on first run and reused."""
    path = data_dir / "demo-credentials.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    creds = {"api_key": "sk_demo" + secrets.token_hex(16), "webhook_secret": "whsec_" + secrets.token_urlsafe(24)}
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(creds))
    path.chmod(0o600)
    return creds


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes, float]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        Receiver.received.append((dict(self.headers), body, time.monotonic()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def wait_ready(base_url: str, server: subprocess.Popen[bytes], deadline_s: float = 180.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"conduit serve exited with code {server.returncode}")
        try:
            if httpx.get(f"{base_url}/v1/health/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not become ready in time")


def main() -> None:
    data_dir = Path(os.environ.get("CONDUIT_DATA_DIR", ROOT / "data")).resolve()
    port = free_port(int(os.environ.get("CONDUIT_PORT", "8000")))
    creds = credentials(data_dir)
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CONDUIT_DATA_DIR": str(data_dir), "CONDUIT_PORT": str(port),
           "CONDUIT_BOOTSTRAP_API_KEY": creds["api_key"], "CONDUIT_BOOTSTRAP_WEBHOOK_SECRET": creds["webhook_secret"],
           "CONDUIT_LOG_LEVEL": os.environ.get("CONDUIT_LOG_LEVEL", "warning")}
    conduit_bin = Path(sys.executable).parent / "conduit"
    print(f"==> starting the embedded Conduit server (data in {data_dir})", flush=True)
    server = subprocess.Popen([str(conduit_bin), "serve"], env=env)
    try:
        wait_ready(base_url, server)
        hooks = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=hooks.serve_forever, daemon=True).start()
        hook_url = f"http://127.0.0.1:{hooks.server_address[1]}/webhooks/conduit"

        print("==> generating a two-speaker conversation (flite voices)", flush=True)
        conversation = two_speaker_short(cache_dir=data_dir / "demo-audio")
        client = Conduit(api_key=creds["api_key"], base_url=base_url)
        started = time.monotonic()
        receipt = client.reports.create(
            source={"path": str(conversation.path), "label": "demo-conversation"},
            output={"template": "general_report"},
            target={"strategy": "dominant"},
            webhook={"url": hook_url, "headers": {"x-tenant-id": "demo"}},
        )
        created = time.monotonic()
        print(f"==> job {receipt.job_id} created in {1000 * (created - started):.0f} ms (upload included); "
              "waiting for it (decode, diarize, transcribe, score, render)", flush=True)
        for event in receipt.handle.stream(timeout_ms=600_000):
            detail = f" stage={event.stage}" if event.stage else ""
            print(f"    event {event.type}{detail} progress={event.job.progress}", flush=True)
        report = receipt.handle.report()
        assert report is not None
        print("\n==> report markdown\n")
        print(report.output.markdown)

        deadline = time.monotonic() + 60
        while not Receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        if not Receiver.received:
            raise SystemExit("no webhook arrived within 60 s")
        headers, body, arrived = Receiver.received[0]
        client.webhooks.verify_signature(body, headers, secret=creds["webhook_secret"])
        event = client.webhooks.parse_event(body)
        print("==> webhook received and verified (conduit-signature, workspace secret)")
        print(f"    {event.type} id={event.id} data={json.dumps(event.data)}")
        print(f"    x-tenant-id={headers.get('x-tenant-id') or headers.get('X-Tenant-Id')}")
        print(f"==> job creation to webhook: {arrived - created:.1f} s")
        client.close()
        if os.environ.get("DEMO_EXIT"):
            return
        print(f"\nConduit is running at {base_url}\n  CONDUIT_API_KEY={creds['api_key']}\n"
              f"  CONDUIT_WEBHOOK_SECRET={creds['webhook_secret']}\n"
              f"Web console: {base_url}/console (sign in with the API key above)\nCtrl-C stops it.", flush=True)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
