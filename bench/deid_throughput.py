"""Whole de-identification pipeline throughput on one core, per stage, and what it costs privacy.

Runs `quietroom.deid.pipeline.deidentify` over generated conversations and prints, for each
stage (vad, asr, pii, anonymize, redact, check: ASR + PII on the anonymised audio) and overall,
audio-seconds processed per CPU-second. Every check-pass encoder window given by --windows is
run in the same process (the first is the baseline; 30 s is Whisper's own), and for each the audio
leak rate (PII sentences spoken by synthetic voices, de-identified, then heard by the full-window
listener, as `quietroom evaluate`'s leak test does), so a faster setting that leaks more shows it
beside its speed. The B2 voice profile is run as the baseline of the
anonymize stage.

    python bench/deid_throughput.py [--recordings 4] [--profile standard] [--windows 30,15]
                                    [--leak 96]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from quietroom import testspeech  # noqa: E402
from quietroom.deid import asr  # noqa: E402
from quietroom.deid import pipeline as deid  # noqa: E402

STAGES = ("vad", "asr", "pii", "anonymize", "redact", "check")


def run(config: deid.DeidConfig, recordings: list[np.ndarray]) -> tuple[dict, float]:
    clock = deid.StageClock()
    t = time.process_time()
    for x in recordings:
        deid.deidentify(x, config, rng=np.random.default_rng(0), clock=clock)
    return dict(clock.seconds), time.process_time() - t


def spoken_pii(sentences: int) -> list[tuple]:
    """(audio, PII words) of `sentences` spoken-style PII sentences, synthetic voices in turn."""
    from quietroom.evaluation import metrics, piiset

    voices = list(testspeech.synthetic_voices())
    labelled = [s for s in piiset.generate(max(sentences * 2, 200), seed=0) if s.spans and s.style == "spoken"]
    return [(voices[k % len(voices)][1](s.text), metrics.pii_tokens(s.text, s.spans))
            for k, s in enumerate(labelled[:sentences])]


def leak_rate(config: deid.DeidConfig, spoken: list[tuple]) -> tuple[int, int]:
    """(PII words the full-window listener still hears in the de-identified audio, PII words)."""
    from quietroom.evaluation import metrics

    listener = asr.get_engine()
    rng = np.random.default_rng(2)
    leaked = total = 0
    for audio, words in spoken:
        out, *_ = deid.deidentify_snippet(audio, config, rng)
        leaked += metrics.leaked(words, listener.transcribe(out).text)  # Whisper's own window
        total += len(words)
    return leaked, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recordings", type=int, default=4)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--windows", default=f"{asr.FULL_WINDOW_SECONDS},{asr.CHECK_WINDOWS['tiny.en']}",
                        help="check-pass encoder windows, seconds; the first is the baseline")
    parser.add_argument("--leak", type=int, default=96, help="spoken PII sentences for the leak test (0: skip)")
    args = parser.parse_args()
    recordings = [testspeech.make_conversation(6, seed=s)[0] for s in range(args.recordings)]
    audio = sum(x.size for x in recordings) / 16000
    deid.deidentify(recordings[0][:32000], deid.DeidConfig(voice_profile=args.profile))  # load models once
    spoken = spoken_pii(args.leak) if args.leak else []
    print(f"audio: {audio:.1f} s in {len(recordings)} recordings, profile {args.profile}, load {os.getloadavg()[0]:.1f}")
    first_total = None
    for window in [int(w) for w in args.windows.split(",")]:
        config = deid.DeidConfig(voice_profile=args.profile, check_window=window)
        stages, total = run(config, recordings)
        first_total = first_total or total
        print(f"check-pass window {window} s:")
        for stage in STAGES:
            secs = stages.get(stage, 0.0)
            print(f"  {stage:10s} {secs:7.2f} CPU s  {audio / max(secs, 1e-9):9.1f} audio-s per CPU-s")
        print(f"  {'total':10s} {total:7.2f} CPU s  {audio / total:9.1f} audio-s per CPU-s  "
              f"({first_total / total:.2f}x the first window's throughput)")
        if spoken:
            leaked, words = leak_rate(config, spoken)
            print(f"  audio leak rate {leaked / words:.4f} ({leaked} of {words} PII words heard by the full-window listener)")
        print(f"  load {os.getloadavg()[0]:.1f}", flush=True)
    base, _ = run(deid.DeidConfig(voice_profile="b2"), recordings)
    ratio = stages["anonymize"] / max(base["anonymize"], 1e-9)
    print(f"anonymize stage vs B2 baseline in this process: {ratio:.2f}x the CPU time")


if __name__ == "__main__":
    main()
