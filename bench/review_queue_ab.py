"""The review queue's next+submit latency, this tree against an earlier revision, in one run.

    .venv/bin/python bench/review_queue_ab.py --base REV [--size 100000] [--pairs 3] [--rounds 400]

For a refactor that must not slow the queue: each revision runs its own `bench/review_queue.py`
(its own code, its own bench, on the same PostgreSQL database re-created for every run), at one
size, alternating base, head, base, head ... so both sides see the same machine at the same
time. Prints each run's p50/p95 and the ratio of the medians, head over base (below 1.0: faster).
The base revision is checked out with `git worktree` into a temporary folder and removed after.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
# The bench's result line: "   100000    31.2    3.10    4.85 ..." (queued, load s, p50, p95, ...).
ROW = re.compile(r"^\s*(\d+)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s")


def run_bench(tree: Path, size: int, rounds: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run(
        [sys.executable, str(tree / "bench" / "review_queue.py"), "--sizes", str(size), "--rounds", str(rounds),
         "--http-runs", "1", "--seconds", "2"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=3600,
    )
    for line in out.stdout.splitlines():
        match = ROW.match(line)
        if match and int(match.group(1)) == size:
            return float(match.group(2)), float(match.group(3))
    raise SystemExit(f"no latency row from {tree}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the revision to compare against (a commit, tag or branch)")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=3, help="base/head pairs, alternating")
    parser.add_argument("--rounds", type=int, default=400, help="next+submit pairs timed per run")
    args = parser.parse_args(argv)
    base_rev = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=HERE, capture_output=True,
                              text=True, check=True).stdout.strip()
    head_rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                              text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="qr-ab-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), base_rev], cwd=HERE,
                       capture_output=True, check=True)
        try:
            results = {"base": [], "head": []}
            print(f"review queue next+submit at {args.size} queued, base {base_rev} vs head {head_rev} "
                  f"(working tree), {args.pairs} pairs, {args.rounds} rounds each")
            for i in range(args.pairs):
                for side, tree in (("base", base_tree), ("head", HERE)):
                    p50, p95 = run_bench(tree, args.size, args.rounds)
                    results[side].append((p50, p95))
                    print(f"  run {i + 1} {side}: p50 {p50:.2f} ms, p95 {p95:.2f} ms", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=HERE, capture_output=True)
    median = {side: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
              for side, runs in results.items()}
    ratio50, ratio95 = (median["head"][0] / median["base"][0], median["head"][1] / median["base"][1])
    print(f"median p50: base {median['base'][0]:.2f} ms, head {median['head'][0]:.2f} ms, head/base {ratio50:.3f}")
    print(f"median p95: base {median['base'][1]:.2f} ms, head {median['head'][1]:.2f} ms, head/base {ratio95:.3f}")
    within = ratio95 <= 1.10
    print(f"p95 within 10% of base: {'yes' if within else 'NO'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
