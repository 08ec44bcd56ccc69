"""WER on real recorded speech, original against anonymised, with paired bootstrap intervals.

Each utterance's errors and reference words are counted once with jiwer (after the same
normalisation as `metrics.wer`); the corpus WER is their sums' ratio, so resampling utterances
and summing again *is* recomputing the corpus-level WER on the resample. Original and
anonymised are resampled together (the same utterances in each draw), which is what makes the
interval of their ratio meaningful: an utterance hard for the listener is hard on both sides.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import metrics

RESAMPLES = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class Counts:
    """Per-utterance word errors (S + D + I) and reference words."""

    errors: np.ndarray
    words: np.ndarray

    @property
    def wer(self) -> float:
        return float(self.errors.sum() / max(1, self.words.sum()))


def counts(references: list[str], hypotheses: list[str]) -> Counts:
    """Errors and reference words per utterance, by jiwer; an empty reference counts nothing
    (as `metrics.wer` drops it)."""
    import jiwer

    errors, words = [], []
    for ref, hyp in zip(references, hypotheses, strict=True):
        r, h = metrics.normalise(metrics._small_number_words(ref)), metrics.normalise(metrics._small_number_words(hyp))
        if not r:
            errors.append(0)
            words.append(0)
            continue
        out = jiwer.process_words(r, h)
        errors.append(out.substitutions + out.deletions + out.insertions)
        words.append(out.substitutions + out.deletions + out.hits)
    return Counts(np.array(errors, dtype=float), np.array(words, dtype=float))


def _interval(values: np.ndarray, level: float) -> list[float]:
    tail = (1 - level) / 2 * 100
    # Order statistics, no interpolation: a ratio can be infinite, and inf - inf is no bound.
    bounds = np.percentile(values, [tail, 100 - tail], method="inverted_cdf")
    # An unbounded end (ratios over draws without original errors) is written as null in JSON.
    return [round(float(b), 4) if np.isfinite(b) else None for b in bounds]


def paired_bootstrap(original: Counts, anonymised: Counts, resamples: int = RESAMPLES, seed: int = 0,
                     level: float = LEVEL) -> dict:
    """Percentile intervals of the original WER, the anonymised WER and their ratio, from
    `resamples` draws of the utterances with replacement (the same draw for both sides)."""
    n = original.errors.size
    if n != anonymised.errors.size or n == 0:
        raise ValueError("need the same, non-empty list of utterances on both sides")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(resamples, n))
    words = original.words[picks].sum(axis=1)
    words = np.maximum(words, 1)  # a draw of only empty references: WER 0, not a division by zero
    wer_o = original.errors[picks].sum(axis=1) / words
    wer_a = anonymised.errors[picks].sum(axis=1) / words
    # A draw where the original makes no error has no finite ratio; it counts as the largest.
    ratio = np.where(wer_o > 0, wer_a / np.where(wer_o > 0, wer_o, 1), np.inf)
    return {"original": _interval(wer_o, level), "anonymized": _interval(wer_a, level),
            "ratio": _interval(ratio, level)}


def figures(original: Counts, anonymised: Counts, suffix: str = "", seed: int = 0) -> dict:
    """JSON keys for one listener: wer_original{suffix}, wer_anonymized{suffix}, wer_ratio{suffix}
    and the three `_ci` intervals."""
    ci = paired_bootstrap(original, anonymised, seed=seed)
    wer_o, wer_a = original.wer, anonymised.wer
    return {f"wer_original{suffix}": round(wer_o, 4), f"wer_anonymized{suffix}": round(wer_a, 4),
            f"wer_ratio{suffix}": round(wer_a / wer_o, 3) if wer_o else None,
            f"wer_original{suffix}_ci": ci["original"], f"wer_anonymized{suffix}_ci": ci["anonymized"],
            f"wer_ratio{suffix}_ci": [None if v is None else round(v, 3) for v in ci["ratio"]]}
