"""The review room's statements are prepared on PostgreSQL, and the queue's own query is always
planned for its values (issue 20, phase 3).

Django turns psycopg's preparing off unless `prepare_threshold` is set, so a statement was parsed
and planned on every request; settings.py sets it. A generic plan of the candidate query (blind
to the locale and the reviewer) took seconds at 100k queued, so the lease transaction forces
custom plans (`queue._begin_lease`); PostgreSQL's own counters say which plans a prepared
statement got.
"""
from __future__ import annotations

import re

import pytest
from django.db import connection

from .factories import make_snippets

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: SET LOCAL ends with its transaction

KEY_RE = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


def _prepared() -> list[tuple[str, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return cursor.fetchall()


def test_repeated_statements_are_prepared_and_the_queue_query_is_planned_for_its_values(
        controller, make_reviewer, reviewer_client):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    make_snippets(controller, 14, hypothesis="set a timer for {i} minutes")
    client = reviewer_client(make_reviewer())
    location = client.post("/room/next/")["Location"]
    modes = []

    def plan_mode_at_the_queue_query(execute, sql, params, many, context):
        if re.search(r"SELECT t\.\*,", sql):  # the mode this statement is planned under
            modes.append(connection.connection.execute("SHOW plan_cache_mode").fetchone()[0])
        return execute(sql, params, many, context)

    for _ in range(9):  # psycopg prepares a statement on its fifth run on a connection
        page = client.get(location)
        assert page.status_code == 200
        with connection.execute_wrapper(plan_mode_at_the_queue_query):
            submitted = client.post(location, {"idempotency_key": KEY_RE.search(page.content.decode()).group(1),
                                               "activation": "intended", "transcript": "set a timer"})
        assert submitted.status_code == 302 and "/room/task/" in submitted["Location"]
        location = submitted["Location"]
    prepared = _prepared()
    held_task = [p for p in prepared if 'FROM "review_task"' in p[0] and "lease_owner_id" in p[0] and "EXISTS" in p[0]]
    assert held_task, "the task page's held-task load is not prepared"
    candidates = [p for p in prepared if re.search(r"SELECT t\.\*,", p[0])]
    assert candidates, "the queue's candidate query is not prepared"
    assert all(generic == 0 and custom >= 1 for _, generic, custom in candidates), candidates
    assert modes and set(modes) == {"force_custom_plan"}, modes
    assert connection.connection.execute("SHOW plan_cache_mode").fetchone()[0] == "auto"  # SET LOCAL: that transaction only
