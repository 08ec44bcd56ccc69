"""Putting a snippet into the review queue: its first task and, if chosen, its overlap slots.

An explicit action (called by the pipeline when a snippet is ready, and by tests and benches
that need queued work), not a side effect of saving a Task: every `Task.objects.create`
elsewhere creates exactly the row it names.

Overlap: a stable fraction of snippets (chosen by a hash of the snippet id, so the same
snippet always gets the same answer) is heard by k reviewers, each once; their agreement is
measured by `quality.after_submission` when the last slot is in.
"""
from __future__ import annotations

import hashlib

from django.conf import settings

from .models import Task
from .policy import controller_policy


def _knob(controller_id, name: str, field: str):
    value = getattr(controller_policy(controller_id), field)
    return value if value is not None else settings.QUIETROOM[name]


def selected_for_overlap(snippet_id, fraction: float) -> bool:
    """A stable, evenly spread choice: the same snippet always gets the same answer."""
    bucket = int.from_bytes(hashlib.sha256(str(snippet_id).encode()).digest()[:4], "big") % 10_000
    return bucket < fraction * 10_000


def overlap_slots(task: Task) -> list[Task]:
    """For a snippet chosen for overlap, k-1 more slots beside `task` (unsaved)."""
    fraction = _knob(task.controller_id, "REVIEW_OVERLAP_FRACTION", "overlap_fraction")
    k = int(_knob(task.controller_id, "REVIEW_OVERLAP_K", "overlap_k"))
    if k < 2 or not selected_for_overlap(task.snippet_id, fraction):
        return []
    return [
        Task(snippet_id=task.snippet_id, slot=slot, locale=task.locale, priority=task.priority,
             due_at=task.due_at, sensitivity=task.sensitivity, controller_id=task.controller_id,
             recording_id=task.recording_id, customer_key_id=task.customer_key_id, region=task.region,
             duration_seconds=task.duration_seconds)
        for slot in range(1, k)
    ]


def queue_snippet(snippet, **fields) -> Task:
    """Queue `snippet` for review: slot 0, plus overlap slots if the snippet is chosen for overlap.

    `fields` set the task's priority, due date, locale or sensitivity. Returns slot 0.
    """
    task = Task.for_snippet(snippet, slot=0, **fields)
    task.save(force_insert=True)
    Task.objects.bulk_create(overlap_slots(task))
    return task
