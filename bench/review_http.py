"""The reviewer's round trip over HTTP: QuietRoom and Label Studio 1.23.2, measured in one run.

    .venv/bin/python bench/review_http.py [--queued 100000] [--seconds 20] [--loops 300] [--runs 2]
                                          [--clients 8] [--no-label-studio] [--profile 200]
                                          [--profile-only [--mark-cost N]] [--mark-cost-http N [--mark-cost-block K]]

Both systems run in the same production shape, one at a time, alternated (Label Studio,
QuietRoom, Label Studio, QuietRoom): gunicorn on 127.0.0.1 with `quietroom.ops.serving`'s
processes and threads, each on its own PostgreSQL database with `--queued` tasks. For each run:

- one client, `--loops` round trips after a warm-up: QuietRoom's task page, its audio stream
  and the submit (which leases the next snippet and redirects to it); Label Studio's labelling
  stream: `GET /api/projects/{id}/next/`, the task's audio, `POST` the annotation. The pair is
  page + submit (QuietRoom) and next + submit (Label Studio);
- `--clients` clients, each its own reviewer with a real session on a kept-alive connection,
  for `--seconds` after a `--warmup`: requests and round trips per second, the same per-step
  percentiles, errors, double assignments (a task handed to two people within the run, beyond
  its overlap: a lease left over from the previous run expires while the other system runs, and
  its task is rightly handed out again), duplicated submissions (two for one task, or one person
  twice on a snippet, over the whole database), and the requests each gunicorn worker served (its
  pid in the access log of the measured window);
- the 1-minute load average beside every figure (the machine is shared).

QuietRoom runs as production has it: gold checks mixed in (REVIEW_GOLD_RATE) with gold snippets
to serve, overlap on (10% of snippets heard by two reviewers; Label Studio's project the same:
maximum 2 annotations, 10% overlap cohort), sealed audio and hypotheses decrypted through the gate,
every step audited. Label Studio is installed by the bench into bench/.venvs/label-studio
(bench/_labelstudio.py), never into QuietRoom's environment. `--profile N` adds where the time of
QuietRoom's requests goes, in process (bench/_profile_room.py). Exit 0 only when every target
of issue 20 is met.

`--mark-cost-http N` is issue 19's target on this bench ("stream latency p95 within 10% of
before, same run") over HTTP: two QuietRoom servers in the production shape on the same
database, "marked" as production runs it and "before (no mark)" through bench/_unmarked_wsgi.py
(QuietRoom's application with the gate's delivery step replaced by nothing: no delivery row, no
watermark; QuietRoom itself has no such switch). One reviewer with one session alternates round
trips (page, stream, submit) between them, 20 untimed then N timed on each, switching servers
every round trip or, with `--mark-cost-block K`, every K round trips (the bench's own loop keeps
one server on a reviewer's consecutive round trips; switching every time leaves each request a
process whose caches the other server's whole round trip has taken); printed per server:
the stream's p50/p95 (page and submit beside it), the samples, the load average, the p95 ratio,
and the check that every stream of the marked server had its own delivery row and marked bytes
and none of the other's did. With `--no-label-studio` it runs alone (no other run); otherwise
after the alternated runs. The exit status then also needs its check, no errors and the ratio
<= 1.10. `--mark-cost N` (with `--profile-only`) is the same comparison in process.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _support  # noqa: E402  (puts this tree's src/ first on the path)
from _http_client import Client, percentile  # noqa: E402

OVERLAP_FRACTION = 0.1
PRODUCTION_APP = "quietroom.wsgi:application"  # as serving.gunicorn_command names it
UNMARKED_APP = "_unmarked_wsgi:application"  # bench/_unmarked_wsgi.py: the stream before issue 19
MARK_WARMUP = 20  # untimed round trips per server before --mark-cost-http's timed ones
GOLD_SNIPPETS = 200
CLIP_SECONDS = 3


def loadavg() -> float:
    return os.getloadavg()[0]


# --- QuietRoom ----------------------------------------------------------------------------------


def set_up_quietroom(queued: int, clients: int):
    """Reviewers, `queued` snippets (10% with an overlap slot), gold snippets with references."""
    from django.contrib.auth import get_user_model

    from quietroom import content
    from quietroom.recordings.models import IngestBatch, Snippet
    from quietroom.review import quality
    from quietroom.review.models import ControllerPolicy, Task
    from review_queue import CUSTOMERS, load_snippets, setup_people

    controller, reviewers = setup_people(clients)
    ControllerPolicy.objects.filter(controller=controller).update(overlap_fraction=OVERLAP_FRACTION, overlap_k=2)
    customers = [content.customer_key_row(f"bench-customer-{i}").pk for i in range(CUSTOMERS)]
    batch = IngestBatch.objects.create(manifest_name="bench", manifest_sha256="0" * 64)
    for first in range(0, queued, 100_000):
        load_snippets(controller, customers, batch, first, min(queued, first + 100_000), overlap_fraction=OVERLAP_FRACTION)
    lead = get_user_model().objects.create(username="bench-qa", organisation=reviewers[0].organisation,
                                           site=reviewers[0].site, role="qa_lead", pseudonym="bench-qa")
    wav = clip()
    # Gold from the back of the queue (the lowest priority, newest), sealed like every snippet.
    gold = Task.objects.filter(status=Task.Status.QUEUED, slot=0).select_related("snippet", "customer_key") \
        .order_by("priority", "-created_at")[:GOLD_SNIPPETS]
    for task in gold:
        content.seal_snippet_hypothesis(task.snippet, task.customer_key, "set a timer for ten minutes please")
        content.seal_snippet_audio(task.snippet, task.customer_key, wav)
        task.snippet.save(update_fields=["hypothesis_ciphertext", "hypothesis_wrapped_dek", "blob_key", "wrapped_dek"])
        quality.make_gold(Snippet.objects.get(pk=task.snippet_id), "set a timer for ten minutes please", lead)
    # A production database has been vacuumed since its rows arrived; a freshly loaded one gets
    # autovacuum's insert-triggered VACUUM within the minute, in the middle of the one-client run
    # (QuietRoom alone, right after loading: page 9.7, submit 12.0 ms p50 against 8.2 and 10.2
    # after Label Studio's run had given autovacuum its time). Done now, before any timing.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return reviewers


_CLIP: list[bytes] = []


def clip() -> bytes:
    """A few seconds of generated speech (nobody's voice), the same for both systems."""
    if not _CLIP:
        from quietroom import testspeech
        from quietroom.deid.audio_io import encode_wav

        samples, rate, _ = testspeech.make_conversation(1, seed=5)
        _CLIP.append(encode_wav(samples[: rate * CLIP_SECONDS]))
    return _CLIP[0]


class QuietRoom:
    """QuietRoom's server for one measurement, and its reviewers' browsers."""

    name = "QuietRoom"
    STEPS = ("page", "stream", "submit")

    def __init__(self, reviewers, gunicorn_args: list[str], wsgi_app: str | None = None):
        self.reviewers = reviewers
        self.gunicorn_args = gunicorn_args
        # None: QuietRoom's own application (PRODUCTION_APP); else a bench module's, found in bench/
        # (`--mark-cost-http`'s server without the watermark, bench/_unmarked_wsgi.py).
        self.wsgi_app = wsgi_app
        self.server = None
        self.port = 0

    def start(self, access_log: str) -> None:
        from quietroom.ops import serving

        self.port = _support.free_port()
        command = serving.gunicorn_command("127.0.0.1", self.port) + self.gunicorn_args + [
            "--access-logfile", access_log, "--access-logformat", "%(p)s %(s)s"]
        env = os.environ.copy()
        if self.wsgi_app is not None:
            # Everything else as production runs it: only the application named differs.
            if command.count(PRODUCTION_APP) != 1:
                raise SystemExit(f"serving.gunicorn_command no longer names {PRODUCTION_APP} once: {command}")
            command[command.index(PRODUCTION_APP)] = self.wsgi_app
            # bench/ last on the path, so none of its modules can shadow one QuietRoom imports.
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH", ""), str(HERE)]))
        self.server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        _support.wait_for_port(self.port, self.server, 60)

    def stop(self) -> None:
        if self.server is not None:
            _support.stop(self.server)
            self.server = None

    def prepare(self, loops: int) -> int:
        """Seal audio and hypotheses for (more than) the snippets `loops` round trips can reach:
        twice as many, since a reviewer passes over the queue's head where it holds a snippet of
        the same recording already."""
        from review_queue import seal_hypotheses

        return seal_hypotheses(2 * loops, wav=clip())

    def people(self) -> list["Reviewer"]:
        from django.test import Client as DjangoClient

        people = []
        for user in self.reviewers:
            browser = DjangoClient()
            browser.force_login(user)  # a real session row, through the sign-in signal
            people.append(Reviewer(Client(self.port, {k: v.value for k, v in browser.cookies.items()})))
        return people

    def run_marker(self) -> int:
        from quietroom.audit.models import AuditEvent

        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def outcome(self, people, since: int) -> dict:
        """Double assignments among this run's leases (a lease left over from the previous
        run expires while the other system runs, and its task is rightly handed out again),
        duplicated submissions over the whole database."""
        from django.db.models import Count

        from quietroom.audit.models import AuditEvent
        from quietroom.review.models import Submission

        holders = defaultdict(set)
        for actor, details in AuditEvent.objects.filter(action="task.assign", seq__gt=since) \
                .values_list("actor", "details").iterator():
            holders[details.get("task")].add(actor)
        reviewed = Submission.objects.exclude(kind=Submission.Kind.GOLD_REFERENCE)
        return {
            "double_assigned": sum(1 for actors in holders.values() if len(actors) > 1),
            "double_submitted": reviewed.values("task").annotate(n=Count("id")).filter(n__gt=1).count()
            + reviewed.values("task__snippet", "reviewer").annotate(n=Count("id")).filter(n__gt=1).count(),
            "submissions": reviewed.count(),
        }


class Reviewer:
    """The room as a browser uses it: the task page, its audio, submit (→ the next task page)."""

    STEPS = ("page", "stream", "submit")
    PAIR = ("page", "submit")
    KEY_RE = re.compile(rb'name="idempotency_key" value="([0-9a-f]+)"')
    CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
    STREAM_RE = re.compile(rb'src="(/room/stream/[^"]+)"')

    def __init__(self, client: Client):
        self.client = client
        self.location: str | None = None
        self.streamed: tuple[str, int, bytes] | None = None

    def begin(self) -> bool:
        _, _, page = self.client.call("GET", "/room/")
        csrf = self.CSRF_RE.search(page)
        if not csrf:
            self.client.errors["room page without a form"] += 1
            return False
        status, location, _ = self.client.call("POST", "/room/next/", urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf.group(1).decode()}), {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or not location or "/room/task/" not in location:
            self.client.errors["nothing handed out"] += 1
            return False
        self.location = location
        return True

    def loop(self, until: float, max_loops: int | None = None) -> None:
        done = 0
        if self.location is None and not self.begin():
            return
        while time.time() < until and (max_loops is None or done < max_loops):
            if not self.round_trip():
                return
            done += 1

    def round_trip(self) -> bool:
        """The task page at `location`, its audio, the submit; False when the reviewer cannot go
        on (counted as an error when the server answered but not as it should). The last stream's
        path, status and body are kept (`streamed`) for `--mark-cost-http`'s check of the mark."""
        client = self.client
        status, _, page = client.call("GET", self.location, step="page")
        key, csrf, stream = self.KEY_RE.search(page), self.CSRF_RE.search(page), self.STREAM_RE.search(page)
        if status != 200 or not (key and csrf and stream):
            client.errors[f"task page {status} without its form"] += status == 200
            return False
        path = stream.group(1).decode()
        status, _, audio = client.call("GET", path, headers={"Range": "bytes=0-"}, step="stream")
        self.streamed = (path, status, audio)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf.group(1).decode(), "idempotency_key": key.group(1).decode(),
                                       "transcript": "play some jazz in the kitchen", "activation": "intended"})
        status, location, _ = client.call("POST", self.location, form,
                                          {"Content-Type": "application/x-www-form-urlencoded"}, step="submit")
        client.pairs.append(client.last("page") + client.last("submit"))
        if status != 302 or not location or "/room/task/" not in location:
            client.errors[f"submit {status} did not lead to a next task"] += status < 400
            self.location = None
            return False
        self.location = location
        return True


