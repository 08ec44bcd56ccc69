"""What the watermark costs a reviewer's stream (issue 19): the gate's audio release with and
without the delivery's mark, interleaved in the same run, on PostgreSQL.

    .venv/bin/python bench/watermark_stream.py [--rounds 200]

A fresh database and data folder (bench/_support.py); one recording of real speech (asterisk
prompts) ingested through the real pipeline; one reviewer holding a lease on its longest
snippet. Each round is one play (a new page view): `gate.snippet_audio_for_reviewer` decrypts,
writes the audit event and, when marking, the delivery row, and embeds the serial (WAV decode,
embed, WAV encode). "Before" is the same call with the gate's delivery step switched off. The
review queue bench (bench/review_queue.py) plays no audio, so this is the stream's own bench.
"""
from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _support import bench_environment


def setup(folder: Path):
    import pyotp
    from django.utils import timezone as dj_tz

    from quietroom import testspeech
    from quietroom.accounts import vetting
    from quietroom.accounts.models import Organisation, Site, User
    from quietroom.recordings.ingest import ingest_manifest
    from quietroom.review import queue
    from quietroom.review.models import ControllerPolicy, Task

    controller = Organisation.objects.create(name="Bench Controller", kind="controller")
    vendor = Organisation.objects.create(name="Bench Vendor", kind="vendor", controller=controller,
                                         approved_at=dj_tz.now(), approved_countries=["GB"])
    site = Site.objects.create(organisation=vendor, name="Bench Site", country="GB", networks=["127.0.0.0/8"])
    ControllerPolicy.objects.create(controller=controller, daily_cap_minutes=1e9, max_per_customer_30d=10**9)
    reviewer = User.objects.create(username="bench", organisation=vendor, site=site, role="reviewer",
                                   locales=["en-US"], totp_secret=pyotp.random_base32(), totp_confirmed=True,
                                   pseudonym="bench-0")
    vetting.record_all(reviewer, now=dj_tz.now(), performed_by="bench")
    samples, rate, _ = testspeech.make_conversation(4, seed=5, pause_range=(0.1, 0.2))
    testspeech.write_audio(folder / "rec.wav", samples, rate, "wav")  # public speech, not customer audio
    with (folder / "manifest.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["recording_id", "customer_id", "audio_path", "locale", "region",
                                                "source", "activation", "consent", "captured_at"])
        writer.writeheader()
        writer.writerow({"recording_id": "r-1", "customer_id": "cust-1", "audio_path": "rec.wav", "locale": "en-US",
                         "region": "GB", "source": "assistant", "activation": "wake_word", "consent": "true",
                         "captured_at": datetime(2026, 3, 1, 12, tzinfo=timezone.utc).isoformat()})
    ingest_manifest(folder / "manifest.csv", folder, controller)
    longest = max(Task.objects.select_related("snippet"), key=lambda t: t.snippet.duration_seconds)
    Task.objects.exclude(pk=longest.pk).delete()
    task = queue.next_task(reviewer, dj_tz.now())
    return reviewer, task


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with bench_environment("wmstream"), tempfile.TemporaryDirectory() as tmp:
        from django.utils import timezone as dj_tz

        from quietroom import gate
        from quietroom.review import streaming

        reviewer, task = setup(Path(tmp))
        print(f"snippet of {task.snippet.duration_seconds:.1f} s, {args.rounds} plays each way, interleaved")
        marking = gate._marked_delivery
        times = {"before (no mark)": [], "marked": []}
        cpu = {"before (no mark)": [], "marked": []}
        for i in range(2 * args.rounds + 10):
            label = "marked" if i % 2 else "before (no mark)"
            gate._marked_delivery = marking if i % 2 else (lambda view, later=False: None)
            started, started_cpu = time.perf_counter(), time.process_time()
            grant = gate.snippet_audio_for_reviewer(reviewer, task, now=dj_tz.now(), address="127.0.0.1",
                                                    view=streaming.new_view())
            elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            assert grant.audio[:4] == b"RIFF"
            if i >= 10:  # warm-up
                times[label].append(elapsed * 1000)
                cpu[label].append(elapsed_cpu * 1000)
        gate._marked_delivery = marking
        for label, values in times.items():
            print(f"  {label:<18} p50 {percentile(values, 50):6.1f} ms   p95 {percentile(values, 95):6.1f} ms   "
                  f"(this process's CPU: p50 {percentile(cpu[label], 50):5.1f} ms)")
        before, after = percentile(times["before (no mark)"], 95), percentile(times["marked"], 95)
        print(f"  p95 marked / before: {after / before:.2f}  (target: within 10%, i.e. <= 1.10); load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
