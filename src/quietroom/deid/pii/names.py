"""People's names as recognisers write them, capitalised or not ("this is kwame asante").

spaCy's NER and `IntroducedNameRecognizer` lean on capital letters, which pocketsphinx never
writes and Whisper does not always write. This recognizer reads the words instead:

- after a cue phrase ("my name is", "this is", "put me through to", "message for", "calling
  for", "speak to", "ask for", "hello", ...) or a title ("mrs", "dr"), or before a cue ("...
  here", "... speaking", "is ... available"): up to four words that read as a name;
- with no cue, a given name followed by a family name, both in the gazetteer (`lexicon`).

A word reads as a name when the gazetteer knows it and it is rare as an English word
("kwame"), or when the gazetteer does not know it and English hardly uses it ("oluwaseun").
A name that is also a common word ("grace", "mark", "will", "hope") needs more: spaCy must tag
it as a noun or proper noun in this sentence ("will you grace us": verb), and the commonest
ones ("will", "may") must be followed by a family name. After weak cues ("to", "is", "from")
only clear names are taken: capitalised places follow them too ("the train to London").
"""
from __future__ import annotations

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from . import lexicon, spoken


def _tok(word: str) -> spoken.Token:
    return spoken.Token(word, word, 0, 0)


RARE = 3.5  # Zipf: rarer than this is hardly an English word ("kwame" 0, "jun" 3.9, "grace" 4.6)
COMMON = 4.5  # from here a name is an everyday word too ("grace", "mark", "rose"): spaCy must agree
VERY_COMMON = 5.5  # "will", "may", "can": a name only with a family name after it
# Tags that no name word gets, even from a tagger reading lower-case text.
_FUNCTION_POS = {"AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "NUM", "PART", "INFLECTED"}
# A word outside the gazetteer that spaCy tags so, with a lemma that differs from it, is an
# inflected English word; its tag is then "INFLECTED", which no name word gets.
_INFLECTING = {"VERB", "ADJ", "ADV", "AUX"}
TITLES = {"mr", "mrs", "ms", "miss", "dr", "doctor", "mister", "missus", "sir", "dame", "professor"}
# Particles inside a name ("mariam al amin", "ni bhriain"), never its first word.
PARTICLES = {"al", "el", "bin", "ibn", "bint", "abu", "van", "von", "der", "den", "de", "da", "di", "du", "del", "della",
             "la", "le", "mac", "mc", "ni", "nic", "o", "ap", "ben", "dos", "das", "st"}
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
# Cue phrases, as word tuples, after which a name is expected: strong ones (a name follows
# them more often than not), those that address a person ("tell", "call"), and weak ones.
_STRONG = [tuple(c.split()) for c in (
    "my name is", "name is", "name's", "this is", "it's", "it is", "i am", "i'm", "speak to", "speak with",
    "speaking to", "speaking with", "spoke to", "spoke with", "spoken to", "talk to", "talk with", "talking to",
    "put me through to", "through to", "transfer me to", "message for", "calling for", "call for", "ask for",
    "asking for", "asked for", "hello", "hi", "hey", "dear", "thanks", "thank you", "bye", "goodbye",
    "morning", "afternoon", "evening", "called", "named", "my wife is", "my husband is", "my partner is",
    "my son is", "my daughter is", "my mother is", "my father is", "my mum is", "my dad is", "my friend is",
    "my neighbour is", "my brother is", "my sister is", "my boss is", "my colleague is",
)]
_MEDIUM = [tuple(c.split()) for c in ("tell", "ask", "call", "ring", "text", "email", "under", "looking for")]
_WEAK = [tuple(c.split()) for c in ("is", "was", "with", "for", "to", "from", "about", "by", "and")]
_CUES_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _mode, _cues in (("strong", _STRONG), ("medium", _MEDIUM), ("weak", _WEAK)):
    for _cue in _cues:
        _CUES_BY_FIRST.setdefault(_cue[0], []).append((_cue, _mode))
# Words after a name: "kwame here", "yes siobhan speaking", "is funmilayo available".
_CUES_AFTER = {"here", "speaking", "calling", "available", "called", "rang", "phoned", "emailed", "texted", "said",
               "asked", "wants", "wanted"}
# Street words that end a spaCy "PERSON" which is a place ("Victoria Square", "Jubilee Grove").
_PLACE_ENDINGS = {"street", "road", "avenue", "lane", "drive", "crescent", "square", "grove", "terrace", "boulevard",
                  "mews", "parade", "gardens", "station", "place"}


def _result(start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(entity_type="PERSON", start=start, end=end, score=score, analysis_explanation=None)


class SpokenNameRecognizer(EntityRecognizer):
    """People's names in lower-case or capitalised transcripts, from cues and the gazetteer."""

    def __init__(self):
        super().__init__(supported_entities=["PERSON"], name="SpokenNameRecognizer", supported_language="en")

    def load(self) -> None:
        lexicon.warm()

    # ---- what one word is ------------------------------------------------------------------
    @staticmethod
    def _kind(word: str) -> str:
        """'stop', 'rare_name' (gazetteer, rare word), 'unknown' (not in the gazetteer, rare word),
        'common_name' (gazetteer, common word) or 'word'."""
        if word in lexicon.stop_words() or word in lexicon.ASSISTANTS or word in TITLES or word in WEEKDAYS \
                or word in spoken.MONTHS or not word.replace("'", "").isalpha() or spoken.is_number_token(_tok(word)):
            return "stop"
        z = lexicon.zipf(word)
        if lexicon.is_name(word):
            return "rare_name" if z < RARE else "common_name"
        return "unknown" if z < RARE and len(word) > 1 else "word"

    def _name_like(self, tok, pos: dict, *, first: bool, mode: str, at_start: bool = False) -> bool:
        """The token can be a name word here. `first`: it begins the name; `mode`: what came
        before - a 'strong', 'medium' or 'weak' cue, or a 'title'."""
        w = tok.low
        kind = self._kind(w)
        if kind == "rare_name":
            return True
        tag = pos.get(tok.start)
        if kind == "unknown":
            if tag in _FUNCTION_POS:
                return False
            # Not in the gazetteer: a word English does not use at all ("oluwaseun"; spaCy's
            # tags for those are guesses), or a rare one spaCy reads as a noun ("nasser", not
            # "unacceptable").
            if lexicon.zipf(w) > 0 and tag not in (("PROPN", "NOUN", None) if mode != "medium" else ("PROPN", None)):
                return False  # "call forwarding"
            return not first or mode in ("strong", "medium", "title")
        if kind != "common_name":
            return False
        if tag in _FUNCTION_POS:
            return False
        z = lexicon.zipf(w)
        capitalised = tok.text[:1].isupper() and not at_start
        if mode == "title":
            return True  # "Mrs" then a family name, however common a word: "ms young", "dr white"
        if mode == "weak":
            # After "to", "from", "is" capitalised places are proper nouns too ("the train to
            # London"): a common word only continues a name already begun.
            return not first and (tag == "PROPN" or capitalised)
        if first and mode != "title":
            if w not in lexicon.first_names() and z >= COMMON and tag != "PROPN" and not capitalised:
                return False  # "put me through to sales": a family name, said as a word
            if z >= VERY_COMMON and not (capitalised and tag == "PROPN"):
                return False  # "will": only with a family name after it, or written "Will"
        if z >= COMMON and tag not in ("PROPN", "NOUN", None) and not capitalised:
            return False  # "will you grace us", "this is rose from..." read as a verb
        if mode == "medium" and first and z >= COMMON and tag != "PROPN" and not capitalised:
            return False  # "tell mark", "call bill": the verb reading is as likely
        return True

    def _extend(self, tokens, pos, j: int, mode: str, words: int) -> int:
        """Index after the name words that continue a name ending before token j."""
        while j < len(tokens) and words < 4:
            if tokens[j].low in PARTICLES and j + 1 < len(tokens) \
                    and self._name_like(tokens[j + 1], pos, first=False, mode=mode):
                j, words = j + 2, words + 2
            elif self._name_like(tokens[j], pos, first=False, mode=mode):
                j, words = j + 1, words + 1
            else:
                break
        return j

    # ---- the ways a name is found ----------------------------------------------------------
    def _take(self, tokens, pos, span_start: int, i: int, mode: str, out, score: float) -> None:
        """A name from token i after a cue or a title; the span starts at token `span_start`
        so that a title is bleeped with the name."""
        if i >= len(tokens):
            return
        if mode in ("strong", "title") and self._two_names(tokens, pos, i, mode):
            j = i + 2  # two name words in a row after a cue: "this is hope wood", "will smith"
        elif self._name_like(tokens[i], pos, first=True, mode=mode, at_start=i == 0):
            j = i + 1
        else:
            return
        j = self._extend(tokens, pos, j, "strong" if mode == "title" else mode, j - i)
        out.append(_result(tokens[span_start].start, tokens[j - 1].end, score))

    def _two_names(self, tokens, pos, i: int, mode: str) -> bool:
        """Tokens i and i+1 are a given and a family name, both in the gazetteer, right after a
        strong cue or a title, whatever English makes of them ("this is will smith": spaCy
        reads a verb; "will" is even a stop word). The family name must not be one of the
        commonest words ("it's may day")."""
        if i + 1 >= len(tokens):
            return False
        a, b = tokens[i].low, tokens[i + 1].low
        firsts = lexicon.first_names() if mode == "strong" else lexicon.first_names() | lexicon.family_names()
        if a not in firsts or b not in lexicon.family_names() or a in lexicon.ASSISTANTS:
            return False
        if self._kind(a) not in ("rare_name", "common_name") and not (self._kind(a) == "stop" and a.isalpha()):
            return False
        if self._kind(b) not in ("rare_name", "common_name") or lexicon.zipf(b) >= VERY_COMMON:
            return False
        return pos.get(tokens[i + 1].start) not in _FUNCTION_POS

    def _after_cue(self, tokens, pos, out) -> None:
        lows = [t.low for t in tokens]
        for s, w in enumerate(lows):
            for cue, mode in _CUES_BY_FIRST.get(w, ()):
                n = len(cue)
                if tuple(lows[s : s + n]) != cue:
                    continue
                i = s + n
                while i < len(tokens) and lows[i] in TITLES:  # "this is mrs okafor"
                    i += 1
                self._take(tokens, pos, s + n, i, "title" if i > s + n else mode, out, 0.8)

    def _titles(self, tokens, pos, out) -> None:
        for s, tok in enumerate(tokens):
            # "doctor" and "miss" are ordinary words too ("i miss london"): titles only when
            # a cue comes first or Whisper capitalised them.
            if tok.low in TITLES and (tok.low not in ("doctor", "miss") or tok.text[0].isupper() and s > 0):
                self._take(tokens, pos, s, s + 1, "title", out, 0.8)

    def _before_cue(self, tokens, pos, out) -> None:
        """"kwame here", "yes siobhan speaking", "can harry call me back": the words just
        before, back to the start or a function word."""
        for s, tok in enumerate(tokens):
            after = tok.low in _CUES_AFTER or (tok.low == "call" and s + 1 < len(tokens)
                                               and tokens[s + 1].low in ("me", "us", "back"))
            if not after or s == 0:
                continue
            j = s
            while j > 0 and s - j < 3 and self._name_like(tokens[j - 1], pos, first=True, mode="strong", at_start=j == 1):
                j -= 1
            if j < s and (j == 0 or tokens[j - 1].low in lexicon.stop_words()):
                out.append(_result(tokens[j].start, tokens[s - 1].end, 0.75))

    def _no_cue(self, tokens, pos, out) -> None:
        """A given name then a family name, both in the gazetteer, continued by further name
        words. (A lone given name with no cue is left to spaCy: Faker's lists hold rare words
        too - "tilde", "tango" - that a one-word prompt says without meaning anyone.)"""
        first, family = lexicon.first_names(), lexicon.family_names()
        for i, tok in enumerate(tokens):
            w = tok.low
            kind = self._kind(w)
            if w not in first or kind in ("stop", "word"):
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is None or nxt.low not in family or self._kind(nxt.low) not in ("rare_name", "common_name"):
                continue
            tags = {pos.get(tok.start), pos.get(nxt.start)}
            both_capitalised = tok.text[:1].isupper() and nxt.text[:1].isupper() and i > 0
            if {kind, self._kind(nxt.low)} == {"common_name"} and tags != {"PROPN"} and not both_capitalised:
                continue  # "mark brown" as a verb and a colour
            if tags & _FUNCTION_POS or lexicon.zipf(w) >= VERY_COMMON:
                continue
            j = self._extend(tokens, pos, i + 2, "weak", 2)
            out.append(_result(tok.start, tokens[j - 1].end, 0.7))
        for i in range(len(tokens) - 1):
            # A word English does not use, then a family name it does not use either:
            # "vikram chowdhury" with "vikram" missing from the gazetteer.
            a, b = tokens[i], tokens[i + 1]
            if lexicon.zipf(a.low) == 0 and self._kind(a.low) == "unknown" and b.low in family \
                    and lexicon.zipf(b.low) == 0 and self._kind(b.low) == "rare_name":
                j = self._extend(tokens, pos, i + 2, "weak", 2)
                out.append(_result(a.start, tokens[j - 1].end, 0.65))

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = spoken.tokenize(text)
        pos = {}
        if nlp_artifacts is not None and getattr(nlp_artifacts, "tokens", None) is not None:
            for t in nlp_artifacts.tokens:
                if t.pos_ in _INFLECTING and t.lemma_.isalpha() and t.lemma_.lower() != t.lower_ \
                        and not lexicon.is_name(t.lower_):
                    # "compressing", "configured": an English word's form. (Not for gazetteer
                    # names: lower-case "ahmed" tagged a verb gets the lemma "ahm".)
                    pos[t.idx] = "INFLECTED"
                elif t.pos_:
                    pos[t.idx] = t.pos_
        out: list[RecognizerResult] = []
        self._after_cue(tokens, pos, out)
        self._titles(tokens, pos, out)
        self._before_cue(tokens, pos, out)
        self._no_cue(tokens, pos, out)
        return out


class PersonNotPlaceRecognizer(SpacyRecognizer):
    """spaCy's PERSON, less the places it takes for people: a "name" ending in a street word
    ("Victoria Square", "Jubilee Grove", "Victoria Station")."""

    def __init__(self):
        super().__init__(supported_entities=["PERSON"])

    def analyze(self, text, entities, nlp_artifacts=None):
        results = super().analyze(text, entities, nlp_artifacts)
        return [r for r in results if text[r.start : r.end].split()[-1:] and
                text[r.start : r.end].split()[-1].lower().strip(".,") not in _PLACE_ENDINGS]
