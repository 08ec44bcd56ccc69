"""A tiny-scale run of the whole evaluation: every key present, every figure a fraction."""
import json

import pytest

from quietroom.evaluation import report
from quietroom.evaluation.run import EvalScale, evaluate

pytestmark = pytest.mark.system  # whole processes: runs once, on PostgreSQL


@pytest.fixture(scope="module")
def small_run_with_progress():
    heard = []
    run = evaluate(EvalScale(speakers=3, per_speaker=4, pii_sentences=40, leak_sentences=2, seed=1),
                   progress=lambda stage, done, total: heard.append((stage, done, total)))
    return run, heard


@pytest.fixture(scope="module")
def small_run(small_run_with_progress):
    return small_run_with_progress[0]


def test_every_stage_reports_each_item_as_it_is_done(small_run_with_progress):
    _, heard = small_run_with_progress
    stages = list(dict.fromkeys(stage for stage, _, _ in heard))
    assert stages == ["embedding original voices", "transcribing originals", "PII detection",
                      "anonymising and embedding (standard)", "transcribing anonymised (standard)",
                      "audio leak test (standard)", "anonymising and embedding (b2)", "transcribing anonymised (b2)",
                      "audio leak test (b2)"]
    for stage in stages:
        counts = [(done, total) for s, done, total in heard if s == stage]
        total = counts[0][1]
        assert counts == [(done, total) for done in range(total + 1)], stage
    # pii_sentences=40 are drawn and each written in both styles (written, spoken): 80 detected
    assert ("embedding original voices", 12, 12) in heard and ("PII detection", 80, 80) in heard


def test_every_figure_is_a_fraction_for_both_systems(small_run):
    figures, _ = small_run
    for block in (figures, figures["baseline"]):
        for key in report.KEYS:
            assert 0.0 <= block[key] <= 1.0, key
    assert figures["setup"]["speakers"] == 3 and figures["setup"]["utterances"] == 12
    # Original speech is easy to re-identify; the same embeddings scored against themselves
    # must be nearly perfect or the attack harness is broken.
    assert figures["eer_original"] <= 0.2


def test_report_writes_json_markdown_html_and_plots(small_run, tmp_path):
    figures, extras = small_run
    paths = report.write(tmp_path, figures, extras)
    assert json.loads((tmp_path / "evaluation.json").read_text())["baseline"]["eer_semi_informed"] >= 0
    assert (tmp_path / "det_semi_informed.png").read_bytes()[:4] == b"\x89PNG"
    assert "eer_lazy_informed" in (tmp_path / "report.md").read_text()
    assert "<script" not in (tmp_path / "report.html").read_text()
    assert all(p.exists() for p in paths)
