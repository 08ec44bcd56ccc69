"""A browser fetches one page's audio with several requests at the same moment (the player and
the waveform): the gate logs exactly one play for the page view, whatever the interleaving."""
from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from quietroom import gate
from quietroom.audit.models import AuditEvent
from quietroom.review import queue, streaming
from quietroom.review.models import Task

from .factories import make_snippets

pytestmark = pytest.mark.django_db(transaction=True)
REQUESTS = 6


def test_concurrent_requests_of_one_page_view_log_one_play(controller, make_reviewer):
    task = make_snippets(controller, 1)[0]
    user = make_reviewer()
    assert queue.next_task(user, timezone.now()).pk == task.pk
    view = streaming.new_view()
    start = threading.Barrier(REQUESTS)
    errors, sizes = [], []

    def fetch():
        try:
            leased = Task.objects.select_related("snippet__recording__customer_key").get(pk=task.pk)
            start.wait()
            grant = gate.snippet_audio_for_reviewer(user, leased, now=timezone.now(), address="127.0.0.1", view=view)
            sizes.append(len(grant.audio))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(sizes) == REQUESTS
    logged = list(AuditEvent.objects.filter(object_id=str(task.snippet_id), details__view=view)
                  .values_list("action", "outcome"))
    assert sorted(logged) == [("snippet.play", "ok")] + [("snippet.stream", "ok")] * (REQUESTS - 1)
