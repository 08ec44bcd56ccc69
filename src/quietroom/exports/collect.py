"""Choosing what an export holds, and reading it through the gate.

One item per reviewed snippet. Where a snippet has several submissions (overlap, gold), the
adjudicated one wins, then the gold reference, then the earliest review. Transcripts (and audio,
when asked for) are decrypted only by the gate, one audit event per read; an item whose
customer was erased in between is left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from django.core.exceptions import FieldDoesNotExist

from quietroom import gate
from quietroom.audit.log import Actor
from quietroom.recordings.models import Snippet
from quietroom.review.models import Submission

KIND_PREFERENCE = {"adjudication": 0, "gold_reference": 1, "review": 2}


@dataclass(frozen=True)
class ExportFilters:
    date_from: date | None = None
    date_to: date | None = None          # inclusive
    locale: str | None = None
    min_agreement: float | None = None   # agreement = 1 - WER between overlapping reviewers
    gold_only: bool = False

    def as_dict(self) -> dict:
        out = {}
        for name in ("date_from", "date_to"):
            if getattr(self, name):
                out[name] = getattr(self, name).isoformat()
        if self.locale:
            out["locale"] = self.locale
        if self.min_agreement is not None:
            out["min_agreement"] = self.min_agreement
        if self.gold_only:
            out["gold_only"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ExportFilters":
        return cls(
            date_from=date.fromisoformat(data["date_from"]) if data.get("date_from") else None,
            date_to=date.fromisoformat(data["date_to"]) if data.get("date_to") else None,
            locale=data.get("locale"), min_agreement=data.get("min_agreement"),
            gold_only=bool(data.get("gold_only")),
        )


@dataclass
class ExportItem:
    snippet_id: str
    customer_pseudonym: str
    reviewer: str          # pseudonym
    locale: str
    duration: float
    transcript: str
    submitted_at: datetime
    labels: dict = field(default_factory=dict)
    agreement: float | None = None
    gold: bool = False
    audio: bytes | None = None

    @property
    def utterance_id(self) -> str:
        # Kaldi wants utterance ids to start with their speaker id so both sort together.
        return f"{self.customer_pseudonym}-{self.snippet_id}"


def _has(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
        return True
    except FieldDoesNotExist:
        return False


def _agreement_of(snippet) -> float | None:
    agreement = getattr(snippet, "agreement", None) if _has(Snippet, "agreement") else None
    if agreement is None:
        return None
    return max(0.0, min(1.0, 1.0 - float(agreement.wer)))


def select_submissions(filters: ExportFilters, *, controller=None, snippet_ids=None) -> list:
    """The chosen submission per snippet, in a stable order (time, then snippet id)."""
    qs = (Submission.objects.select_related("task__snippet__recording__customer_key", "reviewer")
          .filter(transcript_ciphertext__isnull=False,
                  task__snippet__recording__customer_key__destroyed_at__isnull=True))
    if _has(Snippet, "shredded_at"):
        qs = qs.filter(task__snippet__shredded_at__isnull=True)
    if controller is not None:
        qs = qs.filter(task__snippet__recording__controller=controller)
    if snippet_ids is not None:
        qs = qs.filter(task__snippet_id__in=list(snippet_ids))
    if filters.locale:
        qs = qs.filter(task__snippet__locale=filters.locale)
    if filters.date_from:
        qs = qs.filter(submitted_at__gte=datetime.combine(filters.date_from, time.min, timezone.utc))
    if filters.date_to:
        qs = qs.filter(submitted_at__lte=datetime.combine(filters.date_to, time.max, timezone.utc))
    if filters.min_agreement is not None:
        if not _has(Snippet, "agreement"):
            return []  # no agreement recorded anywhere: nothing can meet a threshold
        qs = qs.filter(task__snippet__agreement__wer__lte=1.0 - filters.min_agreement)
    if filters.gold_only:
        if _has(Submission, "kind"):
            qs = qs.filter(kind="gold_reference")
        else:
            return []
    best: dict = {}
    for sub in qs.order_by("submitted_at", "id"):
        rank = KIND_PREFERENCE.get(getattr(sub, "kind", "review"), 3)
        current = best.get(sub.task.snippet_id)
        if current is None or rank < current[0]:
            best[sub.task.snippet_id] = (rank, sub)
    chosen = [sub for _, sub in best.values()]
    chosen.sort(key=lambda s: (s.submitted_at, str(s.task.snippet_id)))
    return chosen


def read_items(actor: Actor, submissions, *, with_audio: bool, purpose: str = "export"):
    """ExportItems through the gate (audited reads); erased items are skipped."""
    for submission, text in gate.transcripts_for_export(actor, submissions, purpose=purpose):
        snippet = submission.task.snippet
        audio = None
        if with_audio:
            audio = gate.snippet_audio_for_export(actor, snippet, purpose=purpose)
            if audio is None:
                continue
        yield ExportItem(
            snippet_id=str(snippet.id), customer_pseudonym=snippet.recording.customer_key.pseudonym,
            reviewer=submission.reviewer.pseudonym or "", locale=snippet.locale,
            duration=round(snippet.duration_seconds, 3), transcript=text,
            submitted_at=submission.submitted_at, labels=dict(getattr(submission, "labels", {}) or {}),
            agreement=_agreement_of(snippet), gold=getattr(submission, "kind", "") == "gold_reference",
            audio=audio,
        )
