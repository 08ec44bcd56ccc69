import numpy as np
import pytest

from quietroom.deid import anonymize, asr
from quietroom.evaluation.metrics import wer
from quietroom.testspeech import make_conversation


@pytest.fixture(scope="module")
def conversation():
    """Four spoken sentences in one recording, and what was said."""
    x, _, texts = make_conversation(4, seed=11)
    return x, " ".join(texts)


@pytest.fixture(scope="module")
def standard_draws(conversation):
    """The default profile's voice drawn three times (seeds 1-3) on the conversation: (audio,
    drawn parameters, WER) per draw. Both tests below judge these same draws, so they are made
    and transcribed once."""
    x, reference = conversation
    engine = asr.get_engine()
    draws = []
    for seed in (1, 2, 3):
        y, params = anonymize.anonymize(x, anonymize.get_profile("standard"), np.random.default_rng(seed))
        draws.append((y, params, wer([reference], [engine.transcribe(y).text])))
    return draws


def test_light_voice_costs_less_intelligibility_than_standard(conversation, standard_draws):
    x, reference = conversation
    engine = asr.get_engine()
    rates = {"light": np.mean([wer([reference], [engine.transcribe(anonymize.anonymize(
        x, anonymize.get_profile("light"), np.random.default_rng(seed))[0]).text]) for seed in (1, 2, 3)]),
             "standard": np.mean([rate for _y, _params, rate in standard_draws])}
    assert rates["light"] <= 0.25 and rates["light"] < rates["standard"], rates


def test_anonymised_speech_still_transcribes(conversation, standard_draws):
    x, reference = conversation
    engine = asr.get_engine()
    assert wer([reference], [engine.transcribe(x).text]) <= 0.1
    # The voice is drawn at random, so judge the default profile over a few draws.
    for y, params, _rate in standard_draws:
        assert params["profile"] == "standard" and y.shape == x.shape
    rates = [rate for _y, _params, rate in standard_draws]
    assert np.mean(rates) <= 0.5, rates


def test_parameters_are_drawn_per_snippet(prompt):
    x, _ = prompt
    rng = np.random.default_rng(3)
    a = anonymize.anonymize(x, anonymize.get_profile("standard"), rng)[1]
    b = anonymize.anonymize(x, anonymize.get_profile("standard"), rng)[1]
    assert a != b and 0.6 <= a["mcadams_alpha"] <= 0.9
    light = anonymize.anonymize(x, anonymize.get_profile("light"), rng)[1]
    assert "mcadams_alpha" not in light and 90 <= light["f0_target"] <= 240 and 0.14 <= abs(np.log(light["warp"])) <= 0.24


def test_unknown_profile_is_named():
    with pytest.raises(ValueError, match="unknown voice profile 'loud'"):
        anonymize.get_profile("loud")


def test_envelope_warp_moves_energy_up_or_down():
    sp = np.zeros((1, 513)) + 1e-8
    sp[0, 100] = 1.0
    assert np.argmax(anonymize.warp_envelope(sp, 1.2)[0]) == 120
    assert np.argmax(anonymize.warp_envelope(sp, 0.8)[0]) == 80


def _median_f0(x):
    import pyworld

    x = np.asarray(x, dtype=np.float64)
    f0, t = pyworld.dio(x, 16000, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, t, 16000)
    return float(np.median(f0[f0 > 0]))


def test_f0_target_moves_the_pitch_to_the_drawn_voice_not_by_a_step(prompt):
    x, _ = prompt
    own = _median_f0(x)
    for target in (110.0, 230.0):
        profile = anonymize.VoiceProfile("t", mcadams=None, f0_target=(target, target))
        y, params = anonymize.anonymize(x, profile, np.random.default_rng(0))
        assert params["f0_target"] == pytest.approx(target)
        assert _median_f0(y) == pytest.approx(target, rel=0.1), own


def test_random_warp_sign_goes_both_ways_and_intonation_is_drawn():
    profile = anonymize.VoiceProfile("t", mcadams=None, f0_target=(100, 200), warp=(0.1, 0.2), warp_sign="random",
                                     intonation=(0.5, 1.5))
    rng = np.random.default_rng(1)
    x = np.random.default_rng(2).normal(0, 0.05, 8000).astype(np.float32)
    draws = [anonymize.anonymize(x, profile, rng)[1] for _ in range(12)]
    assert {d["warp"] > 1 for d in draws} == {True, False}
    assert all(0.1 <= abs(np.log(d["warp"])) <= 0.2 and 0.5 <= d["intonation"] <= 1.5 for d in draws)


def test_intonation_factor_scales_pitch_excursions(prompt):
    x, _ = prompt
    import pyworld

    def spread(y):
        y = np.asarray(y, dtype=np.float64)
        f0, t = pyworld.dio(y, 16000, frame_period=5.0)
        f0 = pyworld.stonemask(y, f0, t, 16000)
        return float(np.std(np.log(f0[f0 > 0])))

    flat = anonymize.world_transform(x, 16000, 1.0, 1.0, intonation=0.4)
    lively = anonymize.world_transform(x, 16000, 1.0, 1.0, intonation=1.6)
    assert spread(flat) < 0.7 * spread(lively)
