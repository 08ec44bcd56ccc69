"""Labels with consequences, drafts, gold and agreement — through the real HTTP views."""
from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from quietroom import content, gate
from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.recordings.models import Snippet
from quietroom.review import quality, queue
from quietroom.escalation.models import Flag
from quietroom.review.models import Agreement, Draft, GoldScore, Submission, Task
from quietroom.review.submissions import SubmissionRefused, submit

from .conftest import set_knobs
from .factories import make_snippets

pytestmark = pytest.mark.django_db


def open_task(client):
    response = client.post("/room/next/")
    assert response.status_code == 302, response.content[:300]
    page = client.get(response["Location"]).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    stream = re.search(r'src="(/room/stream/[^"]+)"', page).group(1)
    return Task.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1]), page, key, stream


def test_hypothesis_is_prefilled_and_redactions_reach_the_waveform(controller, make_reviewer, reviewer_client):
    make_snippets(controller, 1, hypothesis="call [PERSON] at home", redactions=[{"start": 0.2, "end": 0.6, "entity": "PERSON"}])
    task, page, _, stream = open_task(reviewer_client(make_reviewer()))
    assert ">call [PERSON] at home</textarea>" in page
    redactions = json.loads(html.unescape(re.search(r'data-redactions="([^"]*)"', page).group(1)))
    assert redactions == [{"start": 0.2, "end": 0.6, "entity": "PERSON"}]
    assert f'data-src="{stream}"' in page  # the waveform fetches through the same gate
    assert "<script>" not in page and " style=" not in page and "download" not in page.replace("nodownload", "")
    assert "Ctrl+Space" in page and "Alt+M" in page  # shortcuts on screen
    audio = re.search(r'<audio id="player"[^>]*>', page).group(0)
    assert "controls" not in audio and 'id="play"' in page  # one player: the room's own transport


def test_accidental_activation_destroys_audio_and_text_and_keeps_the_label(controller, make_reviewer, reviewer_client, settings):
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=1.0, REVIEW_OVERLAP_K=2)
    make_snippets(controller, 1, hypothesis="hey what time is it")
    first = make_reviewer("first")
    earlier = queue.next_task(first, timezone.now())
    submit(first, earlier.pk, "hey what time is it", "k-first", now=timezone.now())
    client = reviewer_client(make_reviewer())
    task, _, key, stream = open_task(client)
    assert task.snippet_id == earlier.snippet_id
    response = client.post(f"/room/task/{task.pk}/", {"transcript": "sorry not for you", "idempotency_key": key,
                                                      "activation": "accidental", "quality": "poor"})
    assert response.status_code in (200, 302)
    snippet = Snippet.objects.get(pk=task.snippet_id)
    assert snippet.shredded_at is not None and snippet.wrapped_dek is None and snippet.hypothesis_ciphertext is None
    mine = Submission.objects.get(idempotency_key=key)
    assert mine.transcript_ciphertext is None and mine.labels["activation"] == "accidental" and mine.labels["quality"] == "poor"
    # The other reviewer's transcript of the same audio is gone too; nothing to export.
    assert Submission.objects.get(idempotency_key="k-first").transcript_ciphertext is None
    assert list(gate.transcripts_for_export(Actor.system(), Submission.objects.all(), purpose="export")) == []
    assert AuditEvent.objects.filter(action="snippet.shred", object_id=str(snippet.pk)).count() == 1
    assert client.get(stream).status_code in (403, 410)


def test_sensitive_flag_records_escalation_and_withdraws_the_snippet(controller, make_reviewer, reviewer_client, settings):
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=1.0, REVIEW_OVERLAP_K=3)
    make_snippets(controller, 1)
    user = make_reviewer()
    client = reviewer_client(user)
    task, _, key, _ = open_task(client)
    client.post(f"/room/task/{task.pk}/", {"transcript": "words", "idempotency_key": key, "sensitive": "self_harm"})
    assert Flag.objects.get().category == "self_harm"
    assert set(Task.objects.filter(snippet_id=task.snippet_id).exclude(pk=task.pk).values_list("status", flat=True)) == {"withdrawn"}
    assert queue.next_task(make_reviewer("other"), timezone.now()) is None
    assert AuditEvent.objects.filter(action="escalation.created", details__category="self_harm").exists()


def test_bad_labels_are_refused_naming_the_field(controller, make_reviewer):
    (task,) = make_snippets(controller, 1)
    user = make_reviewer()
    queue.next_task(user, timezone.now())
    with pytest.raises(SubmissionRefused) as refused:
        submit(user, task.pk, "x", "k", now=timezone.now(), labels={"quality": "superb", "pii_spans": [{"start": 2, "end": 1}]})
    text = "; ".join(refused.value.reasons)
    assert "label quality" in text and "span 1" in text
    assert not Submission.objects.exists() and Task.objects.get(pk=task.pk).status == "leased"