# --- measuring ----------------------------------------------------------------------------------


def run_together(people, seconds: float) -> float:
    until = time.time() + seconds
    started = time.time()
    threads = [threading.Thread(target=p.loop, args=(until,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.time() - started


def steps_of(people, steps) -> dict:
    merged = {step: [x for p in people for x in p.client.timings[step]] for step in steps}
    merged["pair"] = [x for p in people for x in p.client.pairs]
    return {step: (percentile(v, 50), percentile(v, 95), len(v)) for step, v in merged.items()}


def worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def measure(system, args, log_dir: str) -> dict:
    """One run of one system: one client, then `clients` together; the server is started for it
    and stopped after, so the other system's run has the machine to itself."""
    access_log = os.path.join(log_dir, f"{system.name.replace(' ', '')}-{time.time_ns()}.log")
    since = system.run_marker()
    system.start(access_log)
    result = {"load_start": loadavg()}
    try:
        people = system.people()
        one = people[0]
        one.loop(time.time() + 600, max_loops=20)  # warm-up: every worker's first requests load code
        one.client.reset()
        started = time.time()
        one.loop(time.time() + 600, max_loops=args.loops)
        result["one"] = {"steps": steps_of([one], people[0].STEPS), "errors": sum(one.client.errors.values()),
                         "error_kinds": dict(one.client.errors), "loops": len(one.client.pairs),
                         "seconds": time.time() - started, "load": loadavg()}
        run_together(people, args.warmup)
        for p in people:
            p.client.reset()
        workers = worker_pids(system.server.pid)
        cpu_before = {pid: cpu_seconds(pid) for pid in workers}
        offset = os.path.getsize(access_log)
        elapsed = run_together(people, args.seconds)
        cpu = {pid: cpu_seconds(pid) - cpu_before[pid] for pid in workers}
        time.sleep(0.2)  # the access log line is written after the response
        with open(access_log) as f:
            f.seek(offset)
            served = Counter(line.split()[0] for line in f if line.strip())
        errors = sum((p.client.errors for p in people), Counter())
        result["many"] = {
            "steps": steps_of(people, people[0].STEPS), "seconds": elapsed,
            "requests": sum(p.client.requests for p in people), "loops": sum(len(p.client.pairs) for p in people),
            "errors": sum(errors.values()), "error_kinds": dict(errors), "load": loadavg(),
            "retries": sum(p.client.retries for p in people),
            "served": {int(pid.strip("<>")): n for pid, n in served.items()}, "cpu": cpu,
        }
    finally:
        system.stop()
    result.update(system.outcome(people, since))
    return result


def print_run(number: int, system, r: dict, clients: int) -> None:
    def row(block):
        s = block["steps"]
        cells = " | ".join(f"{step} {s[step][0]:.1f}/{s[step][1]:.1f}" for step in (*system.STEPS, "pair"))
        return f"{cells} ms (p50/p95)"

    print(f"[run {number}] {system.name}  (load at start {r['load_start']:.2f})")
    one = r["one"]
    print(f"  1 client, {one['loops']} round trips: {row(one)}; errors {one['errors']}; load {one['load']:.2f}")
    many = r["many"]
    rate = many["requests"] / many["seconds"]
    print(f"  {clients} clients, {many['seconds']:.1f} s: {rate:.1f} req/s "
          f"({many['loops'] / many['seconds']:.1f} round trips/s); {row(many)}; load {many['load']:.2f}")
    share = ", ".join(f"{pid}: {n} req / {many['cpu'].get(pid, 0):.1f} cpu-s" for pid, n in sorted(many["served"].items()))
    idle = [pid for pid in many["cpu"] if pid not in many["served"]]
    print(f"  per worker: {share}" + (f"; idle workers {idle}" if idle else "")
          + (f"; {many['retries']} requests re-sent after the server closed an idle connection" if many["retries"] else ""))
    kinds = {**one["error_kinds"], **many["error_kinds"]}
    print(f"  errors {one['errors'] + many['errors']}{' ' + str(kinds) if kinds else ''}; double assignments "
          f"{r['double_assigned']} (this run); duplicated submissions {r['double_submitted']} ({r['submissions']} "
          "submissions so far)",
          flush=True)


def mark_cost_http(quietroom: QuietRoom, rounds: int, log_dir: str, block: int = 1) -> dict:
    """Issue 19's cost over HTTP: the stream step with and without the watermark, same run.

    Two QuietRoom servers in the production shape on the same database: "marked" as production
    runs it, "before (no mark)" through bench/_unmarked_wsgi.py (the gate's delivery step
    replaced by nothing, as `_profile_room.stream_mark_cost` does in process). One reviewer, one
    session (the cookie is the database's session row, signed with the data folder's key, so
    it is good on both), goes through the queue alternating servers round trip by round trip:
    task page, stream and submit on one, the next task (the submit's redirect, a path) on the
    other; with `block` > 1, `block` round trips on one server, then as many on the other, the
    way one server takes a reviewer's consecutive round trips in the review bench itself (round
    by round, each server sat idle while the other served a whole round trip, so every request
    found its process's caches taken by the other: a stricter condition than the bench's).
    `MARK_WARMUP` round trips per server untimed, then `rounds` each (both rounded up to a
    multiple of `block`). Afterwards the
    marks are checked: each stream's page view (from its signed link) must have a delivery row
    and its bytes differ from the sealed clip on the marked server, and neither on the other;
    a comparison whose marked side did not mark would mean nothing."""
    from django.core import signing
    from django.test import Client as DjangoClient

    from quietroom.audit import actions
    from quietroom.audit.models import AuditEvent, Delivery
    from quietroom.review import streaming

    block = max(1, int(block))
    rounds, warmup = -(-rounds // block) * block, -(-MARK_WARMUP // block) * block
    quietroom.prepare(2 * (rounds + warmup))  # seals twice what the round trips reach
    since = quietroom.run_marker()
    labels = ("before (no mark)", "marked")
    # gunicorn 27 opens a control socket at one default path per user: two masters at once would
    # take it from each other, so each gets its own (nothing else about serving changes).
    servers = {label: QuietRoom(quietroom.reviewers, quietroom.gunicorn_args + [
        "--control-socket", os.path.join(log_dir, f"{label.split()[0]}.ctl")],
        wsgi_app=UNMARKED_APP if label == "before (no mark)" else None) for label in labels}
    # A reviewer of its own: in the full bench the others may still hold a lease from its runs.
    user = quietroom.reviewers[-1]
    browser = DjangoClient()
    browser.force_login(user)  # a real session row, through the sign-in signal
    cookies = {k: v.value for k, v in browser.cookies.items()}
    load_start = loadavg()
    with contextlib.ExitStack() as stack:
        for label in labels:
            stack.callback(servers[label].stop)
            servers[label].start(os.path.join(log_dir, f"mark-{label.split()[0]}-{time.time_ns()}.log"))
        people = {label: Reviewer(Client(servers[label].port)) for label in labels}
        shared = dict(cookies)
        for label in labels:  # one browser: a cookie either server sets (CSRF, a renewed session) goes to both
            people[label].client.cookies = shared
        for label in labels:
            status, _, page = people[label].client.call("GET", "/room/")
            if status != 200 or not Reviewer.CSRF_RE.search(page):
                raise SystemExit(f"mark cost: the session does not work on the {label} server (/room/ answered "
                                 f"{status} {dict(people[label].client.errors)})")
        if not people[labels[0]].begin():
            raise SystemExit(f"mark cost: nothing handed out {dict(people[labels[0]].client.errors)}")
        location = people[labels[0]].location
        views = {label: [] for label in labels}
        unchanged = Counter()  # streams whose bytes are the sealed clip as it was sealed
        for i in range(2 * (rounds + warmup)):
            if i == 2 * warmup:
                for person in people.values():
                    person.client.reset()
            label = labels[(i // block) % 2]
            person = people[label]
            person.location = location
            if not person.round_trip():
                raise SystemExit(f"mark cost: round trip {i} on the {label} server failed: {dict(person.client.errors)}")
            location = person.location
            path, status, audio = person.streamed
            token = path.rstrip("/").rsplit("/", 1)[1]
            views[label].append(signing.loads(token, salt=streaming.SALT)["v"])
            unchanged[label] += audio == clip()
        load_end = loadavg()
    server_of = {view: label for label in labels for view in views[label]}
    plays = Counter(server_of.get(view, "neither") for view in AuditEvent.objects.filter(
        seq__gt=since, action=actions.SNIPPET_PLAY, outcome="ok").values_list("details__view", flat=True))
    delivered = Counter(server_of.get(view, "neither")
                        for view in Delivery.objects.filter(event__seq__gt=since).values_list("view", flat=True))

    print(f"\nthe stream with and without the watermark over HTTP (issue 19; two gunicorn servers in the "
          f"production shape on one database, one reviewer alternating between them "
          f"{'round trip by round trip' if block == 1 else f'every {block} round trips'}, {warmup} "
          f"untimed then {rounds} each; load {load_start:.2f} -> {load_end:.2f})")
    steps = {label: steps_of([people[label]], Reviewer.STEPS) for label in labels}
    for label in labels:
        s = steps[label]
        print(f"  {label:<18} stream p50 {s['stream'][0]:6.2f} ms   p95 {s['stream'][1]:6.2f} ms   "
              f"(page {s['page'][0]:.2f}/{s['page'][1]:.2f}, submit {s['submit'][0]:.2f}/{s['submit'][1]:.2f} ms "
              f"p50/p95); {s['stream'][2]} streams timed, errors {sum(people[label].client.errors.values())}")
    ratio = steps["marked"]["stream"][1] / steps["before (no mark)"]["stream"][1]
    print(f"  p95 marked / before: {ratio:.2f} (target: <= 1.10)")
    n = rounds + warmup
    for label in labels:
        print(f"  {label:<18} {n} streams: {plays[label]} plays audited, {delivered[label]} delivery rows, "
              f"{n - unchanged[label]} with bytes other than the sealed clip")
    if plays["neither"] or delivered["neither"]:
        print(f"  not from this comparison's streams: {plays['neither']} plays, {delivered['neither']} delivery rows")
    marked_ok = (plays["marked"] == delivered["marked"] == n and unchanged["marked"] == 0
                 and plays["before (no mark)"] == n and delivered["before (no mark)"] == 0
                 and unchanged["before (no mark)"] == n and not delivered["neither"])
    print(f"  {'every' if marked_ok else 'NOT every'} marked stream carried a mark (its own delivery) and no "
          "unmarked one did", flush=True)
    errors = sum(sum(p.client.errors.values()) for p in people.values())
    return {"ratio": ratio, "marked_ok": marked_ok, "errors": errors,
            "ok": marked_ok and errors == 0 and ratio <= 1.10,
            **{label: steps[label]["stream"][1] for label in labels}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queued", type=int, default=100_000, help="tasks queued in each system")
    parser.add_argument("--loops", type=int, default=300, help="round trips timed with one client")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (reviewers)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window with all clients")
    parser.add_argument("--warmup", type=float, default=5.0, help="untimed seconds with all clients first")
    parser.add_argument("--runs", type=int, default=2, help="alternations (Label Studio, QuietRoom) x runs")
    parser.add_argument("--no-label-studio", action="store_true", help="QuietRoom only (no ratios)")
    parser.add_argument("--gunicorn-args", default="", help="extra gunicorn options for both systems (to compare)")
    parser.add_argument("--profile", type=int, default=0, help="also profile N in-process round trips of QuietRoom")
    parser.add_argument("--profile-dump", default="", metavar="DIR",
                        help="with --profile: write each step's cProfile statistics to DIR/<step>.pstats")
    parser.add_argument("--profile-only", action="store_true",
                        help="only the in-process profile (per-step CPU ms and statements): no servers, no Label Studio")
    parser.add_argument("--mark-cost", type=int, default=0,
                        help="with --profile-only: also N streams with and N without the watermark, alternated (issue 19)")
    parser.add_argument("--mark-cost-block", type=int, default=1, metavar="K",
                        help="with --mark-cost-http: switch servers every K round trips (default 1: every round trip)")
    parser.add_argument("--mark-cost-http", type=int, default=0, metavar="N",
                        help="N round trips on each of two servers, with and without the watermark, alternated "
                             "(issue 19, over HTTP): after the runs, or alone with --no-label-studio")
    args = parser.parse_args(argv)
    if args.mark_cost_http and args.profile_only:
        parser.error("--mark-cost-http starts servers: not with --profile-only (use --mark-cost there)")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    from quietroom.ops import serving

    extra = args.gunicorn_args.split()
    shape = serving.shape_args() + extra
    print(f"review round trip over HTTP: {args.queued} queued per system, {args.clients} clients, gunicorn "
          f"{' '.join(shape)}; load {loadavg():.2f}", flush=True)
    log_dir = tempfile.mkdtemp(prefix="review-http-")  # the servers' access logs (pids only)
    try:
        return _run(args, extra, log_dir)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)


def _run(args, extra: list[str], log_dir: str) -> int:
    from quietroom.ops import serving

    shape = serving.shape_args() + extra
    with _support.bench_environment("http"):
        t0 = time.time()
        quietroom = QuietRoom(set_up_quietroom(args.queued, args.clients), extra)
        print(f"QuietRoom: {args.queued} queued loaded in {time.time() - t0:.0f} s; load {loadavg():.2f}", flush=True)
        if args.profile_only:
            import _profile_room

            _profile_room.report(quietroom.reviewers[0], args.profile or 200, prepare=quietroom.prepare,
                                  dump=args.profile_dump)
            if args.mark_cost:
                _profile_room.stream_mark_cost(quietroom.reviewers[1], args.mark_cost, prepare=quietroom.prepare)
            return 0
        if args.mark_cost_http and args.no_label_studio:
            # Only the comparison of the stream with and without the mark: no QuietRoom-only runs
            # (without Label Studio they have no ratio to give), as --profile-only skips them.
            ok = mark_cost_http(quietroom, args.mark_cost_http, log_dir, args.mark_cost_block)["ok"]
        else:
            ok = _runs(quietroom, args, shape, log_dir)
            if args.mark_cost_http:
                ok = mark_cost_http(quietroom, args.mark_cost_http, log_dir, args.mark_cost_block)["ok"] and ok
        if args.profile:
            import _profile_room

            _profile_room.report(quietroom.reviewers[0], args.profile, prepare=quietroom.prepare, dump=args.profile_dump)
    return 0 if ok else 1


def _runs(quietroom: QuietRoom, args, shape: list[str], log_dir: str) -> bool:
    """The alternated runs (Label Studio, QuietRoom) x `--runs` and their summary: True when
    every target of issue 20 is met."""
    with contextlib.ExitStack() as stack:
        systems = [quietroom]
        if not args.no_label_studio:
            import _labelstudio

            t0 = time.time()
            studio = stack.enter_context(_labelstudio.LabelStudio(_support.PG, args.queued, args.clients, clip(), shape))
            systems.insert(0, LabelStudioSide(studio))
            print(f"Label Studio: {args.queued} tasks imported in {time.time() - t0:.0f} s; load {loadavg():.2f}",
                  flush=True)
        results = defaultdict(list)
        per_run_loops = args.loops + 20 + int((args.seconds + args.warmup) * 120)
        number = 0
        for _ in range(args.runs):
            for system in systems:
                if system is quietroom:
                    quietroom.prepare(per_run_loops)
                number += 1
                r = measure(system, args, log_dir)
                results[system.name].append(r)
                print_run(number, system, r, args.clients)
    return summarise(results, args)


class LabelStudioSide:
    """Label Studio in the shape `measure` drives."""

    name = "Label Studio 1.23.2"
    STEPS = ("next", "audio", "submit")

    def __init__(self, studio):
        self.studio = studio

    @property
    def server(self):
        return self.studio.server

    def start(self, access_log):
        self.studio.start(access_log)

    def stop(self):
        self.studio.stop()

    def people(self):
        return self.studio.annotators()

    def run_marker(self) -> int:
        return 0

    def outcome(self, people, since: int):
        """Double assignments among this run's hand-outs (as QuietRoom's), duplicated
        annotations over the whole database."""
        import _labelstudio

        return self.studio.outcome(_labelstudio.handed_out(people))


def summarise(results: dict, args) -> bool:
    qr = results.get("QuietRoom", [])
    ls = results.get("Label Studio 1.23.2", [])

    def med(runs, path):
        values = [path(r) for r in runs]
        return statistics.median(values) if values else float("nan")

    rate = lambda r: r["many"]["requests"] / r["many"]["seconds"]  # noqa: E731
    print("\nmedians of the runs (load average beside each run above)")
    for name, runs in (("QuietRoom", qr), ("Label Studio 1.23.2", ls)):
        if not runs:
            continue
        steps = Reviewer.STEPS if name == "QuietRoom" else ("next", "audio", "submit")
        one = " | ".join(f"{s} {med(runs, lambda r, s=s: r['one']['steps'][s][0]):.1f}/{med(runs, lambda r, s=s: r['one']['steps'][s][1]):.1f}"
                         for s in (*steps, "pair"))
        print(f"  {name:<20} 1 client: {one} ms; {args.clients} clients: {med(runs, rate):.1f} req/s, "
              f"pair {med(runs, lambda r: r['many']['steps']['pair'][0]):.1f}/{med(runs, lambda r: r['many']['steps']['pair'][1]):.1f} ms")
    if qr and ls:
        print(f"  ratios (QuietRoom over Label Studio, same run): {args.clients}-client req/s "
              f"{med(qr, rate) / med(ls, rate):.1f}x; 1-client pair p50 "
              f"{med(ls, lambda r: r['one']['steps']['pair'][0]) / med(qr, lambda r: r['one']['steps']['pair'][0]):.1f}x "
              f"faster, p95 {med(ls, lambda r: r['one']['steps']['pair'][1]) / med(qr, lambda r: r['one']['steps']['pair'][1]):.1f}x")
    if not qr:
        return False
    page = med(qr, lambda r: r["one"]["steps"]["page"][0])
    submit = med(qr, lambda r: r["one"]["steps"]["submit"][0])
    pair95 = med(qr, lambda r: r["one"]["steps"]["pair"][1])
    fair = lambda r: min(r["many"]["served"].get(pid, 0) for pid in r["many"]["cpu"]) >= 0.5 * r["many"]["requests"] / max(len(r["many"]["cpu"]), 1)  # noqa: E731
    checks = {
        "1 client: task page p50 <= 10 ms": page <= 10,
        "1 client: submit p50 <= 10 ms": submit <= 10,
        "1 client: pair p95 <= 30 ms": pair95 <= 30,
        f"{args.clients} clients: >= 10x Label Studio's req/s": bool(ls) and med(qr, rate) >= 10 * med(ls, rate),
        "every worker serving (each >= half a fair share)": all(fair(r) for r in qr),
        "0 errors, 0 double assignments, 0 duplicated submissions": all(
            r["one"]["errors"] + r["many"]["errors"] + r["double_assigned"] + r["double_submitted"] == 0 for r in qr),
    }
    for check, met in checks.items():
        print(f"  {'met    ' if met else 'NOT met'} {check}")
    return all(checks.values())


if __name__ == "__main__":
    sys.exit(main())
