"""Choosing what an export holds, and reading it through the gate.

One item per reviewed snippet. Where a snippet has several submissions (overlap, gold), the
adjudicated one wins, then the gold reference, then the earliest review. What may leave at all
is not decided here: `privacy.outbound` holds flagged, escalated, held, withdrawn and erased
snippets back, and the selection counts them by reason. Transcripts (and audio, when asked for)
are decrypted only by the gate, one audit event per read; the gate asks `privacy.outbound`
again, so an item flagged or erased while the export is written is held back and counted too.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from django.core.exceptions import FieldDoesNotExist

from quietroom import gate
from quietroom.audit.log import Actor
from quietroom.privacy import outbound
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


@dataclass(frozen=True)
class Selection:
    submissions: list            # the chosen submission per snippet that may leave, in order
    held_back: dict[str, int]    # reviewed snippets matching the filters held back, by reason


def _reviewed(filters: ExportFilters, controller, snippet_ids):
    """Every submission matching the filters (transcript or not), or None when none can."""
    qs = Submission.objects.select_related("task__snippet__recording__customer_key", "reviewer")
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
            return None  # no agreement recorded anywhere: nothing can meet a threshold
        qs = qs.filter(task__snippet__agreement__wer__lte=1.0 - filters.min_agreement)
    if filters.gold_only:
        if not _has(Submission, "kind"):
            return None
        qs = qs.filter(kind="gold_reference")
    return qs


def select_submissions(filters: ExportFilters, *, controller=None, snippet_ids=None) -> Selection:
    """The chosen submission per snippet that may leave, in a stable order (time, then snippet
    id), and how many reviewed snippets matching the filters were held back, by reason.

    `snippet_ids`: re-render the snippets an earlier export recorded; any whose row is gone
    since counts as erased.
    """
    reviewed = _reviewed(filters, controller, snippet_ids)
    if reviewed is None:
        return Selection([], outbound.counts())
    sorted_out = outbound.sort_out(Snippet.objects.filter(pk__in=reviewed.values("task__snippet_id")),
                                   named=snippet_ids)
    qs = reviewed.filter(transcript_ciphertext__isnull=False, task__snippet_id__in=sorted_out.may_leave)
    best: dict = {}
    for sub in qs.order_by("submitted_at", "id"):
        rank = KIND_PREFERENCE.get(getattr(sub, "kind", "review"), 3)
        current = best.get(sub.task.snippet_id)
        if current is None or rank < current[0]:
            best[sub.task.snippet_id] = (rank, sub)
    chosen = [sub for _, sub in best.values()]
    chosen.sort(key=lambda s: (s.submitted_at, str(s.task.snippet_id)))
    return Selection(chosen, sorted_out.held_back)


def read_items(actor: Actor, submissions, *, with_audio: bool, purpose: str = "export",
               held_back: Counter | None = None):
    """ExportItems through the gate (audited reads).

    A snippet the gate refuses because it may no longer leave, or finds erased, is skipped and
    counted in `held_back` by reason.
    """
    held_back = held_back if held_back is not None else Counter()
    for submission in submissions:
        snippet = submission.task.snippet
        try:
            read = list(gate.transcripts_for_export(actor, [submission], purpose=purpose))
            audio = gate.snippet_audio_for_export(actor, snippet, purpose=purpose) if with_audio and read else None
        except gate.AccessDenied as refused:
            reason = outbound.reason_of(refused)
            if reason is None:
                raise
            held_back[reason] += 1
            continue
        if not read or (with_audio and audio is None):
            held_back[outbound.ERASED] += 1  # destroyed between choosing and reading
            continue
        ((_, text),) = read
        yield ExportItem(
            snippet_id=str(snippet.id), customer_pseudonym=snippet.recording.customer_key.pseudonym,
            reviewer=submission.reviewer.pseudonym or "", locale=snippet.locale,
            duration=round(snippet.duration_seconds, 3), transcript=text,
            submitted_at=submission.submitted_at, labels=dict(getattr(submission, "labels", {}) or {}),
            agreement=_agreement_of(snippet), gold=getattr(submission, "kind", "") == "gold_reference",
            audio=audio,
        )
