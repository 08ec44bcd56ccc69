"""Service accounts for integrations, and their API tokens (stored as hashes only).

A service account belongs to one organisation (a controller) and can only ever see that
controller's batches and exports. Its tokens carry scopes, expire, can be revoked, and are
stored as SHA-256 hashes: a token is a long random secret, so a fast hash is enough, and a
database leak gives no usable token. The prefix is shown in lists to tell tokens apart.
"""
from __future__ import annotations

from django.db import models

SCOPES = (
    "batches:read", "batches:write", "exports:read", "exports:write",
    "privacy:read", "privacy:write", "audit:read",
)


class ServiceAccount(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="service_accounts")
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("organisation", "name")]

    def __str__(self) -> str:
        return f"{self.organisation.name}/{self.name}"


class ApiToken(models.Model):
    account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="tokens")
    hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