def test_autosaved_draft_is_encrypted_and_comes_back_only_to_its_author(controller, make_reviewer, reviewer_client):
    make_snippets(controller, 1, hypothesis="machine guess")
    user = make_reviewer()
    client = reviewer_client(user)
    task, page, _, _ = open_task(client)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    secret_words = "my half finished transcript"
    spans = json.dumps([{"start": 0.1, "end": 0.4}])
    saved = client.post(f"/room/task/{task.pk}/draft/", {"csrfmiddlewaretoken": csrf, "transcript": secret_words,
                                                         "domain": "music", "pii_spans": spans})
    assert saved.status_code == 200 and saved.json() == {"saved": True}
    draft = Draft.objects.get()
    assert secret_words.encode() not in bytes(draft.ciphertext) and draft.labels["domain"] == "music"
    again = client.get(f"/room/task/{task.pk}/").content.decode()
    assert f">{secret_words}</textarea>" in again and "machine guess" not in again
    assert '<option value="music" selected>' in again
    intruder = Client()
    intruder.force_login(make_reviewer("intruder"))
    assert intruder.post(f"/room/task/{task.pk}/draft/", {"transcript": "x"}).status_code == 409
    assert intruder.get(f"/room/task/{task.pk}/").status_code == 404


def test_gold_snippets_are_mixed_in_and_scored(controller, make_reviewer, make_staff, settings):
    set_knobs(settings, REVIEW_GOLD_RATE=0.5)
    gold_task, *_ = make_snippets(controller, 3)
    lead = make_staff("quinn", "qa_lead")
    quality.make_gold(gold_task.snippet, "turn on the kitchen lights", lead)
    user = make_reviewer()
    served = []
    for i in range(3):
        task = queue.next_task(user, timezone.now())
        if task is None:
            break
        served.append(task)
        submit(user, task.pk, "turn on the kitchen light" if task.is_gold else "x", f"k{i}", now=timezone.now())
    golds = [t for t in served if t.is_gold]
    assert len(golds) == 1 and golds[0].snippet_id == gold_task.snippet_id and golds[0].slot >= 1
    score = GoldScore.objects.get()
    assert score.reviewer_id == user.pk and score.wer == pytest.approx(0.2)
    page = Client()
    page.force_login(lead)
    body = page.get("/room/quality/").content.decode()
    assert "rita" in body and "0.800" in body
    reviewer = Client()
    reviewer.force_login(user)
    assert reviewer.get("/room/quality/").status_code == 403


def test_overlap_agreement_and_adjudication(controller, make_reviewer, make_staff, settings):
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=1.0, REVIEW_OVERLAP_K=2)
    (task,) = make_snippets(controller, 1)
    a, b = make_reviewer("anna"), make_reviewer("bert")
    submit(a, queue.next_task(a, timezone.now()).pk, "set a timer for ten minutes", "ka", now=timezone.now())
    assert not Agreement.objects.exists()  # one of two slots in: nothing to compare yet
    submit(b, queue.next_task(b, timezone.now()).pk, "set the time for two minutes", "kb", now=timezone.now())
    agreement = Agreement.objects.get()
    assert agreement.reviewers == 2 and agreement.wer == pytest.approx(3 / 6) and agreement.needs_adjudication
    lead = make_staff("quinn", "qa_lead")
    client = Client()
    client.force_login(lead)
    assert f"/room/quality/adjudicate/{agreement.pk}/" in client.get("/room/quality/").content.decode()
    page = client.get(f"/room/quality/adjudicate/{agreement.pk}/").content.decode()
    assert "set a timer for ten minutes" in page and "set the time for two minutes" in page
    client.post(f"/room/quality/adjudicate/{agreement.pk}/", {"final": "set a timer for ten minutes"})
    final = Submission.objects.get(kind="adjudication")
    (_, text), = list(gate.transcripts_for_export(Actor.system(), [final], purpose="export"))
    assert text == "set a timer for ten minutes"
    assert not quality.adjudication_queue().exists()
    manager = Client()
    manager.force_login(make_staff("vera", "vendor_manager"))
    assert manager.get("/room/quality/").status_code == 200
    assert manager.get(f"/room/quality/adjudicate/{agreement.pk}/").status_code == 403  # numbers, not transcripts


def test_guidelines_page_per_organisation(controller, vendor, make_reviewer, make_staff):
    from quietroom.review.models import Guidelines

    reviewer = Client()
    reviewer.force_login(make_reviewer())
    assert "has not written its guidelines" in reviewer.get("/room/guidelines/").content.decode()
    Guidelines.objects.create(organisation=controller, body="Write numbers as words.\n\nMark noise as [noise].")
    assert "Mark noise as [noise]." in reviewer.get("/room/guidelines/").content.decode()
    assert reviewer.post("/room/guidelines/", {"body": "hacked"}).status_code == 403
    lead = Client()
    lead.force_login(make_staff("quinn", "qa_lead"))
    lead.post("/room/guidelines/", {"body": "Vendor conventions: [unclear] for unclear words."})
    assert "[unclear] for unclear words" in reviewer.get("/room/guidelines/").content.decode()
    assert 'href="/room/guidelines/"' in reviewer.get("/room/").content.decode()
