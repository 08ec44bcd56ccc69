"""Review queue benchmark on PostgreSQL: next + submit latency at 10k / 100k / 1M queued
snippets, and HTTP throughput with 8 concurrent reviewers against gunicorn on loopback.

    .venv/bin/python bench/review_queue.py [--sizes 10000,100000,1000000] [--seconds 20]

Uses a dedicated database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
qr_review_bench), dropped and re-created on each run, and a temporary data folder for the
master key. Synthetic rows are bulk-loaded with COPY (4 snippets per recording, 200 customers,
audio not needed: nothing is played); the controller's caps are raised so the bench measures the
queue, not the policy refusing a tireless robot. Figures are absolute: the comparison with Label
Studio, measured in the same run over HTTP, is bench/review_http.py's.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qr_review_bench")
REVIEWERS = 8
SNIPPETS_PER_RECORDING = 4
CUSTOMERS = 200


def prepare_environment() -> str:
    data_dir = tempfile.mkdtemp(prefix="qr-review-bench-")
    os.environ.update({"DATABASE_URL": DB_URL, "QUIETROOM_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "quietroom.settings"})
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


# --- synthetic data ---------------------------------------------------------------------------


class Copier:
    """COPY rows into a model's table, filling every column we do not set with its default."""

    def __init__(self, model, given: list[str]):
        from django.db import connection

        self.model = model
        # An auto-increment key the caller does not give is left to the database.
        self.fields = [f for f in model._meta.concrete_fields
                       if not (f.primary_key and f.get_internal_type().endswith("AutoField") and f.attname not in given)]
        self.given = given
        now = datetime.now(timezone.utc)
        self.constants = {}
        for f in self.fields:
            if f.attname in given:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()  # "" for text fields without a default, else None
            self.constants[f.attname] = f.get_db_prep_save(value, connection)
        self.columns = [f.column for f in self.fields]

    def copy(self, rows):
        from django.db import connection

        sql = f'COPY "{self.model._meta.db_table}" ({", ".join(chr(34) + c + chr(34) for c in self.columns)}) FROM STDIN'
        order = [f.attname for f in self.fields]
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[a] if a in row else self.constants[a] for a in order])


def setup_people(count: int = REVIEWERS):
    import pyotp
    from django.utils import timezone as dj_tz

    from quietroom.accounts.models import Organisation, Site, User
    from quietroom.review.models import ControllerPolicy

    controller = Organisation.objects.create(name="Bench Controller", kind="controller")
    vendor_fields = {"name": "Bench Vendor", "kind": "vendor", "controller": controller}
    for name, value in (("approved_at", dj_tz.now()), ("approved_countries", ["GB"])):
        if any(f.name == name for f in Organisation._meta.fields):
            vendor_fields[name] = value
    vendor = Organisation.objects.create(**vendor_fields)
    site = Site.objects.create(organisation=vendor, name="Bench Site", country="GB", networks=["127.0.0.0/8", "::1/128"])
    ControllerPolicy.objects.create(controller=controller, daily_cap_minutes=1e9, max_per_customer_30d=10**9)
    reviewers = []
    for i in range(count):
        user = User.objects.create(username=f"bench{i}", organisation=vendor, site=site, role="reviewer",
                                   locales=["en-GB"], totp_secret=pyotp.random_base32(), totp_confirmed=True,
                                   pseudonym=f"bench-{i}")
        try:  # fully vetted, where the identity issue's vetting records exist
            from quietroom.accounts import vetting

            vetting.record_all(user, now=dj_tz.now(), performed_by="bench")
            user.refresh_from_db()
        except (ImportError, AttributeError):
            pass
        reviewers.append(user)
    return controller, reviewers


