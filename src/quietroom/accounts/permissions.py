"""The access policy in one place: what each role may do, and whose objects it may touch.

Function level: every role is a set of permissions; views declare the permission they need
with `@requires(...)`, checked on the server for every request (a refusal is audited).
Object level: views never look objects up with `Model.objects`; they ask the scoped querysets
below (`people_for`, `sites_for`, ...), which filter by the actor's organisation in the query
itself. An id from another tenant is simply not found (404), so no page or API can be walked
across vendors by changing a number in the URL.
"""
from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from quietroom.audit.log import Actor, record

from .addresses import client_address
from .models import Organisation, Site, User, WebAuthnCredential

# --- permissions ---------------------------------------------------------------------------

OWN_SECURITY = "own_security"            # manage one's own second factors, notices
TAKE_TRAINING = "take_training"          # the in-app privacy training and quiz
DO_REVIEW = "do_review"                  # transcribe snippets
DO_QA = "do_qa"                          # quality checks of transcripts
VIEW_PEOPLE = "view_people"              # people of one's own vendor, their vetting and work
MANAGE_PEOPLE = "manage_people"          # add, vet, recertify, set languages, offboard
INVITE = "invite"                        # create invitation links
VIEW_VENDORS = "view_vendors"            # the controller's vendors and their sites
MANAGE_VENDORS = "manage_vendors"        # approve vendors, countries, remote work, sites
VIEW_AUDIT = "view_audit"
PRIVACY = "privacy"                      # data-subject rights, mapping pseudonyms back

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    User.Role.REVIEWER: frozenset({OWN_SECURITY, TAKE_TRAINING, DO_REVIEW}),
    User.Role.QA_LEAD: frozenset({OWN_SECURITY, TAKE_TRAINING, DO_QA}),
    User.Role.VENDOR_MANAGER: frozenset({OWN_SECURITY, TAKE_TRAINING, VIEW_PEOPLE, MANAGE_PEOPLE, INVITE}),
    User.Role.PRIVACY_OFFICER: frozenset({OWN_SECURITY, TAKE_TRAINING, VIEW_VENDORS, VIEW_AUDIT, PRIVACY}),
    User.Role.CONTROLLER_ADMIN: frozenset({OWN_SECURITY, TAKE_TRAINING, VIEW_VENDORS, MANAGE_VENDORS, INVITE}),
    User.Role.AUDITOR: frozenset({OWN_SECURITY, VIEW_VENDORS, VIEW_AUDIT}),
}

# Roles a vendor manager may give (never their own or a controller role); the controller's
# admin invites vendor managers and the controller's own staff.
VENDOR_GRANTABLE = (User.Role.REVIEWER, User.Role.QA_LEAD)
CONTROLLER_GRANTABLE = (User.Role.VENDOR_MANAGER, User.Role.PRIVACY_OFFICER,
                        User.Role.CONTROLLER_ADMIN, User.Role.AUDITOR)


def permissions_of(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return ROLE_PERMISSIONS.get(user.role, frozenset())


def has_permission(user, permission: str) -> bool:
    return permission in permissions_of(user)


def requires(*needed: str):
    """View decorator: a signed-in user holding every permission in `needed`, else 403 (audited)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            missing = [p for p in needed if not has_permission(user, p)]
            if missing:
                record(Actor.for_user(user, client_address(request)), "access.denied", outcome="denied",
                       details={"view": view.__name__, "missing": missing})
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        wrapper.required_permissions = frozenset(needed)
        return wrapper

    return decorator


# --- object scope (tenant isolation in the query) ----------------------------------------------


def _is_vendor_manager(actor) -> bool:
    return actor.role == User.Role.VENDOR_MANAGER and actor.organisation_id is not None


def _is_controller_side(actor) -> bool:
    org = actor.organisation
    return org is not None and org.kind == Organisation.Kind.CONTROLLER and actor.role in (
        User.Role.CONTROLLER_ADMIN, User.Role.PRIVACY_OFFICER, User.Role.AUDITOR)


def controller_id_of(user) -> int | None:
    """The controller a person works for: their own organisation, or their vendor's controller."""
    org = user.organisation
    if org is None:
        return None
    return org.pk if org.kind == Organisation.Kind.CONTROLLER else org.controller_id


def organisations_for(actor) -> QuerySet[Organisation]:
    """Vendors the actor may see: their own (vendor manager) or their controller's vendors."""
    qs = Organisation.objects.filter(kind=Organisation.Kind.VENDOR)
    if _is_controller_side(actor) and has_permission(actor, VIEW_VENDORS):
        return qs.filter(controller_id=actor.organisation_id)
    if _is_vendor_manager(actor):
        return qs.filter(pk=actor.organisation_id)
    return qs.none()


def people_for(actor) -> QuerySet[User]:
    """People the actor administers: a vendor manager's own vendor only, never themselves."""
    if _is_vendor_manager(actor) and has_permission(actor, VIEW_PEOPLE):
        return User.objects.filter(organisation_id=actor.organisation_id).exclude(pk=actor.pk)
    return User.objects.none()


def vendor_managers_for(actor) -> QuerySet[User]:
    """The controller's admin sees (and invites) the vendor managers of its own vendors."""
    return User.objects.filter(organisation__in=organisations_for(actor), role=User.Role.VENDOR_MANAGER)


def sites_for(actor) -> QuerySet[Site]:
    if _is_vendor_manager(actor) and has_permission(actor, VIEW_PEOPLE):
        return Site.objects.filter(organisation_id=actor.organisation_id)
    if _is_controller_side(actor) and has_permission(actor, VIEW_VENDORS):
        return Site.objects.filter(organisation__controller_id=actor.organisation_id)
    return Site.objects.none()


def own_credentials(user) -> QuerySet[WebAuthnCredential]:
    return WebAuthnCredential.objects.filter(user_id=user.pk)


def grantable_roles(actor) -> tuple[str, ...]:
    if _is_vendor_manager(actor):
        return VENDOR_GRANTABLE
    if _is_controller_side(actor) and has_permission(actor, MANAGE_VENDORS):
        return CONTROLLER_GRANTABLE
    return ()
