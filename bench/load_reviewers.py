"""Load test: N simulated reviewers for S seconds against gunicorn + PostgreSQL on loopback.

Each simulated reviewer signs in (password + TOTP) and then loops: next snippet, open the
task page, stream the audio (range request), submit a transcript with the page's idempotency
key; a short think time between requests. Reported: requests, error rate, p50/p95/p99 per
step, throughput, and double assignment (a snippet leased to two reviewers, read from the
audit log) — which must be zero.

    python bench/load_reviewers.py --reviewers 200 --seconds 60

It creates (and afterwards drops) its own database on the local PostgreSQL server and a
temporary data folder; traffic goes to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PASSWORD = "load test reviewer passphrase"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--snippets", type=int, default=4000)
    parser.add_argument("--think", type=float, default=0.5, help="mean think time between requests (s)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    return parser.parse_args()


def create_database(pg: str, name: str) -> None:
    with psycopg.connect(pg + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(pg: str, name: str) -> None:
    with psycopg.connect(pg + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def set_up(reviewers: int, snippets: int):
    """Organisation, site on loopback, vetted reviewers with TOTP, queued snippets."""
    import pyotp
    from django.core.management import call_command
    from django.utils import timezone

    from quietroom import content, testspeech
    from quietroom.accounts.models import Organisation, Site, User
    from quietroom.deid.audio_io import encode_wav
    from quietroom.recordings.models import IngestBatch, Recording, Snippet
    from quietroom.accounts.pseudonyms import user_pseudonym
    from quietroom.recordings.pseudonyms import customer_pseudonym
    from quietroom.review.queueing import queue_snippet

    call_command("migrate", verbosity=0)
    now = timezone.now()
    controller = Organisation.objects.create(name="Load Controller", kind="controller")
    vendor_fields = {"kind": "vendor", "controller": controller}
    if hasattr(Organisation, "approved_at"):
        vendor_fields.update(approved_at=now, approved_countries=["GB"])
    vendor = Organisation.objects.create(name="Load Vendor", **vendor_fields)
    site = Site.objects.create(organisation=vendor, name="Loopback", country="GB", networks=["127.0.0.0/8"])
    users = []
    for i in range(reviewers):
        user = User.objects.create(
            username=f"load-reviewer-{i:03d}", organisation=vendor, site=site, role="reviewer",
            locales=["en-US"], totp_secret=pyotp.random_base32(), totp_confirmed=True,
        )
        user.set_password(PASSWORD)
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
        try:
            from quietroom.accounts import vetting

            vetting.record_all(user, now=now, performed_by="load test")
        except ImportError:
            pass
        users.append((user.username, user.totp_secret))

    samples, rate, _ = testspeech.make_conversation(1, seed=5)
    wav = encode_wav(samples[: rate * 3])
    batch = IngestBatch.objects.create(controller=controller, manifest_name="load", manifest_sha256="0" * 64)
    per_recording = 5
    for r in range(0, snippets, per_recording):
        customer_key = content.customer_key_row(customer_pseudonym(controller.id, f"load-customer-{r // 50}"))
        recording = Recording.objects.create(
            external_id=f"load-{r}", controller=controller, customer_key=customer_key, batch=batch, locale="en-US",
            region="GB", source="assistant", activation="wake_word", captured_at=now, duration_seconds=15.0,
            status="processed",
        )
        for index in range(per_recording):
            snippet = Snippet(recording=recording, index=index, start_seconds=index * 3.0,
                              end_seconds=index * 3.0 + 3.0, locale="en-US")
            content.seal_snippet_audio(snippet, customer_key, wav)
            snippet.save(force_insert=True)
            queue_snippet(snippet, locale="en-US")
    return users


class Reviewer(threading.Thread):
    CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, base, username, secret, stop_at, think, results, errors, ready):
        super().__init__(daemon=True)
        from quietroom.ops.smoke import Browser

        self.browser = Browser(base)
        self.username, self.secret = username, secret
        self.stop_at, self.think = stop_at, think
        self.results, self.errors, self.ready = results, errors, ready
        self.submitted: list[str] = []

    def timed(self, step, call):
        started = time.perf_counter()
        try:
            response = call()
        except Exception as exc:  # a refused connection or timeout is an error like a 5xx
            self.errors[step].append(type(exc).__name__)
            return None
        self.results[step].append(time.perf_counter() - started)
        if response.status >= 500 or response.status in (403, 404, 400):
            self.errors[step].append(str(response.status))
        return response

    def login(self) -> bool:
        import pyotp

        page = self.browser.get("/accounts/login/")
        page = self.browser.post_form(page, {"username": self.username, "password": PASSWORD})
        page = self.browser.post_form(page, {"code": pyotp.TOTP(self.secret).now()})
        return page.status == 200 and "/accounts/login" not in page.url

    def pause(self):
        time.sleep(random.expovariate(1 / self.think) if self.think > 0 else 0)

    def run(self):
        try:
            ok = self.login()
        except Exception:
            ok = False
        self.ready.append(ok)
        if not ok:
            self.errors["login"].append("failed")
            return
        while time.time() < self.start_at:
            time.sleep(0.05)
        while time.time() < self.stop_at:
            room = self.browser.get("/room/")
            page = self.timed("next", lambda: self.browser.post_form(room, {}, action="/room/next/"))
            if page is None or "/room/task/" not in page.url:
                self.pause()
                continue
            self.pause()
            stream = re.search(r'src="(/room/stream/[^"]+)"', page.text)
            if stream:
                self.timed("stream", lambda: self.browser.get(stream.group(1), headers={"Range": "bytes=0-"}))
            self.pause()
            key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
            form = {"transcript": "load test words", "idempotency_key": key.group(1) if key else ""}
            done = self.timed("submit", lambda: self.browser.post_form(page, form))
            if done is not None and done.status < 400:
                self.submitted.append(page.url)
            self.pause()


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] * 1000


def main():
    args = parse_args()
    name = f"quietroom_load_{os.getpid()}"
    data_dir = tempfile.mkdtemp(prefix="quietroom-load-")
    os.environ.update({
        "QUIETROOM_MODE": "demo", "QUIETROOM_DATA_DIR": data_dir,
        "DATABASE_URL": f"{args.pg}/{name}", "DJANGO_SETTINGS_MODULE": "quietroom.settings",
    })
    os.environ.pop("REDIS_URL", None)
    create_database(args.pg, name)
    server = None
    try:
        import django

        django.setup()
        from quietroom.ops import serving

        t0 = time.perf_counter()
        users = set_up(args.reviewers, args.snippets)
        print(f"set-up: {args.reviewers} reviewers, {args.snippets} snippets in {time.perf_counter() - t0:.1f} s")
        port = 18000 + os.getpid() % 1000
        server = serving.start("127.0.0.1", port, args.workers, quiet=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                import urllib.request

                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        results, errors, ready = defaultdict(list), defaultdict(list), []
        start_at = time.time() + 3600  # released once everyone is signed in
        threads = [Reviewer(base, u, s, 0, args.think, results, errors, ready) for u, s in users]
        for thread in threads:
            thread.start_at = start_at
            thread.start()
        deadline = time.monotonic() + 300
        while len(ready) < len(threads) and time.monotonic() < deadline:
            time.sleep(0.2)
        print(f"signed in: {sum(ready)}/{len(threads)}")
        begin = time.time()
        for thread in threads:
            thread.stop_at = begin + args.seconds
            thread.start_at = begin
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.time() - begin

        from django.db.models import Count

        from quietroom.audit.models import AuditEvent
        from quietroom.review.models import Submission

        # A task (one reviewer's turn at a snippet; overlap adds more tasks per snippet on
        # purpose) leased to two different reviewers is a double assignment.
        holders = defaultdict(set)
        for actor, details in AuditEvent.objects.filter(action="task.assign").values_list("actor", "details"):
            holders[details.get("task")].add(actor)
        doubles = sum(1 for actors in holders.values() if len(actors) > 1)
        dup_submissions = Submission.objects.values("task").annotate(n=Count("id")).filter(n__gt=1).count()
        total = sum(len(v) for v in results.values())
        failed = sum(len(v) for v in errors.values())
        print(f"\n{args.reviewers} reviewers, {elapsed:.0f} s, think time {args.think} s (mean)")
        print(f"{'step':<8}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
        for step in ("next", "stream", "submit"):
            v = results[step]
            print(f"{step:<8}{len(v):>8}{percentile(v, 50):>10.1f}{percentile(v, 95):>10.1f}{percentile(v, 99):>10.1f}{len(errors[step]):>8}")
        all_values = [x for v in results.values() for x in v]
        print(f"all     {total:>8}{percentile(all_values, 50):>10.1f}{percentile(all_values, 95):>10.1f}{percentile(all_values, 99):>10.1f}{failed:>8}")
        print(f"throughput: {total / elapsed:.1f} requests/s; error rate {failed / max(total, 1):.4f}; "
              f"double assignments {doubles}; duplicated submissions {dup_submissions}; "
              f"submissions {Submission.objects.count()}")
        if errors:
            print("errors by step:", {k: sorted(set(v)) for k, v in errors.items() if v})
        return 0 if failed == 0 and doubles == 0 and dup_submissions == 0 else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        drop_database(args.pg, name)


if __name__ == "__main__":
    sys.exit(main())
