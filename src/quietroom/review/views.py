"""The reviewer room: next snippet, the transcription page, stream, submit, skip, autosave,
and correcting the last submission for a few minutes after it.

Thin views: the queue, the policy, the gate and submissions.py do the work. After a submit or
a skip the next snippet is leased at once and its page opened, so a reviewer moves through
the queue without a trip back to the room.
"""
from __future__ import annotations

import functools
import json
import time
import uuid
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import BooleanField
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quietroom import gate
from quietroom.accounts.addresses import client_address
from quietroom.audit import actions
from quietroom.audit.log import Actor, record
from quietroom.compiled import INT_STAND_IN, UUID_STAND_IN, Compiled, int_param, uuid_param
from quietroom.decisions import Reason
from quietroom.escalation import care
from quietroom.escalation.models import SnippetCare

from . import candidates, corrections, exposure, fragments, progress, queue, streaming
from .labels import labels_from_form
from .models import Draft, Guidelines, Submission, Task
from .submissions import SubmissionRefused, load_draft, save_draft, skip, submit

LABEL_CHOICES = fragments.LABEL_CHOICES


def _go_next(request, *, handed_in: bool = False):
    """Lease the next snippet and open it, or show the room when nothing is left.

    `handed_in`: this request has just ended the reviewer's lease (a submit, a skip), so there
    is no held task to return first."""
    task = queue.next_task(request.user, timezone.now(), address=client_address(request), holds_none=handed_in)
    if task is None:
        return _room(request, empty=True, just_submitted=True)
    # The URL itself: redirect() would first try it as a route name.
    return HttpResponseRedirect(url_with("review:task", task.id))


def _room(request, *, empty: bool = False, **extra):
    """The room page: the reviewer's day, and why there is nothing when there is nothing."""
    now = timezone.now()
    day = progress.day_of(request.user, now)
    return render(request, "review/room.html", {
        "day": day, "empty": empty, "empty_reason": progress.why_nothing(request.user, now, day) if empty else "",
        "guidelines_url": _guidelines_exist(request.user), **_correction_offer(request, now), **extra})


def _correction_offer(request, now) -> dict:
    """"Correct your last submission" on the room and task pages, while it could be opened.

    Its link and times are worked out here once (review/_correct_offer.html shows the closing
    time three times): the same strings as `{% url %}`, `|date:'c'` and `|time:"H:i"` give, in
    the current time zone, at a fraction of the filters' cost."""
    last = corrections.offer(request.user, now, client_address(request))
    if not last:
        return {"correctable": None, "correctable_until": None}
    until = corrections.closes_at(last)
    iso, hm = closing_time(until)
    return {"correctable": last, "correctable_until": until, "correctable_url": url_with("review:correct", last.id),
            "correctable_until_iso": iso, "correctable_until_hm": hm}


def closing_time(until) -> tuple[str, str]:
    """`until|date:'c'` and `until|time:"H:i"`, as a template prints them (in the current time zone)."""
    local = timezone.localtime(until)
    return local.isoformat(), f"{local:%H:%M}"


_URL_MARK = uuid.UUID(int=0)  # stands in for the argument; both converters print it as itself
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted


@functools.lru_cache(maxsize=64)
def _route(name: str, prefix: str, urlconf) -> tuple[str, str]:
    head, mark, tail = reverse(name, args=[_URL_MARK], urlconf=urlconf).partition(str(_URL_MARK))
    if not mark:
        raise ValueError(f"{name}: its URL does not show its argument, so it cannot be split")
    return head, tail


def url_with(name: str, arg) -> str:
    """`reverse(name, args=[arg])` for this module's routes of one UUID or token argument,
    resolved once per process: the URL around the argument is remembered (per script prefix
    and URL configuration), and the argument is quoted as reverse() quotes it. A task page
    and every submit build three or four such URLs; reverse() costs more than the rest of
    building them. A UUID prints as hex and dashes, a signed token as URL-safe base64 and
    colons, so neither can break out of its path segment."""
    head, tail = _route(name, get_script_prefix(), get_urlconf())
    return head + quote(str(arg), safe=_URL_SAFE) + tail


GUIDELINES_SECONDS = 30.0  # how long a process trusts "this organisation has guidelines"
_guidelines: dict = {}  # organisation ids -> (valid until, exists); emptied when guidelines change


