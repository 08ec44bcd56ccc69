"""Correcting one's last submission (issue 16): offered after a submit, read back through the
gate, saved sealed and audited as an edit, and refused by every rule that could be broken."""
from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pyotp
import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from quietroom import content, gate
from quietroom.audit.log import Actor, record
from quietroom.audit.models import AuditEvent
from quietroom.decisions import Refusal
from quietroom.escalation import cases
from quietroom.escalation.models import Case, Flag
from quietroom.recordings.models import Snippet
from quietroom.review import corrections, quality, queue
from quietroom.review.models import Agreement, GoldScore, Submission, Task
from quietroom.review.submissions import SubmissionRefused, act_on_labels, submit

from .conftest import set_knobs
from .factories import make_snippets

pytestmark = pytest.mark.django_db

TYPO = "turn the kitchen lihgts off"
FIXED = "turn the kitchen lights off"


def reviewer_at_site(user) -> Client:
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.force_login(user)
    return client


def submit_through_the_room(client, text=TYPO, **labels):
    """Open the next snippet, hand `text` in; the response is the page that follows (followed)."""
    opened = client.post("/room/next/")
    assert opened.status_code == 302, opened.content[:300]
    page = client.get(opened["Location"]).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    after = client.post(opened["Location"], {"transcript": text, "idempotency_key": key, **labels}, follow=True)
    return Submission.objects.get(idempotency_key=key), after.content.decode()


def text_of(submission) -> str:
    submission = Submission.objects.select_related("task__snippet__recording__customer_key").get(pk=submission.pk)
    texts = list(gate.transcripts_for_export(Actor.system(), [submission], purpose="quality"))
    return texts[0][1] if texts else None


def reasons_of(refused) -> set:
    return {getattr(r, "code", None) for r in refused.value.reasons}


def test_after_a_submit_the_next_page_and_the_room_offer_a_correction_that_is_sealed_and_audited(
        controller, make_reviewer):
    make_snippets(controller, 2, hypothesis="machine guess {i}")
    rita = make_reviewer()
    client = reviewer_at_site(rita)
    mine, next_page = submit_through_the_room(client, domain="smart_home")
    url = f"/room/correct/{mine.pk}/"
    assert "Correct your last submission" in next_page and f'href="{url}"' in next_page
    assert f'href="{url}"' in client.get("/room/").content.decode()
    before = (bytes(mine.transcript_ciphertext), bytes(mine.wrapped_dek))

    page = client.get(url)
    assert page.status_code == 200 and f">{TYPO}</textarea>" in page.content.decode()
    assert "/room/stream/" not in page.content.decode()  # no audio: the lease ended with the submit
    reopened = AuditEvent.objects.get(action="transcript.reopen")
    assert (reopened.outcome, reopened.purpose, reopened.object_id) == ("ok", "correction", str(mine.pk))

    held = Task.objects.get(lease_owner=rita, status="leased")
    saved = client.post(url, {"transcript": FIXED, "domain": "smart_home", "quality": "good", "activation": "intended"})
    assert saved.status_code == 302 and saved["Location"] == f"/room/task/{held.pk}/"  # back to the snippet in hand
    mine.refresh_from_db()
    assert text_of(mine) == FIXED and mine.corrected_at is not None
    assert FIXED.encode() not in bytes(mine.transcript_ciphertext)
    assert (bytes(mine.transcript_ciphertext), bytes(mine.wrapped_dek)) != before  # sealed afresh, old text not kept
    assert mine.labels["quality"] == "good" and mine.labels["domain"] == "smart_home"
    assert Submission.objects.filter(reviewer=rita).count() == 1  # corrected in place, not a second result
    edit = AuditEvent.objects.get(action="transcript.edit")
    assert edit.outcome == "ok" and edit.details["submission"] == str(mine.pk)
    assert edit.details["labels_changed"] == ["activation", "quality"]
    assert "lights" not in json.dumps(edit.details) and "lihgts" not in json.dumps(edit.details)  # never words
    assert "Your correction is saved." in client.get(saved["Location"]).content.decode()


