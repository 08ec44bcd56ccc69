"""Benchmark: erase a customer with N snippets (default 10,000).

Targets: unreadable in under 1 s (the key-destruction step), fully purged in under 60 s.
Snippets are sealed for real (AES-GCM under the customer's key, blobs in the local store) but
generated directly, without the audio pipeline. The baseline, in the same process, is deleting
the same number of blobs from the store without touching the database.

    python bench/erasure.py [--snippets 10000]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone


def setup_django() -> None:
    os.environ["QUIETROOM_DATA_DIR"] = tempfile.mkdtemp(prefix="qr-bench-erasure-")
    os.environ["QUIETROOM_MODE"] = "test"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quietroom.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_customer(controller, customer_id: str, snippets: int, per_recording: int = 50):
    from django.db import transaction

    from quietroom import content
    from quietroom.recordings.models import IngestBatch, Recording, Snippet
    from quietroom.recordings.pseudonyms import customer_pseudonym

    key = content.customer_key_row(customer_pseudonym(controller.id, customer_id))
    batch = IngestBatch.objects.create(controller=controller, manifest_name="bench", manifest_sha256="0" * 64)
    audio = os.urandom(16000)  # stands in for a short WAV: only ciphertext is stored
    made = 0
    while made < snippets:
        with transaction.atomic():
            recording = Recording.objects.create(
                external_id=f"{customer_id}-{made}", controller=controller, customer_key=key, batch=batch,
                locale="en-US", region="GB", source="assistant", activation="wake_word",
                captured_at=datetime(2026, 1, 1, tzinfo=timezone.utc), duration_seconds=60.0, status="processed",
            )
            rows = []
            for index in range(min(per_recording, snippets - made)):
                snippet = Snippet(recording=recording, index=index, start_seconds=index, end_seconds=index + 1, locale="en-US")
                content.seal_snippet_audio(snippet, key, audio)
                rows.append(snippet)
            Snippet.objects.bulk_create(rows)
            made += len(rows)
    return key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snippets", type=int, default=10_000)
    args = parser.parse_args()
    setup_django()
    from quietroom import content
    from quietroom.accounts.models import Organisation
    from quietroom.audit.log import Actor
    from quietroom.privacy.erasure import erase_customer
    from quietroom.recordings.models import CustomerKey, Snippet

    controller = Organisation.objects.create(name="Bench Voice", kind="controller")
    t = time.perf_counter()
    key = make_customer(controller, "bench-baseline", args.snippets)
    print(f"sealed {args.snippets:,} snippets in {time.perf_counter() - t:.1f} s")
    store = content.blob_store()
    blob_keys = list(Snippet.objects.filter(recording__customer_key=key).values_list("blob_key", flat=True))
    t = time.perf_counter()
    for blob in blob_keys:
        store.delete(blob)
    baseline = time.perf_counter() - t

    key = make_customer(controller, "bench-erased", args.snippets)
    erased_blobs = list(Snippet.objects.filter(recording__customer_key=key).values_list("blob_key", flat=True))
    unreadable_at = {}
    start = time.perf_counter()

    def mark(step):
        if step == "key_destroyed":
            unreadable_at["t"] = time.perf_counter() - start

    request = erase_customer(controller, "bench-erased", Actor(name="bench"), after_step=mark)
    total = time.perf_counter() - start
    assert request.step == "done" and CustomerKey.objects.get(pk=key.pk).wrapped_key is None
    assert not Snippet.objects.filter(recording__customer_key=key).exists()
    assert not any(store.exists(b) for b in erased_blobs)
    print(f"baseline (delete {args.snippets:,} blobs only): {baseline:.2f} s")
    print(f"unreadable after {unreadable_at['t']:.3f} s (target < 1 s): {'met' if unreadable_at['t'] < 1 else 'MISSED'}")
    print(f"fully purged after {total:.2f} s (target < 60 s): {'met' if total < 60 else 'MISSED'}; "
          f"ratio purge/baseline: {total / baseline:.1f}x; removed {request.removed}")
    sys.exit(0 if unreadable_at["t"] < 1 and total < 60 else 1)


if __name__ == "__main__":
    main()
