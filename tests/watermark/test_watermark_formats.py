"""Watermark formats: format 2 (within-band tilt) is what `embed` writes, and marks made under
format 1 (cell loudness) before it still trace, under current and retired keys.

Real speech (asterisk prompts), de-identified in memory, as in test_watermark.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from quietroom import watermark
from quietroom.watermark import detection, embedding, features

from .test_watermark import KEY, OTHER, RATE, _snippet

RETIRED = watermark.WatermarkKey(b"retired-watermark-key-0000000000", "t0")


@pytest.fixture(scope="module")
def speech():
    return _snippet(5.0, 10.0)


def test_new_marks_are_format_2_and_trace_back(speech):
    assert watermark.FORMAT == 2 and watermark.FORMATS == detection.FORMATS == (1, 2)
    marked = watermark.embed(speech, KEY, 9_876_543)
    assert np.array_equal(marked, watermark.embed(speech, KEY, 9_876_543, format=2))
    finding = watermark.trace(marked, [OTHER, KEY])
    assert finding.found and finding.serial == 9_876_543 and finding.key_id == "t1" and finding.format == 2
    assert finding.false_alarm <= 1e-9


def test_format_2_keeps_each_band_energy_and_tilts_it(speech):
    """The mark moves energy between the halves of a band, not in or out of the band."""
    marked = watermark.embed(speech, KEY, 12, host_cancel=0.0)
    before, after = detection.band_power(speech), detection.band_power(marked)
    bands = lambda p: p.reshape(len(p), 24, 4).sum(axis=2).sum(axis=0)  # noqa: E731
    ratio = bands(after) / bands(before)  # the output may be scaled as a whole to stay under full scale
    assert np.allclose(ratio / np.median(ratio), 1.0, rtol=0.05)
    halves = lambda p: p.reshape(len(p), 24, 2, 2).sum(axis=3).sum(axis=0)  # noqa: E731
    tilt_change = np.log(halves(after)[:, 0] / halves(after)[:, 1]) - np.log(halves(before)[:, 0] / halves(before)[:, 1])
    assert np.abs(tilt_change).max() > 0.05  # the halves did move


def test_format_2_wrong_key_and_unmarked_find_nothing(speech):
    assert not watermark.trace(watermark.embed(speech, OTHER, 4321), [KEY]).found
    finding = watermark.trace(speech, [KEY, RETIRED])
    assert not finding.found and finding.serial is None and finding.format is None and finding.false_alarm > 1e-9


def test_format_1_marks_still_trace_under_current_and_retired_keys(speech):
    old = watermark.embed(speech, RETIRED, 1_234_567, format=1)
    finding = watermark.trace(old, [KEY, RETIRED])
    assert finding.found and finding.serial == 1_234_567 and finding.key_id == "t0" and finding.format == 1
    current = watermark.trace(watermark.embed(speech, KEY, 42, format=1), [KEY])
    assert current.serial == 42 and current.format == 1
    # The format-1 settings are the ones that marked before format 2 existed.
    assert (embedding.STRENGTH, embedding.HOST_CANCEL) == (0.42, 0.5)


def test_each_format_alone_reads_only_its_own_mark(speech):
    new, old = watermark.embed(speech, KEY, 77, format=2), watermark.embed(speech, KEY, 77, format=1)
    assert watermark.trace(new, [KEY], formats=(2,)).serial == 77
    assert watermark.trace(old, [KEY], formats=(1,)).serial == 77
    assert not watermark.trace(new, [KEY], formats=(1,)).found
    assert not watermark.trace(old, [KEY], formats=(2,)).found


def test_the_bound_counts_both_formats(speech):
    """Reading two formats doubles the tests the union bound covers."""
    finding = watermark.trace(watermark.embed(speech, KEY, 5), [KEY])
    assert finding.false_alarm == pytest.approx(detection.false_alarm_bound(finding.score, 2 * detection.TESTS))
    one = watermark.trace(watermark.embed(speech, KEY, 5), [KEY], formats=(2,))
    assert one.false_alarm == pytest.approx(detection.false_alarm_bound(one.score, detection.TESTS))


def test_the_tilt_whitening_takes_out_a_fixed_response():
    rng = np.random.default_rng(0)
    cells = rng.normal(0, 0.3, (40, 24))
    shifted = cells + rng.normal(0, 2.0, (1, 24))  # a room's response: a constant per band
    assert np.allclose(features.whiten_tilt(cells), features.whiten_tilt(shifted))
    assert np.abs(features.whiten_tilt(cells * 10)).max() == features.TILT_CLIP


def test_a_format_2_mark_survives_a_fixed_filter_and_8khz(speech):
    from scipy.signal import butter, resample_poly, sosfilt

    marked = watermark.embed(speech, KEY, 2_020_202)
    sos = butter(4, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    copy = resample_poly(resample_poly(sosfilt(sos, marked), 1, 2), 2, 1).astype(np.float32)
    assert watermark.trace(copy, [KEY]).serial == 2_020_202


def test_unknown_formats_are_refused(speech):
    with pytest.raises(ValueError, match="format"):
        watermark.embed(speech, KEY, 1, format=3)


def test_format_2_is_read_through_the_flatter_window(speech):
    """Fourth round: format 2's reader uses Hann ** TILT_WINDOW_POWER (less leakage between the
    halves of a band), format 1's keeps Hann; on a noisy copy the flatter window scores higher."""
    assert detection.TILT_WINDOW_POWER == 0.25
    marked = watermark.embed(speech, KEY, 31_337, 0.4, 0.7)
    rng = np.random.default_rng(3)
    noisy = (marked + rng.normal(0, np.sqrt(np.mean(marked ** 2)) / 10, marked.size)).astype(np.float32)  # 20 dB
    new = watermark.trace(noisy, [KEY], formats=(2,))
    hann = detection._trace_format(detection.band_tilt(noisy, detection.band_power(noisy)), features.whiten_tilt, 2,
                                   [KEY], detection.STRETCHES, detection.TESTS, detection.Finding(None, None, 0.0, 1.0))
    assert new.serial == 31_337 and new.score > hann.score
    old = watermark.embed(speech, KEY, 77, format=1)
    assert watermark.trace(old, [KEY], formats=(1,)).serial == 77
