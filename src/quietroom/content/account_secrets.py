"""Second-factor seeds (TOTP), sealed by the master key provider: keys, not content.

Their reads are not audited (signing in is), and they are not the gate's: `accounts.fields`
takes this module as its codec at start-up (`AccountsConfig.ready`), so the models never import
it.
"""
from __future__ import annotations

import base64
import binascii

from quietroom import vault
from quietroom.accounts.fields import SEALED_PREFIX, Sealed
from quietroom.accounts.models import User
from quietroom.audit.log import Actor, record

from .stores import key_provider


def seal_account_secret(purpose: str, secret: str) -> str:
    """The stored form of a second-factor seed: wrapped by the master key provider.

    `sealed:v1$<master key id>$<base64>`; the key id says which master key opens it (and
    which ones a rotation must still move).
    """
    provider = key_provider()
    wrapped = vault.wrap_account_secret(provider, secret.encode("utf-8"), purpose)
    return f"{SEALED_PREFIX}{provider.key_id}${base64.b64encode(wrapped).decode('ascii')}"


def _parse_sealed(sealed: str) -> tuple[str, bytes]:
    if not sealed.startswith(SEALED_PREFIX):
        raise vault.DecryptionError("account secret is not sealed")
    key_id, _, encoded = sealed[len(SEALED_PREFIX):].rpartition("$")
    try:
        return key_id, base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise vault.DecryptionError("account secret is malformed") from None


def _open_with(provider, purpose: str, sealed: str) -> str:
    key_id, wrapped = _parse_sealed(sealed)
    if key_id != provider.key_id:
        raise vault.KeyProviderError(
            f"account secret is sealed under master key {key_id!r}, not {provider.key_id!r} "
            "(finish the master key rotation: quietroom rotate_master_key --from OLD)")
    return vault.unwrap_account_secret(provider, wrapped, purpose).decode("utf-8")


def open_account_secret(purpose: str, sealed: str) -> str:
    """The plain seed, for TOTP verification and enrolment only (what `user.totp_secret` reads)."""
    return _open_with(key_provider(), purpose, sealed)


def rewrap_account_secrets(old_provider) -> int:
    """Master key rotation for second-factor seeds: re-wrap those still under `old_provider`.

    Resumable like `rewrap_customer_keys`: each seed moves in its own compare-and-set update.
    """
    new_provider = key_provider()
    if old_provider.key_id == new_provider.key_id:
        return 0
    field = User._meta.get_field("totp_secret")
    moved = 0
    stale = User.objects.filter(totp_secret__startswith=f"{SEALED_PREFIX}{old_provider.key_id}$")
    for pk, sealed in stale.values_list("pk", "totp_secret").iterator():
        secret = _open_with(old_provider, field.purpose, sealed)
        resealed = seal_account_secret(field.purpose, secret)
        moved += User.objects.filter(pk=pk, totp_secret=Sealed(sealed)).update(totp_secret=Sealed(resealed))
    record(Actor.system(), "key.rotate.account_secrets", object_type="master_key", object_id=new_provider.key_id,
           details={"from": old_provider.key_id, "rewrapped": moved})
    return moved