def test_the_window_closes_and_zero_turns_corrections_off(controller, make_reviewer, settings):
    make_snippets(controller, 3)
    client = reviewer_at_site(make_reviewer())
    mine, _ = submit_through_the_room(client)
    url = f"/room/correct/{mine.pk}/"
    Submission.objects.filter(pk=mine.pk).update(submitted_at=timezone.now() - timedelta(minutes=10, seconds=1))
    assert "Correct your last submission" not in client.get("/room/").content.decode()
    page = client.get(url)
    assert page.status_code == 403 and "10-minute correction window has closed" in page.content.decode()
    assert TYPO not in page.content.decode()
    late = client.post(url, {"transcript": FIXED})
    assert late.status_code == 403 and text_of(mine) == TYPO
    assert AuditEvent.objects.get(action="transcript.reopen").outcome == "denied"
    denied = AuditEvent.objects.get(action="transcript.edit")
    assert denied.outcome == "denied" and denied.details["submission"] == str(mine.pk)

    set_knobs(settings, REVIEW_CORRECTION_MINUTES=0)
    fresh, next_page = submit_through_the_room(client)
    assert "Correct your last submission" not in next_page
    with pytest.raises(SubmissionRefused) as refused:
        corrections.correct(fresh.reviewer, fresh.pk, FIXED, {}, now=timezone.now(), address="127.0.0.1")
    assert "corrections are turned off" in refused.value.reasons


def test_only_ones_own_latest_submission_and_only_from_the_site(controller, make_reviewer):
    make_snippets(controller, 3)
    rita, sam = make_reviewer("rita"), make_reviewer("sam")
    client = reviewer_at_site(rita)
    first, _ = submit_through_the_room(client)
    latest, _ = submit_through_the_room(client)
    page = client.get(f"/room/correct/{first.pk}/")
    assert page.status_code == 403 and "only your most recent submission can be corrected" in page.content.decode()

    intruder = reviewer_at_site(sam)
    assert intruder.get(f"/room/correct/{latest.pk}/").status_code == 403
    assert intruder.post(f"/room/correct/{latest.pk}/", {"transcript": "sam was here"}).status_code == 403
    assert text_of(latest) == TYPO
    for action in ("transcript.reopen", "transcript.edit"):
        event = AuditEvent.objects.get(action=action, actor="sam")
        assert event.outcome == "denied" and "the submission is another reviewer's" in event.details["reasons"]
    assert intruder.get("/room/correct/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert intruder.post("/room/correct/00000000-0000-0000-0000-000000000000/", {"transcript": "x"}).status_code == 404

    with pytest.raises(SubmissionRefused) as refused:  # off the site's network: the gate's site rule
        corrections.correct(rita, latest.pk, FIXED, {}, now=timezone.now(), address="203.0.113.9")
    assert Refusal.NOT_AT_A_SITE in reasons_of(refused)
    assert text_of(latest) == TYPO


@pytest.mark.parametrize("labels, reason", [
    ({"activation": "accidental"}, "an accidental activation: its transcript was destroyed with the snippet"),
    ({"sensitive": "violence_abuse"}, "flagged as sensitive content: the snippet has left review"),
])
def test_an_accidental_activation_or_a_flag_is_not_reopened(controller, make_reviewer, labels, reason):
    make_snippets(controller, 2)
    client = reviewer_at_site(make_reviewer())
    mine, next_page = submit_through_the_room(client, **labels)
    assert "Correct your last submission" not in next_page
    page = client.get(f"/room/correct/{mine.pk}/")
    assert page.status_code == 403 and reason in page.content.decode()
    assert client.post(f"/room/correct/{mine.pk}/", {"transcript": FIXED}).status_code == 403
    mine.refresh_from_db()
    assert mine.corrected_at is None and mine.labels == {**mine.labels, **labels}
    assert not AuditEvent.objects.filter(action="transcript.reopen", outcome="ok").exists()


def _flagged_by_someone_else(controller, mine, make_reviewer, make_officer):
    other = make_reviewer("otto")
    task = queue.next_task(other, timezone.now())
    assert task.snippet_id == mine.task.snippet_id  # the overlap slot of the same snippet
    submit(other, task.pk, "words", "k-otto", now=timezone.now(), labels={"sensitive": "self_harm"})


def _held(controller, mine, make_reviewer, make_officer):
    _flagged_by_someone_else(controller, mine, make_reviewer, make_officer)
    case = Case.objects.get(snippet_id=mine.task.snippet_id)
    olivia, oscar = make_officer("olivia"), make_officer("oscar")
    cases.confirm(oscar, cases.propose(olivia, case, "legal_hold", "police request ref 123"))


def _withdrawn(controller, mine, make_reviewer, make_officer):
    Task.objects.filter(snippet_id=mine.task.snippet_id).exclude(pk=mine.task_id).update(
        status=Task.Status.WITHDRAWN, withdrawn_reason="recording withdrawn by the controller")


def _shredded_by_retention(controller, mine, make_reviewer, make_officer):
    content.shred_snippet(Snippet.objects.get(pk=mine.task.snippet_id))


def _customer_erased(controller, mine, make_reviewer, make_officer):
    content.destroy_customer_key(mine.task.snippet.recording.customer_key.pseudonym)


@pytest.mark.parametrize("since, code", [
    (_flagged_by_someone_else, Refusal.HELD_FLAGGED),
    (_held, Refusal.HELD_LEGAL_HOLD),
    (_withdrawn, Refusal.HELD_WITHDRAWN),
    (_shredded_by_retention, Refusal.HELD_ERASED),
    (_customer_erased, Refusal.HELD_ERASED),
])
def test_a_snippet_that_has_since_left_review_is_not_reopened_or_rewritten(
        controller, make_reviewer, settings, since, code):
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=1.0, REVIEW_OVERLAP_K=2)
    make_snippets(controller, 1)
    rita = make_reviewer()
    client = reviewer_at_site(rita)
    mine, _ = submit_through_the_room(client)
    mine = Submission.objects.select_related("task__snippet__recording__customer_key").get(pk=mine.pk)
    assert corrections.offer(rita, timezone.now(), "127.0.0.1") == mine

    since(controller, mine, make_reviewer, make_officer_for(controller))
    assert corrections.offer(rita, timezone.now(), "127.0.0.1") is None
    assert "Correct your last submission" not in client.get("/room/").content.decode()
    with pytest.raises(gate.AccessDenied) as denied:
        corrections.reopen(rita, mine.pk, now=timezone.now(), address="127.0.0.1")
    assert code in reasons_of(denied)
    with pytest.raises(SubmissionRefused) as refused:
        corrections.correct(rita, mine.pk, FIXED, {}, now=timezone.now(), address="127.0.0.1")
    assert code in reasons_of(refused)
    mine.refresh_from_db()
    assert mine.corrected_at is None


