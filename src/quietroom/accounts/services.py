"""What vendor managers and the controller's admin do to people, vendors and sites.

Views call these after the permission check and after fetching the target through the scoped
querysets in `permissions.py`; every change is audited here, in the same transaction.
"""
from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone

from quietroom.audit.log import Actor, record

from . import invitations
from .pseudonyms import user_pseudonym
from .models import Invitation, Organisation, RecoveryCode, Site, User, WebAuthnCredential
from .sessions import end_all_sessions


def _actor(user, address: str = "") -> Actor:
    return Actor.for_user(user, address)


def parse_locales(text: str) -> list[str]:
    """'en-GB, en-US' -> ['en-GB', 'en-US']; each must look like a BCP 47 language-region tag."""
    locales = []
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split("-")
        if len(parts) != 2 or not (parts[0].isalpha() and 2 <= len(parts[0]) <= 3 and parts[1].isalpha() and len(parts[1]) == 2):
            raise ValidationError(f"not a language tag like en-GB: {item!r}")
        locales.append(f"{parts[0].lower()}-{parts[1].upper()}")
    return sorted(set(locales))


def parse_networks(text: str) -> list[str]:
    networks = []
    for item in text.replace(",", "\n").splitlines():
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ValidationError(f"not a network (CIDR such as 192.0.2.0/24): {item!r}") from exc
    return networks


def parse_countries(text: str) -> list[str]:
    countries = []
    for item in text.replace(";", ",").split(","):
        item = item.strip().upper()
        if not item:
            continue
        if len(item) != 2 or not item.isalpha():
            raise ValidationError(f"not a two-letter country code: {item!r}")
        countries.append(item)
    return sorted(set(countries))


def clean_email(text: str) -> str:
    """'' or one address that Django's EmailValidator accepts (stripped); else a clear error."""
    text = (text or "").strip()
    if text:
        try:
            EmailValidator()(text)
        except ValidationError:
            raise ValidationError(f"{text!r} is not a valid e-mail address") from None
    return text


# --- people ------------------------------------------------------------------------------------


def _new_person(*, organisation_id, username: str, role: str, email: str = "", first_name: str = "",
                last_name: str = "", site: Site | None = None, locales=()) -> User:
    """A person with no password and no factor: they choose both from an invitation link."""
    user = User(username=username, first_name=first_name, last_name=last_name, email=email,
                organisation_id=organisation_id, site=site, role=role, locales=list(locales))
    user.set_unusable_password()
    user.save()
    user.pseudonym = user_pseudonym(user.pk)
    user.save(update_fields=["pseudonym"])
    return user


def add_person(manager: User, *, username: str, first_name: str, last_name: str, email: str,
               role: str, site: Site | None, locales: list[str], address: str = "") -> User:
    """A new person in the manager's organisation: no password, no factor until invited."""
    if User.objects.filter(username=username).exists():
        raise ValidationError("That username is taken; choose another.")
    with transaction.atomic():
        user = _new_person(organisation_id=manager.organisation_id, username=username, role=role, email=email,
                           first_name=first_name, last_name=last_name, site=site, locales=locales)
        record(_actor(manager, address), "person.added", object_type="user", object_id=user.pk,
               details={"role": role})
    return user


def invite(manager: User, person: User, *, address: str = "") -> str:
    """A single-use link for `person` to choose a password and enrol a factor; returns the token."""
    return issue_invitation(_actor(manager, address), person, created_by=manager)


def issue_invitation(actor: Actor, person: User, *, created_by: User | None = None, hours=None) -> str:
    """`invite` for any actor (a command, the demo): earlier open links of the person are revoked."""
    if person.has_second_factor:
        raise ValidationError("This person already has an active account; reset a lost factor first.")
    if person.offboarded_at is not None:
        raise ValidationError("This person has been offboarded.")
    with transaction.atomic():
        Invitation.objects.filter(user=person, used_at__isnull=True).update(revoked_at=timezone.now())
        Invitation.objects.filter(username=person.username, used_at__isnull=True, user__isnull=True).update(
            revoked_at=timezone.now())
        invitation, token = invitations.create_invitation(
            organisation=person.organisation, username=person.username, role=person.role, site=person.site,
            locales=person.locales, created_by=created_by, hours=hours)
        record(actor, "invitation.created", object_type="invitation", object_id=invitation.pk,
               details={"role": person.role, "for_user": person.pk})
    return token


