"""The auditor's pages (permission VIEW_AUDIT: the controller's auditors and privacy officers).

- the log, newest first, 50 entries a page, filtered by GET parameters (audit/browse.py);
- verification: the same check as `quietroom audit verify`, run on a button, the run and its
  result recorded in the log itself (`audit.verify`);
- the signed checkpoints as the witness file of `quietroom audit export-checkpoints`, and the
  public key to check them with.

Reading the log is itself recorded (`audit.log.view`, with the filters): who looked for whom
is on record like every other read of personal data. Nothing here shows a username, an address,
content or a real customer id; the log holds none of the last two, and browse.py never loads
the first two.
"""
from __future__ import annotations

import itertools
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from quietroom.accounts.addresses import client_address
from quietroom.accounts.permissions import VIEW_AUDIT, requires

from . import browse, chain, checkpoints, notes, verification
from .forms import LogFilterForm
from .log import Actor, record

VIEWED = "audit.log.view"
VERIFIED = "audit.verify"
EXPORTED = "audit.checkpoints.export"
FILTER_FIELDS = ("action", "actor", "object_type", "object_id", "outcome", "date_from", "date_to")


def _actor(request) -> Actor:
    return Actor.for_user(request.user, client_address(request))


@never_cache
@require_GET
@requires(VIEW_AUDIT)
def log_view(request):
    form = LogFilterForm(request.GET)
    context = {"form": form, "page": None, "problems": [], "time_zone": settings.TIME_ZONE,
               "page_size": browse.PAGE_SIZE}
    if not form.is_valid():
        # Nothing is shown for a filter that was not understood: an unfiltered page would look
        # like an answer to the question asked.
        context["problems"] = form.problems()
        return render(request, "audit/log.html", context, status=400)
    filters = form.filters()
    before, after = form.cleaned_data["before"], form.cleaned_data["after"]
    cursor = {k: v for k, v in (("before", before), ("after", after)) if v is not None}
    record(_actor(request), VIEWED, details={**filters.as_details(), **cursor})
    page = browse.page(filters, before=before, after=after)
    # The links to the next pages keep the filters as typed.
    kept = {name: request.GET[name].strip() for name in FILTER_FIELDS if request.GET.get(name, "").strip()}
    context.update({
        "page": page,
        "filtered": bool(kept),
        "newer_url": "?" + urlencode({**kept, "after": page.newer_than}) if page.newer_than is not None else "",
        "older_url": "?" + urlencode({**kept, "before": page.older_than}) if page.older_than is not None else "",
        "newest_url": "?" + urlencode(kept) if (before is not None or after is not None) else "",
    })
    return render(request, "audit/log.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(VIEW_AUDIT)
def verify_view(request):
    if request.method == "POST":
        event = _run_verification(_actor(request))
        return redirect(reverse("audit:verify") + "?" + urlencode({"run": event.seq}))
    problem, run = "", None
    asked = request.GET.get("run", "").strip()
    if asked:
        if not asked.isdigit() or len(asked) > 18:
            problem = f"run: {asked[:30]!r} is not an entry number"
        else:
            run = browse.entry(VERIFIED, int(asked))
            if run is None:
                problem = f"run: entry {asked} is not a verification run"
    else:
        run = browse.entry(VERIFIED)
    return render(request, "audit/verify.html", {"run": run, "problem": problem}, status=400 if problem else 200)


def _run_verification(actor: Actor):
    """Verify, then record the run with its result (after it: the entry says how it went)."""
    try:
        result = verification.verify()
    except (notes.NoteError, chain.ChainKeyError, ImproperlyConfigured) as exc:
        return record(actor, VERIFIED, outcome="failed", object_type="audit_log",
                      details={"error": str(exc)[:300]})
    details = {"entries": result.checked, "checkpoints": result.checkpoints_checked,
               "unsigned_tail": result.unsigned_tail, "warnings": list(result.warnings)}
    if not result.ok:
        details.update({"first_bad_seq": result.first_bad_seq, "reason": result.reason})
    return record(actor, VERIFIED, outcome="ok" if result.ok else "failed", object_type="audit_log",
                  details=details)


@never_cache
@require_GET
@requires(VIEW_AUDIT)
def checkpoints_view(request):
    latest = checkpoints.latest()
    try:
        public_key, problem = checkpoints.verifier().encode(), ""
    except (ImproperlyConfigured, notes.NoteError, OSError) as exc:
        public_key, problem = "", f"No signing key can be read, so nothing can be verified or exported: {exc}"
    return render(request, "audit/checkpoints.html", {
        "latest": latest, "public_key": public_key, "problem": problem, "origin": settings.AUDIT_ORIGIN,
    })


@require_GET
@requires(VIEW_AUDIT)
def checkpoints_file_view(request):
    """The witness file, streamed (one checkpoint per 100 entries adds up on a large log)."""
    chunks = checkpoints.iter_export_json()
    try:
        first = next(chunks)  # reads the public key: a missing signing key is a page, not a 500
    except (ImproperlyConfigured, notes.NoteError, OSError):
        return redirect("audit:checkpoints")
    latest = checkpoints.latest()
    size = latest.size if latest else 0
    record(_actor(request), EXPORTED, object_type="audit_log", details={"size": size})
    response = StreamingHttpResponse(itertools.chain([first], chunks), content_type="application/json")
    origin = re.sub(r"[^A-Za-z0-9.-]+", "-", settings.AUDIT_ORIGIN).strip("-") or "audit"
    response["Content-Disposition"] = f'attachment; filename="{origin}-checkpoints-{size}.json"'
    response["Cache-Control"] = "no-store, private"
    return response