def _guidelines_exist(user) -> bool:
    """Whether the task and room pages link to guidelines (the vendor's or its controller's).

    Every page asks, and the answer changes when an operator writes guidelines: kept per process
    for GUIDELINES_SECONDS, and dropped at once in the process that saved or deleted some
    (`forget_guidelines`); another process shows the link at most that much later. Only the
    link depends on it: the guidelines page reads them itself."""
    org = user.organisation
    ids = tuple(i for i in (getattr(org, "pk", None), getattr(org, "controller_id", None)) if i)
    now = time.monotonic()
    known = _guidelines.get(ids)
    if known is not None and known[0] > now:
        return known[1]
    exists = Guidelines.objects.filter(organisation_id__in=ids).exists()
    _guidelines[ids] = (now + GUIDELINES_SECONDS, exists)
    return exists


@receiver([post_save, post_delete], sender=Guidelines, dispatch_uid="review.forget_guidelines")
def forget_guidelines(**kwargs) -> None:
    _guidelines.clear()


@login_required
@never_cache
@require_GET
def room(request):
    return _room(request, held=queue.current_lease(request.user, timezone.now()))


@login_required
@require_POST
def next_snippet(request):
    task = queue.next_task(request.user, timezone.now(), address=client_address(request))
    if task is None:
        return _room(request, empty=True)
    # The URL itself: redirect() would first try it as a route name.
    return HttpResponseRedirect(url_with("review:task", task.id))


def _held_task(request, task_id, submitted_key: str = "") -> Task | None:
    """The task this reviewer holds; None when it is gone because `submitted_key` stored it.

    Loaded with what the page decides next, in the same statement: whether a draft of theirs
    exists (`has_draft`), whether the snippet's care score is stored already (`care_scored`)
    and whether it carries a content warning (`care_warned`), so the common page (no draft,
    scored, no warning) reads none of them again."""
    task = _held.first(task_id, request.user.pk)
    if task is None and submitted_key and Submission.objects.filter(
            idempotency_key=submitted_key, reviewer=request.user).exists():
        return None
    if task is None and Submission.objects.filter(task_id=task_id, reviewer=request.user).exists():
        # Back (or a bookmark) after a submit: not an error. The room says so and, inside the
        # window, offers to correct it.
        raise AlreadySubmitted()
    if task is None:
        raise Http404("No such task in your queue.")
    return task


def _page_flags(user_id) -> dict:
    task = connection.ops.quote_name(Task._meta.db_table)
    return {
        "has_draft": RawSQL(f"EXISTS (SELECT 1 FROM {connection.ops.quote_name(Draft._meta.db_table)} d "
                            f"WHERE d.task_id = {task}.id AND d.reviewer_id = %s)", (user_id,), BooleanField()),
        "care_scored": RawSQL(f"EXISTS (SELECT 1 FROM {connection.ops.quote_name(SnippetCare._meta.db_table)} c "
                              f"WHERE c.snippet_id = {task}.snippet_id)", (), BooleanField()),
        "care_warned": RawSQL(candidates.warned_sql(f"{task}.snippet_id", f"{task}.recording_id"), (), BooleanField()),
    }


# The two task loads of every round trip, compiled once per process (quietroom/compiled.py).
_held = Compiled(lambda task_id, user_id: (
    Task.objects.filter(pk=task_id, lease_owner_id=user_id, status=Task.Status.LEASED)
    .select_related("snippet__recording__customer_key").annotate(**_page_flags(user_id))[:1]),
    stand_ins=[UUID_STAND_IN, INT_STAND_IN], prepare=[uuid_param, int_param])
_streamed = Compiled(lambda task_id: Task.objects.filter(pk=task_id).select_related("snippet__recording__customer_key")[:1],
                     stand_ins=[UUID_STAND_IN], prepare=[uuid_param])


