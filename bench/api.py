"""API and end-to-end latency on the embedded default. Prints JSON.

1. Starts `conduit serve --no-workers` (embedded PostgreSQL in a temp dir), uploads a generated conversation and
   creates N report jobs one after another: job-creation latency p50/p90/p99 (what a client waits for a receipt).
2. Cancels those (queued jobs cancel at once), starts `conduit worker`, uploads a fresh copy and creates one job
   with a webhook to a local receiver: seconds from job creation to the signed webhook (decode, diarize,
   transcribe, score, render, deliver; the models' first load included).

Usage: python bench/api.py [--jobs 200] [--models-dir .cache/models]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server" / "tests"))
from fixtures.speech import two_speaker_short  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class _Hook(BaseHTTPRequestHandler):
    arrivals: list[float] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", "0")))
        _Hook.arrivals.append(time.monotonic())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--models-dir", default=str(ROOT / ".cache" / "models"))
    args = parser.parse_args()
    conduit = str(Path(sys.executable).parent / "conduit")
    with tempfile.TemporaryDirectory(prefix="conduit-bench-") as tmp:
        key, port = "sk_bench" + secrets.token_hex(12), _port()
        env = {**os.environ, "CONDUIT_DATA_DIR": tmp, "CONDUIT_PORT": str(port), "CONDUIT_BOOTSTRAP_API_KEY": key,
               "CONDUIT_MODELS_DIR": args.models_dir, "CONDUIT_LOG_LEVEL": "warning"}
        api = subprocess.Popen([conduit, "serve", "--no-workers"], env=env)
        worker = None
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, headers={"Mappa-Api-Key": key}, timeout=30) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get("/v1/health/ping").status_code == 200:
                            break
                    except httpx.HTTPError:
                        if time.monotonic() > deadline:
                            raise
                    time.sleep(0.2)
                audio = two_speaker_short().path.read_bytes()
                media_id = client.post("/v1/files", files={"file": ("a.wav", audio)}).json()["mediaId"]
                body = {"media": {"mediaId": media_id}, "output": {"template": "general_report"},
                        "target": {"strategy": "dominant"}}
                latencies, job_ids = [], []
                for _ in range(args.jobs):
                    t0 = time.perf_counter()
                    r = client.post("/v1/reports/jobs", json=body)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    job_ids.append(r.json()["jobId"])
                for job_id in job_ids:
                    client.post(f"/v1/jobs/{job_id}/cancel")
                client.delete(f"/v1/files/{media_id}")

                hooks = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
                threading.Thread(target=hooks.serve_forever, daemon=True).start()
                worker = subprocess.Popen([conduit, "worker"], env=env)
                media_id = client.post("/v1/files", files={"file": ("b.wav", audio)}).json()["mediaId"]
                created = time.monotonic()
                client.post("/v1/reports/jobs", json={
                    **body, "media": {"mediaId": media_id},
                    "webhook": {"url": f"http://127.0.0.1:{hooks.server_address[1]}/hook"}})
                while not _Hook.arrivals and time.monotonic() - created < 600:
                    time.sleep(0.05)
                hooks.shutdown()
            print(json.dumps({
                "job_create_ms": {"n": len(latencies), "p50": round(statistics.median(latencies), 2),
                                  "p90": round(_percentile(latencies, 0.9), 2),
                                  "p99": round(_percentile(latencies, 0.99), 2)},
                "audio_seconds": round(len(audio) / 32000, 1),
                "creation_to_webhook_s": round(_Hook.arrivals[0] - created, 2) if _Hook.arrivals else None,
            }, indent=2))
        finally:
            for proc in (worker, api):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=30)


if __name__ == "__main__":
    main()
