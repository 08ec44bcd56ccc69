""""Who heard my voice": every access to one customer's content, provable from the audit log.

The controller's privacy officer runs it for a customer id. Each access carries its exact
hashed log entry and an RFC 9162 inclusion proof against a checkpoint signed right after the
report run was itself logged; the whole report is signed too. `offline.verify_report` checks
it with nothing but the public key. Reviewers appear by pseudonym, never by username.

The accesses are the content-read actions of `audit.actions`; a play's further requests of the
same page view (`snippet.stream`) are listed under that play, not as plays of their own.
"""
from __future__ import annotations

from base64 import b64encode

from django.utils import timezone

from quietroom.audit import actions, checkpoints, merkle
from quietroom.audit.log import Actor, canonical_json, record
from quietroom.audit.models import AuditEvent
from quietroom.recordings.pseudonyms import customer_pseudonym

from .offline import FIELDS, REPORT_VERSION, report_digest_body

# Every way content of a customer is reached through the gate (meanings: docs/audit.md).
ACCESS_ACTIONS = tuple(actions.CONTENT_READS)


def build(controller, customer_id: str, actor: Actor) -> dict:
    pseudonym = customer_pseudonym(controller.id, customer_id)
    record(actor, "privacy.access_report", object_type="customer", customer=pseudonym, purpose="data_subject_access")
    checkpoint = checkpoints.write_checkpoint()
    events = list(AuditEvent.objects.filter(
        customer=pseudonym, action__in=ACCESS_ACTIONS, seq__lte=checkpoint.size, pruned_at__isnull=True,
    ).order_by("seq"))
    tree = merkle.MerkleTree(checkpoints.stored_leaves(checkpoint.size))
    accesses = _grouped(events, lambda event: _proven(event, tree, checkpoint.size))
    report = {
        "kind": "quietroom access report",
        "version": REPORT_VERSION,
        "controller": controller.name,
        "customer": pseudonym,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "checkpoint": {"size": checkpoint.size, "note": checkpoint.note},
        "public_key": checkpoints.verifier().encode(),
        "access_count": len(accesses),
        "accesses": accesses,
    }
    report["signature"] = checkpoints.signer().sign(report_digest_body(report))
    return report


def _proven(event: AuditEvent, tree: merkle.MerkleTree, size: int) -> dict:
    shown = {name: getattr(event, _column(key)) for name, key in FIELDS.items()}
    shown["time"] = event.at.isoformat(timespec="microseconds")
    return {
        **shown,
        "entry": canonical_json(event).decode(),
        "index": event.seq - 1,
        "proof": [b64encode(p).decode() for p in tree.inclusion_proof(event.seq - 1, size)],
    }


def _grouped(events: list[AuditEvent], proven) -> list[dict]:
    """One row per access; each `snippet.stream` goes under the play of its page view.

    A stream whose play is not in the report (an older entry blanked by retention) stays a row
    of its own: nothing decrypted is ever left out.
    """
    accesses, plays = [], {}
    for event in events:
        item = proven(event)
        key = _view_key(event)
        if event.action == actions.SNIPPET_STREAM and key in plays:
            plays[key]["continuations"].append(item)
            continue
        if event.action == actions.SNIPPET_PLAY and event.outcome == "ok" and key is not None:
            item["continuations"] = []
            plays.setdefault(key, item)
        accesses.append(item)
    return accesses


def _view_key(event: AuditEvent):
    view = (event.details or {}).get("view")
    return (event.object_id, event.actor_pseudonym, view) if view else None


def _column(key: str) -> str:
    return {"pseudonym": "actor_pseudonym"}.get(key, key)
