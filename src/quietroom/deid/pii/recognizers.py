"""Presidio recognizers for personal data as speech recognisers write it.

Each is a small `EntityRecognizer` (Presidio's plug-in shape): numbers spoken or written
(phone, card, account), e-mail spoken as "john dot smith at gmail dot com", postcodes (GB
spelled out or written, US ZIP by context), dates of birth, and capitalised names introduced in
speech ("my name is ..."). Street addresses are in `addresses`, lower-case names in `names`;
spaCy NER adds PERSON where a trained pipeline is installed.
"""
from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult

from . import spoken

# Context words (looked for just before a number) -> what the number is.
_CARD_WORDS = {"card", "visa", "mastercard", "amex", "debit", "credit", "expiry", "cvv"}
_ACCOUNT_WORDS = {"account", "sort", "iban", "routing", "policy", "membership", "reference", "customer",
                  "insurance", "security", "ssn", "passport", "licence", "license", "pin", "member", "id"}
_PHONE_WORDS = {"phone", "mobile", "call", "ring", "reach", "landline", "cell", "telephone", "extension",
                "text", "contact", "dial", "whatsapp"}
_ZIP_WORDS = {"zip", "zipcode"}
# A number right after these is a house number even when the street name was misheard
# ("the address is 49, okay, shall ..."); bleeping a bare house number costs little.
_ADDRESS_WORDS = {"address", "live", "lives", "flat", "apartment", "house"}
_ADDRESS_WINDOW = 3
_CONTEXT_WINDOW = 8  # tokens looked back for context


def _result(entity: str, start: int, end: int, score: float) -> RecognizerResult:
    # Presidio fills in the recognizer's name and id itself (its context step matches on them).
    return RecognizerResult(entity_type=entity, start=start, end=end, score=score, analysis_explanation=None)


class SpokenNumberRecognizer(EntityRecognizer):
    """Digit runs (spoken or written) classified by nearby words and by their shape."""

    ENTITIES = ["PHONE_NUMBER", "CREDIT_CARD", "ACCOUNT_NUMBER", "POSTCODE"]

    def __init__(self):
        super().__init__(supported_entities=self.ENTITIES, name="SpokenNumberRecognizer", supported_language="en")

    def load(self) -> None:  # nothing to load: pure rules
        pass

    @staticmethod
    def _context(tokens, i: int) -> str | None:
        """What the words just before token i say the number is ("card number" is a card, not
        a phone: specific words outrank the generic "number")."""
        found = set()
        for k in range(i - 1, max(-1, i - 1 - _CONTEXT_WINDOW), -1):
            w = tokens[k].low
            if w in _CARD_WORDS:
                found.add("card")
            elif w in _ACCOUNT_WORDS:
                found.add("account")
            elif w in _ZIP_WORDS:
                found.add("zip")
            elif w in _PHONE_WORDS or w in ("number", "numbers"):
                found.add("phone")
        for kind in ("card", "account", "zip"):
            if kind in found:
                return kind
        if any(tokens[k].low in _ADDRESS_WORDS for k in range(max(0, i - _ADDRESS_WINDOW), i)):
            return "address"
        return "phone" if "phone" in found else None

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = spoken.tokenize(text)
        out = []
        for i, j in spoken.number_runs(tokens):
            start_i = i - 1 if i > 0 and tokens[i - 1].low in ("plus", "+") else i
            digits = spoken.digits_of(tokens[i:j])
            n = len(digits)
            context = self._context(tokens, i)
            entity, score = None, 0.0
            if context == "card" and n >= 4:
                entity, score = "CREDIT_CARD", 0.9
            elif context == "account" and n >= 4:
                entity, score = "ACCOUNT_NUMBER", 0.85
            elif context == "zip" and n in (5, 9):
                entity, score = "POSTCODE", 0.85
            elif context == "address" and 1 <= n <= 4:
                entity, score = "STREET_ADDRESS", 0.6
            elif context == "phone" and n >= 6:
                entity, score = "PHONE_NUMBER", 0.9
            elif n >= 13 and spoken.luhn_ok(digits):
                entity, score = "CREDIT_CARD", 0.8
            elif 10 <= n <= 12 and (digits.startswith(("0", "1", "44")) or start_i < i):
                entity, score = "PHONE_NUMBER", 0.7
            elif n >= 5:
                # A bare number this long identifies something (sort codes and account numbers
                # whose context words the recogniser misheard); bleeping a price costs little.
                entity, score = "ACCOUNT_NUMBER", 0.6
            if entity:
                out.append(_result(entity, tokens[start_i].start, tokens[j - 1].end, score))
        return out


_SEP = r"(?:\s+(?:dot|underscore|dash|hyphen)\s+|[._-])"
_TLD = r"(?:com|net|org|co|uk|io|ie|edu|gov|info|biz|de|fr|me|us|ca|au|nz)"
_NUMBER_WORD = "|".join(sorted({*spoken.UNITS, *spoken.TEENS, *spoken.TENS, *spoken.REPEAT}, key=len, reverse=True))
_EMAIL = re.compile(
    rf"\b[a-z0-9]+(?:{_SEP}[a-z0-9]+)*(?:\s+\d{{1,4}}|(?:\s+(?:{_NUMBER_WORD})){{1,4}})?(?:\s+at\s+|\s*@\s*)[a-z0-9]+(?:(?:\s+dot\s+|\.)[a-z0-9]+)*(?:\s+dot\s+|\.){_TLD}\b",
    re.IGNORECASE,
)


