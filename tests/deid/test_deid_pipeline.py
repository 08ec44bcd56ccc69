import numpy as np

from quietroom.deid import pipeline as deid
from quietroom.evaluation.metrics import normalise


def test_pipeline_bleeps_the_phone_number_and_labels_it(phone_clip):
    x, _text = phone_clip
    x = np.concatenate([np.zeros(4000, np.float32), x, np.zeros(4000, np.float32)])
    results = deid.deidentify(x, deid.DeidConfig(), rng=np.random.default_rng(0))
    assert len(results) == 1
    snippet = results[0]
    assert "[PHONE_NUMBER]" in snippet.hypothesis and "seven" not in snippet.hypothesis.lower()
    assert "[PERSON]" in snippet.hypothesis and "Smith" not in snippet.hypothesis
    assert {r.entity for r in snippet.redactions} >= {"PHONE_NUMBER"}
    # Recorded parameters name the stages, never the per-snippet random draws.
    assert snippet.params["asr"]["engine"] == "faster-whisper" and "mcadams_alpha" not in str(snippet.params)
    # The redacted audio no longer says the number.
    from quietroom.deid import asr

    heard = normalise(asr.get_engine().transcribe(snippet.audio).text).split()
    assert heard.count("seven") + heard.count("nine") <= 1


def test_stage_clock_counts_every_stage(prompt):
    x, _ = prompt
    clock = deid.StageClock()
    deid.deidentify(x, deid.DeidConfig(voice_profile="b2"), clock=clock)
    assert set(clock.seconds) == {"vad", "asr", "pii", "anonymize", "redact", "check"}
    clock = deid.StageClock()
    deid.deidentify(x, deid.DeidConfig(voice_profile="b2", check_pass=False), clock=clock)
    assert "check" not in clock.seconds
