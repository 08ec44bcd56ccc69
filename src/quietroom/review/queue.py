"""The lease-based review queue.

A task is handed to one reviewer at a time under a lease that expires; an expired lease puts
the task back in the queue. On PostgreSQL candidates are locked with FOR UPDATE SKIP LOCKED so
concurrent reviewers never wait on, or receive, the same task; on SQLite the whole assignment
runs in one IMMEDIATE transaction (the database's single writer lock) with the same effect.

The SQL (`candidates.py`) only narrows (status, locale, what this reviewer already had or
skipped) so the hot query stays on one partial index; `eligibility.decide` is asked about every
candidate and has the last word. Best first: priority, then the earliest due date, then the oldest.

Every lease writes an `Exposure` in its own transaction (`exposure.lease_with_exposure`): a task that
comes back to the queue (skipped, expired, released) forgets who held it, the exposure does not.
"""
from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from quietroom.accounts.access import working_site
from quietroom.audit.log import Actor, record
from quietroom.compiled import insert_statement, insert_values
from quietroom.decisions import Refusal

from . import candidates, exposure, policy
from .eligibility import decide
from .models import Exposure, Task

BATCH = 4  # candidates locked and decided per round; the first is nearly always allowed
MAX_SCAN = 256  # candidates looked at per request before saying "nothing for you"
LOCK_WAIT_SECONDS = 2.0  # longest wait for candidates other reviewers hold locked


_HELD_PROBE_SQL = (f"SELECT id FROM {Task._meta.db_table} WHERE lease_owner_id = %s AND status = %s "
                   "AND lease_expires_at > %s ORDER BY assigned_at LIMIT 1")


