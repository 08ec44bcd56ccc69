"""Escalation pages: the queue and cases (controller's escalation staff only), the audio of a
case (through the gate, audited, purpose "escalation review"), decisions, the case timeline,
and the vendor's support page for reviewers.
"""
from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quietroom import gate
from quietroom.accounts.addresses import client_address
from quietroom.accounts.permissions import MANAGE_PEOPLE, PRIVACY, has_permission, requires
from quietroom.audit.log import Actor, record
from quietroom.review import streaming

from . import access, categories, timeline
from .cases import DecisionRefused, confirm, propose, reject, release_hold
from .models import Case, LegalHold, OnCall, Proposal, SupportPage
from .notify import set_on_call


def staff_only(view):
    """PRIVACY permission (central module) and an account at the controller, else 403 audited."""

    @requires(PRIVACY)
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        reasons = access.staff_reasons(request.user)
        if reasons:
            record(Actor.for_user(request.user, client_address(request)), "access.denied", outcome="denied",
                   details={"view": view.__name__, "reasons": reasons})
            raise PermissionDenied("Escalations are handled by the controller's escalation staff only.")
        return view(request, *args, **kwargs)

    return wrapper


def _case(request, case_id) -> Case:
    return get_object_or_404(access.cases_for(request.user).select_related("snippet__recording__customer_key"), pk=case_id)


@never_cache
@require_GET
@staff_only
def queue_view(request):
    now = timezone.now()
    cases = list(access.cases_for(request.user).exclude(status=Case.Status.CLOSED))
    cases.sort(key=lambda c: (categories.severity_rank(c.severity), c.deadline_at))
    on_call = OnCall.objects.filter(user=request.user, on_call=True).exists()
    return render(request, "escalation/queue.html", {
        "cases": [(c, c.deadline_at <= now) for c in cases], "now": now, "on_call": on_call,
        "closed": access.cases_for(request.user).filter(status=Case.Status.CLOSED).order_by("-decided_at")[:20],
    })


@never_cache
@require_GET
@staff_only
def case_view(request, case_id):
    case = _case(request, case_id)
    address = client_address(request)
    record(Actor.for_user(request.user, address), "escalation_case.view", object_type="escalation_case",
           object_id=case.pk, customer=case.customer_pseudonym, purpose="escalation review")
    note = ""
    if case.has_note:
        try:
            note = gate.escalation_note_for_staff(request.user, case, address=address)
        except (gate.AccessDenied, gate.ContentGone):
            note = ""
    playable = case.snippet is not None and case.snippet.wrapped_dek is not None and not (
        case.decision == Case.Decision.NO_ACTION and case.status == Case.Status.CLOSED)
    return render(request, "escalation/case.html", {
        "case": case, "note": note, "playable": playable, "now": timezone.now(),
        # One page view, one play: the audio link names this view (docs/audit.md).
        "audio_view": streaming.make_view_token(case.pk, request.user.id) if playable else "",
        "overdue": case.is_open and case.deadline_at <= timezone.now(),
        "pending": case.proposals.filter(state=Proposal.State.PENDING).select_related("proposed_by").first(),
        "proposals": case.proposals.select_related("proposed_by", "resolved_by").order_by("proposed_at"),
        "holds": case.holds.select_related("proposed_by", "confirmed_by", "released_by").order_by("placed_at"),
        "decisions": Case.Decision.choices,
    })


@require_GET
@staff_only
def audio_view(request, case_id):
    """The flagged audio, only here, for escalation staff; every request audited by the gate: the
    first of the case page's view (`?view=`) as its play, later ones as further bytes of it."""
    case = _case(request, case_id)
    byte_range = request.headers.get("Range", "")
    view = streaming.read_view_token(request.GET.get("view", ""), case.pk, request.user.id)
    try:
        grant = gate.snippet_audio_for_escalation(request.user, case, address=client_address(request),
                                                   byte_range=byte_range, view=view)
    except gate.AccessDenied:
        return HttpResponseForbidden("You are not allowed to play this snippet.")
    except gate.ContentGone:
        return HttpResponse("This snippet is no longer available.", status=410, content_type="text/plain")
    return streaming.audio_response(grant.audio, grant.content_type, byte_range)