# --- setting up a controller ---------------------------------------------------------------------

CONTROLLER_STAFF_ROLES = (User.Role.PRIVACY_OFFICER, User.Role.CONTROLLER_ADMIN, User.Role.AUDITOR)
# The controller's privacy officers are its escalation staff (`escalation.access.staff_of`): a
# new case is a notice for each of them and an e-mail to those with an address.
NO_ESCALATION_STAFF = ("a controller needs at least one privacy officer with an e-mail address: new escalation "
                       "cases are sent to its privacy officers, and without one they reach nobody")


@dataclass(frozen=True)
class NewStaff:
    """One of the controller's own people, as the set-up is asked to create them."""

    username: str
    role: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""


def staff_problems(person: NewStaff) -> list[str]:
    """What is wrong with one row of a controller's staff, each naming its field."""
    problems = []
    if not person.username:
        problems.append("username: missing")
    else:
        try:
            UnicodeUsernameValidator()(person.username)
        except ValidationError as exc:
            problems.append(f"username: {exc.messages[0]}")
        else:
            if User.objects.filter(username=person.username).exists():
                problems.append(f"username: {person.username!r} is taken")
    if person.role not in CONTROLLER_STAFF_ROLES:
        problems.append(f"role: {person.role!r} is not a controller role "
                        f"({', '.join(str(r) for r in CONTROLLER_STAFF_ROLES)})")
    try:
        email = clean_email(person.email)
    except ValidationError as exc:
        problems.append(f"email: {exc.messages[0]}")
    else:
        if person.role == User.Role.PRIVACY_OFFICER and not email:
            problems.append("email: privacy officers receive escalations by e-mail; give an address")
    return problems


def set_up_controller(name: str, staff: Sequence[NewStaff], *, actor: Actor) -> tuple[Organisation, list[User]]:
    """A controller and its own people (no passwords: invite them with `issue_invitation`).

    Refused as a whole, every problem named, unless at least one privacy officer with a valid
    e-mail address is among them: an organisation is never left with nobody who receives its
    escalations.
    """
    name = (name or "").strip()
    problems = []
    if not name:
        problems.append("name: the controller needs a name")
    elif Organisation.objects.filter(name=name).exists():
        problems.append(f"name: an organisation named {name!r} exists already")
    seen: Counter = Counter()
    repeated = {u for u, n in Counter(p.username for p in staff).items() if n > 1}
    for person in staff:
        seen[person.role] += 1
        label = User.Role(person.role).label.lower() if person.role in User.Role.values else "person"
        row = staff_problems(person) + ([f"username: {person.username!r} is given twice"]
                                        if person.username in repeated else [])
        problems += [f"{label} {seen[person.role]} ({person.username}): {p}" for p in row]
    officers = [p for p in staff if p.role == User.Role.PRIVACY_OFFICER and p.email.strip()]
    if not officers:
        problems.append(NO_ESCALATION_STAFF)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        controller = Organisation.objects.create(name=name, kind=Organisation.Kind.CONTROLLER)
        record(actor, "controller.created", object_type="organisation", object_id=controller.pk,
               details={"staff": len(staff), "escalation_staff": len(officers)})
        people = [add_staff(controller, person, actor=actor) for person in staff]
    return controller, people


def add_staff(controller: Organisation, person: NewStaff, *, actor: Actor) -> User:
    """One more of the controller's own people (no password, no factor until invited)."""
    problems = staff_problems(person)
    if problems:
        raise ValidationError([f"{person.username}: {p}" for p in problems])
    with transaction.atomic():
        user = _new_person(organisation_id=controller.pk, username=person.username, role=person.role,
                           email=clean_email(person.email), first_name=person.first_name, last_name=person.last_name)
        record(actor, "person.added", object_type="user", object_id=user.pk, details={"role": person.role})
    return user


