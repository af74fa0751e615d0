"""Benchmark the speech pipeline on one recording and print JSON.

    .venv/bin/python bench/pipeline.py                 # generated ~60 s two-speaker interview
    .venv/bin/python bench/pipeline.py --long 10       # generated ~10 min two-speaker conversation
    .venv/bin/python bench/pipeline.py --path rec.mp4  # any file (no accuracy scores)

Prints per-stage seconds, RTF (wall time / audio duration, model loading excluded and reported apart), peak RSS,
and for generated conversations WER, diarization accuracy and the speaker count against the truth.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server" / "tests"))  # the test-audio generator lives with the tests

from conduit_server.pipeline.models import Models  # noqa: E402
from conduit_server.pipeline.pipeline import SpeechPipeline  # noqa: E402
from fixtures import speech  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", type=Path, help="analyse this file instead of a generated one")
    ap.add_argument("--long", type=float, metavar="MINUTES", help="generate a two-speaker file this long")
    ap.add_argument("--container", default="wav", choices=speech.CONTAINERS)
    ap.add_argument("--models-dir", type=Path, default=REPO / ".cache" / "models")
    ap.add_argument("--asr-model", type=Path, help="CTranslate2 Whisper folder instead of the bundled base")
    ap.add_argument("--beam", type=int, default=1, help="ASR beam size (server default 1)")
    ap.add_argument("--language", default="en")
    args = ap.parse_args()

    conv = None
    if args.path is not None:
        path = args.path
    elif args.long:
        conv = speech.long_conversation(args.long, container=args.container)
        path = conv.path
    else:
        conv = speech.interview(container=args.container)
        path = conv.path

    models = Models(args.models_dir, asr_model_dir=args.asr_model, beam_size=args.beam)
    t0 = time.perf_counter()
    models.load_all()
    load_s = time.perf_counter() - t0
    pipeline = SpeechPipeline(models, language=args.language or None)
    t0 = time.perf_counter()
    result = pipeline.run(path)
    wall = time.perf_counter() - t0

    out: dict[str, object] = {
        "file": str(path),
        "duration_s": result.duration_seconds,
        "load_s": round(load_s, 2),
        "wall_s": round(wall, 2),
        "rtf": round(wall / max(result.duration_seconds, 1e-9), 4),
        "stage_seconds": result.stage_seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "speakers": len(result.speakers),
        "utterances": len(result.utterances),
        "beam": args.beam,
    }
    if conv is not None:
        hyp = " ".join(u.text for u in result.utterances)
        spans = [(u.start, u.end, u.speaker_index) for u in result.utterances]
        out |= {
            "true_speakers": conv.speaker_count,
            "wer": round(speech.wer(conv.text, hyp), 4),
            "diarization_accuracy": round(speech.diarization_accuracy(conv, spans), 4),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
