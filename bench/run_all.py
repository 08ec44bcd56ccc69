"""Run every benchmark with its default (reference) settings, one after another.

Each benchmark prints its own figures and ratios; this script only sequences them and reports
which ones exited non-zero (a benchmark exits non-zero when it misses its stated target).

    python bench/run_all.py [--quick]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES = [
    ("deid_mcadams.py", [], ["--seconds", "10"]),
    ("deid_throughput.py", [], ["--recordings", "1"]),
    ("pii_text.py", [], ["--sentences", "50", "--rounds", "1"]),
    ("asr_hypothesis_engine.py", [], ["--utterances", "6", "--leak-sentences", "2"]),
    ("audit_verify.py", [], ["--events", "100000"]),
    ("erasure.py", [], ["--snippets", "1000"]),
    ("ingest_rows.py", [], ["--rows", "2000"]),
    ("pipeline_scaling.py", [], ["--recordings", "4", "--seconds-each", "10"]),
    ("review_queue.py", [], ["--sizes", "10000", "--seconds", "10"]),
    ("review_http.py", [], ["--queued", "10000", "--seconds", "5", "--loops", "50", "--runs", "1", "--no-label-studio"]),
    ("load_reviewers.py", [], ["--reviewers", "40", "--seconds", "20"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run of the benches")
    args = parser.parse_args()
    failed = []
    for script, full, quick in BENCHES:
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n=== {script} {' '.join(command[2:])}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(command)
        print(f"=== {script}: exit {result.returncode} after {time.perf_counter() - started:.0f} s", flush=True)
        if result.returncode != 0:
            failed.append(script)
    print("\nmissed targets or failed:", ", ".join(failed) if failed else "none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
