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

from .models import Exposure, Task


def record_lease(task: Task, user, now) -> Exposure:
    """The reviewer was given `task`: its snippet (and, by the rules, its recording) is had."""
    return Exposure.objects.create(
        reviewer=user, task=task, snippet_id=task.snippet_id, recording_id=task.recording_id,
        customer_key_id=task.customer_key_id, duration_seconds=task.duration_seconds, given_at=now)


def mark_heard(user, task, now) -> None:
    """The audio reached the reviewer (a play streamed, or a transcript handed in): from now on
    the snippet's minutes count against the daily cap, even if it is skipped after all."""
    Exposure.objects.filter(reviewer=user, task=task, heard_at__isnull=True).update(heard_at=now)


def exclude_recording(user, task) -> None:
    """The reviewer skipped the snippet as something they do not want to hear, or flagged it as
    sensitive content: no other snippet of its recording for them, whatever the controller allows."""
    Exposure.objects.filter(reviewer=user, task=task).update(excludes_recording=True)
