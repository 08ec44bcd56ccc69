"""The lease-based review queue.

A task is handed to one reviewer at a time under a lease that expires; an expired lease puts
the task back in the queue. On PostgreSQL candidates are locked with FOR UPDATE SKIP LOCKED so
concurrent reviewers never wait on, or receive, the same task; on SQLite the whole assignment
runs in one IMMEDIATE transaction (the database's single writer lock) with the same effect.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from quietroom.audit.log import Actor, record

from .eligibility import decide
from .models import Task

CANDIDATE_BATCH = 20


def current_lease(user, now) -> Task | None:
    return (
        Task.objects.filter(lease_owner=user, status=Task.Status.LEASED, lease_expires_at__gt=now)
        .select_related("snippet__recording__customer")
        .first()
    )


def next_task(user, now, *, address: str = "") -> Task | None:
    """The reviewer's current task, or a newly leased one the policy allows, or None."""
    held = current_lease(user, now)
    if held is not None:
        return held
    lease = timedelta(seconds=settings.QUIETROOM["LEASE_SECONDS"])
    with transaction.atomic():
        candidates = (
            Task.objects.filter(locale__in=user.locales or [])
            .filter(Q(status=Task.Status.QUEUED) | Q(status=Task.Status.LEASED, lease_expires_at__lte=now))
            .order_by("-priority", "created_at")
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        for task in candidates.select_related("snippet__recording__customer")[:CANDIDATE_BATCH]:
            if not decide(user, user.site, task, now):
                continue
            task.status = Task.Status.LEASED
            task.lease_owner = user
            task.lease_expires_at = now + lease
            task.save(update_fields=["status", "lease_owner", "lease_expires_at"])
            record(
                Actor.for_user(user, address), "task.assign", object_type="snippet",
                object_id=task.snippet_id, customer=task.snippet.recording.customer.pseudonym,
                purpose="transcription",
            )
            return task
    return None
