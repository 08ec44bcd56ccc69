"""Whole de-identification pipeline throughput on one core, per stage, and what it costs privacy.

Runs `quietroom.deid.pipeline.deidentify` over generated conversations and prints, for each
stage (vad, asr, pii, anonymize, redact, check: ASR + PII on the anonymised audio) and overall,
audio-seconds processed per CPU-second. Every check-pass encoder window given by --windows is
run in the same process (the first is the baseline; 30 s is Whisper's own), and for each the audio
leak rate (PII sentences spoken by synthetic voices, de-identified, then heard by the full-window
listener, as `quietroom evaluate`'s leak test does), so a faster setting that leaks more shows it
beside its speed. --first-windows does the same for the first pass (the hypothesis, where the PII
is found): every pair of first- and check-pass windows is run, the throughput runs alternated
--rounds times, and --wer N adds the first-pass WER on N real asterisk prompts (as `quietroom
evaluate` draws them) with that pass's ASR CPU per window, each prompt heard in every window in
turn. The B2 voice profile is run as the baseline of the anonymize stage.

    python bench/deid_throughput.py [--recordings 4] [--profile standard] [--windows 30,15]
                                    [--first-windows 30,15] [--rounds 1] [--leak 96] [--wer 100]
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from quietroom import testspeech  # noqa: E402
from quietroom.deid import asr  # noqa: E402
from quietroom.deid import pipeline as deid  # noqa: E402

STAGES = ("vad", "asr", "pii", "anonymize", "redact", "check")


class _FirstWindow:
    """An engine whose calls without a window (the first pass) take `window` seconds instead."""

    def __init__(self, engine, window: int):
        self._engine, self._window = engine, window

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def transcribe(self, samples, *, window=None):
        return self._engine.transcribe(samples, window=window or self._window)


@dataclasses.dataclass(frozen=True)
class BenchConfig(deid.DeidConfig):
    first_window: int | None = None  # None: the pipeline's own first pass

    def engine(self):
        engine = super().engine()
        return _FirstWindow(engine, self.first_window) if self.first_window else engine


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


def first_pass_wer(windows: list[int], n: int) -> dict:
    """window -> (WER of the first-pass hypothesis, its ASR CPU s, audio s) on `n` real prompts; each
    prompt is heard in every window in turn, so the CPU figures share the machine's load."""
    from quietroom.evaluation import corpus, metrics

    engine = asr.get_engine()
    prompts = corpus.real_english(n, seed=0)
    heard = {w: [] for w in windows}
    cpu = dict.fromkeys(windows, 0.0)
    for u in prompts:
        for w in windows:
            t = time.process_time()
            heard[w].append(engine.transcribe(u.audio, window=w).text)
            cpu[w] += time.process_time() - t
    refs = [u.text for u in prompts]
    return {w: (metrics.wer(refs, heard[w]), cpu[w], sum(u.audio.size for u in prompts) / 16000) for w in windows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recordings", type=int, default=4)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--windows", default=f"{asr.FULL_WINDOW_SECONDS},{asr.CHECK_WINDOWS['tiny.en']}",
                        help="check-pass encoder windows, seconds; the first is the baseline")
    parser.add_argument("--first-windows", default="",
                        help="first-pass encoder windows, seconds (default: the pipeline's own); every "
                             "pair with --windows is run, the first pair is the baseline")
    parser.add_argument("--rounds", type=int, default=1, help="throughput runs of every setting, alternated")
    parser.add_argument("--leak", type=int, default=96, help="spoken PII sentences for the leak test (0: skip)")
    parser.add_argument("--wer", type=int, default=0,
                        help="real asterisk prompts for the first pass's WER in each --first-windows window "
                             "(0 or no --first-windows: skip)")
    args = parser.parse_args()
    recordings = [testspeech.make_conversation(6, seed=s)[0] for s in range(args.recordings)]
    audio = sum(x.size for x in recordings) / 16000
    deid.deidentify(recordings[0][:32000], deid.DeidConfig(voice_profile=args.profile))  # load models once
    spoken = spoken_pii(args.leak) if args.leak else []
    print(f"audio: {audio:.1f} s in {len(recordings)} recordings, profile {args.profile}, load {os.getloadavg()[0]:.1f}")
    if spoken:
        print(f"leak test: {len(spoken)} spoken PII sentences, {sum(a.size for a, _w in spoken) / 16000:.0f} s, "
              f"longest {max(a.size for a, _w in spoken) / 16000:.1f} s")
    firsts = [int(w) for w in args.first_windows.split(",") if w] or [None]
    settings = list(itertools.product(firsts, [int(w) for w in args.windows.split(",")]))
    configs = [BenchConfig(voice_profile=args.profile, first_window=f, check_window=c) for f, c in settings]
    times = {s: [] for s in settings}
    for _round in range(args.rounds):
        for setting, config in zip(settings, configs):
            times[setting].append(run(config, recordings))
    first_total = None
    for (first, window), config in zip(settings, configs):
        stages, total = min(times[(first, window)], key=lambda r: r[1])  # the least disturbed round
        first_total = first_total or total
        print(f"first-pass window {first or 'default'}, check-pass window {window} s "
              f"(least of {args.rounds} alternated runs; totals {', '.join(f'{t:.2f}' for _s, t in times[(first, window)])}):")
        for stage in STAGES:
            secs = stages.get(stage, 0.0)
            print(f"  {stage:10s} {secs:7.2f} CPU s  {audio / max(secs, 1e-9):9.1f} audio-s per CPU-s")
        print(f"  {'total':10s} {total:7.2f} CPU s  {audio / total:9.1f} audio-s per CPU-s  "
              f"({first_total / total:.2f}x the first setting's throughput)")
        if spoken:
            leaked, words = leak_rate(config, spoken)
            print(f"  audio leak rate {leaked / words:.4f} ({leaked} of {words} PII words heard by the full-window listener)")
        print(f"  load {os.getloadavg()[0]:.1f}", flush=True)
    if args.wer and firsts != [None]:
        for w, (rate, cpu, secs) in first_pass_wer(firsts, args.wer).items():
            print(f"first pass, window {w} s: WER {rate:.4f} on {args.wer} real prompts ({secs:.0f} s), "
                  f"ASR {cpu:.2f} CPU s ({secs / cpu:.1f} audio-s per CPU-s)", flush=True)
    base, _ = run(deid.DeidConfig(voice_profile="b2"), recordings)
    ratio = stages["anonymize"] / max(base["anonymize"], 1e-9)
    print(f"anonymize stage vs B2 baseline in this process: {ratio:.2f}x the CPU time")


if __name__ == "__main__":
    main()
