"""Quality: gold snippets, agreement (WER between reviewers), adjudication.

Transcripts are only ever read through the gate (purpose "quality", audited); what this module
stores is numbers — WER per gold submission, WER per overlapped snippet — which the QA pages
show without decrypting anything.
"""
from __future__ import annotations

import itertools
import re
import uuid

import jiwer
from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from quietroom import content, gate
from quietroom.audit.log import Actor, record
from quietroom.compiled import UUID_STAND_IN, Compiled, uuid_param

from .models import Agreement, GoldScore, Submission, Task

_PUNCT = re.compile(r"[^\w\s'\[\]]+")


def normalise(text: str) -> str:
    """Case and punctuation do not count as disagreement."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp))


def make_gold(snippet, reference_text: str, by_user) -> Task:
    """Turn a snippet into a gold check with a known transcript (sealed like any transcript)."""
    with transaction.atomic():
        task = Task.objects.select_for_update().filter(snippet=snippet, slot=0).first()
        if task is None:
            task = Task.for_snippet(snippet, slot=0, is_gold=True)
            task.save(force_insert=True)
        Task.objects.filter(snippet=snippet).exclude(pk=task.pk).filter(status=Task.Status.QUEUED).update(
            status=Task.Status.WITHDRAWN, withdrawn_reason=Task.BECAME_GOLD)
        task.is_gold = True
        task.status = Task.Status.DONE
        task.save(update_fields=["is_gold", "status"])
        reference = Submission(task=task, reviewer=by_user, kind=Submission.Kind.GOLD_REFERENCE,
                               idempotency_key=f"gold-{uuid.uuid4().hex}")
        content.seal_transcript(reference, snippet.recording.customer_key, reference_text.strip())
        reference.save(force_insert=True)
        record(Actor.for_user(by_user), "gold.create", object_type="snippet", object_id=snippet.id,
               customer=snippet.recording.customer_key.pseudonym, purpose="quality")
    return task


def _texts(submissions) -> dict:
    return {s.pk: text for s, text in gate.transcripts_for_export(Actor.system(), submissions, purpose="quality")}


def after_submission(submission: Submission, *, overlapped: bool | None = None, text: str | None = None) -> None:
    """Score a gold check, or measure agreement once every overlap slot is in.

    `overlapped=False`: the caller read that the snippet has no other review slot (most
    snippets), so there is no agreement to measure and nothing to count. `text`: the
    submission's transcript as its reviewer just handed it in (the submit has it in memory),
    so a gold check reads only the reference through the gate, not the transcript it has."""
    task = submission.task
    if submission.transcript_ciphertext is None:
        return
    if task.is_gold:
        _score_gold(submission, text)
        return
    if overlapped is False:
        return
    slots = Task.objects.filter(snippet_id=task.snippet_id, is_gold=False).aggregate(
        n=Count("pk"), open=Count("pk", filter=~Q(status__in=[Task.Status.DONE, Task.Status.WITHDRAWN])))
    if slots["n"] < 2 or slots["open"]:
        return
    reviews = list(Submission.objects.filter(task__snippet_id=task.snippet_id, kind=Submission.Kind.REVIEW,
                                             transcript_ciphertext__isnull=False)
                   .select_related("task__snippet__recording__customer_key"))
    if len(reviews) < 2:
        return
    texts = _texts(reviews)
    pairs = [(texts[a.pk], texts[b.pk]) for a, b in itertools.combinations(reviews, 2) if a.pk in texts and b.pk in texts]
    if not pairs:
        return
    score = sum(wer(a, b) for a, b in pairs) / len(pairs)
    Agreement.objects.update_or_create(snippet_id=task.snippet_id, defaults={
        "wer": score, "reviewers": len(reviews),
        "needs_adjudication": score > settings.QUIETROOM["REVIEW_ADJUDICATION_WER"],
    })


def _gold_reference_query(snippet_id):
    return (Submission.objects.filter(task__snippet_id=snippet_id, kind=Submission.Kind.GOLD_REFERENCE)
            .select_related("task__snippet__recording__customer_key").order_by("pk")[:1])


# Every gold check's submit reads it: compiled once per process (building its four joins cost
# the ORM more CPU than the rest of the scoring).
_gold_reference = Compiled(_gold_reference_query, stand_ins=[UUID_STAND_IN], prepare=[uuid_param])


def _score_gold(submission: Submission, text: str | None) -> None:
    """The WER of a gold check against its reference, the score written by one statement (an
    upsert: a correction scores again)."""
    reference = _gold_reference.first(submission.task.snippet_id)
    if reference is None:
        return
    texts = _texts([reference] if text is not None else [reference, submission])
    if text is not None:
        texts[submission.pk] = text
    if len(texts) != 2:
        return
    GoldScore.objects.bulk_create(
        [GoldScore(submission=submission, reviewer_id=submission.reviewer_id,
                   wer=wer(texts[reference.pk], texts[submission.pk]))],
        update_conflicts=True, unique_fields=["submission"], update_fields=["reviewer", "wer"])


def adjudication_queue():
    return Agreement.objects.filter(needs_adjudication=True, adjudicated_at__isnull=True).order_by("-wer", "at")


def transcripts_for_adjudication(lead, snippet_id):
    reviews = list(Submission.objects.filter(task__snippet_id=snippet_id, kind=Submission.Kind.REVIEW,
                                             transcript_ciphertext__isnull=False)
                   .select_related("task__snippet__recording__customer_key", "reviewer").order_by("submitted_at"))
    return list(gate.transcripts_for_export(Actor.for_user(lead), reviews, purpose="adjudication", user=lead))


def adjudicate(lead, agreement: Agreement, final_text: str) -> Submission:
    """A QA lead's final transcript for a disputed snippet (sealed like any transcript)."""
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().select_related("snippet__recording__customer_key").get(pk=agreement.pk)
        task = Task.objects.filter(snippet_id=agreement.snippet_id).order_by("slot").first()
        result = Submission(task=task, reviewer=lead, kind=Submission.Kind.ADJUDICATION,
                            idempotency_key=f"adj-{agreement.pk}")
        content.seal_transcript(result, agreement.snippet.recording.customer_key, final_text.strip())
        result.save(force_insert=True)
        agreement.adjudicated_by = lead
        agreement.adjudicated_at = timezone.now()
        agreement.save(update_fields=["adjudicated_by", "adjudicated_at"])
        record(Actor.for_user(lead), "transcript.adjudicate", object_type="snippet", object_id=agreement.snippet_id,
               customer=agreement.snippet.recording.customer_key.pseudonym, purpose="quality")
    return result


def reviewer_accuracy(scope=None):
    """Per reviewer: gold checks done and accuracy (1 - mean WER, floored at 0)."""
    scores = GoldScore.objects.all() if scope is None else GoldScore.objects.filter(reviewer__in=scope)
    rows = scores.values("reviewer__pseudonym", "reviewer__username").annotate(n=Count("pk"), mean_wer=Avg("wer"))
    return [
        {"reviewer": r["reviewer__username"], "pseudonym": r["reviewer__pseudonym"], "gold": r["n"],
         "accuracy": max(0.0, 1.0 - (r["mean_wer"] or 0.0))}
        for r in rows.order_by("reviewer__username")
    ]
