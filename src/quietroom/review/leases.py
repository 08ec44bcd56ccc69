"""The lease rule, written once.

A reviewer may read a task's content (audio, ASR hypothesis, their own draft) and hand work
in (submit, autosave, skip) only while they hold the task's *live* lease: they own it, it is
still `leased`, and `lease_expires_at` is in the future. An expired lease stays `leased` in the
database until someone's `next_task` reclaims it, so the status alone proves nothing; the time
is part of the rule. The gate (every content read) and `submissions` (every hand-in) ask this
function; `queue.current_lease` asks the same question of the database
(`lease_expires_at > now`).
"""
from __future__ import annotations

from datetime import datetime

from .models import Task

NOT_ASSIGNED = "snippet is not assigned to this reviewer"
EXPIRED = "lease has expired"


def lease_refusals(user, task, now: datetime) -> list[str]:
    """Why `user` does not hold a live lease on `task` at `now` (empty: they do)."""
    if task.lease_owner_id != user.id or task.status != Task.Status.LEASED:
        return [NOT_ASSIGNED]
    if task.lease_expires_at is None or task.lease_expires_at <= now:
        return [EXPIRED]
    return []
