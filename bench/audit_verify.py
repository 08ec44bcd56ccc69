"""Benchmark: `audit verify` over N audit events (default 1,000,000; target under 10 s on one core).

Bulk-generates well-formed entries straight into a fresh SQLite database (hash chain, leaf
hashes, chain MACs and head tag, signed checkpoints every quarter), then times the full verification. The baseline,
run in the same process, is the bare minimum any verifier must do: one SHA-256 per entry over
its canonical bytes, already in memory. The ratio says what reading, rebuilding the canonical
JSON, the chain, the tree and the checkpoints cost on top.

    python bench/audit_verify.py [--events 1000000]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone


def setup_django() -> None:
    folder = tempfile.mkdtemp(prefix="qr-bench-audit-")
    os.environ["QUIETROOM_DATA_DIR"] = folder
    os.environ["QUIETROOM_MODE"] = "test"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quietroom.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(n: int, checkpoint_every: int) -> list[bytes]:
    from django.db import connection, transaction

    from quietroom.audit.checkpoints import write_checkpoint
    from quietroom.audit.common import GENESIS, chain_key
    from quietroom.audit.log import actor_commitment, canonical_bytes
    from quietroom.audit.models import AuditHead

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    prev = GENESIS
    key = chain_key()
    entries: list[bytes] = []
    sql = ("INSERT INTO audit_auditevent (seq, at, actor, actor_pseudonym, role, organisation, site, country, address, "
           "action, object_type, object_id, customer, purpose, outcome, details, salt, prev_hash, hash, leaf_hash, mac) "
           "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    batch = []
    for seq in range(1, n + 1):
        at = start + timedelta(milliseconds=seq)
        actor, address, salt = f"reviewer{seq % 500}", "10.0.0.1", f"{seq:032x}"
        pseudonym, customer, object_id = f"r_{seq % 500:016x}", f"c_{seq % 20000:040x}", f"{seq:032x}"
        entry = canonical_bytes(seq, at.isoformat(timespec="microseconds"), actor_commitment(actor, address, salt),
                                pseudonym, "reviewer", "Vendor A", "Leeds", "GB", "snippet.play", "snippet",
                                object_id, customer, "transcription", "ok", {})
        digest = hashlib.sha256(prev.encode() + b"\n" + entry).hexdigest()
        leaf = hashlib.sha256(b"\x00" + entry).hexdigest()
        batch.append((seq, at, actor, pseudonym, "reviewer", "Vendor A", "Leeds", "GB", address, "snippet.play",
                      "snippet", object_id, customer, "transcription", "ok", "{}", salt, prev, digest,
                      leaf, key.entry_mac(digest, leaf)))
        entries.append(entry)
        prev = digest
        if len(batch) == 20000 or seq == n:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
                AuditHead.objects.update_or_create(id=1, defaults={"seq": seq, "hash": prev, "tag": key.head_tag(seq, prev)})
            batch = []
            if seq % checkpoint_every == 0 or seq == n:
                write_checkpoint()
    return entries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django()
    from quietroom.audit.verification import verify

    t = time.perf_counter()
    entries = generate(args.events, max(args.events // 4, 1))
    print(f"generated {args.events:,} entries with checkpoints in {time.perf_counter() - t:.1f} s")

    # Wall time and CPU time of this one thread ("on one core"): on a loaded machine the wall
    # clock also counts the time other processes held the core.
    wall, cpu = time.perf_counter(), time.process_time()
    for entry in entries:
        hashlib.sha256(b"\x00" + entry).digest()
    baseline_wall, baseline_cpu = time.perf_counter() - wall, time.process_time() - cpu

    wall, cpu = time.perf_counter(), time.process_time()
    result = verify()
    elapsed_wall, elapsed_cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.ok and result.checked == args.events, result
    load = os.getloadavg()[0]
    print(f"load average (1 min): {load:.2f} on {os.cpu_count()} cores")
    print(f"baseline (one SHA-256 per entry, in memory): {baseline_cpu:.2f} s CPU ({baseline_wall:.2f} s wall)")
    print(f"audit verify ({result.checked:,} entries, {result.checkpoints_checked} signed checkpoints): "
          f"{elapsed_cpu:.2f} s CPU ({elapsed_wall:.2f} s wall)")
    met = elapsed_cpu < 10
    print(f"ratio verify/baseline: {elapsed_cpu / baseline_cpu:.1f}x CPU ({elapsed_wall / baseline_wall:.1f}x wall); "
          f"target under 10 s on one core (CPU): {'met' if met else 'MISSED'}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
