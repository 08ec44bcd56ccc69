import numpy as np
import pytest

from quietroom.deid import redaction
from quietroom.deid.asr import Transcript, Word
from quietroom.deid.pii import PiiSpan


def _transcript():
    return Transcript((Word("call", 0.2, 0.5), Word("oh", 0.6, 0.8), Word("seven", 0.8, 1.1), Word("now", 1.3, 1.6)),
                      "test", "test")


def test_span_maps_to_its_words_and_the_gaps_up_to_the_neighbouring_words():
    t = _transcript()
    start = t.text.index("oh")
    cuts = redaction.time_ranges(t, [PiiSpan(start, start + len("oh seven"), "PHONE_NUMBER", 0.9)], 2.0, margin=0.05)
    assert len(cuts) == 1 and cuts[0].entity == "PHONE_NUMBER"
    # "call" ends at 0.5 and "now" starts at 1.3: the unrecognised audio between is bleeped,
    # the neighbouring words themselves are not.
    assert (cuts[0].start, cuts[0].end) == (pytest.approx(0.5), pytest.approx(1.3))


def test_margin_still_applies_when_the_neighbour_is_close():
    t = Transcript((Word("call", 0.2, 0.58), Word("seven", 0.6, 1.1), Word("now", 1.12, 1.6)), "test", "test")
    start = t.text.index("seven")
    cut, = redaction.time_ranges(t, [PiiSpan(start, start + 5, "PHONE_NUMBER", 0.9)], 2.0, margin=0.05)
    assert (cut.start, cut.end) == (pytest.approx(0.55), pytest.approx(1.15))


def test_span_at_the_end_reaches_the_end_of_the_snippet():
    # The recogniser stopped early ("... nine one four" never transcribed): what follows the
    # last recognised PII word is bleeped to the end.
    t = _transcript()
    start = t.text.index("now")
    cut, = redaction.time_ranges(t, [PiiSpan(start, start + 3, "CREDIT_CARD", 0.9)], 2.5, margin=0.05)
    assert (cut.start, cut.end) == (pytest.approx(1.1), pytest.approx(2.5))


def test_redaction_replaces_exactly_the_range():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, 32000).astype(np.float32)
    cut = redaction.Redaction(0.5, 1.0, "PHONE_NUMBER")
    y = redaction.apply(x, [cut], mode="tone")
    a, b = 8000, 16000
    assert np.array_equal(y[:a], x[:a]) and np.array_equal(y[b:], x[b:])
    spectrum = np.abs(np.fft.rfft(y[a + 400 : b - 400]))
    assert np.argmax(spectrum) * 16000 / (b - a - 800) == pytest.approx(1000, abs=10)
    silent = redaction.apply(x, [cut], mode="silence")
    assert not silent[a:b].any() and np.array_equal(silent[:a], x[:a])


def test_touching_ranges_merge_and_stay_inside_the_clip():
    t = _transcript()
    spans = [PiiSpan(0, 4, "PERSON", 0.9), PiiSpan(5, 7, "PHONE_NUMBER", 0.9)]
    cuts = redaction.time_ranges(t, spans, 0.7, margin=0.1)
    # the first word's span reaches the start of the snippet, the second is cut at its end
    assert len(cuts) == 1 and cuts[0].start == 0.0 and cuts[0].end == 0.7


def test_check_pass_ranges_merge_and_take_the_first_hypothesis_words_with_them():
    # the first hypothesis mis-heard the name ("M.E."); the check pass on the anonymised audio
    # heard it and bleeped 0.55-1.2 s: the words there leave the reviewer's text too
    t = _transcript()
    extra = [redaction.Redaction(0.55, 1.2, "PERSON")]
    merged = redaction.merge([redaction.Redaction(0.1, 0.6, "PHONE_NUMBER")] + extra)
    assert [(r.start, r.end, r.entity) for r in merged] == [(0.1, 1.2, "PHONE_NUMBER")]
    under = redaction.spans_under(t, extra)
    assert [t.text[s.start:s.end] for s in under] == ["oh", "seven"] and {s.entity for s in under} == {"PERSON"}
