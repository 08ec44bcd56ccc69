import numpy as np
import pytest

from quietroom.deid import segmentation, vad
from quietroom.testspeech import make_conversation


@pytest.mark.parametrize("engine", ["silero", "webrtc"])
def test_vad_finds_speech_in_a_prompt(prompt, engine):
    x, _ = prompt
    mask = vad.speech_mask(x, engine=engine)
    assert mask.size == int(np.ceil(x.size / 320))
    # The 0.25 s pads at either end are silence, the prompt in the middle is speech.
    assert not mask[:8].any() and not mask[-8:].any()
    assert mask[len(mask) // 2 - 5 : len(mask) // 2 + 5].mean() > 0.5


def test_silero_finds_no_speech_in_noise():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.05, 16000 * 3).astype(np.float32)
    assert vad.speech_mask(noise, engine="silero").mean() < 0.02
    assert segmentation.find_speech_segments(noise, speech=vad.speech_mask(noise)) == []


def test_vad_segments_are_short_and_trimmed():
    x, rate, texts = make_conversation(14, seed=2, pause_range=(0.1, 0.1))
    segments = segmentation.find_speech_segments(x, rate, speech=vad.speech_mask(x))
    assert segments and all(s.duration <= 10.0 for s in segments)
    assert segments[0].start > 0.0  # the leading pause was trimmed


def test_a_mask_of_the_wrong_length_is_refused():
    x = np.zeros(16000, dtype=np.float32)
    with pytest.raises(ValueError, match="expected 50"):
        segmentation.find_speech_segments(x, speech=np.ones(10, dtype=bool))


def test_unknown_engine_is_named():
    with pytest.raises(ValueError, match="unknown VAD engine 'nope'"):
        vad.speech_mask(np.zeros(1600, dtype=np.float32), engine="nope")
