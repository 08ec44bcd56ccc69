"""Assignment under the policy, on a real database: residency, exposure, caps, priority,
leases, skips, and the admin's view of why a snippet cannot go to a reviewer."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from quietroom.audit.models import AuditEvent
from quietroom.review import queue
from quietroom.review.models import ControllerPolicy, ReviewerClearance, Skip, Task
from quietroom.review.submissions import SubmissionRefused, skip, submit

from .conftest import set_knobs
from .factories import make_snippets

pytestmark = pytest.mark.django_db


def test_uk_customer_snippet_is_refused_at_a_site_in_a_non_adequate_country(controller, make_reviewer, site_in, make_staff):
    (task,) = make_snippets(controller, 1, region="GB")
    abroad = make_reviewer("ravi")
    abroad.site = site_in("IN")
    abroad.save(update_fields=["site"])
    assert queue.next_task(abroad, timezone.now()) is None
    assert Task.objects.get(pk=task.pk).status == "queued"
    # The admin sees the reason on the page ...
    admin = make_staff("ada", "controller_admin", org=controller)
    client = Client()
    client.force_login(admin)
    page = client.get("/room/oversight/eligibility/", {"snippet": str(task.snippet_id)}).content.decode()
    assert "ravi" in page and "refused" in page
    assert "data of customers in GB may not be reviewed at a site in IN" in page
    # ... and in the command.
    out = io.StringIO()
    call_command("eligibility", str(task.snippet_id), "--reviewer", "ravi", stdout=out)
    assert "ravi\tSite IN (IN)\trefused: residency: data of customers in GB" in out.getvalue()
    # Once the controller lists India as adequate, the same reviewer gets it.
    ControllerPolicy.objects.create(controller=controller, adequate_countries=["IN"])
    assert queue.next_task(abroad, timezone.now()).pk == task.pk


def test_eligibility_page_is_closed_to_reviewers_and_other_controllers(controller, make_reviewer, make_staff):
    from quietroom.accounts.models import Organisation

    (task,) = make_snippets(controller, 1)
    reviewer = Client()
    reviewer.force_login(make_reviewer())
    assert reviewer.get("/room/oversight/eligibility/", {"snippet": str(task.snippet_id)}).status_code == 403
    other = Organisation.objects.create(name="Other Co", kind="controller")
    stranger = Client()
    stranger.force_login(make_staff("eve", "controller_admin", org=other))
    response = stranger.get("/room/oversight/eligibility/", {"snippet": str(task.snippet_id)})
    assert response.status_code == 404 and "ravi" not in response.content.decode()
    assert AuditEvent.objects.filter(action="access.denied", actor="rita").exists()


def test_never_two_snippets_of_one_recording_unless_the_controller_allows(controller, make_reviewer):
    make_snippets(controller, 1, snippets_per_recording=3)
    user = make_reviewer()
    first = queue.next_task(user, timezone.now())
    submit(user, first.pk, "one", "k1", now=timezone.now())
    assert queue.next_task(user, timezone.now()) is None
    other = make_reviewer("otto")
    assert queue.next_task(other, timezone.now()).recording_id == first.recording_id  # others still can
    ControllerPolicy.objects.create(controller=controller, allow_same_recording=True)
    again = queue.next_task(user, timezone.now())
    assert again is not None and again.snippet_id != first.snippet_id


def test_customer_limit_in_30_days(controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, max_per_customer_30d=2)
    make_snippets(controller, 4, customers=["same-customer"])
    user = make_reviewer()
    for i in range(2):
        task = queue.next_task(user, timezone.now())
        submit(user, task.pk, "x", f"k{i}", now=timezone.now())
    assert queue.next_task(user, timezone.now()) is None
    # Thirty days on, the window has moved.
    assert queue.next_task(user, timezone.now() + timedelta(days=31)) is not None


def test_daily_cap_of_audio_minutes(controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, daily_cap_minutes=0.05)  # 3 s
    make_snippets(controller, 3, seconds=1.5)
    user = make_reviewer()
    for i in range(2):
        task = queue.next_task(user, timezone.now())
        submit(user, task.pk, "x", f"k{i}", now=timezone.now())
    assert queue.next_task(user, timezone.now()) is None
    (why,) = [d for _, d in __import__("quietroom.review.policy", fromlist=["explain"]).explain(
        Task.objects.get(status="queued"), [user], timezone.now())]
    assert why.reasons == ("daily cap of 0.05 audio minutes reached",)


def test_priority_then_due_date_then_age(controller, make_reviewer):
    now = timezone.now()
    plain = make_snippets(controller, 1)[0]
    later = make_snippets(controller, 1, due_at=now + timedelta(days=2))[0]
    sooner = make_snippets(controller, 1, due_at=now + timedelta(hours=1))[0]
    urgent = make_snippets(controller, 1, priority=5)[0]
    order = []
    user = make_reviewer()
    for i in range(4):
        task = queue.next_task(user, timezone.now())
        order.append(task.pk)
        submit(user, task.pk, "x", f"k{i}", now=timezone.now())
    assert order == [urgent.pk, sooner.pk, later.pk, plain.pk]


def test_expired_lease_returns_to_queue_and_old_holder_cannot_submit(controller, make_reviewer):
    (task,) = make_snippets(controller, 1)
    first, second = make_reviewer("first"), make_reviewer("second")
    assert queue.next_task(first, timezone.now()).pk == task.pk
    assert queue.next_task(second, timezone.now()) is None  # held: never to two reviewers
    later = timezone.now() + timedelta(seconds=queue.settings.QUIETROOM["LEASE_SECONDS"] + 1)
    assert queue.next_task(second, later).pk == task.pk
    with pytest.raises(SubmissionRefused) as refused:
        submit(first, task.pk, "late", "late-key", now=later)
    assert "snippet is not assigned to this reviewer" in refused.value.reasons


def test_skip_returns_the_snippet_to_others_never_to_the_skipper(controller, make_reviewer):
    (task,) = make_snippets(controller, 1)
    user, other = make_reviewer(), make_reviewer("otto")
    queue.next_task(user, timezone.now())
    with pytest.raises(SubmissionRefused):
        skip(user, task.pk, "because", now=timezone.now())
    skip(user, task.pk, Skip.Reason.UNCLEAR, now=timezone.now())
    assert Task.objects.get(pk=task.pk).status == "queued"
    assert queue.next_task(user, timezone.now()) is None
    assert queue.next_task(other, timezone.now()).pk == task.pk
    assert AuditEvent.objects.filter(action="task.skip", details__reason="unclear_audio").count() == 1


def test_sensitive_snippets_go_only_to_cleared_reviewers(controller, make_reviewer):
    (task,) = make_snippets(controller, 1)
    Task.objects.filter(pk=task.pk).update(sensitivity="sensitive")
    plain, cleared = make_reviewer(), make_reviewer("cleo")
    ReviewerClearance.objects.create(reviewer=cleared, sensitive_content=True)
    assert queue.next_task(plain, timezone.now()) is None
    assert queue.next_task(cleared, timezone.now()).pk == task.pk


def test_overlap_gives_one_snippet_to_k_different_reviewers(controller, make_reviewer, settings):
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=1.0, REVIEW_OVERLAP_K=3)
    (task,) = make_snippets(controller, 1)
    assert Task.objects.filter(snippet_id=task.snippet_id).count() == 3
    users = [make_reviewer(f"r{i}") for i in range(4)]
    got = [queue.next_task(u, timezone.now()) for u in users]
    assert [g is not None for g in got] == [True, True, True, False]
    assert len({g.pk for g in got[:3]}) == 3 and {g.snippet_id for g in got[:3]} == {task.snippet_id}
    submit(users[0], got[0].pk, "x", "k0", now=timezone.now())
    assert queue.next_task(users[0], timezone.now()) is None  # never the same snippet twice
