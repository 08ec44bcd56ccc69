"""WER counts by jiwer and the paired bootstrap over utterances."""
import numpy as np
import pytest

from quietroom.evaluation import intelligibility, metrics
from quietroom.evaluation.intelligibility import Counts


def test_counts_are_jiwer_errors_per_utterance_after_the_wer_normalisation():
    refs = ["set a timer for twenty minutes", "hello world", "please call me back"]
    hyps = ["Set a timer for 20 minutes.", "hello", "please fall me back now"]
    c = intelligibility.counts(refs, hyps)
    assert c.errors.tolist() == [0, 1, 2] and c.words.tolist() == [6, 2, 4]
    assert c.wer == pytest.approx(metrics.wer(refs, hyps)) == pytest.approx(3 / 12)


def _sample(n: int, rng) -> tuple[Counts, Counts]:
    words = rng.integers(3, 12, n).astype(float)
    orig = rng.binomial(words.astype(int), 0.05).astype(float)
    anon = orig + rng.binomial(words.astype(int), 0.15)
    return Counts(orig, words), Counts(anon, words)


def test_intervals_contain_the_point_estimates_and_narrow_with_more_utterances():
    rng = np.random.default_rng(4)
    small, large = _sample(40, rng), _sample(640, rng)
    widths = {}
    for name, (orig, anon) in (("small", small), ("large", large)):
        ci = intelligibility.paired_bootstrap(orig, anon, seed=1)
        assert ci["original"][0] <= orig.wer <= ci["original"][1]
        assert ci["anonymized"][0] <= anon.wer <= ci["anonymized"][1]
        assert ci["ratio"][0] <= anon.wer / orig.wer <= ci["ratio"][1]
        widths[name] = ci["ratio"][1] - ci["ratio"][0]
    # 16 times the utterances: about a quarter of the width (1/sqrt(16)); allow plenty of slack.
    assert widths["large"] < 0.5 * widths["small"]


def test_the_resample_is_paired():
    # Anonymised errors exactly twice the original's on every utterance: every resample has
    # ratio 2, so a paired interval is a point; unpaired draws would scatter around 2.
    rng = np.random.default_rng(0)
    orig, _ = _sample(100, rng)
    orig = Counts(orig.errors + 1, orig.words + 2)
    ci = intelligibility.paired_bootstrap(orig, Counts(2 * orig.errors, orig.words))
    assert ci["ratio"] == [2.0, 2.0]


def test_figures_name_the_listener_and_leave_an_undefined_ratio_empty():
    words = np.array([4.0, 5.0])
    perfect, some = Counts(np.zeros(2), words), Counts(np.array([1.0, 0.0]), words)
    out = intelligibility.figures(perfect, some, "_base")
    assert out["wer_original_base"] == 0.0 and out["wer_anonymized_base"] == pytest.approx(1 / 9, abs=1e-4)
    assert out["wer_ratio_base"] is None and out["wer_ratio_base_ci"][1] is None
    assert set(out) == {"wer_original_base", "wer_anonymized_base", "wer_ratio_base", "wer_original_base_ci",
                        "wer_anonymized_base_ci", "wer_ratio_base_ci"}
