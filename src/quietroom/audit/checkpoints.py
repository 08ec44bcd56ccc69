"""Signed checkpoints of the audit Merkle tree (in-process every N entries, on a schedule, on demand).

Each checkpoint is a C2SP signed note naming the tree size and root, stored with the RFC 9162
consistency proof from the previous checkpoint, so a witness holding only checkpoints can
check that the log only ever grew. Nothing is signed that the chain key does not vouch for:
the entries since the previous checkpoint must carry valid MACs and links, and end at the
head the head row's tag names. A full checkpoint (`audit checkpoint`, Celery beat, access
reports) also re-reads every older leaf and is refused when they no longer reproduce the
previous signed root. An incremental one (in-process, after appends) extends the previous
checkpoint's compact range, after checking that range against its signed root, so its cost
is the entries since then, not the whole log.
"""
from __future__ import annotations

import functools
import json
from base64 import b64encode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction

from . import chain, merkle, notes
from .common import GENESIS, chain_key
from .models import AuditCheckpoint, AuditHead

# Serialises checkpoint writers on PostgreSQL (SQLite's IMMEDIATE transactions already do):
# two writers reading the same previous checkpoint would each store a proof from it.
_LOCK_ID = 0x51A0D17  # pg_advisory_xact_lock key, any constant unique to this use


class CheckpointRefused(Exception):
    pass


@functools.lru_cache(maxsize=4)
def _signer(path: str) -> notes.Signer:
    return notes.load_signer(path)


def signer() -> notes.Signer:
    path = settings.AUDIT_SIGNING_KEY_FILE
    if not path:
        raise ImproperlyConfigured("QUIETROOM_AUDIT_SIGNING_KEY is not set: audit checkpoints cannot be signed")
    return _signer(path)


def verifier() -> notes.Verifier:
    return signer().verifier


def stored_leaves(upto: int) -> list[bytes]:
    """Stored leaf hashes of entries 1..upto, in order (gaps raise)."""
    leaves: list[bytes] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, leaf_hash FROM audit_auditevent WHERE seq <= %s ORDER BY seq", [upto])
        expected = 1
        while rows := cursor.fetchmany(10000):
            for seq, leaf in rows:
                if seq != expected or len(leaf) != 64:
                    raise CheckpointRefused(f"audit entry {expected} is missing or has no leaf hash; run `quietroom audit verify`")
                leaves.append(bytes.fromhex(leaf))
                expected += 1
    if len(leaves) != upto:
        raise CheckpointRefused(f"audit log has {len(leaves)} entries, expected {upto}; run `quietroom audit verify`")
    return leaves


def latest() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-size").first()


