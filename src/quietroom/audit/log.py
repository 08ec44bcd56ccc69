"""Writing and verifying the audit log."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "at", "actor", "role", "organisation", "site", "country", "address", "action",
    "object_type", "object_id", "customer", "purpose", "outcome", "details",
)


def canonical_json(event: AuditEvent) -> bytes:
    record: dict[str, Any] = {name: getattr(event, name) for name in HASHED_FIELDS}
    record["at"] = event.at.isoformat(timespec="microseconds")
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_json(event)).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who did something, as the audit log records it (never a real customer id)."""

    name: str
    role: str = ""
    organisation: str = ""
    site: str = ""
    country: str = ""
    address: str = ""

    @classmethod
    def system(cls) -> "Actor":
        return cls(name="system", role="system")

    @classmethod
    def for_user(cls, user, address: str = "") -> "Actor":
        site = getattr(user, "site", None)
        org = getattr(user, "organisation", None)
        return cls(
            name=user.get_username(),
            role=getattr(user, "role", ""),
            organisation=org.name if org else "",
            site=site.name if site else "",
            country=site.country if site else "",
            address=address,
        )


def record(
    actor: Actor,
    action: str,
    *,
    outcome: str = "ok",
    object_type: str = "",
    object_id: str = "",
    customer: str = "",
    purpose: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Append one event. Joins the caller's transaction if there is one.

    Appends are serialised by locking the head row (PostgreSQL) or by SQLite's single
    writer, so two events never claim the same sequence number.
    """
    with transaction.atomic():
        AuditHead.objects.get_or_create(id=1)
        head = AuditHead.objects.select_for_update().get(id=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor.name,
            role=actor.role,
            organisation=actor.organisation,
            site=actor.site,
            country=actor.country,
            address=actor.address,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            customer=customer,
            purpose=purpose,
            outcome=outcome,
            details=details or {},
            prev_hash=head.hash,
        )
        event.hash = chain_hash(event.prev_hash, event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
        return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify() -> VerifyResult:
    """Recompute the chain; name the first entry that does not fit."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return VerifyResult(False, count, event.seq, f"expected entry {expected_seq}, found {event.seq} (entry removed or inserted)")
        if event.prev_hash != prev:
            return VerifyResult(False, count, event.seq, "previous-hash link broken (entry removed, inserted or reordered)")
        if chain_hash(prev, event) != event.hash:
            return VerifyResult(False, count, event.seq, "contents do not match the recorded hash (entry edited)")
        prev = event.hash
        expected_seq += 1
        count += 1
    return VerifyResult(True, count)
