"""The real English speech WER is measured on, and the attacker who knows the method."""
import numpy as np
import pytest
import soundfile as sf

from quietroom import testspeech
from quietroom.deid import anonymize
from quietroom.evaluation import corpus, kerckhoffs, parallel, speaker, tasks


def test_real_english_is_recorded_prompts_of_one_to_ten_seconds_with_their_transcripts():
    prompts = {p.text: p for p in testspeech.asterisk_prompts()}
    utts = corpus.real_english(n=25, seed=3)
    assert len(utts) == 25 and len({u.text for u in utts}) == 25
    for u in utts:
        assert u.real and u.speaker == "asterisk-allison" and u.text in prompts
        info = sf.info(str(prompts[u.text].path))
        assert 1.0 <= info.frames / info.samplerate <= 10.0
        assert 0 < u.audio.size <= 10 * 16000
    assert [u.text for u in corpus.real_english(n=25, seed=3)] == [u.text for u in utts]  # seeded
    assert [u.text for u in corpus.real_english(n=25, seed=4)] != [u.text for u in utts]


def test_real_english_stops_at_what_exists():
    everything = corpus.real_english(n=10_000, seed=0, min_seconds=6.0)  # few prompts are this long
    assert 0 < len(everything) < 100 and len({u.text for u in everything}) == len(everything)
    with pytest.raises(RuntimeError, match="asterisk"):
        corpus.real_english(n=5, min_seconds=60.0)


def test_the_inverse_bank_spans_the_profile_ranges():
    warps, alphas = kerckhoffs.inverse_bank(anonymize.get_profile("standard"))
    assert sorted(warps) == pytest.approx(sorted([1.0, *np.exp([-0.22, -0.12, 0.12, 0.22])]))
    assert alphas == pytest.approx([1 / 0.675, 1 / 0.825])  # McAdams undone at its range's quartiles
    assert kerckhoffs.inverse_bank(anonymize.get_profile("b2"))[0] == [1.0]
    assert kerckhoffs.inverse_bank(anonymize.VoiceProfile("x", mcadams=None)) == ([1.0], [None])


@pytest.mark.system  # minutes of CPU on a busy machine: runs once
def test_knowing_the_method_beats_the_lazy_attacker_on_a_pitch_only_voice(monkeypatch):
    # A weak profile: WORLD moves the median pitch to a random target per utterance, nothing
    # else. The lazy attacker compares two random pitches; the attacker who knows that only the
    # pitch moves normalises it away, and is left with nearly the original voices.
    monkeypatch.setitem(anonymize.PROFILES, "pitch-only",
                        anonymize.VoiceProfile("pitch-only", mcadams=None, f0_target=(90.0, 240.0)))
    parallel.one_thread()
    utts = corpus.build(speakers=3, per_speaker=3, seed=0)
    speakers = [u.speaker for u in utts]
    enrol, trial, trial_audio = zip(*(tasks.anonymise_and_embed(("pitch-only", u.audio, (0, i)))
                                      for i, u in enumerate(utts)))
    orig = np.array([speaker.embed(u.audio) for u in utts])
    lazy = speaker.attack_eers(orig, np.array(enrol), np.array(trial), speakers)["eer_lazy_informed"]
    attack = kerckhoffs.attack([kerckhoffs.enrolment_features(("pitch-only", u.audio, (1, i), 2)) for i, u in enumerate(utts)],
                               [kerckhoffs.trial_features(("pitch-only", a)) for a in trial_audio],
                               np.array(trial), speakers)
    assert set(attack["strategies"]) == set(kerckhoffs.STRATEGIES)
    assert attack["eer_informed_normalizing"] == min(attack["strategies"].values())
    assert attack["strategies"]["keys_pitch"] < lazy - 0.05, (attack, lazy)
    assert attack["eer_informed_normalizing"] < lazy - 0.05, (attack, lazy)


@pytest.mark.system
def test_workers_give_the_same_results_in_the_same_order():
    utts = corpus.real_english(n=4, seed=1)
    heard = []
    # light: WORLD only, no McAdams kernel to compile in each new worker
    items = [("light", u.audio, (0, i)) for i, u in enumerate(utts)]
    with parallel.Workers(2) as pool:
        remote = pool.map(tasks.anonymise, items, "anonymising", lambda *a: heard.append(a))
    local = [tasks.anonymise(item) for item in items]
    assert all(np.array_equal(r, l) for r, l in zip(remote, local, strict=True))
    assert heard == [("anonymising", k, 4) for k in range(5)]
    with pytest.raises(ValueError):
        parallel.Workers(0)
