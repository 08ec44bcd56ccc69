"""Whole de-identification pipeline throughput on one core, per stage.

Runs `quietroom.deid.pipeline.deidentify` over generated conversations and prints, for each
stage (vad, asr, pii, anonymize, redact, check: ASR + PII on the anonymised audio) and overall, audio-seconds processed per CPU-second.
Also runs the B2 voice profile in the same process as the baseline for the anonymize stage.

    python bench/deid_throughput.py [--recordings 4] [--profile standard]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from quietroom import testspeech  # noqa: E402
from quietroom.deid import pipeline as deid  # noqa: E402


def run(profile: str, recordings: list[np.ndarray]) -> tuple[dict, float]:
    clock = deid.StageClock()
    config = deid.DeidConfig(voice_profile=profile)
    t = time.process_time()
    for x in recordings:
        deid.deidentify(x, config, rng=np.random.default_rng(0), clock=clock)
    return dict(clock.seconds), time.process_time() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recordings", type=int, default=4)
    parser.add_argument("--profile", default="standard")
    args = parser.parse_args()
    recordings = [testspeech.make_conversation(6, seed=s)[0] for s in range(args.recordings)]
    audio = sum(x.size for x in recordings) / 16000
    deid.deidentify(recordings[0][:32000], deid.DeidConfig(voice_profile=args.profile))  # load models once
    stages, total = run(args.profile, recordings)
    base, _ = run("b2", recordings)
    print(f"audio: {audio:.1f} s in {len(recordings)} recordings, profile {args.profile}")
    for stage in ("vad", "asr", "pii", "anonymize", "redact", "check"):
        secs = stages.get(stage, 0.0)
        print(f"  {stage:10s} {secs:7.2f} CPU s  {audio / max(secs, 1e-9):9.1f} audio-s per CPU-s")
    print(f"  {'total':10s} {total:7.2f} CPU s  {audio / total:9.1f} audio-s per CPU-s")
    ratio = stages["anonymize"] / max(base["anonymize"], 1e-9)
    print(f"anonymize stage vs B2 baseline in this process: {ratio:.2f}x the CPU time")


if __name__ == "__main__":
    main()
