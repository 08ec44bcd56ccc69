"""`quietroom audit verify`: recompute every entry, the hash chain, the Merkle tree and every
signed checkpoint, check every entry's MAC and the head row under the chain key, and name the
first entry that does not fit.

One pass in sequence order over raw rows (no ORM objects: a million entries must verify in a
few seconds): per entry the canonical JSON is rebuilt from its columns and hashed; the RFC 9162
root is folded incrementally and compared with each checkpoint as its size is reached; each
checkpoint's signature and its consistency proof from the previous one are checked.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from hashlib import sha256

from django.db import connection, transaction

from . import chain, merkle, notes, triggers
from .common import ENCODER, GENESIS, HEAD_MISMATCH, chain_key
from .common import quote as _quote
from .models import AuditCheckpoint, AuditHead, AuditPrune

COLUMNS = (
    "seq, {at}, actor, actor_pseudonym, role, organisation, site, country, address, action, "
    "object_type, object_id, customer, purpose, outcome, details, salt, prev_hash, hash, "
    "leaf_hash, mac, pruned_at"
)


# The timestamp as the exact text the writer hashed (log.iso_time of a UTC datetime), built by
# the database: parsing a million datetimes in the driver costs more than the hashing.
_AT_AS_TEXT = {
    "postgresql": """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')""",
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (the ORM) or with '+00:00' (raw inserts);
    # anything else comes back as stored and goes through _iso.
    "sqlite": ("CASE length(at) WHEN 26 THEN substr(at, 1, 10) || 'T' || substr(at, 12) || '+00:00' "
               "WHEN 32 THEN substr(at, 1, 10) || 'T' || substr(at, 12) ELSE CAST(at AS TEXT) END"),
}


class _QuotedOnce(dict):
    """JSON-quoted form of each distinct value, computed on first sight (as log.canonical_bytes quotes)."""

    def __missing__(self, value: str) -> str:
        quoted = self[value] = _quote(value)
        return quoted


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    checkpoints_checked: int = 0
    unsigned_tail: int = 0  # entries after the newest checkpoint
    warnings: tuple[str, ...] = field(default=())


def _iso(value) -> str:
    if isinstance(value, str):  # SQLite hands back 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC
        text = value[:10] + "T" + value[11:]
        if "." not in text[19:]:
            text = text[:19] + ".000000" + text[19:]
        return text if text.endswith("+00:00") else text + "+00:00"
    # SQLite's converter gives naive datetimes (stored in UTC), PostgreSQL aware ones.
    return value.isoformat(timespec="microseconds") + ("" if value.tzinfo else "+00:00")


class _Checkpoints:
    """Walks the checkpoints in size order alongside the entries."""

    def __init__(self, verifier: notes.Verifier | None):
        self.rows = list(AuditCheckpoint.objects.order_by("size").values_list(
            "size", "root_hash", "note", "previous_size", "consistency_proof", "compact_range"))
        self.verifier = verifier
        self.index = 0
        self.previous: tuple[int, bytes] | None = None

    def next_size(self) -> int | None:
        return self.rows[self.index][0] if self.index < len(self.rows) else None

    def check(self, root: bytes) -> str:
        """Check the checkpoint at the current size against the recomputed root ('' = fine)."""
        size, root_hex, note, previous_size, proof, compact = self.rows[self.index]
        self.index += 1
        if root.hex() != root_hex:
            return f"the entries no longer reproduce the signed checkpoint at size {size}"
        if compact:  # what the next in-process checkpoint extends: it must fold to this root
            try:
                folded = merkle.CompactRange.from_stack(size, [bytes.fromhex(h) for h in compact]).root()
            except (ValueError, TypeError):
                folded = b""
            if folded != root:
                return f"checkpoint at size {size}: its stored compact range does not fold to its root"
        if self.verifier is not None:
            try:
                signed = notes.verify_checkpoint(note, self.verifier)
            except notes.NoteError as exc:
                return f"checkpoint at size {size}: {exc}"
            if signed.size != size or signed.root != root:
                return f"checkpoint at size {size}: the signed note names another tree"
        if self.previous is not None:
            old_size, old_root = self.previous
            if previous_size != old_size:
                return f"checkpoint at size {size} does not follow checkpoint {old_size}"
            try:
                merkle.verify_consistency(old_size, size, old_root, root, [bytes.fromhex(h) for h in proof])
            except (merkle.ProofError, ValueError) as exc:
                return f"checkpoint at size {size}: consistency with {old_size} fails ({exc})"
        self.previous = (size, root)
        return ""


