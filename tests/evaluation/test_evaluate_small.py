"""A tiny-scale run of the whole evaluation: every key present, every figure a fraction."""
import json

import pytest

from quietroom.evaluation import report
from quietroom.evaluation.run import EvalScale, evaluate

pytestmark = pytest.mark.system  # whole processes: runs once, on PostgreSQL


@pytest.fixture(scope="module")
def small_run_with_progress():
    heard = []
    # Every stage at its smallest that still measures something: 3 speakers (the semi-informed
    # attacker trains on some and is scored on others), 3 real utterances per listener, one
    # leak sentence per profile.
    run = evaluate(EvalScale(speakers=3, per_speaker=3, pii_sentences=20, leak_sentences=1, seed=1, wer_utterances=3,
                             attacker_keys=1),
                   progress=lambda stage, done, total: heard.append((stage, done, total)))
    return run, heard


@pytest.fixture(scope="module")
def small_run(small_run_with_progress):
    return small_run_with_progress[0]


def test_every_stage_reports_each_item_as_it_is_done(small_run_with_progress):
    _, heard = small_run_with_progress
    stages = list(dict.fromkeys(stage for stage, _, _ in heard))
    per_profile = ["anonymising and embedding ({p})", "Kerckhoffs attacker enrolment ({p})",
                   "Kerckhoffs attacker trials ({p})", "anonymising real speech ({p})",
                   "transcribing anonymised ({p}, tiny.en)", "transcribing anonymised ({p}, base)", "audio leak test ({p})"]
    # the attacker's own voices and the spoken PII sentences are the same for every profile: made once
    assert stages == ["embedding original voices", "Kerckhoffs attacker's own voices", "transcribing originals (tiny.en)",
                      "transcribing originals (base)", "PII detection", "speaking PII sentences",
                      *(s.format(p="standard") for s in per_profile),
                      *(s.format(p="b2") for s in per_profile)]
    for stage in stages:
        counts = [(done, total) for s, done, total in heard if s == stage]
        total = counts[0][1]
        assert counts == [(done, total) for done in range(total + 1)], stage
    # pii_sentences=20 are drawn and each written in both styles (written, spoken): 40 detected
    assert ("embedding original voices", 9, 9) in heard and ("PII detection", 40, 40) in heard
    assert ("Kerckhoffs attacker's own voices", 9, 9) in heard and ("audio leak test (b2)", 1, 1) in heard
    assert ("transcribing originals (base)", 3, 3) in heard


def test_every_figure_is_a_fraction_for_both_systems(small_run):
    figures, _ = small_run
    for block in (figures, figures["baseline"]):
        for key in report.KEYS:
            assert 0.0 <= block[key] <= 1.0, key
    assert figures["setup"]["speakers"] == 3 and figures["setup"]["utterances"] == 9
    assert figures["setup"]["wer_utterances"] == 3 and figures["setup"]["wer_speakers"] == 1
    # Original speech is easy to re-identify; the same embeddings scored against themselves
    # must be nearly perfect or the attack harness is broken.
    assert figures["eer_original"] <= 0.2


def test_report_writes_json_markdown_html_and_plots(small_run, tmp_path):
    figures, extras = small_run
    paths = report.write(tmp_path, figures, extras)
    assert json.loads((tmp_path / "evaluation.json").read_text())["baseline"]["eer_semi_informed"] >= 0
    assert (tmp_path / "det_semi_informed.png").read_bytes()[:4] == b"\x89PNG"
    md = (tmp_path / "report.md").read_text()
    assert "eer_lazy_informed" in md and "eer_informed_normalizing" in md and "| Kerckhoffs strategy |" in md
    assert "| standard |" in md and "| b2 |" in md  # the frontier table
    assert "<script" not in (tmp_path / "report.html").read_text()
    assert all(p.exists() for p in paths)


def test_wer_under_both_listeners_with_intervals_and_the_kerckhoffs_attacker(small_run):
    figures, extras = small_run
    for block in (figures, figures["baseline"]):
        for suffix in ("", "_base"):
            for side in ("original", "anonymized"):
                lo, hi = block[f"wer_{side}{suffix}_ci"]
                assert lo <= block[f"wer_{side}{suffix}"] <= hi
            assert len(block[f"wer_ratio{suffix}_ci"]) == 2
        # the original speech is the same for both systems: the same hypotheses, the same WER
        assert block["wer_original_base"] == figures["wer_original_base"]
        k = block["kerckhoffs"]
        assert set(k["strategies"]) == {"keys", "keys_pitch", "keys_pitch_lda", "own_pitch", "inverse_bank"}
        assert block["eer_informed_normalizing"] == min(k["strategies"].values()) and k["keys"] == 1
    assert figures["kerckhoffs"]["bank_size"] == 10 and figures["baseline"]["kerckhoffs"]["bank_size"] == 2
    assert set(figures["profiles"]) == {"standard", "b2"}
    assert figures["profiles"]["b2"]["eer_lazy_informed"] == figures["baseline"]["eer_lazy_informed"]
    assert "informed_normalizing" in extras["scores"]
    # the per-entity PII recall per style stays
    assert figures["pii"]["spoken"]["entities"] and figures["pii"]["written"]["entities"]