def make_officer_for(controller):
    from quietroom.accounts.models import User
    from quietroom.accounts.pseudonyms import user_pseudonym

    def make(username):
        user = User.objects.create(username=username, organisation=controller, role="privacy_officer",
                                   email=f"{username}@acme.example", totp_secret=pyotp.random_base32(),
                                   totp_confirmed=True)
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
        return user
    return make


@pytest.mark.parametrize("kind", [Submission.Kind.GOLD_REFERENCE, Submission.Kind.ADJUDICATION])
def test_a_gold_reference_or_an_adjudication_is_not_a_reviewers_to_correct(controller, make_reviewer, kind):
    (task,) = make_snippets(controller, 1)
    rita = make_reviewer()
    if kind == Submission.Kind.GOLD_REFERENCE:
        quality.make_gold(task.snippet, "the known transcript", rita)  # even with the reviewer as its author
    else:
        made = Submission(task=task, reviewer=rita, kind=kind, idempotency_key="adj-test")
        content.seal_transcript(made, task.snippet.recording.customer_key, "the final transcript")
        made.save(force_insert=True)
        Task.objects.filter(pk=task.pk).update(status=Task.Status.DONE, lease_owner=rita)
    theirs = Submission.objects.get(kind=kind)
    with pytest.raises(SubmissionRefused) as refused:
        corrections.correct(rita, theirs.pk, FIXED, {}, now=timezone.now(), address="127.0.0.1")
    assert ("only a reviewer's transcript can be corrected (not a gold reference or an adjudication)"
            in refused.value.reasons)
    assert corrections.offer(rita, timezone.now(), "127.0.0.1") is None


def test_a_correction_measures_agreement_again(controller, make_reviewer, settings):
    """A typo that put a snippet up for adjudication takes it off again once corrected."""
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=1.0, REVIEW_OVERLAP_K=2)
    make_snippets(controller, 1)
    anna, bert = make_reviewer("anna"), make_reviewer("bert")
    submit(bert, queue.next_task(bert, timezone.now()).pk, "set a timer for ten minutes", "kb", now=timezone.now())
    typo = submit(anna, queue.next_task(anna, timezone.now()).pk, "set a tiemr fro ten minuets", "ka",
                  now=timezone.now())
    assert Agreement.objects.get().needs_adjudication and quality.adjudication_queue().exists()
    corrections.correct(anna, typo.pk, "set a timer for ten minutes", {}, now=timezone.now(), address="127.0.0.1")
    agreement = Agreement.objects.get()
    assert agreement.wer == 0 and not agreement.needs_adjudication and not quality.adjudication_queue().exists()


def test_a_correction_scores_a_gold_check_again(controller, make_reviewer, make_staff, settings):
    set_knobs(settings, REVIEW_GOLD_RATE=1.0)
    gold, _ = make_snippets(controller, 2)
    quality.make_gold(gold.snippet, "turn on the kitchen lights", make_staff("quinn", "qa_lead"))
    rita = make_reviewer()
    task = queue.next_task(rita, timezone.now())
    assert task.is_gold
    mine = submit(rita, task.pk, "turn on the kitchen lihgts", "k-gold", now=timezone.now())
    assert GoldScore.objects.get(submission=mine).wer == pytest.approx(0.2)
    corrections.correct(rita, mine.pk, "turn on the kitchen lights", {}, now=timezone.now(), address="127.0.0.1")
    assert GoldScore.objects.get(submission=mine).wer == 0


