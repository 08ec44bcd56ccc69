"""Personal data said across a snippet boundary is found in the whole recording's hypothesis and
redacted in every snippet it reaches (issue 15, finding 8: "Spring field." survived)."""
from __future__ import annotations

import numpy as np
import pytest

from quietroom import testspeech
from quietroom.deid import asr, segmentation
from quietroom.deid import pipeline as deid
from quietroom.deid import redaction
from quietroom.evaluation.metrics import normalise

ADDRESS_WORDS = {"twenty", "two", "spring", "springfield", "field", "road"}  # as `normalise` writes them


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), dtype=np.float32)


def _speak(text: str) -> np.ndarray:
    return testspeech._trim(testspeech.synthesize_flite(text, "slt"))


@pytest.fixture(scope="module")
def address_across_a_pause():
    """The speaker pauses inside the address, so VAD makes two snippets of it."""
    return np.concatenate([_silence(0.3), _speak("I live at twenty two Springfield"), _silence(0.6),
                           _speak("Road, in Leeds, near the station."), _silence(0.3)]), deid.DeidConfig()


@pytest.fixture(scope="module")
def address_across_a_forced_cut():
    """One breath; a 4 s snippet cap makes the segmenter cut inside the address."""
    return (np.concatenate([_silence(0.3), _speak("Please send it to my home, I live at twenty two Springfield "
                                                  "Road in Leeds, near the station."), _silence(0.3)]),
            deid.DeidConfig(max_snippet_seconds=4.0))


def _tone_fills(audio: np.ndarray, cut: redaction.Redaction) -> bool:
    a, b = int(round(cut.start * 16000)), int(round(cut.end * 16000))
    inner = audio[a + 80 : b - 80]  # inside the 5 ms fades
    spectrum = np.abs(np.fft.rfft(inner))
    peak = np.argmax(spectrum) * 16000 / inner.size
    level = 20 * np.log10(np.sqrt(np.mean(np.square(inner))) + 1e-12)
    return abs(peak - redaction.TONE_HZ) <= 20 and abs(level - redaction.TONE_DBFS) <= 1.0


@pytest.mark.parametrize("case", ["address_across_a_pause", "address_across_a_forced_cut"])
def test_an_address_cut_in_two_is_bleeped_and_redacted_in_both_snippets(case, request):
    samples, config = request.getfixturevalue(case)
    snippets = deid.deidentify(samples, config, rng=np.random.default_rng(0))
    engine = asr.get_engine()
    raw = [engine.transcribe(piece) for piece in segmentation.cut_snippets(
        samples, [segmentation.Segment(s.start, s.end) for s in snippets])]
    # The premise: two snippets whose raw audio each says part of the address.
    touched = [k for k, t in enumerate(raw) if set(normalise(t.text).split()) & ADDRESS_WORDS]
    assert len(touched) == 2 and touched[1] == touched[0] + 1, [t.text for t in raw]

    for k in touched:
        snippet, heard = snippets[k], raw[k]
        assert "[STREET_ADDRESS]" in snippet.hypothesis, snippet.hypothesis
        assert not set(normalise(snippet.hypothesis).split()) & ADDRESS_WORDS, snippet.hypothesis
        assert any(r.entity == "STREET_ADDRESS" for r in snippet.redactions), snippet.redactions
        # every address word this half was heard to say lies under a bleep...
        for w in heard.words:
            if set(normalise(w.text).split()) & ADDRESS_WORDS:
                middle = (w.start + w.end) / 2
                assert any(r.start <= middle <= r.end for r in snippet.redactions), (w, snippet.redactions)
        # ...and the bleeps are the tone, in this snippet's own audio
        assert all(_tone_fills(snippet.audio, r) for r in snippet.redactions if r.end - r.start > 0.05)