# When the recogniser hears "at" as a dot ("john.smith.gmail.com"): dotted words ending in a
# domain suffix, right after the word e-mail, are still an address.
_DOTTED = re.compile(rf"\b[a-z0-9]+(?:(?:\s+dot\s+|\s*\.\s*)[a-z0-9]+)+(?:\s+dot\s+|\s*\.){_TLD}\b", re.IGNORECASE)
_EMAIL_CONTEXT = re.compile(r"\b(?:e-?mail|email address|mail)\b[\s\w']{0,20}$", re.IGNORECASE)
# A domain the recogniser wrote as one token ("Outlook.com", "jmeslarkatu.co.uk": the rest of
# the address misheard or glued in). Said aloud to a voice product it is almost always part
# of an e-mail address; bleeping a bare web domain costs little.
_DOMAIN_TOKEN = re.compile(rf"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.{_TLD}\b", re.IGNORECASE)


class SpokenEmailRecognizer(EntityRecognizer):
    """E-mail addresses said aloud ("jane dot doe at example dot co dot uk") or half-written."""

    def __init__(self):
        super().__init__(supported_entities=["EMAIL_ADDRESS"], name="SpokenEmailRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        found = [_result("EMAIL_ADDRESS", m.start(), m.end(), 0.9) for m in _EMAIL.finditer(text)]
        for m in _DOTTED.finditer(text):
            if _EMAIL_CONTEXT.search(text[max(0, m.start() - 40) : m.start()]):
                found.append(_result("EMAIL_ADDRESS", m.start(), m.end(), 0.75))
        for m in _DOMAIN_TOKEN.finditer(text):
            found.append(_result("EMAIL_ADDRESS", m.start(), m.end(), 0.7))
        return found


_GB_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_LETTER_NAMES = {"bee": "B", "see": "C", "dee": "D", "gee": "G", "jay": "J", "kay": "K", "pee": "P",
                 "queue": "Q", "are": "R", "tee": "T", "you": "U", "vee": "V", "ex": "X", "why": "Y", "zed": "Z"}


class PostcodeRecognizer(EntityRecognizer):
    """GB postcodes, written ("SW1A 1AA") or spelled out ("S W one A one A A")."""

    def __init__(self):
        super().__init__(supported_entities=["POSTCODE"], name="PostcodeRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    @staticmethod
    def _piece(tok) -> str | None:
        w = tok.text
        if len(w) == 1 and w.isalpha():
            return w.upper()
        if tok.low in spoken.UNITS and tok.low != "o":
            return str(spoken.UNITS[tok.low])
        if w.isdigit() and len(w) <= 2:
            return w
        if w.isalnum() and 2 <= len(w) <= 4 and any(c.isdigit() for c in w):
            return w.upper()
        if w.isalpha() and w.isupper() and len(w) <= 2:
            return w
        return None

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = spoken.tokenize(text)
        out, i = [], 0
        while i < len(tokens):
            best = None
            compact = ""
            for j in range(i, min(len(tokens), i + 8)):
                piece = self._piece(tokens[j])
                if piece is None:
                    break
                compact += piece
                if _GB_POSTCODE.match(compact):
                    best = j
            if best is not None:
                out.append(_result("POSTCODE", tokens[i].start, tokens[best].end, 0.85))
                i = best + 1
            else:
                i += 1
        return out


_BIRTH = re.compile(r"\b(?:born|birth|birthday|d\s*o\s*b|dob)\b", re.IGNORECASE)


class DateOfBirthRecognizer(EntityRecognizer):
    """A date (spoken or written) with birth words shortly before it."""

    def __init__(self):
        super().__init__(supported_entities=["DATE_OF_BIRTH"], name="DateOfBirthRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        out = []
        for m in spoken.DATE.finditer(text):
            if _BIRTH.search(text[max(0, m.start() - 60) : m.start()]):
                out.append(_result("DATE_OF_BIRTH", m.start(), m.end(), 0.85))
        return out


_NAME = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
_INTRO = re.compile(
    rf"\b(?:[Mm]y name is|[Nn]ame's|[Tt]his is|[Ii] am|[Ii]'m|[Ss]peaking with|[Ss]peak to|[Aa]sk for|[Cc]alled|"
    rf"[Mm]y (?:wife|husband|son|daughter|mother|father|mum|dad|partner|friend|neighbour) is|"
    rf"(?:Mr|Mrs|Ms|Miss|Dr)\.?)\s+({_NAME}(?:\s+{_NAME}){{0,2}})"
)
# Capitalised words that follow "this is"/"I am" without being names.
_NOT_NAMES = {"The", "A", "An", "It", "Not", "Just", "Very", "So", "Calling", "Going", "Sorry", "Fine", "Good",
              "Great", "Here", "There", "Really", "Still", "Also", "Happy", "Ready", "Looking", "Trying",
              "Okay", "OK", "Yes", "No", "About", "Your", "My", "In", "At", "On", "From", "With", "Monday",
              "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "I", "We", "You"}


class IntroducedNameRecognizer(EntityRecognizer):
    """Names as people introduce them in calls ("my name is Jane Doe", "this is Raj", "Mrs Patel")."""

    def __init__(self):
        super().__init__(supported_entities=["PERSON"], name="IntroducedNameRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        out = []
        for m in _INTRO.finditer(text):
            words = m.group(1).split()
            keep = []
            for w in words:
                if w in _NOT_NAMES or w.lower() in spoken.MONTHS:
                    break
                keep.append(w)
            if keep:
                start = m.start(1)
                end = start + len(" ".join(keep))
                out.append(_result("PERSON", start, end, 0.85))
        return out
