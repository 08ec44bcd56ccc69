"""Pages for the people who oversee the room: why a snippet cannot go to a reviewer, quality
(agreement, gold accuracy, adjudication) and the organisation's transcription guidelines.

Access uses the central permission module (accounts.permissions): refusal reasons are for the
controller's admins and privacy officers and for vendor managers (their own reviewers only);
quality numbers for QA leads and vendor managers; adjudication (which reads transcripts) for QA
leads only. Every list is scoped to the viewer's controller in the query.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from quietroom.accounts import permissions as perms
from quietroom.accounts.addresses import client_address
from quietroom.audit.log import Actor, record

from . import policy, quality
from .models import Agreement, Guidelines, Task

OVERSEE_ELIGIBILITY = (perms.VIEW_VENDORS, perms.VIEW_PEOPLE)
SEE_QUALITY = (perms.DO_QA, perms.VIEW_PEOPLE)


def _require_any(request, needed):
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    if not any(perms.has_permission(user, p) for p in needed):
        record(Actor.for_user(user, client_address(request)), "access.denied", outcome="denied",
               details={"view": request.resolver_match.url_name if request.resolver_match else "", "missing": list(needed)})
        raise PermissionDenied("Your role does not allow this.")


def _reviewers_in_scope(user):
    User = get_user_model()
    reviewers = User.objects.filter(role="reviewer").select_related("site", "organisation").order_by("username")
    if perms.has_permission(user, perms.VIEW_VENDORS):
        return reviewers.filter(organisation__controller_id=perms.controller_id_of(user))
    return reviewers.filter(organisation_id=user.organisation_id)


@never_cache
@require_GET
def eligibility_view(request):
    """Why can (or can't) this snippet go to each reviewer? Reasons from the policy itself."""
    _require_any(request, OVERSEE_ELIGIBILITY)
    snippet_id = request.GET.get("snippet", "").strip()
    rows, task, error = [], None, ""
    if snippet_id:
        try:
            task = (Task.objects.filter(snippet_id=snippet_id, controller_id=perms.controller_id_of(request.user))
                    .select_related("snippet").order_by("slot").first())
        except ValidationError:
            task = None
        if task is None:
            error = "No snippet with that id in your controller's queue."
        else:
            rows = policy.explain(task, _reviewers_in_scope(request.user), timezone.now())
            record(Actor.for_user(request.user, client_address(request)), "eligibility.explain",
                   object_type="snippet", object_id=task.snippet_id, purpose="oversight")
    return render(request, "review/eligibility.html", {"task": task, "rows": rows, "error": error,
                                                       "snippet_id": snippet_id}, status=404 if error else 200)


@never_cache
@require_GET
def quality_view(request):
    _require_any(request, SEE_QUALITY)
    controller = perms.controller_id_of(request.user)
    agreements = Agreement.objects.filter(snippet__recording__controller_id=controller)
    return render(request, "review/quality.html", {
        "accuracy": quality.reviewer_accuracy(scope=_reviewers_in_scope(request.user)),
        "agreement": agreements.aggregate(n=Count("pk"), disputed=Count("pk", filter=Q(needs_adjudication=True))),
        "recent": agreements.order_by("-at")[:20],
        "queue": quality.adjudication_queue().filter(snippet__recording__controller_id=controller)[:50],
        "can_adjudicate": perms.has_permission(request.user, perms.DO_QA),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def adjudicate_view(request, agreement_id: int):
    _require_any(request, (perms.DO_QA,))
    agreement = Agreement.objects.filter(
        pk=agreement_id, snippet__recording__controller_id=perms.controller_id_of(request.user),
        needs_adjudication=True, adjudicated_at__isnull=True,
    ).first()
    if agreement is None:
        raise Http404("Nothing to adjudicate here.")
    if request.method == "POST":
        final = request.POST.get("final", "").strip()
        if final and len(final) <= 5000:
            quality.adjudicate(request.user, agreement, final)
            return redirect("review:quality")
    transcripts = quality.transcripts_for_adjudication(request.user, agreement.snippet_id)
    return render(request, "review/adjudicate.html", {"agreement": agreement, "transcripts": transcripts})


def _guidelines_for(user):
    org = user.organisation
    if org is None:
        return None
    return (Guidelines.objects.filter(organisation=org).first()
            or (Guidelines.objects.filter(organisation_id=org.controller_id).first() if org.controller_id else None))


@never_cache
@require_http_methods(["GET", "POST"])
def guidelines_view(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    org = request.user.organisation
    can_edit = org is not None and perms.has_permission(request.user, perms.DO_QA)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only QA leads edit the guidelines.")
        body = request.POST.get("body", "").strip()
        if body:
            Guidelines.objects.update_or_create(organisation=org, defaults={"body": body[:20000]})
            record(Actor.for_user(request.user, client_address(request)), "guidelines.update",
                   object_type="organisation", object_id=org.pk)
        return redirect("review:guidelines")
    return render(request, "review/guidelines.html", {"guidelines": _guidelines_for(request.user), "can_edit": can_edit})