def load_snippets(controller, customers, batch, start: int, stop: int, overlap_fraction: float = 0.0,
                  overlap_k: int = 2) -> None:
    """Queued snippets number start..stop-1 (recordings of 4), with their tasks, via COPY; the
    snippets `queueing.selected_for_overlap` picks get slots 1..k-1 too, as the pipeline's."""
    from django.db import connection

    from quietroom.recordings.models import Recording, Snippet
    from quietroom.review.models import Task
    from quietroom.review.queueing import selected_for_overlap

    captured = datetime(2026, 3, 1, tzinfo=timezone.utc)
    created0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
    rec_copier = Copier(Recording, ["id", "external_id", "controller_id", "customer_key_id", "batch_id", "locale",
                                    "region", "source", "activation", "captured_at", "duration_seconds", "status"])
    snip_copier = Copier(Snippet, ["id", "recording_id", "index", "start_seconds", "end_seconds", "locale", "blob_key"])
    task_copier = Copier(Task, ["id", "snippet_id", "slot", "locale", "priority", "status", "created_at", "controller_id",
                                "recording_id", "customer_key_id", "region", "duration_seconds"])
    first_rec, last_rec = start // SNIPPETS_PER_RECORDING, (stop + SNIPPETS_PER_RECORDING - 1) // SNIPPETS_PER_RECORDING
    rec_ids = {r: uuid.uuid4() for r in range(first_rec, last_rec)}
    rec_customer = {r: customers[r % len(customers)] for r in rec_ids}
    rec_copier.copy({
        "id": rid, "external_id": f"bench-{r}", "controller_id": controller.pk, "customer_key_id": rec_customer[r],
        "batch_id": batch.pk, "locale": "en-GB", "region": "GB", "source": "assistant", "activation": "wake_word",
        "captured_at": captured, "duration_seconds": 20.0, "status": "processed",
    } for r, rid in rec_ids.items())
    snip_ids = [uuid.uuid4() for _ in range(start, stop)]
    snip_copier.copy({
        "id": sid, "recording_id": rec_ids[n // SNIPPETS_PER_RECORDING], "index": n % SNIPPETS_PER_RECORDING,
        "start_seconds": 5.0 * (n % SNIPPETS_PER_RECORDING), "end_seconds": 5.0 * (n % SNIPPETS_PER_RECORDING) + 5.0,
        "locale": "en-GB", "blob_key": f"bench/{n}",
    } for n, sid in zip(range(start, stop), snip_ids))
    slots = {sid: overlap_k if overlap_fraction and selected_for_overlap(sid, overlap_fraction) else 1
             for sid in snip_ids}
    task_copier.copy({
        "id": uuid.uuid4(), "snippet_id": sid, "slot": slot, "locale": "en-GB", "priority": (n * 7919) % 3,
        "status": "queued", "created_at": created0 + timedelta(microseconds=n), "controller_id": controller.pk,
        "recording_id": rec_ids[n // SNIPPETS_PER_RECORDING], "customer_key_id": rec_customer[n // SNIPPETS_PER_RECORDING],
        "region": "GB", "duration_seconds": 5.0,
    } for n, sid in zip(range(start, stop), snip_ids) for slot in range(slots[sid]))
    # The pipeline scores every snippet for reviewer care at ingest (escalation.care); so does
    # the bench, or the room would score (and insert) on each first view.
    from quietroom.escalation.models import SnippetCare

    Copier(SnippetCare, ["snippet_id", "score", "warn"]).copy(
        {"snippet_id": sid, "score": 0.0, "warn": False} for sid in snip_ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seal_hypotheses(count: int, wav: bytes | None = None) -> int:
    """Give the next `count` unsealed snippets in queue order a sealed hypothesis (and, given
    `wav`, sealed audio in the blob store), as the pipeline does, so the task pages of the HTTP
    runs decrypt and audit one like a real page and the player has audio to stream. Returns
    how many were sealed."""
    from quietroom import content
    from quietroom.recordings.models import Snippet
    from quietroom.review.models import Task

    tasks = (Task.objects.filter(status=Task.Status.QUEUED, snippet__hypothesis_ciphertext__isnull=True)
             .select_related("snippet", "customer_key").order_by("-priority", "due_at", "created_at")[:count])
    snippets = {}
    for task in tasks:
        if task.snippet_id in snippets:  # an overlap slot of a snippet sealed already
            continue
        content.seal_snippet_hypothesis(task.snippet, task.customer_key, "set a timer for ten minutes please")
        if wav is not None:
            content.seal_snippet_audio(task.snippet, task.customer_key, wav)
        snippets[task.snippet_id] = task.snippet
    fields = ["hypothesis_ciphertext", "hypothesis_wrapped_dek"] + (["blob_key", "wrapped_dek"] if wav else [])
    Snippet.objects.bulk_update(list(snippets.values()), fields, batch_size=1000)
    return len(snippets)


# --- measurements ------------------------------------------------------------------------------


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure_latency(reviewers, rounds: int) -> tuple[float, float]:
    from django.utils import timezone as dj_tz

    from quietroom.review import queue
    from quietroom.review.submissions import submit

    timings = []
    for i in range(rounds + 20):
        user = reviewers[i % len(reviewers)]
        t0 = time.perf_counter()
        task = queue.next_task(user, dj_tz.now())
        if task is None:
            raise SystemExit("bench: queue ran dry")
        submit(user, task.pk, "set a timer for ten minutes", uuid.uuid4().hex, now=dj_tz.now())
        if i >= 20:  # warm-up excluded
            timings.append((time.perf_counter() - t0) * 1000)
    return percentile(timings, 50), percentile(timings, 95)


def measure_baselines(rounds: int) -> dict:
    """Same-process yardsticks: a bare `SELECT 1` round trip, and a raw-SQL lease (the least any
    queue must do: pick the best queued row with SKIP LOCKED, mark it leased, commit; then put
    it back so the queue is unchanged). Ratios against these survive a loaded machine better
    than milliseconds do."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        for _ in range(rounds):
            cursor.execute("SELECT 1")
            cursor.fetchone()
        select1 = (time.perf_counter() - t0) * 1000 / rounds
    timings = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM review_task WHERE status = 'queued' AND locale = 'en-GB' "
                "ORDER BY priority DESC, due_at ASC NULLS LAST, created_at ASC LIMIT 1 FOR UPDATE SKIP LOCKED")
            (task_id,) = cursor.fetchone()
            cursor.execute("UPDATE review_task SET status = 'leased' WHERE id = %s", [task_id])
        timings.append((time.perf_counter() - t0) * 1000)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE review_task SET status = 'queued' WHERE id = %s", [task_id])
    return {"select1": select1, "lease_p50": percentile(timings, 50), "lease_p95": percentile(timings, 95)}


def queries_per_pair(reviewer) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone as dj_tz

    from quietroom.review import queue
    from quietroom.review.submissions import submit

    with CaptureQueriesContext(connection) as captured:
        task = queue.next_task(reviewer, dj_tz.now())
        submit(reviewer, task.pk, "set a timer for ten minutes", uuid.uuid4().hex, now=dj_tz.now())
    return len(captured.captured_queries)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpReviewer:
    """One browser-like client on a keep-alive connection: next, open the task, submit."""

    KEY_RE = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')
    CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, port, cookies: dict):
        self.port = port
        self.cookies = dict(cookies)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.requests = 0
        self.errors = Counter()

    def call(self, method, path, body=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Referer": f"http://127.0.0.1:{self.port}{path}", "Host": f"127.0.0.1:{self.port}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        self.requests += 1
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status >= 400:
            self.errors[response.status] += 1
        return response.status, response.getheader("Location"), data.decode("utf-8", "replace")

    def run(self, until: float) -> None:
        import urllib.parse

        status, _, page = self.call("GET", "/room/")
        csrf = self.CSRF_RE.search(page).group(1)
        status, location, _ = self.call("POST", "/room/next/", urllib.parse.urlencode({"csrfmiddlewaretoken": csrf}))
        while time.time() < until and status == 302 and location and "/room/task/" in location:
            status, _, page = self.call("GET", location)
            key, csrf_match = self.KEY_RE.search(page), self.CSRF_RE.search(page)
            if status != 200 or not key or not csrf_match:
                self.errors["task page"] += 1
                return
            form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf_match.group(1), "idempotency_key": key.group(1),
                                           "transcript": "play some jazz in the kitchen", "activation": "intended"})
            status, location, _ = self.call("POST", location, form)


def serving_workers() -> int:
    from quietroom.ops import serving

    return serving.worker_count()


def measure_throughput(reviewers, seconds: float, data_dir: str, warmup: float = 5.0) -> dict:
    from django.test import Client

    from quietroom.audit.models import AuditEvent
    from quietroom.ops import serving
    from quietroom.review.models import Submission

    port = free_port()
    server = serving.start("127.0.0.1", port, workers=serving.worker_count(), quiet=True)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        clients = []
        for user in reviewers:
            browser = Client()
            browser.force_login(user)
            clients.append(HttpReviewer(port, {k: v.value for k, v in browser.cookies.items()}))
        before_submissions = Submission.objects.count()
        before_assign = AuditEvent.objects.filter(action="task.assign").count()

        def run_all(for_seconds):
            until = time.time() + for_seconds
            threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        # Untimed warm-up: each worker process loads the app, compiles templates and opens its
        # database connection on its first requests; the figure is the steady state after.
        run_all(warmup)
        warm_requests = sum(c.requests for c in clients)
        start = time.time()
        run_all(seconds)
        elapsed = time.time() - start
    finally:
        server.terminate()
        server.wait(timeout=20)
    assigned = Counter(AuditEvent.objects.filter(action="task.assign").order_by("seq")[before_assign:]
                       .values_list("details__task", flat=True))
    per_task = Counter(Submission.objects.values_list("task_id", flat=True))
    return {
        "requests": sum(c.requests for c in clients) - warm_requests,
        "seconds": elapsed,
        "errors": sum((c.errors for c in clients), Counter()),
        "submissions": Submission.objects.count() - before_submissions,
        "double_assigned": sum(1 for n in assigned.values() if n > 1),
        "double_submitted": sum(1 for n in per_task.values() if n > 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=400, help="next+submit pairs timed per size")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each HTTP throughput run")
    parser.add_argument("--http-runs", type=int, default=3, help="HTTP runs; the median is the figure")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    data_dir = prepare_environment()
    from django.conf import settings

    # Quality mixing is off: the bench measures the queue itself.
    settings.QUIETROOM.update({"REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 0.0})
    os.environ["QUIETROOM_BENCH"] = "1"
    from quietroom import content
    from quietroom.recordings.models import IngestBatch

    controller, reviewers = setup_people()
    customers = [content.customer_key_row(f"bench-customer-{i}").pk for i in range(CUSTOMERS)]
    batch = IngestBatch.objects.create(controller=controller, manifest_name="bench", manifest_sha256="0" * 64)
    loaded = 0
    print(f"review queue bench on {DB_URL.rsplit('/', 1)[1]} (PostgreSQL), {REVIEWERS} reviewers")
    print(f"{'queued':>9} {'load s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'SELECT 1':>9} {'raw lease p50/p95':>18} {'p95/raw p95':>11} {'queries':>7} {'load avg':>8}")
    worst_p95 = 0.0
    for size in sizes:
        t0 = time.time()
        load_snippets(controller, customers, batch, loaded, size)
        loaded = size
        load_s = time.time() - t0
        p50, p95 = measure_latency(reviewers, args.rounds)
        worst_p95 = p95 if size == sizes[-1] else worst_p95
        base = measure_baselines(100)
        queries = queries_per_pair(reviewers[0])
        print(f"{size:>9} {load_s:>7.1f} {p50:>7.2f} {p95:>7.2f} "
              f"{base['select1']:>7.3f}ms {base['lease_p50']:>8.2f}/{base['lease_p95']:<6.2f}ms "
              f"{p95 / base['lease_p95']:>10.1f}x {queries:>7} {os.getloadavg()[0]:>8.2f}", flush=True)
    seal_hypotheses(int((args.seconds + 5) * 300 * args.http_runs))  # more than the HTTP runs get through
    # A 2-core machine's throughput swings from run to run (the VM's neighbours, the database's
    # background work): several runs, each after a warm-up, and their median.
    runs = []
    for _ in range(args.http_runs):
        result = measure_throughput(reviewers, args.seconds, data_dir)
        runs.append(result)
        print(f"HTTP, {REVIEWERS} concurrent reviewers on loopback (gunicorn, {serving_workers()} workers): "
              f"{result['requests']} requests in {result['seconds']:.1f} s = "
              f"{result['requests'] / result['seconds']:.1f} req/s, load {os.getloadavg()[0]:.2f}", flush=True)
    rates = sorted(r["requests"] / r["seconds"] for r in runs)
    rate = rates[len(rates) // 2]
    result = {"errors": sum((r["errors"] for r in runs), Counter()), "double_assigned": sum(r["double_assigned"] for r in runs),
              "double_submitted": runs[-1]["double_submitted"], "submissions": sum(r["submissions"] for r in runs)}
    print(f"HTTP median of {len(rates)} runs: {rate:.1f} req/s, {result['submissions']} submissions in all "
          "(against Label Studio, measured in the same run: bench/review_http.py)")
    print(f"errors: {sum(result['errors'].values())} {dict(result['errors']) or ''}; double assignments: "
          f"{result['double_assigned']}; duplicated submissions: {result['double_submitted']}")
    ok = (worst_p95 < 10.0 and not result["errors"] and not result["double_assigned"]
          and not result["double_submitted"])
    print(f"targets (p95 < 10 ms at {sizes[-1]}, zero errors, zero double assignment, zero duplicated "
          f"submissions): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
