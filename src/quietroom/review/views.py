"""The reviewer room: get the next snippet, play it through the gate, submit a transcript."""
from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quietroom import gate
from quietroom.accounts.addresses import client_address

from . import queue, streaming
from .models import Task
from .submissions import SubmissionRefused, submit


@login_required
@never_cache
@require_GET
def room(request):
    now = timezone.now()
    held = queue.current_lease(request.user, now)
    return render(request, "review/room.html", {"held": held})


@login_required
@require_POST
def next_snippet(request):
    task = queue.next_task(request.user, timezone.now(), address=client_address(request))
    if task is None:
        return render(request, "review/room.html", {"empty": True})
    return redirect("review:task", task_id=task.id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def task_view(request, task_id):
    now = timezone.now()
    task = Task.objects.filter(pk=task_id, lease_owner=request.user, status=Task.Status.LEASED).select_related("snippet").first()
    if task is None:
        raise Http404("No such task in your queue.")
    error = ""
    if request.method == "POST":
        try:
            submit(request.user, task.id, request.POST.get("transcript", ""), request.POST.get("idempotency_key", ""),
                   now=now, address=client_address(request))
        except SubmissionRefused as refused:
            error = "Not saved: " + "; ".join(refused.reasons)
        else:
            return redirect("review:done")
    token = streaming.make_token(task.id, request.user.id, request.session.session_key)
    return render(request, "review/task.html", {
        "task": task,
        "stream_token": token,
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "transcript": request.POST.get("transcript", ""),
        "error": error,
    }, status=400 if error else 200)


@login_required
@never_cache
@require_GET
def done(request):
    return render(request, "review/room.html", {"just_submitted": True})


@login_required
@require_GET
def stream(request, token: str):
    """Snippet audio, only for the reviewer holding the lease, audited on every request."""
    task_id = streaming.read_token(token, request.user.id, request.session.session_key)
    if task_id is None:
        return HttpResponseForbidden("This audio link is not valid for you (expired or from another session).")
    task = Task.objects.filter(pk=task_id).select_related("snippet__recording__customer").first()
    if task is None:
        raise Http404("No such snippet.")
    byte_range = request.headers.get("Range", "")
    try:
        grant = gate.snippet_audio_for_reviewer(
            request.user, task, now=timezone.now(), address=client_address(request), byte_range=byte_range,
        )
    except gate.AccessDenied:
        return HttpResponseForbidden("You are not allowed to play this snippet.")
    except gate.ContentGone:
        return HttpResponse("This snippet is no longer available.", status=410, content_type="text/plain")
    body = grant.audio
    size = len(body)
    try:
        span = streaming.parse_range(byte_range, size)
    except ValueError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if span is None:
            response = HttpResponse(body, content_type=grant.content_type)
        else:
            start, end = span
            response = HttpResponse(body[start:end + 1], content_type=grant.content_type, status=206)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
