"""Presidio recognizers for personal data in French, as speech recognisers write it.

Written ("06 12 34 56 78", "jean.dupont@orange.fr", "12 rue de la Paix, 75002 Paris") or
spoken ("zéro six douze trente-quatre...", "jean point dupont arobase orange point fr",
"douze rue de la paix paris"): numbers go through the French grammar of `fr_spoken`, so one
rule reads both. Phone numbers (0X + 8 digits, +33), bank cards (Luhn), the social-security
number (NIR, checked by its key), IBAN (FR + 25 characters, checked mod 97), account and
customer numbers by context, postcodes (5 digits by context or before a town), street
addresses (number, street type, name, then a town), dates of birth. Names are in `fr_names`.
"""
from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult

from . import fr_lexicon, fr_spoken

LANGUAGE = "fr"
_CARD_WORDS = {"carte", "bancaire", "visa", "mastercard", "amex", "cb", "crédit", "credit", "expiration", "cryptogramme"}
_ACCOUNT_WORDS = {"compte", "client", "dossier", "référence", "reference", "contrat", "abonné", "abonne", "adhérent",
                  "adherent", "identifiant", "commande", "police", "passeport", "permis", "rib", "iban", "membre",
                  "fidélité", "fidelite", "sociétaire", "societaire", "facture"}
_NIR_WORDS = {"sécurité", "securite", "sociale", "sécu", "secu", "nir", "insee", "vitale"}
_PHONE_WORDS = {"téléphone", "telephone", "tél", "tel", "portable", "mobile", "fixe", "joindre", "appeler", "rappeler",
                "appelez", "rappelez", "numéro", "numero", "composer", "whatsapp", "sms", "texto", "ligne"}
_POSTCODE_CUES = (("code", "postal"), ("cp",))
_ADDRESS_WORDS = {"adresse", "habite", "habitons", "habitez", "domicile", "domicilié", "domicilie", "demeurant", "au"}
_CONTEXT_WINDOW = 8