class AlreadySubmitted(Exception):
    """The task page of a snippet this reviewer has already handed in."""


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def task_view(request, task_id):
    now = timezone.now()
    address = client_address(request)
    key = request.POST.get("idempotency_key", "")
    error = ""
    form_labels = labels_from_form(request.POST) if request.method == "POST" else None
    if request.method == "POST":
        # submit() locks and checks the task itself (a task not leased to this reviewer is
        # refused and audited; a repeated key gets the first result); the page is loaded only
        # when it has to show a refusal.
        try:
            stored = submit(request.user, task_id, request.POST.get("transcript", ""), key, now=now, address=address,
                            labels=form_labels, sensitive_note=request.POST.get("sensitive_note", ""))
        except SubmissionRefused as refused:
            error = "Not saved: " + "; ".join(refused.reasons)
        else:
            if (form_labels or {}).get("sensitive"):
                # A flag is not an ordinary submit: say what happened to the snippet.
                messages.success(request, "Flagged for the controller's escalation team: the snippet has left review "
                                          "for everyone. Thank you for reporting it.")
            else:
                messages.success(request, "Saved. Thank you.")
            # A repeat (double click, retry) got the first result: that request leased the next.
            return _go_next(request, handed_in=getattr(stored, "stored_now", False))
    try:
        task = _held_task(request, task_id, submitted_key=key if request.method == "POST" else "")
    except AlreadySubmitted:
        messages.info(request, "You have already submitted that snippet.")
        return redirect("review:room")
    if task is None:
        return _go_next(request)  # a double click or a retry: already stored once
    transcript = request.POST.get("transcript") if request.method == "POST" else None
    labels = form_labels or {}
    scored_now = False
    if transcript is None:
        # Both reads go through the gate, which refuses (and audits) unless the lease is live.
        try:
            draft = load_draft(request.user, task, now=now, address=address) if task.has_draft else None
            if draft is not None:
                transcript, labels = draft
            else:
                transcript = gate.snippet_hypothesis_for_reviewer(request.user, task, now=now, address=address)
                if not task.care_scored:  # reviewer care: likely distressing? (scored once, then stored)
                    care.record_score(task.snippet, transcript)
                    scored_now = True
        except gate.AccessDenied as denied:
            return HttpResponseForbidden("Not allowed: " + "; ".join(denied.reasons))
    # Its own score, or another snippet of the recording scored or flagged as distressing.
    care_warning = care.warning_for(task.snippet_id, task.recording_id) if task.care_warned or scored_now else None
    if care_warning is not None and request.method == "GET" and queue.release_if_capped(request.user, task, now, address):
        messages.info(request, "That snippet was passed to someone else: you have heard enough distressing "
                               "content for today.")
        return _go_next(request)
    token = streaming.make_token(task.id, request.user.id, request.session.session_key, streaming.lease_tag(task))
    return render(request, "review/task.html", {
        "task": task,
        "stream_url": url_with("review:stream", token),  # built once here, used twice
        "draft_url": url_with("review:draft", task.id),
        "skip_url": url_with("review:skip", task.id),
        # Shown four times: formatted once, by the same filter the template would apply.
        "seconds": floatformat(task.snippet.duration_seconds, 1),
        "seconds_exact": floatformat(task.snippet.duration_seconds, 3),
        "idempotency_key": key or uuid.uuid4().hex,
        "transcript": transcript,
        "labels": labels,
        "pii_spans_json": json.dumps(labels.get("pii_spans") or []),
        "redactions_json": json.dumps(task.snippet.redactions or []),
        "error": error,
        "fixed": fragments.fixed(),
        # Nothing chosen and no note: the label fields are the same on every such page.
        "fixed_labels": fragments.blank_labels() if not labels and not (
            request.method == "POST" and request.POST.get("sensitive_note", "")) else "",
        "choices": LABEL_CHOICES,
        "guidelines_url": _guidelines_exist(request.user),
        "care_warning": care_warning,
        "sensitive_note": request.POST.get("sensitive_note", "") if request.method == "POST" else "",
        "care_categories": care.category_labels(care_warning),
        "break_minutes": care.break_minutes(),
        **_correction_offer(request, now),
    }, status=400 if error else 200)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def correct_view(request, submission_id):
    """The reviewer's last submission, reopened to correct it within the correction window.

    No audio: the lease ended with the submit. The transcript is read back through the gate
    (audited, refused once the window has closed or the snippet has left review); a saved
    correction goes back to the snippet in hand, or to the room.
    """
    now = timezone.now()
    address = client_address(request)
    if request.method == "POST":
        form_labels = labels_from_form(request.POST)
        try:
            corrections.correct(request.user, submission_id, request.POST.get("transcript", ""), form_labels,
                                now=now, address=address, sensitive_note=request.POST.get("sensitive_note", ""))
        except corrections.NoSuchSubmission:
            raise Http404("No such submission.") from None
        except SubmissionRefused as refused:
            error = "Not saved: " + "; ".join(refused.reasons)
            if any(isinstance(reason, Reason) for reason in refused.reasons):
                return _correction_page(request, error=error, status=403)  # a rule, not a typo in the form
            # A problem with what was typed (too long, a note without a category): keep it to fix.
            return _correction_page(request, transcript=request.POST.get("transcript", ""), error=error, status=400,
                                    labels={**form_labels, "other_language": bool(form_labels["other_language"])},
                                    note=request.POST.get("sensitive_note", ""))
        messages.success(request, "Your correction is saved.")
        held = queue.current_lease(request.user, now)
        return redirect("review:task", task_id=held.id) if held else redirect("review:room")
    try:
        submission, transcript = corrections.reopen(request.user, submission_id, now=now, address=address)
    except corrections.NoSuchSubmission:
        raise Http404("No such submission.") from None
    except gate.AccessDenied as denied:
        return _correction_page(request, status=403,
                                error="This submission cannot be corrected: " + "; ".join(denied.reasons))
    except gate.ContentGone:
        return _correction_page(request, status=410,
                                error="This submission cannot be corrected: its transcript was destroyed.")
    return _correction_page(request, transcript=transcript, labels=submission.labels,
                            until=corrections.closes_at(submission))


