"""The gate asks the policy registered for each purpose, fails closed, and speaks reason codes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from quietroom import gate
from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.decisions import Decision, Reason, Refusal
from quietroom.review import queue
from quietroom.review.models import Task
from quietroom.review.queueing import queue_snippet, selected_for_overlap

from .review.factories import make_snippets


def test_a_reason_is_its_sentence_and_carries_its_code():
    reason = Reason(Refusal.DAILY_CAP, "daily cap of 240 audio minutes reached")
    assert reason == "daily cap of 240 audio minutes reached" and reason.code is Refusal.DAILY_CAP
    decision = Decision.of([reason])
    assert not decision and decision.codes == {Refusal.DAILY_CAP}
    assert Decision.of([]).allowed


def test_registering_a_second_policy_for_a_purpose_is_refused():
    with pytest.raises(RuntimeError, match="already registered"):
        gate.register_policy("transcription", gate.allow_all)


@pytest.mark.django_db
def test_a_purpose_without_a_policy_is_refused_and_audited(controller):
    (task,) = make_snippets(controller, 1)
    with pytest.raises(gate.AccessDenied) as refused:
        list(gate.transcripts_for_export(Actor.system(), [], purpose="curiosity"))  # nothing to read: no refusal
        gate.snippet_audio_for_export(Actor.system(), task.snippet, purpose="curiosity")
    assert refused.value.reasons[0].code is Refusal.NO_POLICY
    event = AuditEvent.objects.get(action="snippet.read")
    assert event.outcome == "denied" and event.purpose == "curiosity"
    # A dotted purpose belongs to its family's policy: "export.download" is an export.
    assert gate.snippet_audio_for_export(Actor.system(), task.snippet, purpose="export.download")[:4] == b"RIFF"


@pytest.mark.django_db
def test_raw_audio_is_read_by_the_pipeline_never_by_a_person(controller, make_reviewer):
    from quietroom.content import raw_audio_of

    person = make_reviewer()
    (task,) = make_snippets(controller, 1)
    read = gate.Read("deidentification", Actor.for_user(person), task.snippet.recording, person)
    decision = gate.decide(read)
    assert not decision and decision.codes == {Refusal.NO_PERMISSION}
    with pytest.raises(gate.AccessDenied):
        gate.open_audited(read, "recording.read", raw_audio_of(task.snippet.recording), decision)


@pytest.mark.django_db
def test_only_qa_leads_read_transcripts_for_adjudication(controller, make_reviewer):
    reviewer = make_reviewer()
    read = gate.Read("adjudication", Actor.for_user(reviewer), None, reviewer)
    assert gate.decide(read).codes == {Refusal.NO_PERMISSION}


@pytest.mark.django_db
def test_a_reviewer_off_the_site_network_is_refused_by_the_gate_itself(controller, make_reviewer):
    """Defence in depth: the middleware refuses off-site requests; the gate checks the address too."""
    reviewer = make_reviewer()
    make_snippets(controller, 1)
    now = timezone.now()
    task = queue.next_task(reviewer, now, address="127.0.0.1")
    assert task is not None
    with pytest.raises(gate.AccessDenied) as refused:
        gate.snippet_audio_for_reviewer(reviewer, task, now=now, address="203.0.113.9")
    assert Refusal.NOT_AT_A_SITE in {reason.code for reason in refused.value.reasons}
    # From the site's own network the same lease plays.
    assert gate.snippet_audio_for_reviewer(reviewer, task, now=now, address="127.0.0.1").audio[:4] == b"RIFF"
    # And nothing is assigned to a request from elsewhere.
    other = make_reviewer("elsewhere")
    assert queue.next_task(other, now, address="203.0.113.9") is None


@pytest.mark.django_db
def test_an_expired_lease_is_refused_for_reads_and_hand_ins_alike(controller, make_reviewer):
    from quietroom.review.submissions import SubmissionRefused, save_draft, submit

    reviewer = make_reviewer()
    make_snippets(controller, 1, hypothesis="turn on the lights")
    now = timezone.now()
    task = queue.next_task(reviewer, now, address="127.0.0.1")
    later = task.lease_expires_at + timedelta(seconds=1)
    for read in (gate.snippet_audio_for_reviewer, gate.snippet_hypothesis_for_reviewer):
        with pytest.raises(gate.AccessDenied) as refused:
            read(reviewer, task, now=later, address="127.0.0.1")
        assert Refusal.LEASE_EXPIRED in {reason.code for reason in refused.value.reasons}
    for hand_in in (lambda: submit(reviewer, task.pk, "turn on the lights", "k1", now=later),
                    lambda: save_draft(reviewer, task.pk, "turn on", {}, now=later)):
        with pytest.raises(SubmissionRefused, match="lease has expired"):
            hand_in()


@pytest.mark.django_db
def test_creating_a_task_has_no_side_effects_and_queueing_adds_the_overlap_slots(controller, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 1.0, "REVIEW_OVERLAP_K": 3}
    (first,) = make_snippets(controller, 1)  # queued through queue_snippet: slot 0 and two overlap slots
    assert selected_for_overlap(first.snippet_id, 1.0)
    assert sorted(Task.objects.filter(snippet_id=first.snippet_id).values_list("slot", flat=True)) == [0, 1, 2]
    snippet = first.snippet
    Task.objects.filter(snippet=snippet).delete()
    Task.objects.create(snippet=snippet, slot=0, locale="en-US")  # a plain create makes one row, nothing else
    assert Task.objects.filter(snippet=snippet).count() == 1
    Task.objects.filter(snippet=snippet).delete()
    task = queue_snippet(snippet, priority=3)
    assert (task.slot, task.priority, task.recording_id, task.customer_key_id) == (
        0, 3, snippet.recording_id, snippet.recording.customer_key_id)
    assert Task.objects.filter(snippet=snippet, priority=3).count() == 3
