from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


def _ensure_triggers(sender, using="default", **kwargs):
    """Re-create the append-only triggers after every migrate/flush.

    SQLite drops a table's triggers when a migration rebuilds the table; this puts them back.
    """
    from django.db import connections

    from . import triggers

    connection = connections[using]
    if "audit_auditevent" in connection.introspection.table_names():
        triggers.install(connection)


def _signing_key_configured(app_configs, **kwargs):
    from django.conf import settings

    if settings.MODE == "production" and not settings.AUDIT_SIGNING_KEY_FILE:
        return [checks.Error(
            "QUIETROOM_AUDIT_SIGNING_KEY is not set; production mode needs the audit checkpoint signing key",
            hint="create one with `quietroom audit create-signing-key PATH` and keep it apart from the database",
            id="quietroom.audit.E001",
        )]
    return []


def _chain_key_configured(app_configs, **kwargs):
    """Production refuses to serve without a readable chain key: every audited action needs it."""
    from django.conf import settings

    from . import chain

    if settings.MODE != "production":
        return []
    path = settings.AUDIT_CHAIN_KEY_FILE
    hint = "create one with `quietroom audit create-chain-key PATH`, mode 0600, beside the signing key and apart from the database"
    if not path:
        return [checks.Error(
            "QUIETROOM_AUDIT_CHAIN_KEY is not set; production mode needs the audit chain key",
            hint=hint, id="quietroom.audit.E002",
        )]
    try:
        chain.load(path)
    except (chain.ChainKeyError, OSError) as exc:
        return [checks.Error(f"QUIETROOM_AUDIT_CHAIN_KEY: {exc}", hint=hint, id="quietroom.audit.E003")]
    return []


class AuditConfig(AppConfig):
    name = "quietroom.audit"
    label = "audit"

    def ready(self):
        post_migrate.connect(_ensure_triggers, sender=self)
        checks.register(_signing_key_configured, checks.Tags.security)
        checks.register(_chain_key_configured, checks.Tags.security)