def _correction_page(request, *, transcript: str | None = None, labels: dict | None = None, until=None,
                     error: str = "", status: int = 200, note: str = ""):
    """The correction form (when there is a transcript to show), or why there is none."""
    return render(request, "review/correct.html", {
        "transcript": transcript, "labels": labels or {}, "error": error, "until": until, "sensitive_note": note,
        "held": queue.current_lease(request.user, timezone.now()),
        "choices": LABEL_CHOICES,
    }, status=status)


@login_required
@require_POST
def skip_view(request, task_id):
    try:
        skip(request.user, task_id, request.POST.get("reason", ""), now=timezone.now(), address=client_address(request))
    except SubmissionRefused as refused:
        return HttpResponse("Not skipped: " + "; ".join(refused.reasons), status=400, content_type="text/plain")
    messages.info(request, "Skipped.")
    return _go_next(request, handed_in=True)


@login_required
@never_cache
@require_POST
def draft_view(request, task_id):
    """Autosave (called by room.js every few seconds while the reviewer types)."""
    try:
        save_draft(request.user, task_id, request.POST.get("transcript", ""), labels_from_form(request.POST),
                   now=timezone.now(), address=client_address(request))
    except SubmissionRefused as refused:
        return JsonResponse({"saved": False, "reasons": list(refused.reasons)}, status=409)
    return JsonResponse({"saved": True})


@login_required
@never_cache
@require_GET
def done(request):
    return _room(request, just_submitted=True)


@login_required
@require_GET
def stream(request, token: str):
    """Snippet audio, only for the reviewer holding the lease, audited on every request: the
    first request of the page view (the token) as its play, later ones as further bytes of it."""
    claim = streaming.read_token(token, request.user.id, request.session.session_key)
    if claim is None:
        return HttpResponseForbidden("This audio link is not valid for you (expired or from another session).")
    task = _streamed.first(claim.task_id)
    if task is None:
        raise Http404("No such snippet.")
    if claim.lease != streaming.lease_tag(task):
        record(Actor.for_user(request.user, client_address(request)), actions.SNIPPET_PLAY, outcome="denied",
               object_type="snippet", object_id=task.snippet_id, customer=task.snippet.recording.customer_key.pseudonym,
               purpose="transcription", details={"reasons": ["audio link from an earlier assignment"]})
        return HttpResponseForbidden("This audio link belongs to an earlier assignment of this snippet.")
    byte_range = request.headers.get("Range", "")
    try:
        grant = gate.snippet_audio_for_reviewer(
            request.user, task, now=timezone.now(), address=client_address(request), byte_range=byte_range,
            view=claim.view,
        )
    except gate.AccessDenied:
        return HttpResponseForbidden("You are not allowed to play this snippet.")
    except gate.ContentGone:
        return HttpResponse("This snippet is no longer available.", status=410, content_type="text/plain")
    exposure.mark_heard(request.user, task, timezone.now())  # its minutes count now, skipped or not
    return streaming.audio_response(grant.audio, grant.content_type, byte_range)
