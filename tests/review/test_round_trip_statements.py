"""Statements per request of the reviewer's round trip (issue 20), pinned so they cannot grow
back unnoticed: the task page, its audio stream and the submit that leases the next snippet.

The numbers are those of a second round trip (the first compiles its queries), with a reviewer
signed in through the real two-step login and snippets scored for reviewer care as the pipeline
stores them. PostgreSQL appends to the audit log in two statements where SQLite takes three,
takes one more on the stream (the page view's advisory lock) and fewer on the next lease
(reclaim, asynchronous commit and the gold count in one statement: review/queue.py; the lease,
its exposure row and the lock of the audit head in one statement: review/exposure.py; the
submission, the lease's end, the heard mark and the audit head's lock in one statement:
review/submissions.py; the delivery's serial and row in one statement: audit/deliveries.py). The
savepoints of the test's own transaction are not counted. Each statement is named in
bench/README.md ("Where a request's time goes").
"""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quietroom.escalation import care

from .factories import make_snippets

pytestmark = pytest.mark.django_db

STREAM_RE = re.compile(r'src="(/room/stream/[^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


def _counted(queries) -> int:
    """Statements sent, not counting the savepoints a test's enclosing transaction adds."""
    return sum(1 for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))


def _round_trip(client, location):
    counts = {}
    with CaptureQueriesContext(connection) as page_queries:
        page = client.get(location)
    assert page.status_code == 200
    html = page.content.decode()
    counts["page"] = _counted(page_queries)
    with CaptureQueriesContext(connection) as stream_queries:
        audio = client.get(STREAM_RE.search(html).group(1), HTTP_RANGE="bytes=0-")
    assert audio.status_code == 206 and audio.content[:4] == b"RIFF"
    counts["stream"] = _counted(stream_queries)
    with CaptureQueriesContext(connection) as submit_queries:
        submitted = client.post(location, {"idempotency_key": KEY_RE.search(html).group(1), "activation": "intended",
                                           "transcript": "play some jazz in the kitchen"})
    assert submitted.status_code == 302 and "/room/task/" in submitted["Location"]
    counts["submit"] = _counted(submit_queries)
    return counts, submitted["Location"], [q["sql"] for q in page_queries.captured_queries + stream_queries.captured_queries
                                           + submit_queries.captured_queries]


def test_the_round_trip_takes_a_handful_of_statements_per_request(controller, make_reviewer, reviewer_client):
    for task in make_snippets(controller, 4, hypothesis="set a timer for {i} minutes"):
        care.record_score(task.snippet, "set a timer")  # as the pipeline stores it for every snippet
    client = reviewer_client(make_reviewer())
    location = client.post("/room/next/")["Location"]
    _, location, _ = _round_trip(client, location)  # the first: statements prepared, snippets scored
    counts, _, statements = _round_trip(client, location)
    postgresql = connection.vendor == "postgresql"
    # Before issue 20's phase 2 (PostgreSQL): page 16, stream 13, submit 22; before phase 3: stream 10, submit 13;
    # the play's delivery row written by its audit statement (issue 19, a `log.Rider`): stream 9 -> 8.
    expected = {"page": 6, "stream": 8, "submit": 8} if postgresql else {"page": 7, "stream": 9, "submit": 15}
    assert counts == expected, f"{counts}\n" + "\n".join(sql[:100] for sql in statements)
