"""Spans found on the whole recording's hypothesis, handed to the snippets they reach (synthetic
word timings: no audio, no recogniser)."""
import pytest

from quietroom.deid import pii, recording_hypothesis, redaction
from quietroom.deid.asr import Transcript, Word
from quietroom.deid.pii import PiiSpan
from quietroom.deid.segmentation import Segment

# Two snippets that meet at 2.0 s of the recording; word times are within each snippet.
SNIPPETS = [Segment(0.0, 2.0), Segment(2.0, 4.0)]


def _t(*words):
    return Transcript(tuple(Word(*w) for w in words), "test", "test")


def _span(whole, words: str, entity="STREET_ADDRESS"):
    start = whole.text.index(words)
    return PiiSpan(start, start + len(words), entity, 0.85)


def _redacted(whole, spans):
    """(bleeps per snippet as (start, end) rounded, redacted hypothesis per snippet)."""
    cuts = redaction.in_snippets(redaction.time_ranges(whole.transcript, spans, 4.0, margin=0.05), SNIPPETS)
    texts = [pii.redact_text(t.text, mine) for t, mine in zip(whole.snippets, whole.snippet_spans(spans))]
    return [[(round(r.start, 3), round(r.end, 3)) for r in c] for c in cuts], texts


def test_a_span_touching_two_snippets_is_bleeped_and_redacted_in_both():
    whole = recording_hypothesis.join([
        _t(("I", 0.1, 0.2), ("live", 0.2, 0.5), ("at", 0.5, 0.7), ("22", 0.8, 1.2), ("Spring.", 1.3, 1.9)),
        _t(("field", 0.1, 0.4), ("road", 0.45, 0.8), ("please", 1.2, 1.5)),
    ], SNIPPETS)
    # the cut's full stop is not the speaker's: the joined text reads on
    assert whole.text == "I live at 22 Spring field road please"
    found = pii.detect(whole.text)
    assert [(whole.text[s.start:s.end], s.entity) for s in found] == [("22 Spring field road", "STREET_ADDRESS")]
    cuts, texts = _redacted(whole, found)
    # from "at"'s end to "please"'s start, in recording time 0.7-3.2 s: each snippet its part
    assert cuts == [[(0.7, 2.0)], [(0.0, 1.2)]]
    assert texts == ["I live at [STREET_ADDRESS].", "[STREET_ADDRESS] please"]


def test_a_span_ending_exactly_at_the_boundary_stays_in_its_snippet():
    # the next recognised word starts right at the boundary, so the bleep widens up to it and no
    # further: the second snippet has nothing of the number
    whole = recording_hypothesis.join([
        _t(("call", 0.2, 0.5), ("oh", 0.6, 0.8), ("seven", 0.8, 1.5)),
        _t(("thanks", 0.0, 0.4), ("bye", 0.5, 0.8)),
    ], SNIPPETS)
    cuts, texts = _redacted(whole, [_span(whole, "oh seven", "PHONE_NUMBER")])
    assert cuts == [[(0.5, 2.0)], []]
    assert texts == ["call [PHONE_NUMBER]", "thanks bye"]


def test_a_span_starting_at_the_boundary_reaches_back_only_by_the_margin():
    # the previous word ends right at the boundary: the snippet before gets the 50 ms margin
    # (word timings are approximate), its words stay
    whole = recording_hypothesis.join([
        _t(("my", 0.2, 0.5), ("number", 0.6, 2.0)),
        _t(("oh", 0.0, 0.3), ("seven", 0.3, 0.6), ("thanks", 1.0, 1.3)),
    ], SNIPPETS)
    cuts, texts = _redacted(whole, [_span(whole, "oh seven", "PHONE_NUMBER")])
    assert cuts == [[(1.95, 2.0)], [(0.0, 1.0)]]
    assert texts == ["my number", "[PHONE_NUMBER] thanks"]


def test_unrecognised_audio_after_pii_at_a_snippet_end_is_bleeped_in_the_next_snippet():
    # the recogniser heard nothing at the next snippet's head: digits may hide there
    whole = recording_hypothesis.join([
        _t(("card", 0.2, 0.5), ("four", 0.6, 0.9), ("one", 0.9, 1.2)),
        _t(("thanks", 0.7, 1.0)),
    ], SNIPPETS)
    cuts, texts = _redacted(whole, [_span(whole, "four one", "CREDIT_CARD")])
    assert cuts == [[(0.5, 2.0)], [(0.0, 0.7)]]
    assert texts == ["card [CREDIT_CARD]", "thanks"]


def test_a_span_inside_a_word_keeps_its_offsets_in_the_snippet():
    whole = recording_hypothesis.join([_t(("hi", 0.1, 0.3)), _t(("mail", 0.1, 0.3), ("jo@x.com.", 0.4, 0.9))],
                                      SNIPPETS)
    start = whole.text.index("x.com")
    spans = whole.snippet_spans([PiiSpan(start, start + len("x.com"), "EMAIL_ADDRESS", 0.9)])
    assert spans[0] == [] and [whole.snippets[1].text[s.start:s.end] for s in spans[1]] == ["x.com"]


def test_ranges_are_handed_to_the_snippets_they_reach():
    gap = [Segment(0.0, 2.0), Segment(2.0, 4.0), Segment(5.0, 6.0)]  # a pause 4-5 s is in no snippet
    ranges = [redaction.Redaction(1.5, 2.25, "PERSON"), redaction.Redaction(3.9, 5.5, "POSTCODE"),
              redaction.Redaction(1.0, 2.0, "PERSON")]
    got = redaction.in_snippets(ranges, gap)
    assert [[(round(r.start, 3), round(r.end, 3), r.entity) for r in c] for c in got] == [
        [(1.0, 2.0, "PERSON")], [(0.0, 0.25, "PERSON"), (1.9, 2.0, "POSTCODE")], [(0.0, 0.5, "POSTCODE")],
    ]
    # a range reaching a hair (less than a millisecond) past an edge brings no bleep with it
    assert redaction.in_snippets([redaction.Redaction(1.0, 2.0004, "PERSON")], SNIPPETS)[1] == []


def test_join_refuses_a_transcript_count_that_does_not_match_the_snippets():
    with pytest.raises(ValueError, match="1 transcripts for 2 snippets"):
        recording_hypothesis.join([_t(("hi", 0.1, 0.3))], SNIPPETS)
