import re

import numpy as np
import pytest

from quietroom.deid import pii
from quietroom.evaluation import metrics, piiset


def test_eer_of_separable_and_of_identical_scores():
    assert metrics.eer(np.array([0.9, 0.8, 0.95]), np.array([0.1, 0.2, 0.3])) == 0.0
    same = np.linspace(0, 1, 101)
    assert metrics.eer(same, same) == pytest.approx(0.5, abs=0.02)


def test_wer_compares_what_was_said_not_the_formatting():
    assert metrics.wer(["call oh seven seven"], ["Call 077."]) == 0.0
    assert metrics.wer(["the cat sat"], ["the dog sat"]) == pytest.approx(1 / 3)
    # small numbers as words on both sides; a leading zero is still read digit by digit
    assert metrics.wer(["set a timer for twenty five minutes"], ["Set a timer for 25 minutes."]) == 0.0
    assert metrics.wer(["call oh seven"], ["Call 07"]) == 0.0


def test_generated_set_is_large_labelled_and_seeded():
    data = piiset.generate(360, seed=0)
    assert len(data) == 720 and data == piiset.generate(360, seed=0)
    labelled = [s for s in data if s.spans]
    assert len(labelled) > 500 and any(not s.spans for s in data)
    assert {e for s in labelled for *_, e in s.spans} >= {"PHONE_NUMBER", "CREDIT_CARD", "EMAIL_ADDRESS",
                                                          "STREET_ADDRESS", "POSTCODE", "DATE_OF_BIRTH", "PERSON"}
    for s in labelled:
        for a, b, _ in s.spans:
            assert s.text[a:b].strip() == s.text[a:b] and b > a


def test_generated_set_writes_each_sentence_in_both_styles():
    data = piiset.generate(200, seed=3)
    assert len(piiset.generate()) >= 2 * 1000  # the default: at least 1,000 sentences per style
    for written, said in zip(data[0::2], data[1::2]):
        assert (written.style, said.style) == ("written", "spoken")
        assert [e for *_, e in written.spans] == [e for *_, e in said.spans]
        # pocketsphinx's way: lower case, no punctuation, no digits
        assert said.text == said.text.lower() and not re.search(r"[0-9.,?!]", said.text), said.text
    written = [s.text for s in data if s.style == "written"]
    assert all(t[0].isupper() for t in written) and sum(bool(re.search(r"\d", t)) for t in written) > 50


def test_pii_breakdown_gives_recall_per_style_and_entity():
    items = [piiset.LabelledSentence("call Kwame on 0770", ((5, 10, "PERSON"), (14, 18, "PHONE_NUMBER")), "written"),
             piiset.LabelledSentence("call kwame on oh seven", ((5, 10, "PERSON"), (14, 22, "PHONE_NUMBER")), "spoken"),
             piiset.LabelledSentence("play some jazz", (), "spoken")]

    def predict(text):  # finds the written name and every number, and "jazz"
        out = [pii.PiiSpan(14, len(text), "PHONE_NUMBER", 0.9)] if " on " in text else []
        out += [pii.PiiSpan(5, 10, "PERSON", 0.8)] if "Kwame" in text else []
        return out + ([pii.PiiSpan(10, 14, "PERSON", 0.8)] if "jazz" in text else [])

    result = metrics.pii_breakdown(items, predict, name_known=lambda name: name.lower() == "kwame")
    assert result["written"]["entities"]["PERSON"] == {"recall": 1.0, "spans": 1}
    assert result["spoken"]["entities"]["PERSON"] == {"recall": 0.0, "spans": 1}
    assert result["spoken"]["entities"]["PERSON_known"] == {"recall": 0.0, "spans": 1}
    assert result["spoken"]["recall"] == 0.5 and result["spoken"]["precision"] == 0.5
    assert result["spoken"]["false_positives"] == {"PERSON": 1} and result["spoken"]["sentences"] == 2


def test_span_scores_count_partial_detection_as_a_miss():
    text = "my number is oh seven seven double oh nine one two three four five six"
    item = piiset.LabelledSentence(text, ((13, len(text), "PHONE_NUMBER"),))
    half = lambda text: [pii.PiiSpan(13, 21, "PHONE_NUMBER", 0.9)]  # noqa: E731
    assert metrics.span_scores([item], half)["recall"] == 0.0
    assert metrics.span_scores([item], pii.detect) == {"recall": 1.0, "precision": 1.0, "spans": 1, "detections": 1}


def test_leak_counts_pii_words_still_said():
    words = metrics.pii_tokens("call oh seven seven", ((5, 19, "PHONE_NUMBER"),))
    assert words == ["zero", "seven", "seven"]
    assert metrics.leaked(words, "call [beep] 7") == 1