def test_a_correction_may_report_what_the_submit_missed(controller, make_reviewer, settings):
    """Corrected to an accidental activation: the snippet is shredded as a submit would; corrected
    to sensitive content: a flag and a case, as a submit would."""
    make_snippets(controller, 3)
    rita = make_reviewer()
    client = reviewer_at_site(rita)
    mine, _ = submit_through_the_room(client)
    corrections.correct(rita, mine.pk, FIXED, {"activation": "accidental"}, now=timezone.now(), address="127.0.0.1")
    mine.refresh_from_db()
    assert mine.transcript_ciphertext is None and mine.labels["activation"] == "accidental"
    assert Snippet.objects.get(pk=mine.task.snippet_id).shredded_at is not None
    assert AuditEvent.objects.filter(action="snippet.shred", object_id=str(mine.task.snippet_id)).count() == 1

    flagged, _ = submit_through_the_room(client)
    corrections.correct(rita, flagged.pk, FIXED, {"sensitive": "self_harm"}, now=timezone.now(),
                        address="127.0.0.1", sensitive_note="they sounded in danger")
    assert Flag.objects.get(snippet_id=flagged.task.snippet_id).category == "self_harm"
    assert Case.objects.get(snippet_id=flagged.task.snippet_id).has_note
    with pytest.raises(SubmissionRefused):  # and now it has left review: no second correction
        corrections.correct(rita, flagged.pk, FIXED, {}, now=timezone.now(), address="127.0.0.1")


def test_bad_input_is_refused_naming_the_field_and_kept_to_fix(controller, make_reviewer, settings):
    set_knobs(settings, REVIEW_DRAFT_MAX_CHARS=40)
    make_snippets(controller, 2)
    client = reviewer_at_site(make_reviewer())
    mine, _ = submit_through_the_room(client)
    long_text = "x" * 41
    page = client.post(f"/room/correct/{mine.pk}/", {"transcript": long_text, "quality": "superb"})
    body = page.content.decode()
    assert page.status_code == 400 and "transcript longer than 40 characters" in body
    assert f">{long_text}</textarea>" in body  # what they typed, to fix
    page = client.post(f"/room/correct/{mine.pk}/", {"transcript": FIXED, "quality": "superb"})
    assert page.status_code == 400 and "label quality" in page.content.decode()
    assert text_of(mine) == TYPO and not AuditEvent.objects.filter(action="transcript.edit").exists()


@pytest.mark.django_db(transaction=True)
def test_a_correction_waits_for_a_shredding_under_way_and_is_then_refused(controller, make_reviewer, settings):
    """Another reviewer's accidental activation of the same snippet destroys every transcript of
    it; a correction saved at that moment must not write one back. The correction takes the
    snippet's row lock, so it waits for the shredding to commit and then finds it erased."""
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=1.0, REVIEW_OVERLAP_K=2)
    make_snippets(controller, 1)
    rita, otto = make_reviewer("rita"), make_reviewer("otto")
    mine = submit(rita, queue.next_task(rita, timezone.now()).pk, TYPO, "k-rita", now=timezone.now())
    other = queue.next_task(otto, timezone.now())
    shredding, release, outcome = threading.Event(), threading.Event(), {}

    def shred():
        try:
            with transaction.atomic():  # what submit() does, in its order: task, audit log, snippet, submissions
                task = Task.objects.select_for_update(of=("self",)).select_related(
                    "snippet__recording__customer_key").get(pk=other.pk)
                record(Actor.for_user(otto), "transcript.submit", object_type="snippet", object_id=task.snippet_id)
                act_on_labels(otto, task, {"activation": "accidental"}, Actor.for_user(otto), note="", now=timezone.now())
                shredding.set()
                release.wait(10)
        finally:
            connection.close()

    def correct():
        try:
            corrections.correct(rita, mine.pk, FIXED, {}, now=timezone.now(), address="127.0.0.1")
            outcome["saved"] = True
        except SubmissionRefused as refused:
            outcome["refused"] = {getattr(r, "code", None) for r in refused.reasons}
        finally:
            connection.close()

    shredder = threading.Thread(target=shred)
    shredder.start()
    assert shredding.wait(10)
    corrector = threading.Thread(target=correct)
    corrector.start()
    corrector.join(0.5)
    assert corrector.is_alive()  # waiting for the shredding's lock, not racing it
    release.set()
    shredder.join(10)
    corrector.join(20)
    assert "saved" not in outcome and Refusal.HELD_ERASED in outcome["refused"]
    mine.refresh_from_db()
    assert mine.transcript_ciphertext is None and mine.corrected_at is None
