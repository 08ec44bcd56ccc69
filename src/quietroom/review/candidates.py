"""The queue's hot query, written out: the best queued tasks a reviewer may be offered.

Every "next" runs this, so it is plain SQL (the ORM spent more time building it than the
database spent answering it) and it carries, per candidate, the facts the eligibility function
needs about that candidate, so they cost no further round trips:

- `had_recording`: the reviewer was given a snippet of the same recording before;
- `warned`: the snippet, or another snippet of its recording, scored as likely distressing, or
  another snippet of its recording was flagged by a reviewer (a recording is one conversation:
  what distresses in one part goes on in the next, so the warning and the care cap follow it);
- `escalated`: the snippet itself was flagged by a reviewer;
- `cleared`: the reviewer is cleared for sensitive content (the same for every row);
- `customer_pseudonym`: for the audit record of the assignment.

What a reviewer has had is read from `Exposure` (written with every lease, kept after skips,
expired leases and releases), never from the task's `lease_owner`, which those clear.

`facts_for_task` reads the same facts for one task, with the reviewer's totals and the
controller's policy, in one statement (a task the reviewer holds or might hold: the streaming
gate, the hypothesis view, gold slots, the admin's explanation).

What the SQL leaves out (the reviewer cannot be offered these whatever the policy): other
statuses and locales, snippets they already had (which covers every task they skipped: a skip
follows a lease), recordings they already had unless some controller allows that, and
recordings they asked never to hear again (a distress skip or a flag) whatever the controllers
allow. Best first: priority, then the earliest due date, then the oldest. On PostgreSQL the rows
are locked with FOR UPDATE SKIP LOCKED so concurrent reviewers never wait on, or receive, the
same task.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection

from quietroom.compiled import raw_instances
from quietroom.escalation.models import Flag, SnippetCare
from quietroom.recordings.models import CustomerKey, Snippet

from .models import ControllerPolicy, Exposure, ReviewerClearance, Skip, Submission, Task


@dataclass(frozen=True)
class CandidateFacts:
    """What the policy needs to know about one task and this reviewer, besides totals."""

    had_recording: bool = False
    had_snippet: bool = False
    declined_recording: bool = False
    skipped: bool = False
    warned: bool = False
    escalated: bool = False
    cleared: bool = False


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


ORDER = "t.priority DESC, t.due_at ASC NULLS LAST, t.created_at ASC"  # the partial queue index's order


def _fence() -> str:
    # PostgreSQL would turn an EXISTS on a big table (everything this reviewer ever had, every
    # care score or flag with its snippet) into a hash of all of it, built on every call;
    # OFFSET 0 keeps it an index lookup per candidate (a handful).
    return " OFFSET 0" if connection.vendor == "postgresql" else ""


def _warned(snippet: str, recording: str) -> str:
    """SQL: the snippet `snippet` of recording `recording` carries a content warning (see above)."""
    care, flag, snip, fence = _table(SnippetCare), _table(Flag), _table(Snippet), _fence()
    # The recording's snippets are walked once, each probed for a warning or a flag: no joins
    # for the planner to order (planning this as two joined EXISTS cost PostgreSQL 0.2-0.3 ms
    # of the queue query's every run, which is planned for its values: queue._begin_lease).
    return f"""(EXISTS (SELECT 1 FROM {care} sc WHERE sc.snippet_id = {snippet} AND sc.warn)
        OR EXISTS (SELECT 1 FROM {snip} sn WHERE sn.recording_id = {recording}
                   AND (EXISTS (SELECT 1 FROM {care} sc WHERE sc.snippet_id = sn.id AND sc.warn)
                        OR EXISTS (SELECT 1 FROM {flag} e WHERE e.snippet_id = sn.id)){fence}))"""


def warned_sql(snippet: str, recording: str) -> str:
    """The `warned` fact as an SQL expression over the given snippet and recording columns (the
    task page reads it with the held task; `escalation.care.warning_for` says what it is)."""
    return _warned(snippet, recording)


def _sql(locales: int, seen: int, *, limit: int, lock: bool, facts: bool, gold: bool = False) -> str:
    task, had, fence = _table(Task), _table(Exposure), _fence()
    in_locales = ", ".join(["%s"] * locales)
    not_seen = f" AND t.id NOT IN ({', '.join(['%s'] * seen)})" if seen else ""
    locking = " FOR UPDATE OF t SKIP LOCKED" if lock and connection.features.has_select_for_update_skip_locked else ""
    not_had = f"""
          AND NOT EXISTS (SELECT 1 FROM {had} x WHERE x.reviewer_id = %(user)s AND x.snippet_id = t.snippet_id)
          AND NOT EXISTS (SELECT 1 FROM {had} x WHERE x.reviewer_id = %(user)s AND x.recording_id = t.recording_id
                          AND (x.excludes_recording OR NOT EXISTS (
                               SELECT 1 FROM {_table(ControllerPolicy)} p WHERE p.allow_same_recording)){fence})"""
    order = ORDER
    if gold:
        # Gold references (`gold_references`): done slot-0 rows with a stored reference
        # transcript, oldest first (their partial index's order), with the next free slot of
        # the snippet. Nothing is locked: a reference is never leased, its new slot is.
        order = "t.created_at ASC"
        picked = f"""
        SELECT t.*, (SELECT MAX(o.slot) FROM {task} o WHERE o.snippet_id = t.snippet_id) + 1 AS next_slot
        FROM {task} t
        WHERE t.is_gold AND t.slot = 0 AND t.locale IN ({in_locales})
          AND EXISTS (SELECT 1 FROM {_table(Submission)} r WHERE r.task_id = t.id
                      AND r.kind = '{Submission.Kind.GOLD_REFERENCE}'{fence}){not_had}
        ORDER BY {order}
        LIMIT {int(limit)}"""
    else:
        picked = f"""
        SELECT t.* FROM {task} t
        WHERE t.status = '{Task.Status.QUEUED}' AND t.locale IN ({in_locales}){not_seen}{not_had}
        ORDER BY {order}
        LIMIT {int(limit)}{locking}"""
    if not facts:
        return picked
    # The facts are read for the few rows picked, outside the LIMIT: inside it the planner may
    # prefer to hash a whole table (every care score) over a handful of index lookups.
    # With them, the reviewer's totals as `policy._totals` counts them (audio seconds heard today,
    # the same for every row; snippets of the row's customer given in 30 days) and the row's
    # controller policy (LEFT JOIN: no row, the defaults), so deciding the batch costs no more
    # statements.
    policy_columns = ", ".join(f"p.{connection.ops.quote_name(f.column)} AS {_policy_alias(f)}" for f in _POLICY_FIELDS)
    return f"""
    SELECT t.*,
        (SELECT SUM(h.duration_seconds) FROM {had} h WHERE h.reviewer_id = %(user)s AND h.given_at >= %(today)s
         AND h.heard_at IS NOT NULL) AS seconds_today,
        (SELECT COUNT(*) FROM {had} h WHERE h.reviewer_id = %(user)s AND h.customer_key_id = t.customer_key_id
         AND h.given_at >= %(month)s) AS customer_30d,
        {policy_columns},
        ck.pseudonym AS customer_pseudonym,
        EXISTS (SELECT 1 FROM {had} h WHERE h.reviewer_id = %(user)s AND h.recording_id = t.recording_id{fence})
            AS had_recording,
        {_warned("t.snippet_id", "t.recording_id")} AS warned,
        EXISTS (SELECT 1 FROM {_table(Flag)} e WHERE e.snippet_id = t.snippet_id) AS escalated,
        EXISTS (SELECT 1 FROM {_table(ReviewerClearance)} rc WHERE rc.reviewer_id = %(user)s
                AND rc.sensitive_content) AS cleared
    FROM ({picked}) t LEFT JOIN {_table(CustomerKey)} ck ON ck.id = t.customer_key_id
    LEFT JOIN {_table(ControllerPolicy)} p ON p.controller_id = t.controller_id
    ORDER BY {order}"""


def _policy_alias(field) -> str:
    return f"policy__{field.column}"


def _positional(sql: str) -> tuple[str, list]:
    """`sql` with its %(name)s and positional %s turned into plain %s, and where each comes from
    (a name, or the index of a positional parameter)."""
    pieces, order, position = [], [], 0
    for piece in re.split(r"(%\(\w+\)s|%s)", sql):
        if piece == "%s":
            order.append(position)
            position += 1
            pieces.append("%s")
        elif piece.startswith("%("):
            order.append(piece[2:-2])
            pieces.append("%s")
        else:
            pieces.append(piece)
    return "".join(pieces), order


_CACHE: dict = {}  # statement shape -> (SQL with plain %s, where each parameter comes from)


def _compiled(key: tuple) -> tuple[str, list]:
    """The SQL for one shape, its %(name)s and positional %s turned into one ordered list."""
    if key not in _CACHE:
        _vendor, locales, seen, limit, lock, facts, gold = key
        _CACHE[key] = _positional(_sql(locales, seen, limit=limit, lock=lock, facts=facts, gold=gold))
    return _CACHE[key]


def _statement(user, seen: list, *, limit: int, lock: bool, facts: bool, now=None,
               gold: bool = False) -> tuple[str, list]:
    locales = list(user.locales or [])
    sql, order = _compiled((connection.vendor, len(locales), len(seen), limit, lock, facts, gold))
    pk = Task._meta.pk
    listed = locales + [pk.get_db_prep_value(s, connection) for s in seen]
    named = {"user": user.pk}
    if facts:
        to_db = Exposure._meta.get_field("given_at").get_db_prep_value
        named["today"] = to_db(now.replace(hour=0, minute=0, second=0, microsecond=0), connection)
        named["month"] = to_db(now - timedelta(days=30), connection)
    return sql, [listed[o] if isinstance(o, int) else named[o] for o in order]


@dataclass(frozen=True)
class BatchTotals:
    """The reviewer's totals and the controller's policy, read with a candidate (see `_sql`)."""

    seconds_today: float
    customer_30d: int
    policy: ControllerPolicy | None  # None: no stored policy (the defaults apply)


def batch(user, seen=(), *, limit: int, now) -> list[Task]:
    """Up to `limit` best candidates not in `seen`, locked for this transaction, with their facts,
    the reviewer's totals at `now` and their controller's policy (`BatchTotals`)."""
    if not user.locales:
        return []
    sql, params = _statement(user, list(seen), limit=limit, lock=True, facts=True, now=now)
    return _with_facts(raw_instances(Task, sql, params))


def gold_references(user, *, limit: int, now) -> list[Task]:
    """Up to `limit` gold references (done slot-0 gold tasks with a reference transcript) this
    reviewer may be given a personal slot of, oldest first, in one statement: each with
    `next_slot` (one past the snippet's highest slot), its facts, the reviewer's totals and the
    controller's policy as `batch` reads them. The same narrowing as the queue's: snippets they
    had and recordings they may not hear again are left out here, so that refused references
    at the front cannot keep every gold check from being served."""
    if not user.locales:
        return []
    sql, params = _statement(user, [], limit=limit, lock=False, facts=True, now=now, gold=True)
    return _with_facts(raw_instances(Task, sql, params))


def _with_facts(tasks: list[Task]) -> list[Task]:
    """The facts read with each row (`_sql`'s facts columns) as `candidate_facts` and
    `batch_totals`."""
    policies: dict = {}  # the batch's rows nearly always share one controller: its policy built once
    for task in tasks:  # snippets they had (so tasks they skipped) and declined recordings were left out by the SQL
        task.candidate_facts = CandidateFacts(had_recording=bool(task.had_recording), warned=bool(task.warned),
                                              escalated=bool(task.escalated), cleared=bool(task.cleared))
        if task.controller_id not in policies:
            policies[task.controller_id] = _policy([getattr(task, alias) for alias in _POLICY_ALIASES])
        task.batch_totals = BatchTotals(float(task.seconds_today or 0.0), int(task.customer_30d or 0),
                                        policies[task.controller_id])
    return tasks


def _policy(row) -> ControllerPolicy | None:
    """The controller's policy from its columns read with a candidate (None: no stored row)."""
    if row[0] is None:  # the primary key: no stored policy, the defaults apply
        return None
    return ControllerPolicy.from_db(connection.alias, _POLICY_NAMES, [_from_db(f, v) for f, v in zip(_POLICY_FIELDS, row)])


def holds(user, task) -> bool:
    """Whether `task` is under this reviewer's lease (live or not yet reclaimed): its own
    exposure row is then the lease being decided, not history."""
    return task.lease_owner_id == user.pk and task.status == Task.Status.LEASED


@functools.cache
def _one_task_sql(vendor: str, held: bool) -> tuple[str, list]:  # per database vendor (quoting), held or not
    """The per-task facts, the reviewer's totals and the controller's policy row, in one statement.

    The totals are those of `policy._totals` for one customer: audio seconds heard today, and
    snippets of this task's customer given in 30 days (the held lease, when `held`, left out of
    both). The policy row is LEFT JOINed: no row means the defaults."""
    had = _table(Exposure)
    mine = f"SELECT 1 FROM {had} h WHERE h.reviewer_id = %(user)s" + (" AND h.task_id <> %(task)s" if held else "")
    mine_rows = f"FROM {had} h WHERE h.reviewer_id = %(user)s" + (" AND h.task_id <> %(task)s" if held else "")
    policy_columns = ", ".join(f"p.{connection.ops.quote_name(f.column)}" for f in _POLICY_FIELDS)
    return _positional(f"""
    SELECT EXISTS ({mine} AND h.recording_id = %(recording)s),
           EXISTS ({mine} AND h.snippet_id = %(snippet)s),
           EXISTS ({mine} AND h.recording_id = %(recording)s AND h.excludes_recording),
           EXISTS (SELECT 1 FROM {_table(Skip)} s WHERE s.reviewer_id = %(user)s AND s.task_id = %(task)s),
           {_warned("%(snippet)s", "%(recording)s")},
           EXISTS (SELECT 1 FROM {_table(Flag)} e WHERE e.snippet_id = %(snippet)s),
           EXISTS (SELECT 1 FROM {_table(ReviewerClearance)} rc WHERE rc.reviewer_id = %(user)s
                   AND rc.sensitive_content),
           (SELECT SUM(h.duration_seconds) {mine_rows} AND h.given_at >= %(today)s AND h.heard_at IS NOT NULL),
           (SELECT COUNT(*) {mine_rows} AND h.customer_key_id = %(customer)s AND h.given_at >= %(month)s),
           {policy_columns}
    FROM (SELECT 1 AS one) o LEFT JOIN {_table(ControllerPolicy)} p ON p.controller_id = %(controller)s""")


_POLICY_FIELDS = ControllerPolicy._meta.concrete_fields
_POLICY_NAMES = [f.attname for f in _POLICY_FIELDS]
_POLICY_ALIASES = [_policy_alias(f) for f in _POLICY_FIELDS]


@dataclass(frozen=True)
class OneTask:
    """What the policy needs about one task besides the pure rules: its facts, the reviewer's
    totals (`seconds_today`, `customer_30d` for the task's customer) and the controller's policy."""

    facts: CandidateFacts
    seconds_today: float
    customer_30d: int
    policy: ControllerPolicy | None  # None: no stored policy (the defaults apply)


def _from_db(field, value):
    """A column read by hand, converted as the ORM would (JSON decoded, SQLite's 0/1 to bool)."""
    col, converters = _converters(connection.vendor, field)
    for convert in converters:
        value = convert(value, col, connection)
    return value


@functools.cache
def _converters(vendor: str, field) -> tuple:  # per database vendor: what a column of `field` needs
    col = field.get_col(field.model._meta.db_table)
    return col, tuple(connection.ops.get_db_converters(col) + field.get_db_converters(connection))


def facts_for_task(user, task, *, today, month) -> OneTask:
    """The per-task facts for one task (the lease they hold on it, if any, not counted as "had"),
    with the totals since `today` / `month` and the controller's policy: one statement."""
    sql, order = _one_task_sql(connection.vendor, holds(user, task))
    to_db = Exposure._meta.get_field("given_at").get_db_prep_value
    named = {
        "user": user.pk,
        "task": Task._meta.pk.get_db_prep_value(task.pk, connection),
        "snippet": Task._meta.get_field("snippet").target_field.get_db_prep_value(task.snippet_id, connection),
        "recording": Task._meta.get_field("recording").target_field.get_db_prep_value(task.recording_id, connection),
        "customer": task.customer_key_id,
        "controller": task.controller_id,
        "today": to_db(today, connection),
        "month": to_db(month, connection),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, [named[o] for o in order])
        row = cursor.fetchone()
    had_recording, had_snippet, declined, skipped, warned, escalated, cleared = (bool(v) for v in row[:7])
    seconds, customer_30d, policy_row = row[7], row[8], row[9:]
    policy = _policy(policy_row)
    return OneTask(CandidateFacts(had_recording=had_recording, had_snippet=had_snippet, declined_recording=declined,
                                  skipped=skipped, warned=warned, escalated=escalated, cleared=cleared),
                   float(seconds or 0.0), int(customer_30d or 0), policy)


def any_left(user, seen=()) -> bool:
    """Whether candidates exist beyond `seen` regardless of locks (those SKIP LOCKED hid)."""
    if not user.locales:
        return False
    sql, params = _statement(user, list(seen), limit=1, lock=False, facts=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None
