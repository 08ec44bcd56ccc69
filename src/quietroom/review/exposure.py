"""Writing down what a reviewer has had (`models.Exposure`): the lease, the first play, and a
reviewer's wish never to hear a recording again.

A play is exposure whether or not it is submitted (rule 8 of the house), so the record is made
when the lease is granted, in the same transaction, and never taken back: skips, expired leases
and releases put the task back in the queue, and the task forgets who held it, but this row
does not. What reads it: the queue's hot query and `facts_for_task` (candidates.py), the totals
of the daily and per-customer caps (policy.py) and the reviewer-care count
(`escalation.care.distressing_exposures_since`). What counts, and why: docs/privacy.md.
"""
from __future__ import annotations

from django.db import connection

from quietroom.audit.log import LOCK_HEAD_SQL
from quietroom.compiled import insert_statement, insert_values

from .models import Exposure, Task

# Both writes run on every lease and every play or submit of the review room, so they are
# written out (the ORM's building of them cost more CPU than PostgreSQL takes to run them); the
# column list and value conversion still come from the model, so a new field is not forgotten.
_INSERT, _FIELDS = insert_statement(Exposure)
_TASK_LEASE = (f"UPDATE {Task._meta.db_table} SET status = %s, lease_owner_id = %s, assigned_at = %s, "
               "lease_expires_at = %s WHERE id = %s")
# The exposure row's INSERT reads the lease UPDATE's row (PostgreSQL): no lease, no row.
# Only the lease's own rows are written before the head is locked: the task row is already
# locked by the candidate query and no one else writes this (task, reviewer) exposure, so the
# statement waits for nothing while it holds the head.
_LEASE_WITH_EXPOSURE = (f"WITH leased AS ({_TASK_LEASE} RETURNING 1), exposed AS ("
                        + _INSERT.replace(" VALUES (", " SELECT ", 1).removesuffix(")") + f" FROM leased) {LOCK_HEAD_SQL}")
#: The heard mark as one statement (`mark_heard`; a submit runs it inside its own statement).
MARK_HEARD = (f"UPDATE {Exposure._meta.db_table} SET heard_at = %s "
              "WHERE reviewer_id = %s AND task_id = %s AND heard_at IS NULL")


def lease_with_exposure(task: Task, user, now) -> tuple | None:
    """Write the lease already set on `task` (status, holder, times) and its exposure row, in
    the caller's transaction: on PostgreSQL one statement (the INSERT reads the UPDATE's row, so
    the exposure exists exactly when the lease was written), which also locks the audit log's
    head for the lease's audit event that follows at once; returns that head row
    (`audit.log.record(locked_head=...)`), or None where the append locks it itself."""
    to_db = Task._meta.get_field("assigned_at").get_db_prep_save
    lease = [task.status, user.pk, to_db(task.assigned_at, connection), to_db(task.lease_expires_at, connection),
             Task._meta.pk.get_db_prep_value(task.pk, connection)]
    values = insert_values(Exposure(
        reviewer_id=user.pk, task_id=task.pk, snippet_id=task.snippet_id, recording_id=task.recording_id,
        customer_key_id=task.customer_key_id, duration_seconds=task.duration_seconds, given_at=now), _FIELDS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_LEASE_WITH_EXPOSURE, [*lease, *values])
            return cursor.fetchone()
        # SQLite: no UPDATE inside WITH, and its single writer serialises appends; two local calls
        # cost next to nothing.
        cursor.execute(_TASK_LEASE, lease)
        cursor.execute(_INSERT, values)
    return None


def heard_params(user, task, now) -> list:
    """The parameters of `MARK_HEARD`."""
    return [Exposure._meta.get_field("heard_at").get_db_prep_save(now, connection), user.pk,
            Task._meta.pk.get_db_prep_value(task.pk, connection)]


def mark_heard(user, task, now) -> None:
    """The audio reached the reviewer (a play streamed, or a transcript handed in): from now on
    the snippet's minutes count against the daily cap, even if it is skipped after all."""
    with connection.cursor() as cursor:
        cursor.execute(MARK_HEARD, heard_params(user, task, now))


def exclude_recording(user, task) -> None:
    """The reviewer skipped the snippet as something they do not want to hear, or flagged it as
    sensitive content: no other snippet of its recording for them, whatever the controller allows."""
    Exposure.objects.filter(reviewer=user, task=task).update(excludes_recording=True)
