"""A model field for secrets that must not be readable in the database: TOTP seeds.

The column holds only the sealed form, `sealed:v1$<master key id>$<base64>`: the seed
wrapped by the master key provider (AES-256-GCM with a local key file, or KMS), with
associated data naming its purpose. Whoever holds the database file or a dump, but not the
master key, cannot compute anyone's codes.

In Python the attribute reads as the plain secret, so callers (and test fixtures) keep
writing `User.objects.create(totp_secret=seed)` and reading `user.totp_secret`:
- loading a row keeps the sealed text (a `Sealed` str) and opens it only when the attribute
  is read, so loading users (every request) costs no cryptography and no KMS call;
- saving seals a plain value; an unchanged sealed value is written back as it is;
- `values()`/`values_list()` and `dumpdata` see the sealed text, never the secret.

Sealing and opening live in `quietroom.content.account_secrets` (with the other key
operations); `AccountsConfig.ready` registers it here at start-up, so this module imports
nothing above the models.
"""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

SEALED_PREFIX = "sealed:v1$"

_codec = None


def use_codec(codec) -> None:
    """Register the object that seals and opens account secrets (content.account_secrets)."""
    global _codec
    _codec = codec


def codec():
    if _codec is None:
        raise ImproperlyConfigured("account secrets cannot be sealed or opened: no codec registered "
                                   "(quietroom.accounts must be in INSTALLED_APPS and apps loaded)")
    return _codec


class Sealed(str):
    """A secret as stored: the sealed text, not the secret."""

    __slots__ = ()


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


class _OpensOnRead(DeferredAttribute):
    """A data descriptor (it has __set__), so reads come here even when the value is loaded."""

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if instance is None or not isinstance(value, Sealed):
            return value
        return codec().open_account_secret(self.field.purpose, str(value))

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class SealedSecretField(models.TextField):
    descriptor_class = _OpensOnRead

    def __init__(self, *args, purpose: str = "", **kwargs):
        if not purpose:
            raise ValueError("a SealedSecretField needs a purpose (bound into the sealed value)")
        self.purpose = purpose
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def is_set(self, instance) -> bool:
        """Whether a secret is stored, without opening it (e.g. for `has_second_factor`)."""
        if self.attname not in instance.__dict__:
            instance.refresh_from_db(fields=[self.attname])
        return bool(instance.__dict__[self.attname])

    def from_db_value(self, value, expression, connection):
        return Sealed(value) if value else value

    def to_python(self, value):
        if is_sealed(value) and not isinstance(value, Sealed):
            return Sealed(value)
        return super().to_python(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        if is_sealed(value):
            return str(value)
        return codec().seal_account_secret(self.purpose, value)

    def pre_save(self, model_instance, add):
        # The stored form as it is: a loaded, unchanged secret is written back without opening it.
        return model_instance.__dict__.get(self.attname)

    def value_to_string(self, obj):
        return self.get_prep_value(obj.__dict__.get(self.attname)) or ""
