"""Each role's home: what it is there for, with the few numbers that matter to it today.

Reviewers' home is the review room (their work starts there); everyone else gets a page of
cards, each linking to the page where the work is. Counts are cheap (indexed filters, no scan
of the audit log).
"""
from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Organisation, Site, User
from .permissions import controller_id_of


def home_for(user) -> str:
    """Where a person lands after signing in: reviewers in the room, everyone else at home."""
    return "review:room" if user.role == User.Role.REVIEWER else "home"


def _qa_lead(user) -> list[dict]:
    from quietroom.review.models import Agreement

    disputed = Agreement.objects.filter(needs_adjudication=True, adjudicated_at__isnull=True,
                                        snippet__recording__controller_id=controller_id_of(user)).count()
    return [{"title": "Disputed transcripts", "value": disputed, "text": "overlapping reviewers disagreed",
             "url": "review:quality", "link": "Quality and adjudication"}]


def _vendor_manager(user, now) -> list[dict]:
    people = User.objects.filter(organisation_id=user.organisation_id, is_active=True)
    soon = now + timedelta(days=30)
    expiring = people.filter(role__in=[User.Role.REVIEWER, User.Role.QA_LEAD], access_certified_until__lte=soon).count()
    return [
        {"title": "People", "value": people.count(), "text": "active in your organisation",
         "url": "accounts:manage_people", "link": "People, vetting and invitations"},
        {"title": "Recertification due", "value": expiring, "text": "reviewers and QA leads within 30 days",
         "url": "accounts:manage_people", "link": "Recertify"},
    ]


def _controller_admin(user) -> list[dict]:
    from quietroom.recordings.models import Recording

    controller = controller_id_of(user)
    vendors = Organisation.objects.filter(controller_id=controller, kind=Organisation.Kind.VENDOR)
    waiting = Recording.objects.filter(controller_id=controller, status=Recording.Status.RECEIVED).count()
    return [
        {"title": "Vendors", "value": vendors.count(), "text": f"{vendors.filter(approved_at__isnull=False).count()} approved",
         "url": "accounts:controller_vendors", "link": "Vendors and sites"},
        {"title": "Sites", "value": Site.objects.filter(organisation__in=vendors).count(), "text": "approved places of work",
         "url": "accounts:controller_vendors", "link": "Vendors and sites"},
        {"title": "Recordings waiting", "value": waiting, "text": "for the de-identification pipeline",
         "url": "recordings:batches", "link": "Ingestion batches"},
    ]


def _privacy_officer(user, now) -> list[dict]:
    from quietroom.escalation.access import cases_for
    from quietroom.privacy.models import ErasureRequest

    open_cases = cases_for(user).filter(status__in=["open", "awaiting_confirmation"])
    nearest = open_cases.order_by("deadline_at").values_list("deadline_at", flat=True).first()
    held = ErasureRequest.objects.filter(controller_id=controller_id_of(user), step=ErasureRequest.Step.HELD).count()
    return [
        {"title": "Open escalation cases", "value": open_cases.count(),
         "text": f"next deadline {nearest:%Y-%m-%d %H:%M} UTC" if nearest else "no deadline pending",
         "url": "escalation:queue", "link": "Escalation queue"},
        {"title": "Erasures waiting on a legal hold", "value": held, "text": "they finish when the hold ends",
         "url": "privacy:access_report", "link": "Data-subject requests"},
        {"title": "Audit log", "value": "", "text": "who heard what, verifiable", "url": "audit:log", "link": "Browse and verify"},
    ]


def _auditor(user) -> list[dict]:
    from quietroom.audit import checkpoints

    latest = checkpoints.latest()
    text = f"latest signed checkpoint covers {latest.size} entries" if latest else "no signed checkpoint yet"
    return [{"title": "Audit log", "value": "", "text": text, "url": "audit:log", "link": "Browse the log"},
            {"title": "Verify", "value": "", "text": "recompute the hash chain and the checkpoints",
             "url": "audit:verify", "link": "Verify the log"},
            {"title": "Checkpoints", "value": "", "text": "signed tree heads for witnesses",
             "url": "audit:checkpoints", "link": "Download checkpoints"}]


@login_required
@never_cache
@require_GET
def home(request):
    user, now = request.user, timezone.now()
    role = user.role
    if role == User.Role.REVIEWER:
        return redirect("review:room")
    cards = {
        User.Role.QA_LEAD: lambda: _qa_lead(user),
        User.Role.VENDOR_MANAGER: lambda: _vendor_manager(user, now),
        User.Role.CONTROLLER_ADMIN: lambda: _controller_admin(user),
        User.Role.PRIVACY_OFFICER: lambda: _privacy_officer(user, now),
        User.Role.AUDITOR: lambda: _auditor(user),
    }.get(role, list)()
    return render(request, "accounts/home.html", {"cards": cards, "role_label": user.get_role_display()})
