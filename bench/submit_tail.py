"""Why some submits are slow: every submit of one reviewer, in process, with the branches it took.

    PYTHONPATH=src .venv/bin/python bench/submit_tail.py [--queued 100000] [--loops 300] [--hold SECONDS]

The same database and harness as `bench/review_http.py --profile-only` (a fresh PostgreSQL
database named after this process, so two runs never share one; `--queued` tasks, gold snippets,
overlap on) and the same in-process round trips (bench/_profile_room.py: Django's test client,
page, stream, submit). Each submit is timed alone (wall and Python CPU), with its statements and
their database time, and what it did besides the ordinary path:

- `gold-lease`: the next task was a gold check (`queue._lease_gold` ran; `+miss` when it ran but
  leased nothing and the ordinary queue was asked after all);
- `gold-score`: the submit handed in a gold check and it was scored (`quality.after_submission`);
- `agreement`: the submitted snippet has other review slots, so agreement was looked at;
- `checkpoint`: an audit checkpoint was signed after the commit (`audit.log._checkpoint_after_commit`);
- `gc`: Python's cyclic garbage collector ran during the request (its generation and ms).

Printed: wall p50/p95/max, the submits above p90 with their branches, and per branch how many
submits took it and their median wall time. `--hold S` keeps the database for S seconds after
the run (its URL printed) for EXPLAIN ANALYZE by hand.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _support  # noqa: E402
from _http_client import percentile  # noqa: E402


class Branches:
    """What the current request did, set by the wrapped functions below."""

    def __init__(self):
        self.taken: list[str] = []
        self.gc_ms = 0.0
        self._gc_started = 0.0

    def reset(self):
        self.taken, self.gc_ms = [], 0.0

    def on_gc(self, phase, info):
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            ms = (time.perf_counter() - self._gc_started) * 1000
            self.gc_ms += ms
            self.taken.append(f"gc{info['generation']}")


def instrument(branches: Branches) -> None:
    from quietroom.audit import log
    from quietroom.review import quality, queue

    lease_gold = queue._lease_gold

    def _lease_gold(*args, **kwargs):
        task = lease_gold(*args, **kwargs)
        branches.taken.append("gold-lease" if task is not None else "gold-lease+miss")
        return task

    queue._lease_gold = _lease_gold

    after = quality.after_submission

    def after_submission(submission, *, overlapped=None, **kwargs):
        if submission.task.is_gold:
            branches.taken.append("gold-score")
        elif overlapped is not False:
            branches.taken.append("agreement")
        return after(submission, overlapped=overlapped, **kwargs)

    quality.after_submission = after_submission

    checkpoint = log._checkpoint_after_commit

    def _checkpoint_after_commit():
        started = time.perf_counter()
        checkpoint()
        branches.taken.append(f"checkpoint({(time.perf_counter() - started) * 1000:.1f}ms)")

    log._checkpoint_after_commit = _checkpoint_after_commit
    gc.callbacks.append(branches.on_gc)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument("--loops", type=int, default=300)
    parser.add_argument("--trace", action="store_true",
                        help="also list the statements (and their callers) of the first submit of each branch")
    parser.add_argument("--hold", type=float, default=0.0, help="keep the database this many seconds after the run")
    args = parser.parse_args(argv)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    with _support.bench_environment("tail"):
        from django.db import connection

        import _profile_room
        from review_http import QuietRoom, set_up_quietroom

        t0 = time.time()
        quietroom = QuietRoom(set_up_quietroom(args.queued, 2), [])
        print(f"{args.queued} queued loaded in {time.time() - t0:.0f} s", flush=True)
        quietroom.prepare(2 * args.loops + 40)
        room = _profile_room.Room(quietroom.reviewers[0])
        for _ in range(10):  # warm-up
            state = {}
            for name in _profile_room.STEPS:
                room.step(name, state)
        branches = Branches()
        instrument(branches)
        rows, traced = [], {}
        for i in range(args.loops):
            state = {}
            room.step("page", state)
            room.step("stream", state)
            statements = _profile_room.Statements(with_callers=args.trace)
            branches.reset()
            with connection.execute_wrapper(statements):
                started, started_cpu = time.perf_counter(), time.process_time()
                room.step("submit", state)
                wall = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - started_cpu) * 1000
            db = sum(s[1] for s in statements.calls)
            scan = sum(s[1] for s in statements.calls if "seconds_today" in s[0])
            rows.append((i, wall, cpu, db, len(statements.calls), scan, tuple(branches.taken), branches.gc_ms))
            kinds = tuple(sorted(set(t.split("(")[0] for t in branches.taken if not t.startswith("gc"))))
            if args.trace and kinds not in traced:
                traced[kinds] = statements.calls
        walls = [r[1] for r in rows]
        print(f"\n{len(rows)} submits: wall p50 {percentile(walls, 50):.2f} p90 {percentile(walls, 90):.2f} "
              f"p95 {percentile(walls, 95):.2f} max {max(walls):.2f} ms; CPU p50 {percentile([r[2] for r in rows], 50):.2f}; "
              f"db p50 {percentile([r[3] for r in rows], 50):.2f} ms; statements p50 "
              f"{percentile([r[4] for r in rows], 50)} mean {statistics.mean(r[4] for r in rows):.1f}; "
              f"candidate scan p50 {percentile([r[5] for r in rows], 50):.2f} ms")
        plain = [r[1] for r in rows if not r[6]]
        print(f"  no branch: {len(plain)} submits, wall p50 {percentile(plain, 50):.2f} p95 {percentile(plain, 95):.2f}")
        by_branch = defaultdict(list)
        for r in rows:
            for b in set(t.split("(")[0] for t in r[6]):
                by_branch[b].append(r)
        for b, rs in sorted(by_branch.items()):
            print(f"  {b:<16} {len(rs):4d} submits ({100 * len(rs) / len(rows):4.1f}%), wall p50 "
                  f"{percentile([r[1] for r in rs], 50):6.2f} ms, statements p50 {percentile([r[4] for r in rs], 50)}, "
                  f"db p50 {percentile([r[3] for r in rs], 50):.2f} ms, cpu p50 {percentile([r[2] for r in rs], 50):.2f} ms")
        threshold = percentile(walls, 90)
        print(f"\n  submits above p90 ({threshold:.2f} ms): #, wall, cpu, db ms, statements, scan ms, branches")
        for r in sorted((r for r in rows if r[1] > threshold), key=lambda r: -r[1]):
            print(f"    {r[0]:4d} {r[1]:7.2f} {r[2]:7.2f} {r[3]:6.2f} {r[4]:3d} {r[5]:5.2f}  {' '.join(r[6])}"
                  + (f" gc {r[7]:.1f}ms" if r[7] else ""))
        for kinds, calls in traced.items():
            print(f"\n  statements of a submit with {' '.join(kinds) or 'no branch'}:")
            for sql, ms, caller in calls:
                print(f"    {ms:6.2f} {_profile_room._shape(sql):<90.90} <- {caller}")
        if args.hold:
            print(f"\nholding {connection.settings_dict['NAME']} for {args.hold:.0f} s", flush=True)
            connection.close()
            time.sleep(args.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
