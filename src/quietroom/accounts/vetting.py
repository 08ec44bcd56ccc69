"""Vetting: which recorded checks a person still lacks, and recording new ones.

`blocking_reasons` is pure: it reads only the expiry fields already on the user object (copied
there from the latest `VettingRecord` of each kind when a record is saved), so the eligibility
policy can call it for every candidate task without a database query. An item that is missing
or past its expiry blocks work at once: expiry needs no job to run, it is compared with `now`.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

# Which user field holds the expiry of each kind, and how the reason names it.
ITEMS = (
    ("identity", "identity_verified_until", "identity verification"),
    ("background", "background_checked_until", "background check"),
    ("nda", "nda_signed_until", "confidentiality agreement (NDA)"),
    ("training", "training_passed_until", "privacy training"),
    ("certification", "access_certified_until", "access recertification by the vendor manager"),
)
FIELD_OF = {kind: field for kind, field, _ in ITEMS}

# Default validity of each item when the vendor manager does not give an expiry.
DEFAULT_VALIDITY = {
    "identity": timedelta(days=3 * 365),
    "background": timedelta(days=365),
    "nda": timedelta(days=365),
    "training": timedelta(days=365),
    "certification": timedelta(days=90),
}


def blocking_reasons(reviewer, now: datetime) -> list[str]:
    """Reasons the person's vetting does not allow work at `now` (empty = fully vetted).

    Reads `reviewer.vetting_state` (a `User` is its own state). Anything without that state
    fails closed: an AttributeError, never a silent pass.
    """
    state = reviewer.vetting_state
    reasons = []
    if state.offboarded_at is not None:
        reasons.append("offboarded")
    for _kind, field, label in ITEMS:
        until = getattr(state, field)
        if until is None:
            reasons.append(f"{label} not recorded")
        elif until <= now:
            reasons.append(f"{label} expired on {until:%Y-%m-%d}")
    return reasons


def expiries(user, now: datetime) -> list[dict]:
    """Each item with its expiry and status, for the vendor manager's pages."""
    rows = []
    for kind, field, label in ITEMS:
        until = getattr(user, field)
        if until is None:
            status = "missing"
        elif until <= now:
            status = "expired"
        elif until - now <= timedelta(days=30):
            status = "expiring soon"
        else:
            status = "valid"
        rows.append({"kind": kind, "label": label, "until": until, "status": status})
    return rows


def record(user, kind: str, *, performed_by: str, performed_on: date, valid_until: datetime,
           recorded_by=None, document_type: str = "", reference: str = "", details: dict | None = None):
    """Store a vetting item and copy its expiry onto the user (one transaction, audited)."""
    from django.db import transaction

    from quietroom.audit.log import Actor
    from quietroom.audit.log import record as audit

    from .models import User, VettingRecord

    if kind not in FIELD_OF:
        raise ValueError(f"unknown vetting item {kind!r}")
    with transaction.atomic():
        item = VettingRecord.objects.create(
            user=user, kind=kind, performed_by=performed_by, performed_on=performed_on,
            valid_until=valid_until, document_type=document_type, reference=reference,
            details=details or {}, recorded_by=recorded_by,
        )
        setattr(user, FIELD_OF[kind], valid_until)
        User.objects.filter(pk=user.pk).update(**{FIELD_OF[kind]: valid_until})
        actor = Actor.for_user(recorded_by) if recorded_by is not None else Actor.system()
        audit(actor, "vetting.recorded", object_type="user", object_id=user.pk,
              details={"item": kind, "valid_until": valid_until.isoformat()})
    return item


def record_all(user, *, now: datetime, performed_by: str, recorded_by=None) -> None:
    """Record every item as done today (the demo and test fixtures' fully vetted person)."""
    for kind in FIELD_OF:
        record(user, kind, performed_by=performed_by, performed_on=now.date(),
               valid_until=now + DEFAULT_VALIDITY[kind], recorded_by=recorded_by,
               document_type="passport" if kind == "identity" else "",
               reference="DEMO-CHECK" if kind in ("identity", "background") else "")
