"""The queue's hot query, written out: the best queued tasks a reviewer may be offered.

Every "next" runs this, so it is plain SQL (the ORM spent more time building it than the
database spent answering it) and it carries, per candidate, the facts the eligibility function
needs about that candidate, so they cost no further round trips:

- `had_recording`: the reviewer held or finished a task of the same recording;
- `warned` / `escalated`: the snippet scored as likely distressing / was flagged by a reviewer;
- `cleared`: the reviewer is cleared for sensitive content (the same for every row);
- `customer_pseudonym`: for the audit record of the assignment.

`facts_for_task` reads the same facts for one task in one statement (a task the reviewer holds
or might hold: the streaming gate, the hypothesis view, gold slots, the admin's explanation).

What the SQL leaves out (the reviewer cannot be offered these whatever the policy): other
statuses and locales, tasks this reviewer skipped, snippets they already had, and recordings
they already had unless some controller allows that. Best first: priority, then the earliest
due date, then the oldest. On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED so
concurrent reviewers never wait on, or receive, the same task.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.db import connection

from quietroom.escalation.models import Flag, SnippetCare
from quietroom.recordings.models import CustomerKey

from .models import ControllerPolicy, ReviewerClearance, Skip, Task


@dataclass(frozen=True)
class CandidateFacts:
    """What the policy needs to know about one task and this reviewer, besides totals."""

    had_recording: bool = False
    had_snippet: bool = False
    skipped: bool = False
    warned: bool = False
    escalated: bool = False
    cleared: bool = False


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


ORDER = "t.priority DESC, t.due_at ASC NULLS LAST, t.created_at ASC"  # the partial queue index's order


def _sql(locales: int, seen: int, *, lock: bool, facts: bool) -> str:
    task, skip = _table(Task), _table(Skip)
    in_locales = ", ".join(["%s"] * locales)
    not_seen = f" AND t.id NOT IN ({', '.join(['%s'] * seen)})" if seen else ""
    locking = " FOR UPDATE OF t SKIP LOCKED" if lock and connection.features.has_select_for_update_skip_locked else ""
    # PostgreSQL would turn the same-recording test into a hash of everything this reviewer ever
    # had, built on every call; OFFSET 0 keeps it an index lookup per candidate (a handful).
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    picked = f"""
        SELECT t.* FROM {task} t
        WHERE t.status = %(queued)s AND t.locale IN ({in_locales}){not_seen}
          AND NOT EXISTS (SELECT 1 FROM {skip} s WHERE s.reviewer_id = %(user)s AND s.task_id = t.id)
          AND NOT EXISTS (SELECT 1 FROM {task} o WHERE o.lease_owner_id = %(user)s AND o.snippet_id = t.snippet_id)
          AND NOT (EXISTS (SELECT 1 FROM {task} o WHERE o.lease_owner_id = %(user)s AND o.recording_id = t.recording_id{fence})
                   AND NOT EXISTS (SELECT 1 FROM {_table(ControllerPolicy)} p WHERE p.allow_same_recording))
        ORDER BY {ORDER}
        LIMIT %(limit)s{locking}"""
    if not facts:
        return picked
    # The facts are read for the few rows picked, outside the LIMIT: inside it the planner may
    # prefer to hash a whole table (every care score) over a handful of index lookups.
    return f"""
    SELECT t.*,
        ck.pseudonym AS customer_pseudonym,
        EXISTS (SELECT 1 FROM {task} h WHERE h.lease_owner_id = %(user)s AND h.status IN (%(leased)s, %(done)s)
                AND h.recording_id = t.recording_id) AS had_recording,
        EXISTS (SELECT 1 FROM {_table(SnippetCare)} sc WHERE sc.snippet_id = t.snippet_id AND sc.warn) AS warned,
        EXISTS (SELECT 1 FROM {_table(Flag)} e WHERE e.snippet_id = t.snippet_id) AS escalated,
        EXISTS (SELECT 1 FROM {_table(ReviewerClearance)} rc WHERE rc.reviewer_id = %(user)s
                AND rc.sensitive_content) AS cleared
    FROM ({picked}) t LEFT JOIN {_table(CustomerKey)} ck ON ck.id = t.customer_key_id
    ORDER BY {ORDER}"""


_CACHE: dict = {}  # statement shape -> (SQL with plain %s, where each parameter comes from)


def _compiled(key: tuple) -> tuple[str, list]:
    """The SQL for one shape, its %(name)s and positional %s turned into one ordered list."""
    if key not in _CACHE:
        _vendor, locales, seen, lock, facts = key
        pieces, order, position = [], [], 0
        for piece in re.split(r"(%\(\w+\)s|%s)", _sql(locales, seen, lock=lock, facts=facts)):
            if piece == "%s":
                order.append(position)
                position += 1
                pieces.append("%s")
            elif piece.startswith("%("):
                order.append(piece[2:-2])
                pieces.append("%s")
            else:
                pieces.append(piece)
        _CACHE[key] = ("".join(pieces), order)
    return _CACHE[key]


def _statement(user, seen: list, *, limit: int, lock: bool, facts: bool) -> tuple[str, list]:
    locales = list(user.locales or [])
    sql, order = _compiled((connection.vendor, len(locales), len(seen), lock, facts))
    pk = Task._meta.pk
    listed = locales + [pk.get_db_prep_value(s, connection) for s in seen]
    named = {"user": user.pk, "queued": Task.Status.QUEUED, "leased": Task.Status.LEASED,
             "done": Task.Status.DONE, "limit": limit}
    return sql, [listed[o] if isinstance(o, int) else named[o] for o in order]


def batch(user, seen=(), *, limit: int) -> list[Task]:
    """Up to `limit` best candidates not in `seen`, locked for this transaction, with their facts."""
    if not user.locales:
        return []
    sql, params = _statement(user, list(seen), limit=limit, lock=True, facts=True)
    tasks = list(Task.objects.raw(sql, params))
    for task in tasks:  # snippets they had and tasks they skipped were left out by the SQL
        task.candidate_facts = CandidateFacts(had_recording=bool(task.had_recording), warned=bool(task.warned),
                                              escalated=bool(task.escalated), cleared=bool(task.cleared))
    return tasks


@functools.cache
def _one_task_sql(vendor: str) -> str:  # one text per database vendor (quoting)
    task = _table(Task)
    mine = f"SELECT 1 FROM {task} h WHERE h.lease_owner_id = %s AND h.status IN (%s, %s) AND h.id <> %s"
    return f"""
    SELECT EXISTS ({mine} AND h.recording_id = %s),
           EXISTS ({mine} AND h.snippet_id = %s),
           EXISTS (SELECT 1 FROM {_table(Skip)} s WHERE s.reviewer_id = %s AND s.task_id = %s),
           EXISTS (SELECT 1 FROM {_table(SnippetCare)} sc WHERE sc.snippet_id = %s AND sc.warn),
           EXISTS (SELECT 1 FROM {_table(Flag)} e WHERE e.snippet_id = %s),
           EXISTS (SELECT 1 FROM {_table(ReviewerClearance)} rc WHERE rc.reviewer_id = %s AND rc.sensitive_content)"""


def facts_for_task(user, task) -> CandidateFacts:
    """The per-task facts for one task (its own row not counted as "had"), in one statement."""
    to_db = Task._meta.pk.get_db_prep_value
    task_id = to_db(task.pk, connection)
    snippet_id = Task._meta.get_field("snippet").target_field.get_db_prep_value(task.snippet_id, connection)
    recording_id = Task._meta.get_field("recording").target_field.get_db_prep_value(task.recording_id, connection)
    mine = [user.pk, Task.Status.LEASED, Task.Status.DONE, task_id]
    with connection.cursor() as cursor:
        cursor.execute(_one_task_sql(connection.vendor), [*mine, recording_id, *mine, snippet_id, user.pk, task_id,
                                       snippet_id, snippet_id, user.pk])
        row = cursor.fetchone()
    return CandidateFacts(*(bool(v) for v in row))


def any_left(user, seen=()) -> bool:
    """Whether candidates exist beyond `seen` regardless of locks (those SKIP LOCKED hid)."""
    if not user.locales:
        return False
    sql, params = _statement(user, list(seen), limit=1, lock=False, facts=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None
