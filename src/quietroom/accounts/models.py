"""People and places: organisations, sites, users, invitations, second factors, vetting.

A user has one role (its permissions live in `permissions.py`). Vetting items are recorded
as `VettingRecord` rows (the history: who, when, which document type and reference) and
their expiries are copied onto the user, so the eligibility policy can read them from the
user object alone without a database query (see `vetting.py`).
"""
from __future__ import annotations

import ipaddress

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from .fields import SealedSecretField


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
    # Set by the controller's admin: a vendor's people may sign in only while it is approved,
    # only at sites in these countries (ISO 3166-1 alpha-2), and from outside a site's
    # networks only when remote work is explicitly allowed.
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_countries = models.JSONField(default=list, blank=True)
    remote_work_allowed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.kind == self.Kind.CONTROLLER or self.approved_at is not None


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
    # The TOTP seed, wrapped by the master key in the database (fields.SealedSecretField);
    # reads as the plain seed, opened only when read.
    totp_secret = SealedSecretField(purpose="totp")
    # Last accepted TOTP time step: a code is accepted once, never replayed.
    totp_last_step = models.BigIntegerField(default=0)
    totp_confirmed = models.BooleanField(default=False)
    # Number of registered WebAuthn credentials (kept in step by `webauthn_flow`), so the
    # second-factor check needs no query.
    security_keys = models.PositiveSmallIntegerField(default=0)
    webauthn_handle = models.CharField(max_length=86, blank=True, help_text="random WebAuthn user handle")

    # Vetting expiries, copied from the latest VettingRecord of each kind (None = not recorded).
    identity_verified_until = models.DateTimeField(null=True, blank=True)
    background_checked_until = models.DateTimeField(null=True, blank=True)
    nda_signed_until = models.DateTimeField(null=True, blank=True)
    training_passed_until = models.DateTimeField(null=True, blank=True)
    # Periodic recertification of access by the vendor manager.
    access_certified_until = models.DateTimeField(null=True, blank=True)
    offboarded_at = models.DateTimeField(null=True, blank=True)

    # One active session per account: the key of the session that signed in last.
    # Indexed: every request reads its session and this user in one join on it (session_store.py).
    current_session_key = models.CharField(max_length=40, blank=True, db_index=True)

    @property
    def has_second_factor(self) -> bool:
        # Whether a seed is stored, not the seed: asked by every eligibility decision.
        return (self.totp_confirmed and self._meta.get_field("totp_secret").is_set(self)) or self.security_keys > 0

    @property
    def vetting_state(self) -> "User":
        """What `vetting.blocking_reasons` reads (the user's own denormalised fields)."""
        return self

    @property
    def vendor_state(self) -> Organisation | None:
        """What `access.vendor_reasons` reads: the organisation loaded with the user."""
        return self.organisation

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.get_username()


class Invitation(models.Model):
    """A single-use onboarding link. Only a hash of its token is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE)
    role = models.CharField(max_length=32, choices=User.Role.choices)
    locales = models.JSONField(default=list)
    username = models.CharField(max_length=150)
    # Where notices (and, for escalation staff, new cases) will be sent: given by the inviter,
    # copied onto the person when they accept. Never used to send the link itself.
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def vendor_state(self) -> Organisation:
        """What `access.vendor_reasons` reads: a link onboards nobody into an unapproved vendor."""
        return self.organisation


class VettingRecord(models.Model):
    """One vetting item as recorded: never a copy of a document, only its type and reference."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", "Identity verification"
        BACKGROUND = "background", "Background check"
        NDA = "nda", "Confidentiality agreement (NDA)"
        TRAINING = "training", "Privacy training and quiz"
        CERTIFICATION = "certification", "Access recertification"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="vetting_records")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    performed_by = models.CharField(max_length=200, help_text="who checked or witnessed it")
    performed_on = models.DateField()
    valid_until = models.DateTimeField()
    document_type = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    details = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at"]


class WebAuthnCredential(models.Model):
    """A security key or passkey: its public key and signature counter, nothing secret."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webauthn_credentials")
    credential_id = models.CharField(max_length=1400, unique=True, help_text="base64url")
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    name = models.CharField(max_length=100, default="Security key")
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)


class RecoveryCode(models.Model):
    """A single-use recovery code; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)


class Notice(models.Model):
    """An in-app message to one user (e.g. "your account was signed in elsewhere")."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class LoginFailure(models.Model):
    """A failed sign-in step, counted per submitted username and per address for throttling.

    Keyed by the username as typed (whether or not it exists), so throttling answers the same
    for unknown accounts and never reveals which names are real.
    """

    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(db_index=True)
