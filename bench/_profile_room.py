"""Where the time of the reviewer's requests goes, in process (bench/review_http.py --profile N).

Django's test client drives the whole stack (every middleware, the view, the template) without
gunicorn or a socket, for one reviewer, through N round trips: task page, stream, submit.

- Wall time per step without any profiler, and the statements each step sends with the
  time PostgreSQL took for them (Django's `connection.execute_wrapper` hook).
- The Python CPU time of each step (the bench is the only thread then), which a loaded machine
  disturbs far less than wall time.
- The same steps again under cProfile, timed by CPU time: the share of named pieces of the
  step's Python time (inclusive: the view, template rendering, the context processors, the
  gate's decrypt, the audit append, session load and save, the sign-in lookup, the site rule,
  CSRF, the queue). cProfile slows Python code, so shares, not milliseconds, are the reading.
- The statements of one round trip, grouped, with the QuietRoom function that sent each.
"""
from __future__ import annotations

import cProfile
import os
import pstats
import re
import time
import traceback
from collections import defaultdict
from urllib.parse import urlencode

from _http_client import percentile

STEPS = ("page", "stream", "submit")
# (label, file suffix, function name): inclusive time of each, per step. Pieces nest (the
# template includes the context processors), so the shares do not add up to 100%.
PIECES = (
    ("view", "review/views.py", ("task_view", "stream")),
    ("  template render", "django/template/backends/django.py", ("render",)),
    ("    context processors", "accounts/context_processors.py", ("access",)),
    ("  submit (store, audit)", "review/submissions.py", ("submit",)),
    ("  next task (lease, audit)", "review/queue.py", ("next_task",)),
    ("  held task load", "review/views.py", ("_held_task",)),
    ("  draft lookup", "review/submissions.py", ("load_draft",)),
    ("  care warning", "escalation/care.py", ("warning_for",)),
    ("  care score", "escalation/care.py", ("record_score",)),
    ("  gate (policy, decrypt, audit)", "quietroom/gate.py", ("open_audited",)),
    ("    decrypt", "vault/envelope.py", ("decrypt_object",)),
    ("    customer key unwrap", "vault/envelope.py", ("unwrap_customer_key",)),
    ("  exposure mark heard", "review/exposure.py", ("mark_heard",)),
    ("  stream token", "review/streaming.py", ("make_token", "read_token")),
    ("audit append (all)", "audit/log.py", ("record",)),
    ("session load", "sessions/backends/db.py", ("load",)),
    ("session save", "sessions/backends/db.py", ("save",)),
    ("sign-in lookup (user)", "django/contrib/auth/__init__.py", ("get_user",)),
    ("site rule (middleware)", "accounts/middleware.py", ("process_view",)),
    ("session policy (middleware)", "accounts/sessions.py", ("renew_if_due",)),
    ("CSRF (middleware)", "django/middleware/csrf.py", ("process_view",)),
    ("messages (middleware)", "contrib/messages/middleware.py", ("process_response",)),
)
# Where the Python time itself is spent (self time, by the code that spends it): these add up.
BUCKETS = (
    ("Django ORM (building queries, making model objects)", ("django/db/models/",)),
    ("Django database layer + psycopg (sending, receiving)", ("django/db/backends/", "psycopg/", "psycopg_binary")),
    ("Django templates", ("django/template/", "django/templatetags/")),
    ("Django request/response, middleware, sessions, auth", ("django/core/", "django/http/", "django/middleware/",
                                                            "django/contrib/", "django/urls/", "django/utils/")),
    ("QuietRoom's own code", ("/quietroom/",)),
    ("cryptography", ("cryptography/",)),
    ("other libraries", ("site-packages/",)),
    ("built-in functions (C)", ("~",)),
    ("Python's standard library", ("/lib/python3",)),
)
STREAM_RE = re.compile(r'src="(/room/stream/[^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


class Statements:
    """Every statement a step sends, with its database time and the QuietRoom caller."""

    def __init__(self, with_callers: bool = False):
        self.with_callers = with_callers
        self.calls: list[tuple[str, float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            caller = ""
            if self.with_callers:
                frames = [f for f in traceback.extract_stack()[:-1] if "/quietroom/" in f.filename]
                caller = f"{frames[-1].filename.split('/quietroom/')[1]}:{frames[-1].name}" if frames else "django"
            self.calls.append((sql, elapsed, caller))


class Room:
    """One reviewer's browser in process (Django's test client, REMOTE_ADDR 127.0.0.1)."""

    def __init__(self, user):
        from django.test import Client

        self.browser = Client(HTTP_HOST="127.0.0.1")  # an allowed host, as the HTTP clients send
        self.browser.force_login(user)
        response = self.browser.post("/room/next/")
        self.location = response["Location"]

    def step(self, name: str, state: dict):
        if name == "page":
            response = self.browser.get(self.location)
            page = response.content.decode()
            state["stream"], state["key"] = STREAM_RE.search(page).group(1), KEY_RE.search(page).group(1)
        elif name == "stream":
            response = self.browser.get(state["stream"], HTTP_RANGE="bytes=0-")
        else:
            # URL-encoded, as a browser sends a form without files (the test client's default,
            # multipart, costs the server a parse no reviewer's submit has)
            form = urlencode({"idempotency_key": state["key"], "activation": "intended",
                              "transcript": "play some jazz in the kitchen"})
            response = self.browser.post(self.location, form, content_type="application/x-www-form-urlencoded")
            self.location = response["Location"]
        if response.status_code >= 400 or (name == "submit" and "/room/task/" not in self.location):
            raise SystemExit(f"profile: {name} answered {response.status_code}")


def report(user, loops: int, prepare, dump: str = "") -> None:
    """`dump`: a folder to write each step's cProfile statistics to (`<step>.pstats`, for pstats or
    snakeviz), besides the shares printed."""
    from django.db import connection

    prepare(2 * loops + min(loops, 50) + 10)
    room = Room(user)
    for _ in range(10):  # warm-up: templates compiled, statements prepared
        state = {}
        for name in STEPS:
            room.step(name, state)
    wall, cpu, sql_ms, counts = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    for _ in range(loops):
        state = {}
        for name in STEPS:
            statements = Statements()
            with connection.execute_wrapper(statements):
                started, started_cpu = time.perf_counter(), time.process_time()
                room.step(name, state)
                wall[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.process_time() - started_cpu) * 1000)
            counts[name].append(len(statements.calls))
            sql_ms[name].append(sum(s[1] for s in statements.calls))
    profiles = {name: cProfile.Profile(time.process_time) for name in STEPS}
    for _ in range(loops):
        state = {}
        for name in STEPS:
            profiles[name].enable()
            room.step(name, state)
            profiles[name].disable()
    if dump:
        os.makedirs(dump, exist_ok=True)
        for name, profile in profiles.items():
            profile.dump_stats(f"{dump}/{name}.pstats")
    traced = defaultdict(list)
    for _ in range(min(loops, 50)):
        state = {}
        for name in STEPS:
            statements = Statements(with_callers=True)
            with connection.execute_wrapper(statements):
                room.step(name, state)
            traced[name].append(statements.calls)

    print(f"\nwhere a request's time goes (in process, {loops} round trips of one reviewer; Django's test client, "
          "no gunicorn or socket)")
    for name in STEPS:
        stats = pstats.Stats(profiles[name]).stats
        total = sum(tt for (_, _, tt, _, _) in stats.values())
        print(f"  {name}: wall p50 {percentile(wall[name], 50):.2f} ms, p95 {percentile(wall[name], 95):.2f} ms; "
              f"Python CPU p50 {percentile(cpu[name], 50):.2f} ms; {statistics_mean(counts[name]):.1f} statements, "
              f"waiting for the database p50 {percentile(sql_ms[name], 50):.2f} ms; shares of the Python time:")
        for label, suffix, names in PIECES:
            inclusive = sum(ct for (filename, _, func), (_, _, _, ct, _) in stats.items()
                            if filename.endswith(suffix) and func in names)
            if inclusive > 0.005 * total:  # pieces under half a percent are left out
                print(f"      {label:<34} {100 * inclusive / total:5.1f}%")
        spent = defaultdict(float)
        for (filename, _, _), (_, _, tt, _, _) in stats.items():
            bucket = next((label for label, parts in BUCKETS if any(part in filename for part in parts)), "other")
            spent[bucket] += tt
        print("    self time by whose code: " + "; ".join(
            f"{label} {100 * t / total:.0f}%" for label, t in sorted(spent.items(), key=lambda x: -x[1]) if t > 0.01 * total))
        times = defaultdict(list)
        for calls in traced[name]:
            for sql, ms, caller in calls:
                times[(_shape(sql), caller)].append(ms)
        print(f"    statements of one {name} (per round trip; database ms p50/p95 of each):")
        for (shape, caller), ms in sorted(times.items(), key=lambda item: -len(item[1]))[:40]:
            print(f"      {len(ms) / len(traced[name]):3.1f}x {percentile(ms, 50):6.2f}/{percentile(ms, 95):6.2f} "
                  f"{shape:<80.80} <- {caller}")


def statistics_mean(values) -> float:
    return sum(values) / len(values) if values else 0.0


def _shape(sql: str) -> str:
    """A statement without its literal lists, short enough to read in a table."""
    sql = re.sub(r'"s\d+_x\d+"', '"s…"', re.sub(r"\((?:%s, )+%s\)", "(...)", sql))
    return re.sub(r"\s+", " ", sql).strip()


def stream_mark_cost(user, rounds: int, prepare) -> dict:
    """Issue 19's cost on the review bench: the room's stream request (Django's test client through
    every middleware, the gate, the audit and, when marking, the delivery row and the embedding)
    with the watermark and with the gate's delivery step switched off, alternated in one run, each
    after its own page view (a new view: a new delivery, not the cached bytes of the last). Wall
    p50/p95 of each and the p95 ratio (target: within 10%)."""
    from quietroom import gate

    prepare(2 * rounds + 40)
    room = Room(user)
    marking = gate._marked_delivery
    times = {"before (no mark)": [], "marked": []}
    try:
        for i in range(2 * rounds + 20):
            label = "marked" if i % 2 else "before (no mark)"
            gate._marked_delivery = marking if i % 2 else (lambda view, later=False: None)
            state = {}
            room.step("page", state)
            started = time.perf_counter()
            room.step("stream", state)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 20:  # warm-up
                times[label].append(elapsed)
            if i % 2:  # hand in every second page so the queue moves on as a reviewer's would
                room.step("submit", state)
    finally:
        gate._marked_delivery = marking
    print(f"\nthe stream with and without the watermark (issue 19; in process, {rounds} each, alternated, "
          f"a {len(times['marked'])}-request sample each)")
    for label, values in times.items():
        print(f"  {label:<18} p50 {percentile(values, 50):6.2f} ms   p95 {percentile(values, 95):6.2f} ms")
    ratio = percentile(times["marked"], 95) / percentile(times["before (no mark)"], 95)
    print(f"  p95 marked / before: {ratio:.2f} (target: <= 1.10)")
    return {"ratio": ratio, **{label: percentile(v, 95) for label, v in times.items()}}
