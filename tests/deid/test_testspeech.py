import numpy as np
import pytest

from quietroom import testspeech

needs_asterisk = pytest.mark.skipif(
    not testspeech.ASTERISK_SOUNDS.is_dir(), reason="asterisk-core-sounds-en-wav not installed"
)


@needs_asterisk
def test_prompts_found_with_texts():
    prompts = testspeech.asterisk_prompts()
    assert len(prompts) > 100
    assert all(p.text and p.path.is_file() and not p.text.startswith("[") for p in prompts)
    by_name = {p.name: p for p in prompts}
    assert by_name["agent-loginok"].text == "Agent logged in."
    assert "beep" not in by_name  # bracketed non-speech is skipped


@needs_asterisk
def test_make_conversation_is_seeded():
    x, rate, texts = testspeech.make_conversation(4, seed=7)
    y, _, texts2 = testspeech.make_conversation(4, seed=7)
    assert rate == 16000 and x.dtype == np.float32 and len(texts) == 4
    assert texts == texts2 and np.array_equal(x, y)
    assert testspeech.make_conversation(4, seed=8)[2] != texts


@pytest.mark.skipif(not testspeech.espeak_available(), reason="espeak-ng not installed")
def test_espeak_synthesis():
    x = testspeech.synthesize_espeak("Hello there.")
    assert x.dtype == np.float32 and 0.3 < x.size / 16000 < 3
    assert np.abs(x).max() > 0.1


@pytest.mark.skipif(not testspeech.espeak_available(), reason="espeak-ng not installed")
def test_falls_back_to_espeak(monkeypatch, tmp_path):
    monkeypatch.setattr(testspeech, "ASTERISK_SOUNDS", tmp_path / "missing")
    _, _, texts = testspeech.make_conversation(2, seed=1)
    assert set(texts) <= set(testspeech.ESPEAK_SENTENCES)


def test_no_source_raises_with_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(testspeech, "ASTERISK_SOUNDS", tmp_path / "missing")
    monkeypatch.setattr(testspeech, "espeak_available", lambda: False)
    assert testspeech.asterisk_prompts() == []
    with pytest.raises(RuntimeError, match="apt-get install"):
        testspeech.make_conversation(2, seed=1)
