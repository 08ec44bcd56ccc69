"""Writing the audit log.

Each event is one canonical JSON record (`canonical_json`): who (pseudonym, plus a salted
commitment to username and address), role, organisation, site, country, action, object,
customer pseudonym, purpose, time, outcome and small details. Never content, secrets or real
customer ids. Events are hash-chained (``prev_hash``/``hash``) and are the leaves of an
RFC 9162 Merkle tree (``leaf_hash`` = SHA-256(0x00 || canonical_json)); signed checkpoints
of that tree live in ``checkpoints.py`` and ``verification.py`` checks all of it.

The chain is keyed (``chain.py``): each entry's ``mac`` and the head row's ``tag`` are HMACs
under a key the database never holds, so whoever can write the database still cannot rewrite,
append or cut the tail unseen. An append that finds the head's tag wrong first records
``audit.head_mismatch`` (the evidence would otherwise be overwritten by the append itself).
Every ``AUDIT_CHECKPOINT_EVERY`` entries, and at the first append ``AUDIT_CHECKPOINT_SECONDS``
after this process last signed one, a checkpoint is signed once the transaction commits.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from quietroom.compiled import insert_statement, insert_values

from . import chain, checkpoints, verification
from .common import ENCODER, GENESIS, HEAD_MISMATCH, chain_key, quote
from .models import AuditEvent, AuditHead

logger = logging.getLogger("quietroom.audit")


def actor_commitment(actor: str, address: str, salt: str) -> str:
    """Binds the entry to the username and address without revealing them."""
    return hashlib.sha256(f"quietroom/actor/v1\n{salt}\n{actor}\n{address}".encode()).hexdigest()


def canonical_bytes(
    seq: int, at: str, commitment: str, pseudonym: str, role: str, organisation: str, site: str,
    country: str, action: str, object_type: str, object_id: str, customer: str, purpose: str,
    outcome: str, details: Any,
) -> bytes:
    """The exact bytes hashed into the log (shared by writer, verifier and reports).

    Byte for byte what ``json.dumps(record, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` gives for the record, assembled directly because verification
    rebuilds a million of them (tests/audit/test_canonical.py holds the two together).
    """
    q = quote
    details_json = "{}" if details == {} or details == "{}" else ENCODER.encode(details)
    return (
        f'{{"action":{q(action)},"actor":{q(commitment)},"at":{q(at)},"country":{q(country)},'
        f'"customer":{q(customer)},"details":{details_json},"object_id":{q(object_id)},'
        f'"object_type":{q(object_type)},"organisation":{q(organisation)},"outcome":{q(outcome)},'
        f'"pseudonym":{q(pseudonym)},"purpose":{q(purpose)},"role":{q(role)},"seq":{int(seq)},'
        f'"site":{q(site)}}}'
    ).encode()


def iso_time(value) -> str:
    return value.isoformat(timespec="microseconds")


def canonical_json(event: AuditEvent) -> bytes:
    return canonical_bytes(
        event.seq, iso_time(event.at), actor_commitment(event.actor, event.address, event.salt),
        event.actor_pseudonym, event.role, event.organisation, event.site, event.country,
        event.action, event.object_type, event.object_id, event.customer, event.purpose,
        event.outcome, event.details,
    )


def chain_hash(prev_hash: str, entry: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + entry).hexdigest()


def leaf_hash_hex(entry: bytes) -> str:
    return hashlib.sha256(b"\x00" + entry).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who did something, as the audit log records it (never a real customer id)."""

    name: str
    role: str = ""
    organisation: str = ""
    site: str = ""
    country: str = ""
    address: str = ""
    pseudonym: str = ""

    @classmethod
    def system(cls) -> "Actor":
        return cls(name="system", role="system", pseudonym="system")

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
            pseudonym=getattr(user, "pseudonym", "") or "",
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
    locked_head: tuple | None = None,
    rider: Rider | None = None,
) -> AuditEvent:
    """Append one event. Joins the caller's transaction if there is one.

    Appends are serialised by locking the head row (PostgreSQL) or by SQLite's single
    writer, so two events never claim the same sequence number. `locked_head`: the row of
    `LOCK_HEAD_SQL`, when the caller's last statement already locked and read the head (one
    round trip less); None (or no row yet) and the head is locked here. `rider` (PostgreSQL): a
    row that belongs to this event, written by the event's own statement; what it returns is
    left on the event as `rider_row`.
    """
    # Round-trip through JSON now so the hashed form equals what the database gives back.
    details = json.loads(ENCODER.encode(details or {}))
    key = chain_key()
    # No savepoint of our own inside the caller's transaction (two round trips saved per event):
    # if the append fails, the caller's work must not commit without its audit record anyway.
    with transaction.atomic(savepoint=False):
        prev_seq, prev_hash, tag = (int(locked_head[0]), locked_head[1], locked_head[2]) if locked_head else _lock_head()
        seq = prev_seq
        if not key.head_ok(prev_seq, prev_hash, tag):
            # The head was moved outside the application (a cut tail?). Say so in the log itself
            # before this append makes the head consistent again.
            logger.error("audit head at entry %s does not carry a valid tag; recording %s", prev_seq, HEAD_MISMATCH)
            alarm = _event(key, prev_seq + 1, prev_hash, Actor.system(), HEAD_MISMATCH, outcome="failed",
                           object_type="audit_head", object_id=str(prev_seq), details={"head_seq": prev_seq})
            _append(alarm, key)
            seq, prev_hash = alarm.seq, alarm.hash
        event = _event(key, seq + 1, prev_hash, actor, action, outcome=outcome, object_type=object_type,
                       object_id=str(object_id), customer=customer, purpose=purpose, details=details)
        _append(event, key, rider)
        _maybe_checkpoint(prev_seq, event.seq)
        return event


def lock_for_append() -> None:
    """Take the log's append lock now, held to the end of the caller's transaction.

    Every append locks the head, so a transaction that appends and also locks rows waits for
    the head wherever it appends. One that must lock, before its append, rows that others
    lock only after theirs (a submit that shreds a snippet updates the snippet and all its
    submissions after recording the submit) takes the head first, in their order, so that the
    two wait for each other instead of deadlocking.
    """
    _lock_head()


def _event(key: chain.ChainKey, seq: int, prev_hash: str, actor: Actor, action: str, **fields) -> AuditEvent:
    event = AuditEvent(
        seq=seq,
        at=timezone.now(),
        actor=actor.name,
        actor_pseudonym=actor.pseudonym,
        role=actor.role,
        organisation=actor.organisation,
        site=actor.site,
        country=actor.country,
        address=actor.address,
        action=action,
        salt=secrets.token_hex(16),
        prev_hash=prev_hash,
        **fields,
    )
    entry = canonical_json(event)
    event.hash = chain_hash(event.prev_hash, entry)
    event.leaf_hash = leaf_hash_hex(entry)
    event.mac = key.entry_mac(event.hash, event.leaf_hash)
    return event


# In-process checkpoints (no broker): when the sequence crosses a multiple of
# AUDIT_CHECKPOINT_EVERY, or AUDIT_CHECKPOINT_SECONDS after this process last asked for one.
# Signing waits for the commit (the entries must be visible) and costs the entries since the
# previous checkpoint, not the whole log (checkpoints.write_checkpoint(incremental=True)).
_last_checkpoint_request = [time.monotonic()]


def _maybe_checkpoint(prev_seq: int, seq: int) -> None:
    every, seconds = settings.AUDIT_CHECKPOINT_EVERY, settings.AUDIT_CHECKPOINT_SECONDS
    now = time.monotonic()
    due = (every > 0 and prev_seq // every != seq // every) or (seconds > 0 and now - _last_checkpoint_request[0] >= seconds)
    if due:
        _last_checkpoint_request[0] = now
        transaction.on_commit(_checkpoint_after_commit)


def _checkpoint_after_commit() -> None:
    try:
        checkpoints.write_checkpoint(incremental=True)
    except Exception:  # the caller's work is committed: report, never fail the request now
        logger.exception("in-process audit checkpoint failed; run `quietroom audit verify`")


# Every request that does anything appends an event, so the append is written as plain SQL
# (two round trips on PostgreSQL, no query building): lock the head row, then insert the event
# and move the head in one statement. The column list and value conversion still come from
# the model, so a new field cannot be forgotten here.

def _lock_head() -> tuple[int, str, str]:
    """(seq, hash, tag) of the chain's head, locked until the caller's transaction ends."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, hash, tag FROM {_HEAD} WHERE id = 1{lock}")
            row = cursor.fetchone()
        if row is not None:
            return int(row[0]), row[1], row[2]
        # The very first event: create the head (tagged), then lock it.
        AuditHead.objects.get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS, "tag": chain_key().head_tag(0, GENESIS)})


_HEAD = AuditHead._meta.db_table
#: (PostgreSQL) The head, locked for an append: a caller whose last statement before an append
#: can carry it ends that statement with it and hands the row to `record(locked_head=...)`.
LOCK_HEAD_SQL = f"SELECT seq, hash, tag FROM {_HEAD} WHERE id = 1 FOR UPDATE"
_INSERT, _FIELDS = insert_statement(AuditEvent)
_MOVE_HEAD = f"UPDATE {_HEAD} SET seq = %s, hash = %s, tag = %s WHERE id = 1"


@dataclass(frozen=True)
class Rider:
    """(PostgreSQL) A row that belongs to an event, written by the event's own statement: one
    round trip less on a request that writes both (a play and its watermarked delivery).

    `sql` is one data-modifying statement that reads the new event's id as
    `(SELECT id FROM appended)`, takes `params` and RETURNs `columns` (one row at most). No row
    comes back as Nones: the caller decides what that means, and raising rolls the event back
    with it."""

    sql: str
    params: list
    columns: tuple[str, ...]


def _append(event: AuditEvent, key: chain.ChainKey, rider: Rider | None = None) -> None:
    values = insert_values(event, _FIELDS)
    head = [event.seq, event.hash, key.head_tag(event.seq, event.hash)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            riding, carried, params = "", "", [*values, *head]
            if rider is not None:
                riding = f", rider AS ({rider.sql})"
                carried = "".join(f", (SELECT {column} FROM rider)" for column in rider.columns)
                params = [*values, *rider.params, *head]
            cursor.execute(f"WITH appended AS ({_INSERT} RETURNING id){riding} {_MOVE_HEAD} "
                           f"RETURNING (SELECT id FROM appended){carried}", params)
            event.id, *returned = cursor.fetchone()
            if rider is not None:
                event.rider_row = returned
        else:  # SQLite: no INSERT inside WITH; two local calls cost next to nothing
            if rider is not None:
                raise ValueError("an audit rider is written by PostgreSQL's WITH; SQLite callers write their row after")
            cursor.execute(_INSERT, values)
            event.id = cursor.lastrowid
            cursor.execute(_MOVE_HEAD, head)
    event._state.adding, event._state.db = False, connection.alias


def verify(**kwargs):
    """Recompute chain, tree and checkpoints (see verification.verify)."""
    return verification.verify(**kwargs)
