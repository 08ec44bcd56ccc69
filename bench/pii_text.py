"""The text pass of PII detection (`quietroom.deid.pii.detect`), per sentence, on one core.

Runs detection over the generated labelled set (`evaluation/piiset.py`, both styles) and over
whole-recording texts (20 sentences joined, as the pipeline detects on a recording's joined
hypothesis), best of --rounds, CPU time. Prints milliseconds per sentence for the whole pass,
for spaCy's NLP pass alone (Presidio runs it once per text for every recognizer) and for each
recognizer given spaCy's result, and the ratio of the whole pass to the spaCy pass.

    python bench/pii_text.py [--sentences 300] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from quietroom.deid import pii  # noqa: E402
from quietroom.deid.pii import engine  # noqa: E402
from quietroom.evaluation import piiset  # noqa: E402


def best_of(rounds: int, fn) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=300, help="generated sentences per style")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = [s.text for s in piiset.generate(args.sentences, seed=1)]
    long_texts = [" ".join(texts[i : i + 20]) for i in range(0, len(texts), 20)]
    started = time.perf_counter()
    pii.detect("my name is kwame asante and I live at 22 acacia avenue leeds")
    print(f"start-up (analyzer, spaCy, word lists): {time.perf_counter() - started:.1f} s")
    analyzer, nlp_name = engine._analyzer()
    nlp = analyzer.nlp_engine

    whole = best_of(args.rounds, lambda: [pii.detect(t) for t in texts])
    spacy_only = best_of(args.rounds, lambda: [nlp.process_text(t, "en") for t in texts])
    long_whole = best_of(args.rounds, lambda: [pii.detect(t) for t in long_texts])
    per = lambda secs: 1000 * secs / len(texts)  # noqa: E731
    print(f"{len(texts)} sentences ({args.sentences} per style), NLP {nlp_name}, best of {args.rounds}, CPU time:")
    print(f"  detect, whole pass      {per(whole):7.3f} ms per sentence")
    print(f"  spaCy NLP pass alone    {per(spacy_only):7.3f} ms per sentence")
    artifacts = [(t, nlp.process_text(t, "en")) for t in texts]
    for recognizer in analyzer.registry.recognizers:
        secs = best_of(args.rounds, lambda r=recognizer: [r.analyze(t, list(pii.ENTITIES), a) for t, a in artifacts])
        print(f"    {recognizer.name:28s} {per(secs):7.3f} ms per sentence")
    print(f"  joined recordings (20 sentences each): {per(long_whole):7.3f} ms per sentence")
    print(f"whole pass / spaCy pass: {whole / spacy_only:.2f}x")


if __name__ == "__main__":
    main()