def current_lease(user, now) -> Task | None:
    """The task this reviewer holds a live lease on, if any (with snippet, recording, customer)."""
    # Nearly every "next" finds none: a written-out probe first, the full load only on a hit.
    with connection.cursor() as cursor:
        cursor.execute(_HELD_PROBE_SQL, [user.pk, Task.Status.LEASED,
                                         Task._meta.get_field("lease_expires_at").get_db_prep_value(now, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    return (
        Task.objects.filter(pk=row[0], lease_owner=user, status=Task.Status.LEASED, lease_expires_at__gt=now)
        .select_related("snippet__recording__customer_key")
        .first()
    )


_RECLAIM_SQL = f"""
    UPDATE {Task._meta.db_table} SET
        status = CASE WHEN is_gold THEN %s ELSE %s END,
        withdrawn_reason = CASE WHEN is_gold THEN %s ELSE withdrawn_reason END,
        lease_owner_id = CASE WHEN is_gold THEN lease_owner_id ELSE NULL END,
        assigned_at = CASE WHEN is_gold THEN assigned_at ELSE NULL END,
        lease_expires_at = NULL
    WHERE status = %s AND lease_expires_at <= %s"""


def reclaim_expired(now) -> int:
    """Expired leases go back to the queue (gold checks are personal: they are withdrawn).

    The task forgets its holder; their `Exposure` stays, so it never comes back to them.
    """
    # One UPDATE for both kinds, written out because it runs on every "next" (the ORM's CASE
    # building cost more than the statement): gold rows keep owner and time.
    with connection.cursor() as cursor:
        cursor.execute(_RECLAIM_SQL, [Task.Status.WITHDRAWN, Task.Status.QUEUED, Task.GOLD_LEASE_EXPIRED,
                                      Task.Status.LEASED, Task._meta.get_field("lease_expires_at")
                                      .get_db_prep_value(now, connection)])
        return cursor.rowcount


def _customer_pseudonym(task: Task) -> str:
    if hasattr(task, "customer_pseudonym"):  # read with the candidate (see candidates.py)
        return task.customer_pseudonym or ""
    return task.customer_key.pseudonym if task.customer_key_id else ""


def _lease(task: Task, user, now, address: str) -> Task:
    task.status = Task.Status.LEASED
    task.lease_owner = user
    task.assigned_at = now
    task.lease_expires_at = now + timedelta(seconds=settings.QUIETROOM["LEASE_SECONDS"])
    head = exposure.lease_with_exposure(task, user, now)  # the lease, its exposure row, the audit head: one statement
    record(
        Actor.for_user(user, address), "task.assign", object_type="snippet", object_id=task.snippet_id,
        customer=_customer_pseudonym(task), purpose="transcription",
        details={"task": str(task.pk), "slot": task.slot, **({"gold": True} if task.is_gold else {})},
        locked_head=head,
    )
    return task


def _locked_by_others(user, seen) -> bool:
    """Queued candidates not yet looked at that SKIP LOCKED did not return (PostgreSQL only)."""
    if not connection.features.has_select_for_update_skip_locked:
        return False
    return candidates.any_left(user, seen)


def gold_is_due(user, now) -> bool:
    """Gold checks are mixed in at the configured rate: every 1/rate-th assignment of the day."""
    if settings.QUIETROOM["REVIEW_GOLD_RATE"] <= 0:
        return False
    return _gold_due(Exposure.objects.filter(reviewer=user, given_at__gte=policy.start_of_day(now)).count())


def _lease_gold(user, now, address: str) -> Task | None:
    """A new personal slot on a gold snippet this reviewer has not had, if one is allowed.

    The references come with their facts, the reviewer's totals, the controller's policy and
    the snippet's next slot number in one statement (`candidates.gold_references`), and the slot
    is inserted by one statement that skips a slot number another reviewer took at the same
    moment: every 1/rate-th lease costs two statements more than an ordinary one, not ten."""
    for reference in candidates.gold_references(user, limit=BATCH, now=now):
        # Built in memory (the queue's facts copied from the reference) and saved only once the
        # policy agrees.
        candidate = Task(snippet_id=reference.snippet_id, slot=reference.next_slot, locale=reference.locale,
                         is_gold=True, priority=reference.priority, sensitivity=reference.sensitivity,
                         recording_id=reference.recording_id, controller_id=reference.controller_id,
                         customer_key_id=reference.customer_key_id, region=reference.region,
                         duration_seconds=reference.duration_seconds)
        # The reference's facts are the new slot's: same snippet, recording, customer and
        # controller, and a task nobody has had or skipped yet.
        candidate.candidate_facts, candidate.batch_totals = reference.candidate_facts, reference.batch_totals
        candidate.customer_pseudonym = reference.customer_pseudonym
        facts = policy.facts_for_batch(user, [candidate], now)[candidate.pk]
        if not decide(user, working_site(user, address), candidate, now, facts):
            continue
        if not _insert_slot(candidate):
            continue  # another reviewer took that slot number at the same moment
        return _lease(candidate, user, now, address)
    return None


_INSERT_TASK, _TASK_FIELDS = insert_statement(Task)
_INSERT_SLOT = f"{_INSERT_TASK} ON CONFLICT (snippet_id, slot) DO NOTHING"


def _insert_slot(task: Task) -> bool:
    """Insert a new gold slot; False when the snippet's slot number is taken already (no
    savepoint needed: the conflict is skipped, not raised)."""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SLOT, insert_values(task, _TASK_FIELDS))
        inserted = cursor.rowcount == 1
    if inserted:
        task._state.adding, task._state.db = False, connection.alias
    return inserted


_BEGIN_LEASE_SQL = f"""
    WITH reclaimed AS ({_RECLAIM_SQL} RETURNING 1)
    SELECT set_config('synchronous_commit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true),
           (SELECT COUNT(*) FROM {Exposure._meta.db_table} WHERE reviewer_id = %s AND given_at >= %s),
           (SELECT COUNT(*) FROM reclaimed)"""


def _begin_lease(user, now) -> bool:
    """The start of a "next" transaction on PostgreSQL, in one statement: expired leases back to
    the queue (`reclaim_expired`'s UPDATE), this commit not waiting for the disk (`SET LOCAL
    synchronous_commit = off`: a lease lost in a database crash costs nothing, nobody has heard
    the snippet; every play is its own durable transaction, written after this one, and
    submissions keep full durability), the candidate query planned for its values every time
    (`SET LOCAL plan_cache_mode = force_custom_plan`: statements are prepared, see settings, and
    a generic plan of the queue's query, blind to the locale and the reviewer, took seconds at
    100k queued), and today's count for `gold_is_due`. Returns whether a gold check is due."""
    to_db = Task._meta.get_field("lease_expires_at").get_db_prep_value
    with connection.cursor() as cursor:
        cursor.execute(_BEGIN_LEASE_SQL, [
            Task.Status.WITHDRAWN, Task.Status.QUEUED, Task.GOLD_LEASE_EXPIRED, Task.Status.LEASED,
            to_db(now, connection), user.pk, to_db(policy.start_of_day(now), connection)])
        _, _, given_today, _ = cursor.fetchone()
    return _gold_due(int(given_today))


def _gold_due(given_today: int) -> bool:
    rate = settings.QUIETROOM["REVIEW_GOLD_RATE"]
    return rate > 0 and int((given_today + 1) * rate) > int(given_today * rate)


def next_task(user, now, *, address: str = "", holds_none: bool = False) -> Task | None:
    """The reviewer's current task, or a newly leased one the policy allows, or None.

    `holds_none`: the caller has just ended the reviewer's lease in this request (a submit or a
    skip), so there is no held task to look for first."""
    if not holds_none:
        held = current_lease(user, now)
        if held is not None:
            return held
    if connection.vendor != "postgresql":
        reclaim_expired(now)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            gold_due = _begin_lease(user, now)  # reclaim, asynchronous commit, gold count: one statement
        else:
            gold_due = gold_is_due(user, now)
        if gold_due:
            gold = _lease_gold(user, now, address)
            if gold is not None:
                return gold
        seen: set = set()
        waited_until = None
        while len(seen) < MAX_SCAN:
            batch = candidates.batch(user, seen, limit=BATCH, now=now)
            if not batch:
                # SKIP LOCKED hides rows other reviewers' "next" holds for a moment; wait for
                # those transactions rather than tell this reviewer there is nothing left.
                if not _locked_by_others(user, seen):
                    break
                waited_until = waited_until or time.monotonic() + LOCK_WAIT_SECONDS
                if time.monotonic() > waited_until:
                    break
                time.sleep(0.005)
                continue
            seen.update(task.pk for task in batch)
            facts = policy.facts_for_batch(user, batch, now)
            site = working_site(user, address)
            for task in batch:
                if decide(user, site, task, now, facts[task.pk]):
                    return _lease(task, user, now, address)
    return None


def release_if_capped(user, task, now, address: str = "") -> bool:
    """A distressing snippet leased to a reviewer who reached today's cap goes back to the queue.

    Its score may only become known when the room first opens it; the eligibility function then
    refuses the lease (daily cap of distressing content), so the room hands it back at once —
    no skip, no penalty. The lease's exposure stays (the snippet is not offered to them again;
    docs/privacy.md says why), but it was not heard, so it costs no audio minutes.
    """
    if Refusal.DISTRESS_CAP not in policy.decide_for(user, task, now, address=address).codes:
        return False
    with transaction.atomic():
        released = Task.objects.filter(pk=task.pk, lease_owner=user, status=Task.Status.LEASED).update(
            status=Task.Status.QUEUED, lease_owner=None, lease_expires_at=None, assigned_at=None)
        if released:
            record(Actor.for_user(user, address), "task.release", object_type="snippet", object_id=task.snippet_id,
                   customer=_customer_pseudonym(task), purpose="reviewer care",
                   details={"reason": "daily cap of distressing content"})
    return bool(released)
