"""Reviewer care: content warnings, the daily cap on distressing content, skip without penalty,
break reminder settings and the vendor's support page."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.utils import timezone as dj_timezone

from quietroom.audit.models import AuditEvent
from quietroom.escalation import distress
from quietroom.escalation.models import SnippetCare, SupportPage
from quietroom.review import queue
from quietroom.review.eligibility import History, Limits, PolicyFacts, Residency, decide
from quietroom.review.models import Task
from quietroom.review.submissions import skip, submit
from tests.review.factories import make_snippets

from .conftest import client_for, open_task

DISTRESSING = "please stop hurting me I can't breathe"


@pytest.mark.parametrize("text,category", [
    ("please stop hurting me", "violence_abuse"),
    ("I want to kill myself", "self_harm"),
    ("I'm going to kill you", "threat"),
    ("he's not breathing call an ambulance", "medical"),
    ("my daughter is alone and scared", "child_safety"),
])
def test_distressing_speech_is_warned(text, category):
    result = distress.score(text)
    assert result.warn and category in result.categories


@pytest.mark.parametrize("text", ["", "turn the radio down please", "what's the weather in Leeds tomorrow",
                                  "set a timer for ten minutes", "play [PERSON] on spotify"])
def test_ordinary_speech_is_not_warned(text):
    assert not distress.score(text).warn and distress.score(text).categories == ()


class _Reviewer:
    is_active, role, has_second_factor, site_id, locales = True, "reviewer", True, 1, ["en-US"]
    identity_verified_until = background_checked_until = nda_signed_until = training_passed_until = \
        access_certified_until = datetime(2099, 1, 1, tzinfo=timezone.utc)
    offboarded_at = None
    vetting_state = property(lambda self: self)
    vendor_state = type("_ApprovedVendor", (), {"kind": "vendor", "approved_at": datetime(2026, 1, 1, tzinfo=timezone.utc)})()


class _Site:
    id, country = 1, "GB"


class _Task:
    id, locale, status, region, sensitivity, duration_seconds = "t", "en-US", "queued", "GB", "standard", 1.0
    snippet_id = recording_id = customer_key_id = "s"


def _facts(**over):
    limits = Limits(daily_cap_seconds=3600, max_per_customer_30d=5, distress_daily_cap=2)
    history = History(distressing_today=over.pop("today", 0))
    return PolicyFacts(residency=Residency(), limits=limits, history=history, **over)


def test_eligibility_rules_for_escalated_and_capped_distressing_snippets():
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert decide(_Reviewer(), _Site(), _Task(), now, _facts()).allowed
    assert decide(_Reviewer(), _Site(), _Task(), now, _facts(snippet_distressing=True, today=1)).allowed
    capped = decide(_Reviewer(), _Site(), _Task(), now, _facts(snippet_distressing=True, today=2))
    assert capped.reasons == ("daily cap of 2 distressing snippets reached",)
    # The cap is only about distressing snippets: ordinary ones still flow.
    assert decide(_Reviewer(), _Site(), _Task(), now, _facts(today=9)).allowed
    escalated = decide(_Reviewer(), _Site(), _Task(), now, _facts(snippet_escalated=True))
    assert escalated.reasons == ("snippet was escalated as sensitive content",)


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_content_warning_before_a_distressing_snippet_plays(controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0}
    make_snippets(controller, 1, hypothesis=DISTRESSING)
    client = client_for(make_reviewer())
    task, page, _, _ = open_task(client)
    assert 'id="content-warning"' in page and 'data-care-warned="1"' in page and 'preload="none"' in page
    assert "Medical emergency" in page or "Possible violence or abuse" in page
    assert "<script>" not in page and " style=" not in page
    care = SnippetCare.objects.get(snippet_id=task.snippet_id)
    assert care.warn and DISTRESSING not in str(care.categories)  # categories only, never words


@pytestmark_db
def test_no_warning_for_ordinary_speech(controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0}
    make_snippets(controller, 1, hypothesis="turn the radio down please")
    _, page, _, _ = open_task(client_for(make_reviewer()))
    assert 'id="content-warning"' not in page and 'preload="auto"' in page
    assert 'data-break-minutes="' in page and "/escalation/support/" in page


@pytestmark_db
def test_daily_cap_on_distressing_content(controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0, "CARE_DISTRESS_DAILY_CAP": 1}
    make_snippets(controller, 2, hypothesis=DISTRESSING)
    calm = make_snippets(controller, 1, hypothesis="set a timer", priority=-1)  # offered last
    user = make_reviewer()
    client = client_for(user)
    first, _, key, _ = open_task(client)  # scored on opening: distressing, under the cap
    client.post(f"/room/task/{first.pk}/", {"transcript": "x", "idempotency_key": key})
    # The second distressing snippet was never scored: it is leased, scored on opening, and
    # handed back at once because the cap is reached; the room moves on to the calm one.
    response = client.post("/room/next/")
    page = client.get(response["Location"], follow=True)
    assert page.redirect_chain and page.redirect_chain[-1][0].endswith(f"/room/task/{calm[0].pk}/")
    assert b"enough distressing content" in page.content
    released = AuditEvent.objects.get(action="task.release")
    assert released.purpose == "reviewer care"
    second = Task.objects.exclude(pk__in=[first.pk, calm[0].pk]).get()
    assert second.status == "queued" and second.lease_owner is None
    # Now known as distressing, it is simply not offered to this reviewer again today...
    assert queue.next_task(user, dj_timezone.now()).pk == calm[0].pk
    # ...but another reviewer gets it.
    assert queue.next_task(make_reviewer("fresh"), dj_timezone.now()).pk == second.pk


@pytestmark_db
def test_skips_carry_no_penalty(controller, make_reviewer, settings):
    from quietroom.review.quality import reviewer_accuracy

    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0, "REVIEW_DAILY_CAP_MINUTES": 0.05}
    make_snippets(controller, 3, seconds=1.5)  # cap: 3 s of audio a day
    user = make_reviewer()
    now = dj_timezone.now()
    for _ in range(3):  # skip three in a row: the audio cap is not used up by skips
        task = queue.next_task(user, now)
        assert task is not None
        skip(user, task.pk, "uncomfortable", now=now)
    make_snippets(controller, 2, seconds=1.5)
    task = queue.next_task(user, now)
    assert task is not None
    submit(user, task.pk, "x", "k1", now=now)
    assert queue.next_task(user, now) is not None  # 1.5 s used, 1.5 s left
    # Skips leave no score behind: accuracy is computed from gold submissions only.
    from quietroom.review.models import Skip

    assert Skip.objects.filter(reviewer=user).count() == 3
    assert reviewer_accuracy(scope=type(user).objects.filter(pk=user.pk)) == []


@pytestmark_db
def test_support_page_set_by_the_vendor_manager_read_by_reviewers(vendor, make_reviewer, make_officer):
    manager = make_officer("mona", org=vendor, role="vendor_manager")
    reviewer = make_reviewer()
    reviewer_client = client_for(reviewer)
    assert b"has not listed its support resources" in reviewer_client.get("/escalation/support/").content
    body = "Counselling line: 0800 000 000 (24h)\nhttps://support.example/reviewers"
    manager_client = client_for(manager)
    assert manager_client.post("/escalation/support/", {"body": "  "}).status_code == 400
    assert manager_client.post("/escalation/support/", {"body": body}).status_code == 302
    page = reviewer_client.get("/escalation/support/").content.decode()
    assert "0800 000 000" in page and 'href="https://support.example/reviewers"' in page
    assert 'name="body"' not in page  # reviewers cannot edit
    assert reviewer_client.post("/escalation/support/", {"body": "hacked"}).status_code == 403
    assert SupportPage.objects.get().body == body
    assert AuditEvent.objects.filter(action="support_page.update", actor="mona").count() == 1
    assert b"/escalation/support/" in reviewer_client.get("/room/").content  # linked from the room


@pytestmark_db
def test_a_warning_carries_to_the_other_snippets_of_its_recording(controller, make_reviewer, settings):
    """A recording is one conversation: one part scored as distressing warns of the rest."""
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0}
    warned, sibling = make_snippets(controller, 1, snippets_per_recording=2, hypothesis="set a timer")
    SnippetCare.objects.create(snippet_id=warned.snippet_id, score=1.0, warn=True, categories=["violence_abuse"])
    assert queue.next_task(make_reviewer("otto"), dj_timezone.now()).pk == warned.pk
    task, page, _, _ = open_task(client_for(make_reviewer()))
    assert task.pk == sibling.pk
    # Its own words are calm ("set a timer"): the warning is its recording's.
    assert not SnippetCare.objects.get(snippet_id=sibling.snippet_id).warn
    assert 'id="content-warning"' in page and 'data-care-warned="1"' in page and 'preload="none"' in page
    assert "Another part of this recording" in page and "Possible violence or abuse" in page


@pytestmark_db
def test_a_sibling_of_a_warned_snippet_counts_against_the_distressing_daily_cap(controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0, "CARE_DISTRESS_DAILY_CAP": 1}
    warned, sibling = make_snippets(controller, 1, snippets_per_recording=2, priority=2)
    (other_warned,) = make_snippets(controller, 1, priority=1)
    (calm,) = make_snippets(controller, 1)
    for task in (warned, other_warned):
        SnippetCare.objects.create(snippet_id=task.snippet_id, score=1.0, warn=True, categories=["threat"])
    assert queue.next_task(make_reviewer("otto"), dj_timezone.now()).pk == warned.pk
    user = make_reviewer()
    now = dj_timezone.now()
    got = queue.next_task(user, now)
    assert got.pk == sibling.pk
    submit(user, got.pk, "x", "k1", now=now)
    # The sibling was today's one distressing snippet: the next warned one waits, the calm one comes.
    assert queue.next_task(user, now).pk == calm.pk
    from quietroom.review import policy

    assert "daily cap of 1 distressing snippets reached" in policy.decide_for(
        user, Task.objects.get(pk=other_warned.pk), now).reasons


@pytestmark_db
def test_a_flag_on_one_snippet_warns_of_the_rest_of_its_recording(controller, make_reviewer, settings):
    from quietroom.escalation import care
    from quietroom.escalation.models import Flag

    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0, "CARE_DISTRESS_DAILY_CAP": 0}
    flagged, sibling = make_snippets(controller, 1, snippets_per_recording=2)
    Flag.objects.create(snippet_id=flagged.snippet_id, reviewer=make_reviewer("otto"), category="child_safety")
    warning = care.warning_for(sibling.snippet_id, sibling.recording_id)
    assert warning.from_sibling and care.category_labels(warning) == ["Child safety"]
    user = make_reviewer()
    assert queue.next_task(user, dj_timezone.now()) is None  # distressing, and the cap is 0
    settings.QUIETROOM = {**settings.QUIETROOM, "CARE_DISTRESS_DAILY_CAP": 5}
    assert queue.next_task(user, dj_timezone.now()).pk == sibling.pk  # the flagged one never