def _refused(request, refused: DecisionRefused):
    messages.error(request, "Not done: " + "; ".join(refused.reasons))


@require_POST
@staff_only
def propose_view(request, case_id):
    case = _case(request, case_id)
    try:
        propose(request.user, case, request.POST.get("decision", ""), request.POST.get("reason", ""),
                referred_to=request.POST.get("referred_to", ""),
                policy_reference=request.POST.get("policy_reference", ""),
                address=client_address(request))
    except DecisionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, "Decision recorded.")
    return redirect("escalation:case", case_id=case.pk)


def _proposal(request, proposal_id) -> Proposal:
    return get_object_or_404(Proposal.objects.filter(case__in=access.cases_for(request.user)).select_related("case"),
                             pk=proposal_id)


@require_POST
@staff_only
def confirm_view(request, proposal_id):
    proposal = _proposal(request, proposal_id)
    try:
        confirm(request.user, proposal, address=client_address(request))
    except DecisionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, "Confirmed.")
    return redirect("escalation:case", case_id=proposal.case_id)


@require_POST
@staff_only
def reject_view(request, proposal_id):
    proposal = _proposal(request, proposal_id)
    try:
        reject(request.user, proposal, request.POST.get("reason", ""), address=client_address(request))
    except DecisionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, "Proposal turned down; the case is open again.")
    return redirect("escalation:case", case_id=proposal.case_id)


@require_POST
@staff_only
def release_view(request, hold_id):
    hold = get_object_or_404(LegalHold.objects.filter(case__in=access.cases_for(request.user)), pk=hold_id)
    try:
        release_hold(request.user, hold, request.POST.get("reason", ""), address=client_address(request))
    except DecisionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, "Legal hold released.")
    return redirect("escalation:case", case_id=hold.case_id)


@never_cache
@require_GET
@staff_only
def timeline_view(request, case_id):
    case = _case(request, case_id)
    return render(request, "escalation/timeline.html", {"case": case, "entries": timeline.build(case)})


@require_POST
@staff_only
def on_call_view(request):
    on = request.POST.get("on_call") == "1"
    set_on_call(request.user, on)
    record(Actor.for_user(request.user, client_address(request)), "escalation_staff.on_call",
           details={"on_call": on})
    return redirect("escalation:queue")


# --- the vendor's support page for its reviewers ---------------------------------------------

MAX_SUPPORT_CHARS = 20000


@never_cache
@require_http_methods(["GET", "POST"])
def support_view(request):
    """Reviewers read their vendor's support resources; the vendor manager writes them."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    org = user.organisation
    if org is None:
        raise Http404("No organisation.")
    can_edit = org.kind == "vendor" and has_permission(user, MANAGE_PEOPLE)
    error = ""
    if request.method == "POST":
        if not can_edit:
            record(Actor.for_user(user, client_address(request)), "access.denied", outcome="denied",
                   details={"view": "support_view", "missing": [MANAGE_PEOPLE]})
            raise PermissionDenied("Only the vendor's manager edits the support page.")
        body = request.POST.get("body", "").strip()
        if not body:
            error = "The support page cannot be empty: list at least one way to get help."
        elif len(body) > MAX_SUPPORT_CHARS:
            error = f"The support page is limited to {MAX_SUPPORT_CHARS} characters."
        else:
            SupportPage.objects.update_or_create(organisation=org, defaults={"body": body, "updated_by": user})
            record(Actor.for_user(user, client_address(request)), "support_page.update",
                   object_type="organisation", object_id=org.pk)
            messages.success(request, "Support page saved.")
            return redirect("escalation:support")
    page = SupportPage.objects.filter(organisation=org).first()
    return render(request, "escalation/support.html", {"page": page, "can_edit": can_edit, "error": error},
                  status=400 if error else 200)
