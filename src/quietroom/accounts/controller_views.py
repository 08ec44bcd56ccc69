"""The controller's pages: its vendors (approval, countries, remote work) and their sites.

Objects come through `permissions.organisations_for` / `sites_for`: only this controller's
vendors, never another controller's.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST


from . import services
from .addresses import client_address
from .forms import ManagerInviteForm, NewVendorForm, SiteForm, VendorForm
from .models import Site, User
from .permissions import (
    INVITE,
    MANAGE_VENDORS,
    VIEW_VENDORS,
    has_permission,
    organisations_for,
    requires,
    sites_for,
    vendor_managers_for,
)
from .pseudonyms import user_pseudonym


@never_cache
@require_GET
@requires(VIEW_VENDORS)
def vendors_view(request):
    return render(request, "accounts/controller/vendors.html", {
        "vendors": organisations_for(request.user).order_by("name"),
        "sites": sites_for(request.user).select_related("organisation").order_by("organisation__name", "name"),
    })


@never_cache
@require_http_methods(["GET", "POST"])
@requires(MANAGE_VENDORS)
def add_vendor_view(request):
    form = NewVendorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            vendor = services.add_vendor(request.user, name=data["name"], countries=data["countries"],
                                         address=client_address(request))
        except ValidationError as exc:
            form.add_error("name", exc.messages[0])
        else:
            services.update_vendor(request.user, vendor, approved=data["approved"], countries=data["countries"],
                                   remote_work=data["remote_work"], address=client_address(request))
            return redirect("accounts:controller_vendor", vendor_id=vendor.pk)
    return render(request, "accounts/controller/add_vendor.html", {"form": form})


def _vendor_page(request, vendor, *, form=None, invite_form=None, status=200):
    return render(request, "accounts/controller/vendor.html", {
        "vendor": vendor,
        "form": form or VendorForm(initial={"approved": vendor.approved_at is not None,
                                            "countries": ", ".join(vendor.approved_countries),
                                            "remote_work": vendor.remote_work_allowed}),
        "invite_form": invite_form or ManagerInviteForm(),
        "sites": sites_for(request.user).filter(organisation=vendor).order_by("name"),
        "managers": vendor_managers_for(request.user).filter(organisation=vendor).order_by("username"),
    }, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(VIEW_VENDORS)
def vendor_view(request, vendor_id: int):
    vendor = get_object_or_404(organisations_for(request.user), pk=vendor_id)
    if request.method == "GET":
        return _vendor_page(request, vendor)
    if not has_permission(request.user, MANAGE_VENDORS):
        raise PermissionDenied("Your role does not allow this.")
    form = VendorForm(request.POST)
    if not form.is_valid():
        return _vendor_page(request, vendor, form=form, status=400)
    data = form.cleaned_data
    services.update_vendor(request.user, vendor, approved=data["approved"], countries=data["countries"],
                           remote_work=data["remote_work"], address=client_address(request))
    return redirect("accounts:controller_vendor", vendor_id=vendor.pk)


@never_cache
@require_POST
@requires(MANAGE_VENDORS, INVITE)
def invite_manager_view(request, vendor_id: int):
    """A vendor manager is invited by the controller's admin (who never sees a password)."""
    vendor = get_object_or_404(organisations_for(request.user), pk=vendor_id)
    form = ManagerInviteForm(request.POST)
    if not form.is_valid():
        return _vendor_page(request, vendor, invite_form=form, status=400)
    data = form.cleaned_data
    if User.objects.filter(username=data["username"]).exists():
        form.add_error("username", "That username is taken; choose another.")
        return _vendor_page(request, vendor, invite_form=form, status=400)
    person = User(username=data["username"], first_name=data["first_name"], last_name=data["last_name"],
                  email=data["email"], organisation=vendor, role=User.Role.VENDOR_MANAGER)
    person.set_unusable_password()
    person.save()
    person.pseudonym = user_pseudonym(person.pk)
    person.save(update_fields=["pseudonym"])
    token = services.invite(request.user, person, address=client_address(request))
    link = request.build_absolute_uri(reverse("accounts:invitation", args=[token]))
    return render(request, "accounts/manage/invitation_created.html", {"person": person, "link": link})


@never_cache
@require_http_methods(["GET", "POST"])
@requires(MANAGE_VENDORS)
def add_site_view(request):
    return _site_form(request, None)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(VIEW_VENDORS)
def site_view(request, site_id: int):
    site = get_object_or_404(sites_for(request.user), pk=site_id)
    if request.method == "POST" and not has_permission(request.user, MANAGE_VENDORS):
        raise PermissionDenied("Your role does not allow this.")
    return _site_form(request, site)


def _site_form(request, site: Site | None):
    vendors = organisations_for(request.user)
    initial = {}
    if site is not None:
        initial = {"vendor": site.organisation, "name": site.name, "country": site.country,
                   "networks": "\n".join(site.networks)}
    form = SiteForm(request.POST or None, vendors=vendors, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = site or Site()
        target.organisation = data["vendor"]
        target.name = data["name"]
        target.country = data["country"]
        target.networks = data["networks"]
        try:
            services.save_site(request.user, target, address=client_address(request))
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
            status = 400
        else:
            return redirect("accounts:controller_vendors")
    return render(request, "accounts/controller/site.html", {"form": form, "site": site}, status=status)