def set_languages(manager: User, person: User, locales: list[str], *, address: str = "") -> None:
    User.objects.filter(pk=person.pk).update(locales=locales)
    person.locales = locales
    record(_actor(manager, address), "person.languages", object_type="user", object_id=person.pk,
           details={"locales": locales})


def _clear_factors(person: User) -> None:
    WebAuthnCredential.objects.filter(user=person).delete()
    RecoveryCode.objects.filter(user=person).delete()
    User.objects.filter(pk=person.pk).update(totp_secret="", totp_confirmed=False, security_keys=0)


def offboard(manager: User, person: User, *, address: str = "") -> None:
    """Access ends at once: account disabled, sessions ended, factors and open links gone."""
    with transaction.atomic():
        now = timezone.now()
        User.objects.filter(pk=person.pk).update(is_active=False, offboarded_at=now)
        _clear_factors(person)
        Invitation.objects.filter(username=person.username, used_at__isnull=True).update(revoked_at=now)
        end_all_sessions(person)
        record(_actor(manager, address), "person.offboarded", object_type="user", object_id=person.pk)
    person.refresh_from_db()


def reset_lost_factor(manager: User, person: User, *, address: str = "") -> None:
    """A lost phone or key: factors removed, sessions ended, identity must be verified again
    (re-vetting) before a new invitation gives the person a new factor."""
    with transaction.atomic():
        _clear_factors(person)
        User.objects.filter(pk=person.pk).update(identity_verified_until=None)
        end_all_sessions(person)
        record(_actor(manager, address), "person.factor_reset", object_type="user", object_id=person.pk,
               details={"requires": "identity re-verification and a new invitation"})
    person.refresh_from_db()


def set_active(manager: User, person: User, active: bool, *, address: str = "") -> None:
    with transaction.atomic():
        User.objects.filter(pk=person.pk).update(is_active=active)
        if not active:
            end_all_sessions(person)
        record(_actor(manager, address), "person.enabled" if active else "person.disabled",
               object_type="user", object_id=person.pk)
    person.refresh_from_db()


# --- vendors and sites (the controller's admin) --------------------------------------------------


def update_vendor(admin: User, vendor: Organisation, *, approved: bool, countries: list[str],
                  remote_work: bool, address: str = "") -> None:
    with transaction.atomic():
        was_approved = vendor.approved_at is not None
        vendor.approved_at = (vendor.approved_at or timezone.now()) if approved else None
        vendor.approved_countries = countries
        vendor.remote_work_allowed = remote_work
        vendor.save(update_fields=["approved_at", "approved_countries", "remote_work_allowed"])
        details = {"approved": approved, "countries": countries, "remote_work": remote_work}
        if was_approved and not approved:
            # Withdrawn approval ends every session of the vendor's people at once, and revokes
            # every open invitation link, so approving the vendor again brings no old link back.
            # (A link of a vendor never approved is refused when it is opened.)
            for person in User.objects.filter(organisation=vendor):
                end_all_sessions(person)
            details["invitations_revoked"] = Invitation.objects.filter(
                organisation=vendor, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=timezone.now())
        record(_actor(admin, address), "vendor.updated", object_type="organisation", object_id=vendor.pk,
               details=details)


def add_vendor(admin: User, *, name: str, countries: list[str], address: str = "") -> Organisation:
    if Organisation.objects.filter(name=name).exists():
        raise ValidationError("An organisation with that name exists.")
    vendor = Organisation.objects.create(name=name, kind=Organisation.Kind.VENDOR,
                                         controller_id=admin.organisation_id, approved_countries=countries)
    record(_actor(admin, address), "vendor.added", object_type="organisation", object_id=vendor.pk)
    return vendor


def save_site(admin: User, site: Site, *, address: str = "") -> Site:
    vendor = site.organisation
    if site.country not in (vendor.approved_countries or []):
        raise ValidationError(f"{vendor.name} is not approved to work in {site.country}.")
    if Site.objects.filter(organisation=vendor, name=site.name).exclude(pk=site.pk).exists():
        raise ValidationError("This vendor already has a site with that name.")
    created = site.pk is None
    site.full_clean()
    site.save()
    record(_actor(admin, address), "site.added" if created else "site.updated", object_type="site",
           object_id=site.pk, details={"country": site.country, "networks": site.networks})
    return site
