"""Peak memory and wall time of the speech pipeline on long recordings, printed as JSON.

    .venv/bin/python bench/memory.py                  # 1 h and 4 h files
    .venv/bin/python bench/memory.py --hours 1        # only 1 h
    .venv/bin/python bench/memory.py --speech-every 0 # pure faint noise, no speech at all

Each file is faint white noise with the generated ~60 s interview every `--speech-every` minutes (FLAC, made
once with sox and cached in .cache/bench-memory). Each run is a fresh subprocess: it loads the models, then resets
its peak-RSS counter (/proc/self/clear_refs), so `run_peak_rss_mb` is what the run itself added on top of the
loaded models (`loaded_rss_mb`); `peak_rss_mb` is the child's ru_maxrss, models included. Holding the decoded audio
in memory would cost 16000 * 4 bytes per second: `full_array_mb`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server" / "tests"))  # the test-audio generator lives with the tests

SAMPLE_RATE = 16000
SEGMENT_MINUTES = 10.0


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def build(hours: float, speech_every: float, cache: Path) -> Path:
    """A FLAC file of `hours`: segments of faint noise, each starting with the interview when speech_every > 0."""
    from fixtures import speech

    name = f"long-{hours:g}h-speech{speech_every:g}.flac"
    out = cache / name
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    seg_s = speech_every * 60 if speech_every > 0 else SEGMENT_MINUTES * 60
    rng = np.random.default_rng(0)
    seg = (rng.standard_normal(int(seg_s * SAMPLE_RATE)) * 3e-4).astype(np.float32)
    if speech_every > 0:
        clip = speech._read_wav(speech.interview().path)
        seg[: len(clip)] += clip[: len(seg)]
    repeats = int(round(hours * 3600 / seg_s))
    with tempfile.TemporaryDirectory() as tmp:
        seg_path = Path(tmp) / "segment.wav"
        speech._write_wav(seg_path, seg)
        part = out.with_suffix(".part.flac")
        subprocess.run(["sox", str(seg_path), str(part), "repeat", str(repeats - 1)], check=True)
        part.rename(out)
    return out


def child(path: Path, models_dir: Path) -> None:
    from conduit_server.pipeline.models import Models
    from conduit_server.pipeline.pipeline import SpeechPipeline

    models = Models(models_dir)
    models.load_all()
    loaded = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS, so the peak below is the run's own
    t0 = time.perf_counter()
    result = SpeechPipeline(models, language="en").run(path)
    wall = time.perf_counter() - t0
    print(json.dumps({
        "duration_s": result.duration_seconds,
        "wall_s": round(wall, 1),
        "stage_seconds": result.stage_seconds,
        "loaded_rss_mb": round(loaded, 1),
        "run_peak_rss_mb": round(_status_mb("VmHWM") - loaded, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "speakers": len(result.speakers),
        "utterances": len(result.utterances),
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=float, nargs="+", default=[1.0, 4.0])
    ap.add_argument("--speech-every", type=float, default=SEGMENT_MINUTES, metavar="MINUTES")
    ap.add_argument("--models-dir", type=Path, default=REPO / ".cache" / "models")
    ap.add_argument("--cache", type=Path, default=REPO / ".cache" / "bench-memory")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child, args.models_dir)
        return
    results = []
    for hours in args.hours:
        path = build(hours, args.speech_every, args.cache)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--child", str(path), "--models-dir", str(args.models_dir)],
                              check=True, capture_output=True, text=True)
        row = {"hours": hours, "file": str(path), "file_mb": round(path.stat().st_size / 2**20, 1),
               "full_array_mb": round(hours * 3600 * SAMPLE_RATE * 4 / 2**20, 1),
               "child_wall_s": round(time.perf_counter() - t0, 1)}
        row |= json.loads(done.stdout.strip().splitlines()[-1])
        results.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
