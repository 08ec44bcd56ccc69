"""What reviewer care costs the review queue: next + submit latency with the distress facts
(escalated snippets, warned snippets: columns of the candidate query; the reviewer's
distressing count today) loaded by the eligibility policy, against the same process with those
facts stubbed out (the columns read as constants, the count as 0).

    .venv/bin/python bench/escalation_care.py [--snippets 100000] [--rounds 300]

PostgreSQL (a throwaway database, bench/_support.py). Synthetic queued snippets via COPY (the
review queue bench's loader); 10 % of them scored as distressing, 1 % escalated. The daily cap
is raised so nothing is refused: the bench measures the added queries, not the rule. Rounds
alternate between the two modes so load on the machine hits both alike; prints p50/p95 of each
and their ratio (target: care adds at most 25 % to p95).
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import bench_environment  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snippets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    with bench_environment("escalation"):
        import review_queue as rq
        from django.conf import settings
        from django.utils import timezone as dj_tz

        from quietroom import content
        from quietroom.escalation.models import SnippetCare
        from quietroom.recordings.models import IngestBatch, Snippet
        from quietroom.review import queue
        from quietroom.escalation.models import Flag
        from quietroom.review.submissions import submit

        settings.QUIETROOM = {**settings.QUIETROOM, "CARE_DISTRESS_DAILY_CAP": 10**9,
                              "REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 0.0}
        controller, reviewers = rq.setup_people()
        customers = [content.customer_key_row(f"bench-cust-{i}").pk for i in range(rq.CUSTOMERS)]
        batch = IngestBatch.objects.create(controller=controller, manifest_name="bench", manifest_sha256="0" * 64)
        rq.load_snippets(controller, customers, batch, 0, args.snippets)
        ids = list(Snippet.objects.values_list("pk", flat=True))
        SnippetCare.objects.filter(snippet_id__in=ids[::10]).update(score=1.0, warn=True, categories=["threat"])
        Flag.objects.bulk_create([Flag(snippet_id=s, reviewer=reviewers[0], category="threat")
                                        for s in ids[5::100]], batch_size=5000)

        from quietroom.review import candidates, policy

        real_sql, real_today = candidates._sql, policy.distress_today

        def sql_without_care(*a, **k):
            sql = real_sql(*a, **k)
            for column in ("warned", "escalated"):
                start = sql.find("EXISTS", sql.rfind(",", 0, sql.find(f" AS {column}")))
                sql = sql[:start] + "FALSE" + sql[sql.find(f" AS {column}"):]
            return sql

        def set_mode(mode):
            candidates._CACHE.clear()  # statements are cached per shape
            candidates._sql = real_sql if mode == "care" else sql_without_care
            policy.distress_today = real_today if mode == "care" else (lambda *a, **k: 0)

        timings = {"care": [], "baseline": []}
        for i in range(2 * args.rounds + 40):
            mode = "care" if i % 2 else "baseline"
            set_mode(mode)
            user = reviewers[i % len(reviewers)]
            t0 = time.perf_counter()
            task = queue.next_task(user, dj_tz.now())
            if task is None:
                raise SystemExit("bench: queue ran dry")
            submit(user, task.pk, "set a timer", uuid.uuid4().hex, now=dj_tz.now())
            if i >= 40:
                timings[mode].append((time.perf_counter() - t0) * 1000)
        set_mode("care")
        p = {m: (rq.percentile(v, 50), rq.percentile(v, 95)) for m, v in timings.items()}
        print(f"snippets={args.snippets} rounds={args.rounds} per mode")
        for mode, (p50, p95) in p.items():
            print(f"{mode:9s} next+submit p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        ratio50, ratio95 = p["care"][0] / p["baseline"][0], p["care"][1] / p["baseline"][1]
        print(f"ratio care/baseline: p50 {ratio50:.2f}x  p95 {ratio95:.2f}x (target p95 <= 1.25x)")
        return 0 if ratio95 <= 1.25 else 1


if __name__ == "__main__":
    raise SystemExit(main())
