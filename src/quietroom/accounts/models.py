"""People and places: organisations, sites, users, invitations.

The first version keeps roles as a single field; the full role/permission model and
vetting records come with the identity issue.
"""
from __future__ import annotations

import ipaddress

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CONTROLLER = "controller", "Controller"
        VENDOR = "vendor", "Vendor"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # A vendor works for one controller, which approved it as a sub-processor.
    controller = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="vendors"
    )

    def __str__(self) -> str:
        return self.name


def validate_networks(value: list) -> None:
    if not isinstance(value, list):
        raise ValidationError("networks must be a list of CIDR strings")
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"not a network: {item!r} ({exc})") from exc


class Site(models.Model):
    """An approved facility: reviewers connect only from its networks."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    networks = models.JSONField(default=list, validators=[validate_networks])

    class Meta:
        unique_together = [("organisation", "name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def allows_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.networks)


class User(AbstractUser):
    class Role(models.TextChoices):
        REVIEWER = "reviewer", "Reviewer"
        QA_LEAD = "qa_lead", "QA lead"
        VENDOR_MANAGER = "vendor_manager", "Vendor manager"
        PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
        CONTROLLER_ADMIN = "controller_admin", "Controller admin"
        AUDITOR = "auditor", "Auditor"

    organisation = models.ForeignKey(
        Organisation, null=True, on_delete=models.PROTECT, related_name="users"
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.REVIEWER)
    locales = models.JSONField(default=list, help_text="language qualifications, e.g. ['en-GB']")
    # Stable pseudonym shown in audit reports instead of the username.
    pseudonym = models.CharField(max_length=32, unique=True, null=True)
    totp_secret = models.CharField(max_length=64, blank=True)
    # Last accepted TOTP time step: a code is accepted once, never replayed.
    totp_last_step = models.BigIntegerField(default=0)
    totp_confirmed = models.BooleanField(default=False)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed and bool(self.totp_secret)


class Invitation(models.Model):
    """A single-use onboarding link. Only a hash of its token is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE)
    role = models.CharField(max_length=32, choices=User.Role.choices)
    locales = models.JSONField(default=list)
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL)
