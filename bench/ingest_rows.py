"""Ingestion of a large manifest: 1,000 rows (baseline) then 10,000 rows, on PostgreSQL.

Jobs are published to a private Redis (no worker runs), so this measures ingestion alone:
validate, resolve, decode, pseudonymise, encrypt, store, record. Prints rows per second and
the per-row cost ratio 10k / 1k (1.0 = perfectly linear).

    python bench/ingest_rows.py
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import _support


def run(controller, folder: Path, prompts: int, rows: int, prefix: str) -> float:
    from quietroom.recordings.ingest import ingest_manifest
    from quietroom.recordings.models import Recording

    lines = ["recording_id,customer_id,audio_path,locale,region,source,activation,consent,captured_at"]
    lines += [f"{prefix}-{i},cust-{i % 997},p{i % prompts}.wav,en-US,GB,assistant,wake_word,true,2026-01-01T00:00:00Z"
              for i in range(rows)]
    manifest = folder / f"{prefix}.csv"
    manifest.write_text("\n".join(lines) + "\n")
    before = Recording.objects.count()
    started = time.perf_counter()
    report = ingest_manifest(manifest, folder, controller)
    elapsed = time.perf_counter() - started
    assert report.count("accepted") == rows == Recording.objects.count() - before, report.lines()[-1]
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    # One database for both runs (Django is configured once per process); the second batch
    # lands on top of the first, which is the realistic case anyway.
    with _support.bench_environment("ingest"), _support.private_redis() as redis_url:
        from quietroom import testspeech
        from quietroom.accounts.models import Organisation

        _support.use_broker(redis_url)
        controller = Organisation.objects.create(name="Bench", kind="controller")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            prompts = testspeech.conversation_prompts()[:50]
            for i, prompt in enumerate(prompts):
                (folder / f"p{i}.wav").write_bytes(prompt.path.read_bytes())
            base = run(controller, folder, len(prompts), 1000, "base")
            big = run(controller, folder, len(prompts), args.rows, "big")
    print(f"1,000 rows: {base:.1f} s ({1000 / base:.0f} rows/s)")
    print(f"{args.rows:,} rows: {big:.1f} s ({args.rows / big:.0f} rows/s)")
    print(f"per-row cost ratio {args.rows:,} / 1,000: {(big / args.rows) / (base / 1000):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