def write_checkpoint(*, incremental: bool = False) -> AuditCheckpoint | None:
    """Sign the current tree head; returns the newest checkpoint (None for an empty log).

    incremental: extend the previous checkpoint's compact range with the new entries instead
    of rebuilding the tree from every stored leaf (falls back to the full way when the previous
    checkpoint has no compact range).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        head = AuditHead.objects.filter(id=1).first()
        size = head.seq if head else 0
        last = latest()
        if size == 0:
            return None
        if last is not None and last.size >= size:
            return last
        key = chain_key()
        if not key.head_ok(head.seq, head.hash, head.tag):
            raise CheckpointRefused(f"the head row (entry {head.seq}) does not carry a valid tag; run `quietroom audit verify`")
        start = last.size if last else 0
        new_leaves = keyed_leaves(start, size, head.hash, key)
        tree = _extend(last, new_leaves) if incremental and last is not None else None
        if tree is not None:
            root, proof, compact = tree.root(), tree.consistency_proof(), tree.compact_range()
        else:
            full = merkle.MerkleTree(stored_leaves(start) + new_leaves)
            if last is not None and full.root(last.size).hex() != last.root_hash:
                raise CheckpointRefused(
                    f"the stored log no longer reproduces the signed checkpoint at size {last.size}; "
                    "run `quietroom audit verify`"
                )
            root, compact = full.root(size), full.compact_range(size)
            proof = full.consistency_proof(last.size, size) if last is not None else []
        note = signer().sign(notes.Checkpoint(settings.AUDIT_ORIGIN, size, root).body())
        try:
            with transaction.atomic():
                return AuditCheckpoint.objects.create(
                    size=size, root_hash=root.hex(), note=note,
                    previous_size=last.size if last else None, consistency_proof=[p.hex() for p in proof],
                    compact_range=[h.hex() for h in compact],
                )
        except IntegrityError:  # another writer signed the same size first
            return AuditCheckpoint.objects.get(size=size)


def keyed_leaves(start: int, end: int, head_hash: str, key: chain.ChainKey) -> list[bytes]:
    """Leaf hashes of entries start+1..end, each checked against its MAC and its link.

    The chain key vouches for every (hash, leaf_hash) pair and the links tie them to the entry
    at `start` and to the head, so a checkpoint is never signed over an entry someone rewrote
    or slipped in after the previous checkpoint (verify recomputes the contents as well).
    """
    leaves: list[bytes] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq, prev_hash, hash, leaf_hash, mac FROM audit_auditevent WHERE seq >= %s AND seq <= %s ORDER BY seq",
            [max(start, 1), end],
        )
        expected, prev = start + 1, GENESIS if start == 0 else None
        while rows := cursor.fetchmany(10000):
            for seq, prev_hash, digest, leaf, mac in rows:
                if seq == start:  # the entry the previous checkpoint ends with: only its hash
                    prev = digest
                    continue
                if seq != expected or prev_hash != prev or not key.entry_ok(digest, leaf, mac):
                    raise CheckpointRefused(f"audit entry {expected} is missing, out of chain or fails its MAC; "
                                            "run `quietroom audit verify`")
                leaves.append(bytes.fromhex(leaf))
                prev, expected = digest, expected + 1
    if len(leaves) != end - start or prev != head_hash:
        raise CheckpointRefused(f"audit log does not end at the head (entry {end}); run `quietroom audit verify`")
    return leaves


def _extend(last: AuditCheckpoint, new_leaves: list[bytes]) -> merkle.ExtendedTree | None:
    """The tree from `last`'s compact range plus the new leaves; None when the range cannot be
    trusted (none stored, or it does not fold to the root signed by the current key): then the
    caller rebuilds the tree from the stored leaves, which checks them against that root."""
    try:
        compact = [bytes.fromhex(h) for h in last.compact_range]
        signed = notes.verify_checkpoint(last.note, verifier())
        folded = merkle.CompactRange.from_stack(last.size, compact).root()
    except (notes.NoteError, ValueError, TypeError):
        return None
    if not compact or signed.size != last.size or folded != signed.root:
        return None
    return merkle.ExtendedTree(last.size, compact, new_leaves)


def export_for_witness() -> dict:
    """Everything a witness needs: the public key, and every checkpoint with its proof."""
    return {
        "origin": settings.AUDIT_ORIGIN,
        "public_key": verifier().encode(),
        "checkpoints": [
            {
                "size": c.size,
                "note": c.note,
                "previous_size": c.previous_size,
                "consistency_proof": [b64encode(bytes.fromhex(h)).decode() for h in c.consistency_proof],
            }
            for c in AuditCheckpoint.objects.order_by("size")
        ],
    }


def export_json() -> str:
    return "".join(iter_export_json())


def iter_export_json(chunk_size: int = 1000):
    """The witness file (`audit export-checkpoints`, the auditor's download) piece by piece:
    one checkpoint per 100 entries is a few MB per million entries, so a download streams them
    from the database instead of building the file in memory. Byte for byte what
    ``json.dumps(export_for_witness(), indent=2) + "\n"`` gives (tests/audit/test_audit_pages.py
    holds the two together). The public key is read first: without a signing key nothing is produced."""
    public_key = verifier().encode()
    yield (f'{{\n  "origin": {json.dumps(settings.AUDIT_ORIGIN)},\n  "public_key": {json.dumps(public_key)},\n'
           '  "checkpoints": [')
    rows = AuditCheckpoint.objects.order_by("size").values_list("size", "note", "previous_size", "consistency_proof")
    separator = "\n"
    for size, note, previous_size, proof in rows.iterator(chunk_size=chunk_size):
        item = {"size": size, "note": note, "previous_size": previous_size,
                "consistency_proof": [b64encode(bytes.fromhex(h)).decode() for h in proof]}
        yield separator + "\n".join("    " + line for line in json.dumps(item, indent=2).split("\n"))
        separator = ",\n"
    yield ("\n  ]" if separator != "\n" else "]") + "\n}\n"
