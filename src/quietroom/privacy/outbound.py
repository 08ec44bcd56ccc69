"""What may leave QuietRoom: the one rule every exit asks (house rule 8).

A reviewed snippet may leave — in an export of any format, with or without its audio, through
the command line, the API or a later download of an export recorded earlier — only while none
of these holds. The first that holds is the reason it is held back:

- `erased`: the snippet was shredded (retention, an accidental activation, "no action and
  delete") or its customer's key destroyed, or its row is gone (erasure removed it);
- `legal_hold`: an active legal hold names it (escalation.LegalHold);
- `flagged`: a reviewer flagged it as sensitive content (escalation.Flag) or an escalation
  case exists for it. For good: a released hold or a referral does not put it back into a
  dataset; the escalation decides what happens to it, never a training set;
- `withdrawn`: one of its tasks was withdrawn from review for any reason other than the gold
  checks' bookkeeping (`Task.ROUTINE_WITHDRAWALS`). Unknown reasons hold it back (fail closed).

Exports choose with `sort_out` (a queryset filter, so it runs in the database), and the gate
asks `export_policy` again before each read for an export, so a snippet flagged while an export
is being written is left out too. Callers get counts by reason, never which snippets: an export
says how many items it held back and why, and nothing else about them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When

from quietroom.decisions import Decision, Reason, Refusal
from quietroom.escalation.models import Case as EscalationCase, Flag, LegalHold
from quietroom.recordings.models import Snippet
from quietroom.review.models import Submission, Task

ERASED, LEGAL_HOLD, FLAGGED, WITHDRAWN = "erased", "legal_hold", "flagged", "withdrawn"
# The order exports report them in (the order they are checked in is _why_held_back's).
REASONS = (FLAGGED, LEGAL_HOLD, WITHDRAWN, ERASED)

_REFUSALS = {
    ERASED: Reason(Refusal.HELD_ERASED, "snippet was erased (shredded, or its customer's key destroyed)"),
    LEGAL_HOLD: Reason(Refusal.HELD_LEGAL_HOLD, "snippet is under a legal hold"),
    FLAGGED: Reason(Refusal.HELD_FLAGGED, "snippet was flagged as sensitive content (escalation)"),
    WITHDRAWN: Reason(Refusal.HELD_WITHDRAWN, "snippet was withdrawn from review"),
}
_REASON_OF = {reason.code: name for name, reason in _REFUSALS.items()}


def _why_held_back(path: str = "") -> Case:
    """Per Snippet row (or per row reaching its snippet through `path`, e.g. "task__snippet__"):
    why it may not leave, or "" when it may. First match wins."""
    snippet = OuterRef(f"{path}pk" if not path else f"{path}id")
    return Case(
        When(Q(**{f"{path}shredded_at__isnull": False})
             | Q(**{f"{path}recording__customer_key__destroyed_at__isnull": False}),
             then=Value(ERASED)),
        When(Exists(LegalHold.objects.filter(snippet_id=snippet, released_at__isnull=True)), then=Value(LEGAL_HOLD)),
        When(Exists(Flag.objects.filter(snippet_id=snippet)) | Exists(EscalationCase.objects.filter(snippet_id=snippet)),
             then=Value(FLAGGED)),
        When(Exists(Task.objects.filter(snippet_id=snippet, status=Task.Status.WITHDRAWN)
                    .exclude(withdrawn_reason__in=Task.ROUTINE_WITHDRAWALS)),
             then=Value(WITHDRAWN)),
        default=Value(""), output_field=CharField(),
    )


def held_back_annotation(path: str) -> Case:
    """`reason_held_back` as an expression over rows reaching their snippet through `path`
    (e.g. "task__snippet__" on submissions), for a caller that reads the rule with its rows in
    one statement."""
    return _why_held_back(path)


def refusals_for(reason: str) -> list[Reason]:
    """The refusal of `held_back_reasons` for a reason already read (`held_back_annotation`)."""
    return [_REFUSALS[reason]] if reason else []


def _judged(snippets: QuerySet) -> QuerySet:
    return snippets.annotate(held_back=_why_held_back())


def counts(held_back: Mapping[str, int] | None = None) -> dict[str, int]:
    """Held-back counts with every reason present, in report order (zero where none)."""
    held_back = held_back or {}
    return {reason: int(held_back.get(reason, 0)) for reason in REASONS}


def add(*many: Mapping[str, int]) -> dict[str, int]:
    return counts({reason: sum(c.get(reason, 0) for c in many) for reason in REASONS})


@dataclass(frozen=True)
class Outbound:
    may_leave: QuerySet          # primary keys of the snippets that may leave (use in `__in`)
    held_back: dict[str, int]    # how many of the others, by reason (REASONS); never which


def sort_out(snippets: QuerySet, *, named: Iterable | None = None) -> Outbound:
    """Split a Snippet queryset into what may leave and counts of what is held back.

    `named`: the snippet ids an earlier export recorded; those whose row is gone were erased
    since (erasure deletes the rows), so they are counted as erased too.
    """
    judged = _judged(snippets)
    held = dict(judged.exclude(held_back="").order_by().values_list("held_back").annotate(n=Count("pk")))
    if named is not None:
        named = {str(i) for i in named}
        present = Snippet.objects.filter(pk__in=list(named)).count()
        held[ERASED] = held.get(ERASED, 0) + len(named) - present
    return Outbound(may_leave=judged.filter(held_back="").values("pk"), held_back=counts(held))


def reason_held_back(snippet_id) -> str:
    """Why this one snippet may not leave now ("" when it may)."""
    found = _judged(Snippet.objects.filter(pk=snippet_id)).values_list("held_back", flat=True).first()
    return ERASED if found is None else found


def held_back_reasons(snippet_id) -> list[Reason]:
    """The refusal (with its code) for a snippet that may not leave now; empty when it may.

    For the rules that stop at the same facts an export does: a reviewer's correction of their
    last submission is refused once its snippet is flagged, held, withdrawn or erased.
    """
    reason = reason_held_back(snippet_id)
    return [_REFUSALS[reason]] if reason else []


def reason_of(refused) -> str | None:
    """The held-back reason behind a gate refusal (AccessDenied) of an export read, if any."""
    for reason in getattr(refused, "reasons", ()):
        name = _REASON_OF.get(getattr(reason, "code", None))
        if name:
            return name
    return None


def _snippet_id_of(subject):
    if isinstance(subject, Snippet):
        return subject.pk
    if isinstance(subject, Submission):
        return subject.task.snippet_id
    return None


def export_policy(read) -> Decision:
    """The gate's question before anything is decrypted for an export ("export", "export.*").

    Who may start an export is checked where it starts (the API token's scope, the operator's
    command); this asks only whether the snippet being read may leave at all.
    """
    snippet_id = _snippet_id_of(read.subject)
    if snippet_id is None:  # exports read transcripts and snippet audio, nothing else
        return Decision.of([Reason(Refusal.NO_POLICY, "an export reads only transcripts and snippet audio")])
    return Decision.of(held_back_reasons(snippet_id))
