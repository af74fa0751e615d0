"""Schemathesis over every operation of a real `conduit serve` with a large budget (server/tests/api/test_fuzz.py
runs the same with a small one). Prints schemathesis' report (phases, API links covered, a curl reproduction per
failure) on stderr, then a JSON summary (cases, failures, warnings) and any server traceback. Exit status 1 on
failures.

Usage: python bench/fuzz.py [--max-examples 100] [--seed N] [--workers 2] [--max-time SECONDS] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server" / "tests"))
from fuzzing import fuzz_server, run_schemathesis  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=100, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=None, help="default: a fresh random seed (printed)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-time", type=int, default=None, help="stop after this many seconds")
    parser.add_argument("--out", type=Path, default=None, help="keep schemathesis' reports here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    out = args.out or Path(tempfile.mkdtemp(prefix="conduit-fuzz-report-"))
    out.mkdir(parents=True, exist_ok=True)
    extra = ("--max-time", str(args.max_time)) if args.max_time else ()
    with fuzz_server() as server:
        run = run_schemathesis(server, out, max_examples=args.max_examples, seed=seed, workers=args.workers,
                               timeout_s=(args.max_time or 3600) + 600, extra=extra)
        log = server.log_tail(chars=10**8)
    tracebacks = log.count("Traceback")
    summary = {"seed": seed, "max_examples": args.max_examples, **run.summary(), "server_tracebacks": tracebacks,
               "report": str(out / "schemathesis.json")}
    print(run.output, file=sys.stderr)  # schemathesis' own report: phases, links covered, each failure's curl
    print(json.dumps(summary, indent=2))
    if run.failures or run.returncode != 0 or tracebacks:
        if tracebacks:
            print(log[log.index("Traceback") - 2000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
