import time

import numpy as np
import pytest

from quietroom.deid.segmentation import Segment, cut_snippets, find_speech_segments, frame_db
from quietroom.testspeech import make_conversation

RATE = 16000


def energy_coverage(x, segments):
    energy = np.square(x, dtype=np.float64)
    inside = sum(energy[int(s.start * RATE) : int(s.end * RATE)].sum() for s in segments)
    return inside / energy.sum()


def assert_well_formed(segments, x, max_len=10.0):
    assert all(0 <= s.start < s.end <= x.size / RATE for s in segments)
    assert all(s.duration <= max_len + 1e-9 for s in segments)
    assert all(a.end <= b.start for a, b in zip(segments, segments[1:]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_segment_per_utterance(seed):
    x, rate, texts = make_conversation(6, seed=seed, pause_range=(0.5, 1.2))
    segments = find_speech_segments(x, rate)
    assert len(segments) == len(texts) == 6
    assert_well_formed(segments, x)
    assert energy_coverage(x, segments) >= 0.95


def test_long_stretch_is_split_in_pauses():
    x, rate, _ = make_conversation(14, seed=2, pause_range=(0.1, 0.1))
    assert x.size / rate > 20
    segments = find_speech_segments(x, rate)
    assert_well_formed(segments, x)
    # min_pause=1.0 bridges every gap, so the whole stretch is one region...
    assert len(find_speech_segments(x, rate, min_pause=1.0, max_len=1000)) == 1
    # ...which must then be cut into pieces of at most 10 s.
    segments = find_speech_segments(x, rate, min_pause=1.0)
    assert len(segments) >= 3
    assert_well_formed(segments, x)
    assert energy_coverage(x, segments) >= 0.95
    # Each forced cut lies in a pause: far quieter than typical speech.
    db = frame_db(x, 320)
    speech_level = np.median(db[db > -40])
    for seg in segments[:-1]:
        frame = int(round(seg.end / 0.02))
        assert db[frame - 1 : frame + 1].min() < speech_level - 15


def test_max_len_is_respected_for_other_limits():
    x, rate, _ = make_conversation(10, seed=4, pause_range=(0.1, 0.1))
    segments = find_speech_segments(x, rate, max_len=3.0, min_pause=1.0)
    assert_well_formed(segments, x, max_len=3.0)
    assert energy_coverage(x, segments) >= 0.95


@pytest.mark.parametrize("noise_db", [None, -80, -50, -30])
def test_silence_and_steady_noise_give_nothing(noise_db):
    rng = np.random.default_rng(0)
    x = np.zeros(RATE * 20, dtype=np.float32)
    if noise_db is not None:
        x += rng.normal(0, 10 ** (noise_db / 20), x.size).astype(np.float32)
    assert find_speech_segments(x, RATE) == []


def test_short_click_is_dropped():
    x = np.random.default_rng(0).normal(0, 10 ** (-50 / 20), RATE * 5).astype(np.float32)
    x[RATE * 2 : RATE * 2 + 800] = 0.5  # 50 ms burst < min_speech
    assert find_speech_segments(x, RATE) == []


def test_tiny_inputs():
    assert find_speech_segments(np.zeros(0, dtype=np.float32)) == []
    assert find_speech_segments(np.zeros(10, dtype=np.float32)) == []
    with pytest.raises(ValueError):
        find_speech_segments(np.zeros((100, 2), dtype=np.float32))
    with pytest.raises(ValueError):
        find_speech_segments(np.zeros(RATE, dtype=np.float32), max_len=0.1)


def test_cut_snippets():
    x = np.arange(RATE * 3, dtype=np.float32)
    snippets = cut_snippets(x, [Segment(0.5, 1.0), Segment(2.0, 3.0)], RATE)
    assert [s.size for s in snippets] == [8000, 16000]
    assert snippets[1][0] == 2 * RATE
    snippets[0][0] = -1  # copies, so the recording is untouched
    assert x[8000] == 8000


def test_sixty_seconds_is_fast():
    x, rate, _ = make_conversation(40, seed=3)
    x = x[: 60 * rate]
    find_speech_segments(x, rate)  # warm-up
    start = time.perf_counter()
    find_speech_segments(x, rate)
    assert time.perf_counter() - start < 0.05


@pytest.mark.parametrize("gap, expected", [(0.15, 1), (0.5, 2)])
def test_short_gaps_are_bridged(gap, expected):
    burst = 0.3 * np.sin(2 * np.pi * 200 * np.arange(RATE) / RATE).astype(np.float32)
    silence = np.zeros(RATE, dtype=np.float32)
    x = np.concatenate([silence, burst, np.zeros(int(gap * RATE), dtype=np.float32), burst, silence])
    segments = find_speech_segments(x, RATE)
    assert len(segments) == expected
    assert segments[0].start == pytest.approx(0.9, abs=0.03)  # 0.1 s pad before speech
