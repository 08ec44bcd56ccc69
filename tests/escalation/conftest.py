"""Escalation fixtures: two overlapping reviewers on one snippet, the controller's officers."""
from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from quietroom.review import queue
from tests.conftest import PASSWORD
from tests.review.factories import make_snippets


@pytest.fixture(autouse=True)
def escalation_knobs(settings):
    """Overlap 2 on every snippet (so two reviewers hold the same one); no gold."""
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 1.0, "REVIEW_OVERLAP_K": 2,
                          "REVIEW_GOLD_RATE": 0.0, "ESCALATION_BASE_URL": "https://quietroom.example"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def make_officer(controller):
    from quietroom.accounts.models import User
    from quietroom.accounts.pseudonyms import user_pseudonym

    def make(username="olivia", *, org=None, role="privacy_officer", email=None):
        user = User.objects.create(username=username, organisation=org or controller, role=role,
                                   email=email if email is not None else f"{username}@acme.example",
                                   totp_secret=pyotp.random_base32(), totp_confirmed=True)
        user.set_password(PASSWORD)
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
        return user

    return make


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_task(client):
    """Lease the next snippet through the room; (task, page html, idempotency key, stream url)."""
    from quietroom.review.models import Task

    response = client.post("/room/next/")
    assert response.status_code == 302, response.content[:300]
    page = client.get(response["Location"]).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    stream = re.search(r'src="(/room/stream/[^"]+)"', page).group(1)
    return Task.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1]), page, key, stream


@pytest.fixture
def flagged(controller, make_reviewer, reviewer_client, django_capture_on_commit_callbacks):
    """Reviewers A and B hold the same snippet; A flags it with a note while B is mid-play.

    Returns a dict with the case, both clients, B's stream url and the note. The case's
    arrival notice (sent when the flag commits) is sent here, as a commit would send it.
    """
    from quietroom.escalation.models import Case

    make_snippets(controller, 1, hypothesis="hello there")
    rita, bob = make_reviewer("rita"), make_reviewer("bob")
    client_b = client_for(bob)
    task_b, _, _, stream_b = open_task(client_b)
    assert client_b.get(stream_b, HTTP_RANGE="bytes=0-99").status_code == 206
    client_a = reviewer_client(rita)
    task_a, _, key, _ = open_task(client_a)
    assert task_a.snippet_id == task_b.snippet_id and task_a.pk != task_b.pk
    note = "sounded like someone shouting for help near the end"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(f"/room/task/{task_a.pk}/", {"transcript": "words", "idempotency_key": key,
                                                              "sensitive": "violence_abuse", "sensitive_note": note})
    assert response.status_code in (200, 302)
    return {"case": Case.objects.get(), "client_a": client_a, "client_b": client_b, "stream_b": stream_b,
            "note": note, "task_a": task_a, "task_b": task_b, "rita": rita, "bob": bob}


def next_for(user):
    return queue.next_task(user, timezone.now())
