"""Which Whisper model should write the pipeline's hypothesis: tiny.en or base (issue 18)?

Both run the whole snippet path (`deid.pipeline.deidentify_snippet`: ASR, PII, voice, bleeps,
check pass, all with the model under test) in one process, on:

- real recorded English (`evaluation.corpus.real_english`, asterisk prompts of 1-10 s with
  transcripts): WER of the redacted hypothesis a reviewer is given, with paired bootstrap
  95 % intervals over utterances, and CPU seconds per snippet (`time.process_time`, one
  thread);
- PII sentences spoken by the synthetic voices (the spoken style of the generated set): the
  audio leak rate, PII words still recognisable in the output. The judge is the same for both
  (Whisper base, the stronger listener), so only the hypothesis engine differs.

    python bench/asr_hypothesis_engine.py [--utterances 100] [--leak-sentences 20] [--seed 0]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402

from quietroom import testspeech  # noqa: E402
from quietroom.deid import asr  # noqa: E402
from quietroom.deid import pipeline as deid  # noqa: E402
from quietroom.evaluation import corpus, intelligibility, metrics, piiset  # noqa: E402

MODELS = ("tiny.en", "base")


def run(model: str, real, leak_sentences, voices, judge, seed: int) -> dict:
    config = deid.DeidConfig(asr_model=model)
    rng = np.random.default_rng(seed)
    hyps, cpu = [], 0.0
    for u in real:
        started = time.process_time()
        _audio, hypothesis, *_ = deid.deidentify_snippet(u.audio, config, rng)
        cpu += time.process_time() - started
        hyps.append(hypothesis)
    words = leaked = 0
    for k, s in enumerate(leak_sentences):
        _name, speak = voices[k % len(voices)]
        out, *_ = deid.deidentify_snippet(speak(s.text), config, rng)
        pii_words = metrics.pii_tokens(s.text, s.spans)
        words += len(pii_words)
        leaked += metrics.leaked(pii_words, judge.transcribe(out).text)
    return {"counts": intelligibility.counts([u.text for u in real], hyps), "cpu_per_snippet": cpu / len(real),
            "leaked": leaked, "pii_words": words}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--utterances", type=int, default=100)
    parser.add_argument("--leak-sentences", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    real = corpus.real_english(args.utterances, args.seed)
    labelled = piiset.generate(max(50, args.leak_sentences * 2), seed=args.seed)
    leak_sentences = [s for s in labelled if s.spans and s.style == "spoken"][: args.leak_sentences]
    voices = testspeech.synthetic_voices()
    judge = asr.get_engine(model="base")
    for model in MODELS:  # load every model (and the PII engine) before the clock runs
        deid.deidentify_snippet(real[0].audio, deid.DeidConfig(asr_model=model), np.random.default_rng(0))
    results = {model: run(model, real, leak_sentences, voices, judge, args.seed) for model in MODELS}
    tiny, base = results["tiny.en"], results["base"]
    ci = intelligibility.paired_bootstrap(tiny["counts"], base["counts"], seed=args.seed)
    print(f"real English: {len(real)} snippets (asterisk en-US prompts, one speaker); "
          f"leak: {len(leak_sentences)} PII sentences, judged by Whisper base")
    for model, r, interval in (("tiny.en", tiny, ci["original"]), ("base", base, ci["anonymized"])):
        print(f"  {model:8s} hypothesis WER {r['counts'].wer:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]   "
              f"leak {r['leaked']}/{r['pii_words']} = {r['leaked'] / max(1, r['pii_words']):.3f}   "
              f"CPU {r['cpu_per_snippet']:.2f} s per snippet")
    ratio = base["counts"].wer / tiny["counts"].wer if tiny["counts"].wer else float("inf")
    lo, hi = ci["ratio"]
    print(f"base vs tiny.en in this process: WER {ratio:.2f}x [{lo}, {hi}] (paired), "
          f"leak {base['leaked']} vs {tiny['leaked']} words, CPU {base['cpu_per_snippet'] / tiny['cpu_per_snippet']:.2f}x")


if __name__ == "__main__":
    main()
