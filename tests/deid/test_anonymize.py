import numpy as np
import pytest

from quietroom.deid import anonymize, asr
from quietroom.evaluation.metrics import wer
from quietroom.testspeech import make_conversation


def test_anonymised_speech_still_transcribes():
    x, _, texts = make_conversation(4, seed=11)
    reference = " ".join(texts)
    engine = asr.get_engine()
    assert wer([reference], [engine.transcribe(x).text]) <= 0.1
    # The voice is drawn at random, so judge the default profile over a few draws.
    rates = []
    for seed in (1, 2, 3):
        y, params = anonymize.anonymize(x, anonymize.get_profile("standard"), np.random.default_rng(seed))
        assert params["profile"] == "standard" and y.shape == x.shape
        rates.append(wer([reference], [engine.transcribe(y).text]))
    assert np.mean(rates) <= 0.5, rates


def test_parameters_are_drawn_per_snippet(prompt):
    x, _ = prompt
    rng = np.random.default_rng(3)
    a = anonymize.anonymize(x, anonymize.get_profile("standard"), rng)[1]
    b = anonymize.anonymize(x, anonymize.get_profile("standard"), rng)[1]
    assert a != b and 0.6 <= a["mcadams_alpha"] <= 0.9


def test_unknown_profile_is_named():
    with pytest.raises(ValueError, match="unknown voice profile 'loud'"):
        anonymize.get_profile("loud")


def test_envelope_warp_moves_energy_up_or_down():
    sp = np.zeros((1, 513)) + 1e-8
    sp[0, 100] = 1.0
    assert np.argmax(anonymize.warp_envelope(sp, 1.2)[0]) == 120
    assert np.argmax(anonymize.warp_envelope(sp, 0.8)[0]) == 80
