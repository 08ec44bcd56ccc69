"""Names and addresses as recognisers write them: lower case, no punctuation, numbers as words."""
import pytest

from quietroom.deid import pii
from quietroom.deid.pii import lexicon


def _covered(text: str, words: str, entity: str | None = None) -> bool:
    start = text.index(words)
    return any(s.start <= start and s.end >= start + len(words) and (entity is None or s.entity == entity)
               for s in pii.detect(text))


@pytest.mark.parametrize("text, name", [
    ("hi this is kwame asante calling about my order", "kwame asante"),
    ("could you put me through to priya sharma please", "priya sharma"),
    ("i've got a message for siobhan", "siobhan"),
    ("it's oluwaseun here returning your call", "oluwaseun"),  # in no gazetteer: the cue decides
    ("i'm calling for wei zhang about the invoice", "wei zhang"),
    ("ask for mrs okafor at reception", "mrs okafor"),
    ("my name is grace", "grace"),
    ("can i speak to mariam al amin please", "mariam al amin"),
    ("yes siobhan speaking", "siobhan"),
    ("is funmilayo available", "funmilayo"),
    ("send the invoice to kwame mensah at the office", "kwame mensah"),  # no cue: both in the gazetteer
    ("this is will smith", "will smith"),  # "will" is a stop word; the family name decides
    ("Could you put me through to Priya Sharma?", "Priya Sharma"),
])
def test_a_name_after_a_cue_or_from_the_gazetteer_is_found(text, name):
    assert _covered(text, name, "PERSON"), pii.detect(text)


@pytest.mark.parametrize("text", [
    "will you grace us with your presence",
    "mark my words it will rain",
    "i hope the roses survive the frost",
    "this is ridiculous",
    "put me through to sales please",
    "can i speak to a manager",
    "hey siri what's the weather in paris",
    "the train to london leaves at nine",
    "call forwarding",
    "it's may day",
    "turn on the kitchen lights",
    "play songs by the rolling stones",
    "the bank of england raised rates",
    "The shop on Victoria Square is closed today.",
])
def test_ordinary_words_and_places_are_not_names(text):
    assert [text[s.start:s.end] for s in pii.detect(text) if s.entity == "PERSON"] == []


@pytest.mark.parametrize("text, address", [
    ("i live at twenty two acacia avenue leeds", "twenty two acacia avenue leeds"),
    ("flat three forty one station road manchester m one two a b", "flat three forty one station road manchester"),
    ("send it to sixteen hundred pennsylvania avenue washington", "sixteen hundred pennsylvania avenue washington"),
    ("we've moved to fifty eight martin luther king boulevard cardiff", "fifty eight martin luther king boulevard cardiff"),
    ("deliver to one hundred and eight st john's road milton keynes please", "one hundred and eight st john's road milton keynes"),
    ("My address is Flat 3, 41 Station Road, Manchester M1 2AB.", "Flat 3, 41 Station Road, Manchester"),
    ("1600 Pennsylvania Avenue NW, Washington, DC", "1600 Pennsylvania Avenue NW, Washington, DC"),
])
def test_addresses_in_both_styles_are_found_with_their_town(text, address):
    assert _covered(text, address, "STREET_ADDRESS"), pii.detect(text)


def test_the_postcode_after_a_spoken_address_is_found_too():
    text = "flat three forty one station road manchester m one two a b"
    assert _covered(text, "m one two a b", "POSTCODE")


@pytest.mark.parametrize("text", [
    "take the number twenty two bus down oxford street",
    "what's the weather in leeds",
    "the shop on station road is closed today",
])
def test_streets_and_towns_alone_are_not_addresses(text):
    assert pii.detect(text) == []


def test_an_email_with_a_number_said_in_words_is_found():
    text = "send the receipt to okafor forty six at btinternet dot com please"
    assert _covered(text, "okafor forty six at btinternet dot com", "EMAIL_ADDRESS")


def test_word_lists_come_from_the_kept_packages():
    assert lexicon.fold("Wiśniewski") == "wisniewski" and lexicon.fold("Łukasz") == "lukasz"
    assert {"kwame", "priya", "siobhan"} <= lexicon.first_names()
    assert lexicon.zipf("will") > 5.5 > lexicon.zipf("grace") > 3.5 > lexicon.zipf("kwame")
    assert lexicon.longest_town(["milton", "keynes", "please"], 0) == 2
    assert lexicon.longest_town(["please"], 0) == 0