def _result(entity: str, start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(entity_type=entity, start=start, end=end, score=score, analysis_explanation=None)


def _lows(tokens) -> list[str]:
    return [fr_spoken.plain(t.low) for t in tokens]


def _iban_ok(compact: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


class FrNumberRecognizer(EntityRecognizer):
    """Digit runs, written or spoken in French, classified by nearby words and by their shape."""

    ENTITIES = ["PHONE_NUMBER", "CREDIT_CARD", "ACCOUNT_NUMBER", "FR_NIR", "IBAN_CODE", "POSTCODE"]

    def __init__(self):
        super().__init__(supported_entities=self.ENTITIES, name="FrNumberRecognizer", supported_language=LANGUAGE)

    def load(self) -> None:
        fr_lexicon.towns()

    @staticmethod
    def _context(lows: list[str], i: int) -> set[str]:
        found = set()
        for k in range(i - 1, max(-1, i - 1 - _CONTEXT_WINDOW), -1):
            w = lows[k]
            if w in _CARD_WORDS:
                found.add("card")
            elif w in _NIR_WORDS:
                found.add("nir")
            elif w in _ACCOUNT_WORDS:
                found.add("account")
            elif w in _PHONE_WORDS:
                found.add("phone")
            if tuple(lows[k : k + 2]) == ("code", "postal") or w == "cp":
                found.add("postcode")
            elif w in STREET_TYPES or w == "adresse":
                found.add("address")  # "12 rue de la Paix, 75002": a postcode after a street
        return found

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = fr_spoken.tokenize(text)
        lows = _lows(tokens)
        out = []
        for i, j in fr_spoken.number_runs(tokens):
            start_i = i
            if i > 0 and lows[i - 1] in ("plus", "+"):
                start_i = i - 1
            # "FR76 ...", "f r soixante-seize ...": an IBAN's country code before its digits.
            iban_at = None
            if i > 0 and lows[i - 1] == "fr":
                iban_at = i - 1
            elif i > 1 and lows[i - 2 : i] == ["f", "r"]:
                iban_at = i - 2
            digits = fr_spoken.digits_of(tokens[i:j])
            n = len(digits)
            context = self._context(lows, start_i if iban_at is None else iban_at)
            entity, score = None, 0.0
            if iban_at is not None and n >= 20:
                entity, score, start_i = "IBAN_CODE", 0.9 if _iban_ok("FR" + digits) else 0.8, iban_at
            elif n == 15 and fr_spoken.nir_ok(digits):
                entity, score = "FR_NIR", 0.95
            elif "nir" in context and n >= 13:
                entity, score = "FR_NIR", 0.85
            elif "card" in context and n >= 4:
                entity, score = "CREDIT_CARD", 0.9
            elif n >= 13 and fr_spoken.luhn_ok(digits):
                entity, score = "CREDIT_CARD", 0.8
            elif "account" in context and n >= 4:
                entity, score = "ACCOUNT_NUMBER", 0.85
            elif "postcode" in context and 4 <= n <= 6:
                # "vingt six cents" is 20600 or 2600: said after "code postal", either way a postcode
                entity, score = "POSTCODE", 0.85
            elif "address" in context and n == 5:
                entity, score = "POSTCODE", 0.85
            elif start_i < i and lows[i:i + 1] and digits.startswith("33") and 10 <= n <= 12:
                entity, score = "PHONE_NUMBER", 0.9  # +33 6 12 34 56 78
            elif n == 10 and digits[0] == "0" and digits[1] != "0":
                entity, score = "PHONE_NUMBER", 0.85  # 01..09: every French number
            elif "phone" in context and n >= 6:
                entity, score = "PHONE_NUMBER", 0.85
            elif n == 5 and j < len(tokens) and fr_lexicon.longest_town(lows, j):
                entity, score = "POSTCODE", 0.8  # "75002 Paris"
            elif n >= 6:
                # A bare number this long identifies something (a customer or parcel number
                # whose context words were misheard); bleeping a price costs little.
                entity, score = "ACCOUNT_NUMBER", 0.6
            if entity:
                out.append(_result(entity, tokens[start_i].start, tokens[j - 1].end, score))
        return out


_NUMBER_WORDS = "|".join(sorted({*fr_spoken.UNITS, *fr_spoken.TEENS, *fr_spoken.TENS, "et"}, key=len, reverse=True))
_SEP = r"(?:\s+(?:point|tiret(?:\s+(?:bas|du\s+(?:bas|huit)))?|underscore|trait\s+d'union)\s+|[._-])"
_TLD = r"(?:fr|com|net|org|eu|be|ch|ca|lu|io|info|biz|me|re|uk|de)"
_EMAIL = re.compile(
    rf"\b[\w]+(?:{_SEP}[\w]+)*(?:\s+\d{{1,4}}|(?:[\s-]+(?:{_NUMBER_WORDS})){{1,5}})?(?:\s+arobase\s+|\s+at\s+|\s*@\s*)[\w-]+(?:(?:\s+point\s+|\.)[\w-]+)*"
    rf"(?:\s+point\s+|\.){_TLD}\b",
    re.IGNORECASE,
)
_DOMAIN_TOKEN = re.compile(rf"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.{_TLD}\b", re.IGNORECASE)


class FrEmailRecognizer(EntityRecognizer):
    """E-mail addresses written, or said aloud: "jean point dupont arobase orange point fr"."""

    def __init__(self):
        super().__init__(supported_entities=["EMAIL_ADDRESS"], name="FrEmailRecognizer", supported_language=LANGUAGE)

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        found = []
        for m in _EMAIL.finditer(text):
            found.append(_result("EMAIL_ADDRESS", m.start(), m.end(), 0.9))
        for m in _DOMAIN_TOKEN.finditer(text):
            found.append(_result("EMAIL_ADDRESS", m.start(), m.end(), 0.7))
        return found


class FrIbanRecognizer(EntityRecognizer):
    """Written IBANs of any country, grouped by four or not, checked mod 97."""

    _PATTERN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")

    def __init__(self):
        super().__init__(supported_entities=["IBAN_CODE"], name="FrIbanRecognizer", supported_language=LANGUAGE)

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        return [_result("IBAN_CODE", m.start(), m.end(), 0.95) for m in self._PATTERN.finditer(text)
                if _iban_ok(m.group().replace(" ", ""))]


STREET_TYPES = {"rue", "avenue", "av", "boulevard", "bd", "bld", "place", "chemin", "allée", "allee", "impasse", "quai",
                "route", "square", "passage", "cours", "voie", "esplanade", "faubourg", "sentier", "résidence",
                "residence", "lotissement", "hameau", "cité", "cite", "villa", "promenade", "ruelle", "rond", "parvis",
                "montée", "montee", "traverse", "mail", "clos"}
_ARTICLES = {"de", "la", "du", "des", "le", "les", "l'", "d'", "l", "d", "aux", "au"}
_NUMBER_SUFFIX = {"bis", "ter", "quater"}
MAX_NAME_WORDS = 6  # "du faubourg saint honoré", "du général de gaulle"


class FrStreetAddressRecognizer(EntityRecognizer):
    """House number [bis/ter] + street type + name ("12 rue de la Paix"), then a postcode
    and a town if they follow ("..., 75002 Paris"). Without a house number, no address."""

    def __init__(self):
        super().__init__(supported_entities=["STREET_ADDRESS"], name="FrStreetAddressRecognizer",
                         supported_language=LANGUAGE)

    def load(self) -> None:
        fr_lexicon.towns()

    @staticmethod
    def _name_end(text, tokens, lows, s: int) -> int:
        """Index of the last name word after the street type at s (s itself if none)."""
        stop = fr_lexicon.stop_words()
        end, k, words = s, s + 1, 0
        if lows[s] == "rond" and k < len(lows) and lows[k] == "point":
            end, k = k, k + 1
        while k < len(tokens) and words < MAX_NAME_WORDS:
            w = lows[k]
            if "," in text[tokens[k - 1].end : tokens[k].start]:
                break  # "rue des Peupliers, Aix-en-Provence": the name ended at the comma
            if words and fr_lexicon.longest_town(lows, k):
                break  # "rue victor hugo lyon": the town (`_town`), not more of the name
            if w in _ARTICLES or w.rstrip("'") in _ARTICLES:
                k += 1
                continue
            if fr_spoken.is_number_token(tokens[k]) or w in stop or not w.replace("'", "").isalpha():
                break
            if fr_spoken.month_index(w) is not None:
                break
            end, k, words = k, k + 1, words + 1
        return end if words else s

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = fr_spoken.tokenize(text)
        lows = _lows(tokens)
        out = []
        for s, w in enumerate(lows):
            if w not in STREET_TYPES or s == 0:
                continue
            k = s - 1
            if lows[k] in _NUMBER_SUFFIX:
                k -= 1
            if k < 0 or not fr_spoken.is_number_token(tokens[k]):
                continue
            while k - 1 >= 0 and fr_spoken.joins_number(tokens, k - 1):
                k -= 1
            end = self._name_end(text, tokens, lows, s)
            if end == s:
                continue
            end = self._town(text, tokens, lows, end)
            out.append(_result("STREET_ADDRESS", tokens[k].start, tokens[end].end, 0.85))
        return out

    @staticmethod
    def _town(text, tokens, lows, end: int) -> int:
        """The last token of a postcode and/or town right after the street ("..., 75002 Paris")."""
        def adjacent(i: int) -> bool:
            return i < len(tokens) and not text[tokens[i - 1].end : tokens[i].start].strip(" ,")

        i = end + 1
        if adjacent(i) and tokens[i].low.isdigit() and len(tokens[i].low) == 5:
            i += 1  # the postcode itself is bleeped by FrNumberRecognizer too
        if adjacent(i) and lows[i] in ("a", "à"):
            i += 1
        if adjacent(i):
            n = fr_lexicon.longest_town(lows, i)
            if n:
                return i + n - 1
        return end


# "né" only with its accent: without it, "ne" is the negation.
_DATE_CUES = {"né", "née", "nés", "nées", "naissance", "anniversaire"}


class FrDateOfBirthRecognizer(EntityRecognizer):
    """A date (written or spoken: "12/03/1985", "le 12 mars 1985", "le douze mars mille neuf
    cent quatre-vingt-cinq") with birth words ("né le", "date de naissance") just before."""

    def __init__(self):
        super().__init__(supported_entities=["DATE_OF_BIRTH"], name="FrDateOfBirthRecognizer", supported_language=LANGUAGE)

    def load(self) -> None:
        pass

    _NUMERIC = re.compile(r"\b\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}\b")

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = fr_spoken.tokenize(text)
        lows = _lows(tokens)
        spans = [(m.start(), m.end()) for m in self._NUMERIC.finditer(text)]
        for m_i, w in enumerate(lows):
            if fr_spoken.month_index(w) is None:
                continue
            start, end = m_i, m_i
            k = m_i - 1
            if k >= 0 and lows[k] == "premier":
                start = k
            elif k >= 1 and lows[k] == "er" and tokens[k - 1].low == "1":  # "1er mars"
                start = k - 1
            else:
                while k >= 0 and fr_spoken.joins_number(tokens, k) and m_i - k <= 3:
                    start, k = k, k - 1
            k = m_i + 1
            while k < len(tokens) and fr_spoken.joins_number(tokens, k) and k - m_i <= 8:
                end, k = k, k + 1
            if start == m_i and end == m_i:
                continue
            spans.append((tokens[start].start, tokens[end].end))
        out = []
        for a, b in spans:
            before = {t.low for t in fr_spoken.tokenize(text[max(0, a - 60) : a])}
            if before & _DATE_CUES:
                out.append(_result("DATE_OF_BIRTH", a, b, 0.85))
        return out
