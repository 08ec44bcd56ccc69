"""The forensic watermark as plain functions: marked clips trace back, unmarked ones do not.

Real speech (asterisk prompts), de-identified in memory with the default voice profile, as a
reviewer would hear it. The full measurement is bench/watermark.py; these are the quick checks.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest

from quietroom import testspeech, watermark
from quietroom.deid import anonymize
from quietroom.deid.audio_io import load_for_pipeline
from quietroom.watermark import detection, layout

KEY = watermark.WatermarkKey(b"unit-test-watermark-key-00000000", "t1")
OTHER = watermark.WatermarkKey(b"another-watermark-key-0000000000", "t2")
RATE = 16000


@functools.lru_cache(maxsize=None)
def _snippet(min_seconds: float, max_seconds: float, index: int = 0) -> np.ndarray:
    files = testspeech.asterisk_speaker_files("en_US_f_Allison", min_seconds, max_seconds)
    if len(files) <= index:
        pytest.skip(f"asterisk prompts not installed ({testspeech.INSTALL_HINT})")
    audio, _ = anonymize.anonymize(testspeech.read_file_16k(files[index]),
                                   anonymize.get_profile(anonymize.DEFAULT_PROFILE), np.random.default_rng(index))
    return audio


@pytest.fixture(scope="module")
def speech():
    return _snippet(5.0, 10.0)


def test_a_marked_snippet_traces_back_to_its_serial(speech):
    marked = watermark.embed(speech, KEY, 4_242_424)
    assert marked.shape == speech.shape and marked.dtype == np.float32
    finding = watermark.trace(marked, [OTHER, KEY])
    assert finding.found and finding.serial == 4_242_424 and finding.key_id == "t1"
    assert finding.false_alarm <= 1e-9 and finding.score > 7


def test_an_unmarked_snippet_has_no_mark(speech):
    finding = watermark.trace(speech, [KEY])
    assert not finding.found and finding.serial is None
    assert finding.false_alarm > 1e-9


def test_a_mark_under_another_key_is_not_read(speech):
    finding = watermark.trace(watermark.embed(speech, OTHER, 99), [KEY])
    assert not finding.found


def test_two_copies_of_one_snippet_trace_to_their_own_serials(speech):
    first, second = watermark.embed(speech, KEY, 1001), watermark.embed(speech, KEY, 1002)
    assert watermark.trace(first, [KEY]).serial == 1001
    assert watermark.trace(second, [KEY]).serial == 1002


def test_any_three_seconds_cut_out_still_trace(speech):
    marked = watermark.embed(speech, KEY, 777_001)
    for start in (0.37, speech.size / RATE - 3.0 - 0.11):
        piece = marked[int(start * RATE):int(start * RATE) + 3 * RATE]
        assert watermark.trace(piece, [KEY]).serial == 777_001, start


def test_an_mp3_copy_still_traces(speech):
    lameenc = pytest.importorskip("lameenc")
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    marked = watermark.embed(speech, KEY, 31337)
    mp3 = encoder.encode((marked * 32767).astype(np.int16).tobytes()) + encoder.flush()
    assert watermark.trace(load_for_pipeline(bytes(mp3)), [KEY]).serial == 31337


def test_the_mark_is_small_next_to_the_speech(speech):
    marked = watermark.embed(speech, KEY, 5)
    change = np.sqrt(np.mean((marked - speech) ** 2)) / np.sqrt(np.mean(speech ** 2))
    assert 0.05 < change < 0.6  # present, and well under the speech (about -10 dB)
    assert np.abs(marked).max() <= 1.0


def test_silence_and_too_short_audio_have_no_mark():
    assert not watermark.trace(np.zeros(3 * RATE, dtype=np.float32), [KEY]).found
    assert not watermark.trace(np.zeros(100, dtype=np.float32), [KEY]).found
    assert watermark.embed(np.zeros(0, dtype=np.float32), KEY, 1).size == 0


def test_serials_and_secrets_are_checked():
    with pytest.raises(ValueError, match="serial"):
        watermark.embed(np.zeros(RATE, dtype=np.float32), KEY, layout.MAX_SERIAL + 1)
    with pytest.raises(ValueError, match="32 bytes"):
        watermark.WatermarkKey(b"short")
    assert "unit-test" not in repr(KEY)


def test_the_false_alarm_bound_is_hoeffdings_times_the_tests():
    assert detection.false_alarm_bound(0.0, 10) == 1.0
    assert detection.false_alarm_bound(8.0, 1000) == pytest.approx(1000 * np.exp(-32))
    # The threshold the detector applies: about z 7.7 for its tests.
    z = np.sqrt(2 * np.log(detection.TESTS / detection.MAX_FALSE_ALARM))
    assert detection.false_alarm_bound(z + 0.01, detection.TESTS) <= 1e-9 < detection.false_alarm_bound(z - 0.01, detection.TESTS)


def test_unmarked_speech_of_many_kinds_is_never_named():
    """A small version of the bench's 10,000: real unmarked speech, cut and scaled."""
    rng = np.random.default_rng(3)
    clips = [_snippet(2.0, 10.0, i) for i in range(4)]
    for _ in range(12):
        x = clips[int(rng.integers(len(clips)))]
        start = int(rng.integers(0, max(1, x.size - 2 * RATE)))
        finding = watermark.trace(x[start:] * float(rng.uniform(0.1, 1.0)), [KEY, OTHER])
        assert not finding.found and finding.score < 6.5