def verify(
    *, verifier: notes.Verifier | None = None, check_signatures: bool = True,
    key: chain.ChainKey | None = None, check_macs: bool = True,
) -> VerifyResult:
    """Check the whole log; `key` defaults to the configured chain key (check_macs=False: a
    verifier without it checks the hashes, the tree and the signatures only)."""
    if verifier is None and check_signatures:
        from .checkpoints import verifier as current_verifier

        verifier = current_verifier()
    if key is None and check_macs:
        key = chain_key()
    # One snapshot for the head and every entry: appends running meanwhile must not look like
    # a cut tail (PostgreSQL reads each statement's own snapshot under READ COMMITTED).
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _verify(verifier, key)
    with transaction.atomic():
        return _verify(verifier, key)


def _verify(verifier: notes.Verifier | None, key: chain.ChainKey | None) -> VerifyResult:
    head = AuditHead.objects.filter(id=1).values_list("seq", "hash", "tag").first()
    checkpoints = _Checkpoints(verifier)
    boundary = max(AuditPrune.objects.values_list("upto_seq", flat=True), default=0)
    prev = GENESIS
    expected = 1
    warnings: list[str] = []
    missing = triggers.expected(connection) - triggers.installed(connection)
    if missing:
        warnings.append("append-only triggers missing: " + ", ".join(sorted(missing)))
    if key is None:
        warnings.append("entry MACs and the head tag not checked (no chain key)")
    entry_ok = key.entry_ok if key is not None else None

    def fail(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, expected - 1, seq, reason, checkpoints.index, 0, tuple(warnings))

    loads, encode, quote = json.loads, ENCODER.encode, _quote
    stack: list[bytes] = []  # RFC 9162 compact range: roots of the perfect subtrees, left to right
    size = 0
    next_checkpoint = checkpoints.next_size()
    with connection.chunked_cursor() as cursor:
        # A server-side cursor on PostgreSQL (chunked_cursor), streamed rows on SQLite. The time comes
        # back as the exact ISO text the writer hashed, so no datetime objects are built per row.
        cursor.execute(f"SELECT {COLUMNS.format(at=_AT_AS_TEXT[connection.vendor])} FROM audit_auditevent ORDER BY seq")
        # Columns with few distinct values (roles, sites, actions...) are quoted once each.
        q_role, q_org, q_site, q_country, q_action, q_otype, q_purpose, q_outcome = (_QuotedOnce() for _ in range(8))
        if hasattr(cursor.cursor, "itersize"):  # psycopg's server-side cursor: rows per round trip
            cursor.cursor.itersize = 5000
        # Iterating the cursor itself costs less per row than fetchmany's lists.
        for (seq, at, actor, pseudonym, role, org, site, country, address, action, otype, oid,
             customer, purpose, outcome, details, salt, prev_hash, stored_hash, stored_leaf, mac, pruned) in cursor.cursor:
            if seq != expected:
                return fail(seq, f"expected entry {expected}, found {seq} (entry removed or inserted)")
            if prev_hash != prev:
                return fail(seq, "previous-hash link broken (entry removed, inserted or reordered)")
            if pruned is not None:
                if seq > boundary or actor or address or action or details not in ("{}", {}):
                    return fail(seq, "entry marked as pruned outside retention, or not blank")
                leaf = bytes.fromhex(stored_leaf)
            else:
                # log.canonical_bytes, inlined: this loop runs a million times.
                if details == "{}" or details == {}:
                    details = "{}"
                else:
                    details = encode(loads(details) if isinstance(details, str) else details)
                if len(at) != 32:  # not 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00'
                    at = _iso(at)
                commitment = sha256(f"quietroom/actor/v1\n{salt}\n{actor}\n{address}".encode()).hexdigest()
                entry = (
                    f'{{"action":{q_action[action]},"actor":"{commitment}","at":{quote(at)},'
                    f'"country":{q_country[country]},"customer":{quote(customer)},"details":{details},'
                    f'"object_id":{quote(oid)},"object_type":{q_otype[otype]},"organisation":{q_org[org]},'
                    f'"outcome":{q_outcome[outcome]},"pseudonym":{quote(pseudonym)},"purpose":{q_purpose[purpose]},'
                    f'"role":{q_role[role]},"seq":{seq},"site":{q_site[site]}}}'
                ).encode()
                if sha256(f"{prev}\n".encode() + entry).hexdigest() != stored_hash:
                    return fail(seq, "contents do not match the recorded hash (entry edited)")
                leaf_h = sha256(b"\x00" + entry)
                if leaf_h.hexdigest() != stored_leaf:
                    return fail(seq, "contents do not match the recorded leaf hash (entry edited)")
                leaf = leaf_h.digest()
            if entry_ok is not None and not entry_ok(stored_hash, stored_leaf, mac):
                return fail(seq, "MAC does not match (entry rewritten with recomputed hashes, or forged, "
                                 "without the chain key)")
            if action == HEAD_MISMATCH:
                return fail(seq, "recorded on appending that the head row did not carry a valid tag: it had been "
                                 f"moved outside the application (entries after {oid or '?'} may have been cut)")
            prev = stored_hash
            # merkle.CompactRange.push, inlined: merge perfect subtrees of equal height.
            stack.append(leaf)
            carry = size
            while carry & 1:
                right = stack.pop()
                stack[-1] = sha256(b"\x01" + stack[-1] + right).digest()
                carry >>= 1
            size += 1
            while next_checkpoint == seq:
                problem = checkpoints.check(merkle.CompactRange.from_stack(size, stack).root())
                if problem:
                    start = checkpoints.previous[0] + 1 if checkpoints.previous else 1
                    return fail(start, f"{problem} (an entry in {start}..{seq} was rewritten with its hashes)")
                next_checkpoint = checkpoints.next_size()
            expected += 1
    count = expected - 1
    pending = checkpoints.next_size()
    if pending is not None:
        return fail(count + 1, f"checkpoint at size {pending} was signed but only {count} entries remain (entries removed)")
    problem = _head_problem(head, count, prev, key)
    if problem:
        return fail(*problem)
    signed = checkpoints.previous[0] if checkpoints.previous else 0
    return VerifyResult(True, count, None, "", checkpoints.index, count - signed, tuple(warnings))


def _head_problem(head: tuple[int, str, str] | None, count: int, last_hash: str, key: chain.ChainKey | None):
    """(seq, reason) when the head row does not name the newest entry, or is not authentic."""
    if head is None:
        return (1, "the head row is missing but the log has entries") if count else None
    seq, digest, tag = head
    if seq > count:
        return (count + 1, f"the head names entry {seq} but the log ends at entry {count}: "
                           f"entries {count + 1}..{seq} were removed (tail cut)")
    if seq < count:
        return (seq + 1, f"the log continues after the head (entry {seq}): entries {seq + 1}..{count} "
                         "were appended outside the application")
    if digest != last_hash:
        return (count, "the newest entry is not the one the head names (replaced)")
    if key is not None and not key.head_ok(seq, digest, tag):
        return (count + 1, f"the head row does not carry a valid tag: it was moved outside the application "
                           f"(entries after {seq} may have been cut)")
    return None
