"""Vendor managers' pages: their people, sites, vetting status and expiries, invitations.

Every object is fetched through `permissions.people_for` / `sites_for`, which filter by the
manager's organisation in the query: another vendor's id is "not found".
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quietroom.review.models import Submission, Task

from . import services, vetting
from .addresses import client_address
from .forms import LanguagesForm, PersonForm, VettingForm
from .permissions import INVITE, MANAGE_PEOPLE, VIEW_PEOPLE, grantable_roles, people_for, requires, sites_for


def _end_of_day(day):
    from datetime import datetime, time
    from datetime import timezone as dt_timezone

    return datetime.combine(day, time(23, 59, 59), tzinfo=dt_timezone.utc)


@never_cache
@require_GET
@requires(VIEW_PEOPLE)
def people_view(request):
    now = timezone.now()
    people = people_for(request.user).select_related("site").order_by("username")
    rows = [{"person": p, "blockers": vetting.blocking_reasons(p, now)} for p in people]
    return render(request, "accounts/manage/people.html", {
        "rows": rows, "sites": sites_for(request.user).order_by("name"),
        "organisation": request.user.organisation,
    })


@never_cache
@require_http_methods(["GET", "POST"])
@requires(MANAGE_PEOPLE)
def add_person_view(request):
    form = PersonForm(request.POST or None, roles=grantable_roles(request.user), sites=sites_for(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.add_person(
                request.user, username=data["username"], first_name=data["first_name"], last_name=data["last_name"],
                email=data["email"], role=data["role"], site=data["site"], locales=data["locales"],
                address=client_address(request))
        except ValidationError as exc:
            form.add_error("username", exc.messages[0])
        else:
            return redirect("accounts:manage_person", person_id=person.pk)
    return render(request, "accounts/manage/add_person.html", {"form": form})


def _person_page(request, person, **extra):
    now = timezone.now()
    context = {
        "person": person,
        "items": vetting.expiries(person, now),
        "blockers": vetting.blocking_reasons(person, now),
        "records": person.vetting_records.select_related("recorded_by")[:50],
        "vetting_form": extra.pop("vetting_form", None) or VettingForm(initial={"performed_on": now.date()}),
        "languages_form": extra.pop("languages_form", None) or LanguagesForm(initial={"locales": ", ".join(person.locales)}),
        "submissions": Submission.objects.filter(reviewer=person).count(),
        "leased": Task.objects.filter(lease_owner=person, status=Task.Status.LEASED).count(),
        **extra,
    }
    return render(request, "accounts/manage/person.html", context, status=400 if extra.get("error") else 200)


@never_cache
@require_GET
@requires(VIEW_PEOPLE)
def person_view(request, person_id: int):
    person = get_object_or_404(people_for(request.user).select_related("site"), pk=person_id)
    return _person_page(request, person)


@require_POST
@requires(MANAGE_PEOPLE)
def person_vetting_view(request, person_id: int):
    person = get_object_or_404(people_for(request.user), pk=person_id)
    form = VettingForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, vetting_form=form, error="The check was not recorded.")
    data = form.cleaned_data
    vetting.record(person, data["kind"], performed_by=data["performed_by"], performed_on=data["performed_on"],
                   valid_until=_end_of_day(data["valid_until"]), recorded_by=request.user,
                   document_type=data["document_type"], reference=data["reference"])
    return redirect("accounts:manage_person", person_id=person.pk)


@require_POST
@requires(MANAGE_PEOPLE)
def person_recertify_view(request, person_id: int):
    person = get_object_or_404(people_for(request.user), pk=person_id)
    now = timezone.now()
    vetting.record(person, "certification", performed_by=request.user.display_name, performed_on=now.date(),
                   valid_until=now + vetting.DEFAULT_VALIDITY["certification"], recorded_by=request.user)
    return redirect("accounts:manage_person", person_id=person.pk)


@require_POST
@requires(MANAGE_PEOPLE)
def person_languages_view(request, person_id: int):
    person = get_object_or_404(people_for(request.user), pk=person_id)
    form = LanguagesForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, languages_form=form, error="Languages not saved.")
    services.set_languages(request.user, person, form.cleaned_data["locales"], address=client_address(request))
    return redirect("accounts:manage_person", person_id=person.pk)


@require_POST
@requires(MANAGE_PEOPLE)
def person_offboard_view(request, person_id: int):
    person = get_object_or_404(people_for(request.user), pk=person_id)
    services.offboard(request.user, person, address=client_address(request))
    return redirect("accounts:manage_person", person_id=person.pk)


@require_POST
@requires(MANAGE_PEOPLE)
def person_reset_factor_view(request, person_id: int):
    person = get_object_or_404(people_for(request.user), pk=person_id)
    services.reset_lost_factor(request.user, person, address=client_address(request))
    return redirect("accounts:manage_person", person_id=person.pk)


@never_cache
@require_POST
@requires(INVITE, MANAGE_PEOPLE)
def person_invite_view(request, person_id: int):
    person = get_object_or_404(people_for(request.user), pk=person_id)
    try:
        token = services.invite(request.user, person, address=client_address(request))
    except ValidationError as exc:
        return _person_page(request, person, error=exc.messages[0])
    link = request.build_absolute_uri(reverse("accounts:invitation", args=[token]))
    return render(request, "accounts/manage/invitation_created.html", {"person": person, "link": link})
