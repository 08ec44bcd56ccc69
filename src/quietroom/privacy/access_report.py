""""Who heard my voice": every access to one customer's content, provable from the audit log.

The controller's privacy officer runs it for a customer id. Each access carries its exact
hashed log entry and an RFC 9162 inclusion proof against a checkpoint signed right after the
report run was itself logged; the whole report is signed too. `offline.verify_report` checks
it with nothing but the public key. Reviewers appear by pseudonym, never by username.

An empty list can mean two very different things, so the report says which (`recordings`):
no recording was ever received for this id under this controller (a mistyped id gives this
too), or recordings were received (and perhaps later erased) and nobody reached them. The
accesses are the content-read actions of `audit.actions`; a play's further requests of the
same page view (`snippet.stream`) are listed under that play, not as plays of their own.
"""
from __future__ import annotations

from base64 import b64encode

from django.utils import timezone

from quietroom.audit import actions, checkpoints, merkle
from quietroom.audit.log import Actor, canonical_json, record
from quietroom.audit.models import AuditEvent
from quietroom.recordings.models import CustomerKey, Recording
from quietroom.recordings.pseudonyms import customer_pseudonym

from .models import ErasureRequest
from .offline import ERASED, FIELDS, NEVER_RECEIVED, RECEIVED, REPORT_VERSION, report_digest_body

# Every way content of a customer is reached through the gate (meanings: docs/audit.md).
ACCESS_ACTIONS = tuple(actions.CONTENT_READS)

# Log entries that show a recording of the customer arrived (they carry the customer pseudonym
# and outlive an erasure): the pipeline processed or discarded one, or content of theirs was read.
RECEIPT_ACTIONS = ("recording.processed", "recording.discarded", *ACCESS_ACTIONS)
# Erasure steps from which nothing of the customer can be decrypted any more.
ERASED_STEPS = (ErasureRequest.Step.KEY_DESTROYED, ErasureRequest.Step.CONTENT_REMOVED,
                ErasureRequest.Step.EXPORTS_LISTED, ErasureRequest.Step.DONE)


def build(controller, customer_id: str, actor: Actor) -> dict:
    pseudonym = customer_pseudonym(controller.id, customer_id)
    record(actor, "privacy.access_report", object_type="customer", customer=pseudonym, purpose="data_subject_access")
    checkpoint = checkpoints.write_checkpoint()
    events = list(AuditEvent.objects.filter(
        customer=pseudonym, action__in=ACCESS_ACTIONS, seq__lte=checkpoint.size, pruned_at__isnull=True,
    ).order_by("seq"))
    tree = merkle.MerkleTree(checkpoints.stored_leaves(checkpoint.size))
    accesses = _grouped(events, lambda event: _proven(event, tree, checkpoint.size))
    recordings = recordings_of(controller, pseudonym)
    report = {
        "kind": "quietroom access report",
        "version": REPORT_VERSION,
        "controller": controller.name,
        "customer": pseudonym,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "recordings": recordings,
        "finding": finding(recordings, accesses),
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


def recordings_of(controller, pseudonym: str) -> dict:
    """Whether recordings of this customer ever reached QuietRoom under `controller`, and whether
    they were erased: {"status": never_received | received | erased, "erased_at": ISO time or None}.

    Evidence that outlives an erasure: the customer's key row (created with their first
    recording, kept destroyed), the erasure request's count of removed recordings, and the
    audit log's entries about their recordings. An erasure run for an id never received does
    not make it "received".
    """
    key = CustomerKey.objects.filter(pseudonym=pseudonym).first()
    erasure = ErasureRequest.objects.filter(controller=controller, customer_pseudonym=pseudonym).first()
    received = (
        key is not None
        or Recording.objects.filter(controller=controller, customer_key__pseudonym=pseudonym).exists()
        or (erasure is not None and int((erasure.removed or {}).get("recordings", 0)) > 0)
        or AuditEvent.objects.filter(customer=pseudonym, action__in=RECEIPT_ACTIONS).exists()
    )
    if not received:
        return {"status": NEVER_RECEIVED, "erased_at": None}
    destroyed_at = key.destroyed_at if key is not None else None
    if destroyed_at is None and erasure is not None and erasure.step in ERASED_STEPS:
        destroyed_at = erasure.completed_at or erasure.updated_at
    if destroyed_at is not None:
        return {"status": ERASED, "erased_at": destroyed_at.isoformat(timespec="seconds")}
    return {"status": RECEIVED, "erased_at": None}


def finding(recordings: dict, accesses: list[dict]) -> str:
    """The report's answer in one sentence (every edition shows it; the signature covers it).

    "Heard or read" counts people only: QuietRoom's own reads (the pipeline de-identifying the
    raw recording, quality scoring) and refused attempts are listed but reach no person.
    """
    status = recordings["status"]
    if status == NEVER_RECEIVED:
        return ("No recording was ever received for this customer id under this controller, so none can have "
                "been heard. Check the id: a mistyped id gives this answer too.")
    erased = status == ERASED
    received = ("Recordings of this customer were received and later erased "
                f"({recordings['erased_at'][:10]})" if erased else "Recordings of this customer were received")
    count = len(accesses)
    by_people = sum(1 for a in accesses if a.get("role") != "system" and a.get("outcome") == "ok")
    listed = "1 access is listed below" if count == 1 else f"{count} accesses are listed below"
    if not count:
        tail = ("no access to them was recorded before the erasure: nobody heard or read them" if erased
                else "no access to them is recorded: nobody has heard or read them")
    elif not by_people:
        tail = (f"no person {'heard' if erased else 'has heard'} or read them ({listed}: QuietRoom's own "
                "processing or refused attempts)")
    else:
        tail = f"{listed}, {'1 of them by a person' if by_people == 1 else f'{by_people} of them by people'}"
    return f"{received}; {tail}."


def _column(key: str) -> str:
    return {"pseudonym": "actor_pseudonym"}.get(key, key)
