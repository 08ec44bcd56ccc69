"""Customer keys: one per pseudonymous customer, wrapped by the master key.

Destroying a customer's key is erasure: every data key of theirs is wrapped by it, so one row
update makes every copy of their audio and text unreadable at once, backups included. A held key
(`privacy.HeldKey`, see `content.held`) is the same kind of key for what a legal hold keeps of an
erased customer: `key_of` unwraps either, and master key rotation moves both.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from quietroom import vault
from quietroom.audit.log import Actor, record
from quietroom.privacy.models import HeldKey
from quietroom.recordings.models import CustomerKey

from .stores import key_provider


class ContentGone(Exception):
    """The content was erased or its key destroyed."""


def customer_key_row(pseudonym: str) -> CustomerKey:
    """The pseudonymous customer's key row, created (with a new wrapped key) on first sight."""
    provider = key_provider()
    row = CustomerKey.objects.filter(pseudonym=pseudonym).first()
    if row is not None:
        return row
    _, wrapped = vault.new_customer_key(provider, pseudonym)
    row, _ = CustomerKey.objects.get_or_create(
        pseudonym=pseudonym,
        defaults={"wrapped_key": wrapped, "master_key_id": provider.key_id},
    )
    return row


def _name(row: CustomerKey | HeldKey) -> str:
    """The name the key is wrapped under (associated data): the pseudonym, or `held:<id>`."""
    return row.key_name if isinstance(row, HeldKey) else row.pseudonym


def key_of(customer_key: CustomerKey | HeldKey | None) -> bytes:
    """The customer's (or a held) unwrapped key (for sealing here, for opening in the gate only)."""
    if customer_key is None or customer_key.destroyed_at is not None or not customer_key.wrapped_key:
        raise ContentGone("the customer's key has been destroyed")
    return vault.unwrap_customer_key(key_provider(), bytes(customer_key.wrapped_key), _name(customer_key))


def destroy_customer_key(pseudonym: str) -> bool:
    """Erasure: destroy the customer's key so none of their content can ever be decrypted again.

    Returns False when it was already destroyed (or never existed).
    """
    with transaction.atomic():
        row = CustomerKey.objects.select_for_update().filter(pseudonym=pseudonym).first()
        if row is None or (row.destroyed_at is not None and not row.wrapped_key):
            return False
        row.wrapped_key = None
        row.destroyed_at = row.destroyed_at or timezone.now()
        row.save(update_fields=["wrapped_key", "destroyed_at"])
        return True


def rewrap_customer_keys(old_provider, *, batch: int = 500) -> int:
    """Master key rotation: re-wrap every customer key still under `old_provider`.

    Resumable by construction: each row is re-wrapped and saved in its own transaction and
    carries the id of the master key that wraps it, so a killed rotation simply continues
    with the rows not yet moved. Destroyed (erased) customers are skipped: there is nothing
    to move and nothing must come back.
    """
    new_provider = key_provider()
    if old_provider.key_id == new_provider.key_id:
        return 0
    # Held keys (what legal holds keep of erased customers) are moved like customer keys.
    moved = sum(_rewrap_rows(model, old_provider, new_provider, batch) for model in (CustomerKey, HeldKey))
    record(Actor.system(), "key.rotate", object_type="master_key", object_id=new_provider.key_id,
           details={"from": old_provider.key_id, "rewrapped": moved})
    return moved


def _rewrap_rows(model, old_provider, new_provider, batch: int) -> int:
    moved = 0
    while True:
        rows = list(
            model.objects.filter(master_key_id=old_provider.key_id, destroyed_at__isnull=True)
            .order_by("pk")[:batch]
        )
        if not rows:
            return moved
        for row in rows:
            with transaction.atomic():
                locked = model.objects.select_for_update().get(pk=row.pk)
                if locked.master_key_id != old_provider.key_id or locked.destroyed_at is not None:
                    continue
                locked.wrapped_key = vault.rewrap_customer_key(
                    old_provider, new_provider, bytes(locked.wrapped_key), _name(locked)
                )
                locked.master_key_id = new_provider.key_id
                locked.save(update_fields=["wrapped_key", "master_key_id"])
                moved += 1
