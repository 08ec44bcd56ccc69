"""Pipeline throughput with 1 and then 2 Celery workers (one process each): the scaling ratio.

The same recordings are ingested into a fresh database for each run; the clock runs from the
first job published to the last recording processed. Prints audio-seconds processed per
wall-second for each worker count and the ratio 2 workers / 1 worker (ideal: 2.0 on a machine
with two free cores).

    python bench/pipeline_scaling.py --recordings 8
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import _support


def run(controller, workers: int, recordings: int, seconds_each: float, redis_url: str) -> tuple[float, float]:
    import numpy as np

    from quietroom import testspeech
    from quietroom.recordings.ingest import ingest_manifest
    from quietroom.recordings.models import Recording

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = ["recording_id,customer_id,audio_path,locale,region,source,activation,consent,captured_at"]
        for i in range(recordings):
            pieces, total = [], 0.0
            while total < seconds_each:
                samples, rate, _ = testspeech.make_conversation(6, seed=1000 + i * 10 + len(pieces))
                pieces.append(samples)
                total += len(samples) / rate
            testspeech.write_audio(folder / f"r{i}.flac", np.concatenate(pieces), 16000, "flac")
            rows.append(f"w{workers}-r{i},c{i % 3},r{i}.flac,en-US,GB,assistant,wake_word,true,2026-01-01T00:00:00Z")
        (folder / "m.csv").write_text("\n".join(rows) + "\n")
        worker_procs = [_support.start_worker(redis_url) for _ in range(workers)]
        try:
            time.sleep(8)  # let workers boot and load models before the clock starts
            started = time.perf_counter()
            report = ingest_manifest(folder / "m.csv", folder, controller)
            mine = Recording.objects.filter(batch_id=report.batch_id)
            deadline = time.monotonic() + 1800
            while mine.exclude(status="processed").exists():
                if time.monotonic() > deadline:
                    raise SystemExit("pipeline did not finish within 30 minutes")
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
        finally:
            for proc in worker_procs:
                _support.stop(proc)
        audio = sum(mine.values_list("duration_seconds", flat=True))
    return audio, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=8)
    parser.add_argument("--seconds-each", type=float, default=30.0)
    args = parser.parse_args()
    results = {}
    with _support.bench_environment("pipeline"), _support.private_redis() as redis_url:
        from quietroom.accounts.models import Organisation

        _support.use_broker(redis_url)
        controller = Organisation.objects.create(name="Bench", kind="controller")
        runs = {workers: run(controller, workers, args.recordings, args.seconds_each, redis_url) for workers in (1, 2)}
    for workers, (audio, elapsed) in runs.items():
        results[workers] = audio / elapsed
        print(f"{workers} worker(s): {audio:.0f} s of audio in {elapsed:.1f} s = {results[workers]:.2f} audio-s per wall-s")
    print(f"scaling ratio (2 workers / 1 worker): {results[2] / results[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
