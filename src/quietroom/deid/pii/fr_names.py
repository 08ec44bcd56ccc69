"""People's names in French transcripts, capitalised or not ("ici fatou diallo à l'appareil").

The French twin of `names`, simpler: spaCy's French NER (`PersonNotPlaceRecognizer` below)
finds capitalised names in context; these rules read the words where capitals are missing:

- after a cue ("je m'appelle", "mon nom est", "de la part de", "passez-moi", "message pour",
  "c'est", "ici", ...) or a title ("madame", "m.", "docteur"): up to four words that read as
  a name; before a cue ("... à l'appareil");
- with no cue, a given name then a family name, both in the gazetteer (`lexicon`, Faker's
  lists of ~60 locales, French among them).

A word reads as a name when the gazetteer knows it and French uses it rarely as a word, or
when French hardly uses it at all ("oluwaseun"); after a strong cue a common word the gazetteer
knows is taken too ("je m'appelle pierre"; "pierre" is also a stone).
"""
from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from . import fr_lexicon, fr_spoken, lexicon

LANGUAGE = "fr"
RARE = 3.0  # Zipf in French: rarer than this is hardly a French word
UNCOMMON = 4.0  # below this a word outside the gazetteer may still be a family name ("cissé" 3.1)
COMMON = 4.5  # from here a gazetteer name is an everyday word too ("pierre", "rose", "france")
TITLES = {"monsieur", "madame", "mademoiselle", "mme", "mlle", "m", "mr", "docteur", "dr", "maitre", "maître",
          "professeur", "pr"}
PARTICLES = {"de", "du", "des", "le", "la", "van", "von", "ben", "ibn", "el", "al", "ould", "ait", "da", "dos", "di",
             "n", "d'", "d", "mac", "mc", "bint", "abou", "abu"}
# Words the gazetteer holds that a French sentence uses as words after "je suis", "c'est".
NOT_NAMES = {"né", "née", "désolé", "désolée", "madame", "monsieur", "client", "cliente"}
WEEKDAYS = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}
def _cue(phrase: str) -> tuple[str, ...]:
    return tuple(t.low for t in fr_spoken.tokenize(phrase))


# Strong cues name a person outright; after them a common word the gazetteer knows is taken too
# ("je m'appelle pierre"). Medium cues are often followed by other things ("je suis désolé",
# "c'est parfait", "bonjour à tous"): only a rare word or a rare gazetteer name is taken there.
_STRONG = [_cue(c) for c in (
    "je m'appelle", "m'appelle", "mon nom est", "mon nom c'est", "nom de famille", "moi c'est", "de la part de",
    "passez-moi", "me passer", "message pour", "prénommé", "prénommée", "au nom de",
    "mon mari est", "ma femme est", "mon fils est", "ma fille est", "ma mère est", "mon père est",
    "mon épouse est", "mon conjoint est", "ma conjointe est", "mon collègue est", "ma collègue est",
    "mon frère est", "ma sœur est", "mon ami est", "mon amie est",
)]
_MEDIUM = [_cue(c) for c in (
    "c'est", "ici", "pour", "avec", "je suis", "parler à", "parler a", "parlé à", "parle à", "demandez", "demander",
    "bonjour", "bonsoir", "merci", "au revoir", "cher", "chère", "appelé", "appelée", "rappeler", "prévenir",
    "dire à", "dites à", "auprès de", "signé")]
_CUES_AFTER = [_cue(c) for c in ("à l'appareil", "a l'appareil", "au téléphone", "est disponible", "a appelé",
                                  "a appelée", "vous rappellera")]


# Endings of French infinitives, imperatives and participles. (spaCy tags many lower-case names
# VERB too - "kowalski", "agnieszka" -, so the tag alone is not enough; names ending so -
# "mercier", "didier" - are in the gazetteer.)
_VERB_ENDING = re.compile(r"(?:er|ir|re|ez|é|ée|és|ées|ant)$")


def _result(start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(entity_type="PERSON", start=start, end=end, score=score, analysis_explanation=None)


def _cue_table():
    table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for mode, cues in (("strong", _STRONG), ("medium", _MEDIUM)):
        for cue in cues:
            table.setdefault(cue[0], []).append((cue, mode))
    return table


_CUES_BY_FIRST = _cue_table()


class FrSpokenNameRecognizer(EntityRecognizer):
    """People's names in French lower-case or capitalised transcripts, from cues and the gazetteer."""

    def __init__(self):
        super().__init__(supported_entities=["PERSON"], name="FrSpokenNameRecognizer", supported_language=LANGUAGE)
        # The sentence being analysed's tags; one sentence at a time (`engine.detect` holds a lock).
        self._pos: dict[int, str] = {}

    def load(self) -> None:
        fr_lexicon.warm()

    @staticmethod
    def _stop(tok) -> bool:
        w = tok.low
        return (w in fr_lexicon.stop_words() or w in TITLES or w in NOT_NAMES or w in WEEKDAYS or w in lexicon.ASSISTANTS
                or fr_spoken.month_index(w) is not None or not w.replace("'", "").isalpha()
                or fr_spoken.is_number_token(tok) or len(w) < 2 or w.endswith("'"))  # "aujourd'", "l'"

    def _name_like(self, tok, mode: str, first: bool) -> bool:
        if self._stop(tok):
            return False
        # (No test on function-word tags as in English: spaCy's French model tags lower-case
        # names it has never seen ADP or PRON - "duc", "bui" -; the stop words cover those.)
        tag = self._pos.get(tok.start)
        if tag == "VERB" and _VERB_ENDING.search(tok.low) and not lexicon.is_name(lexicon.fold(tok.low)):
            return False  # "pour vérrouiller", "pour éjecter": a verb after the cue, not a name
        folded = lexicon.fold(tok.low)
        z = fr_lexicon.zipf(tok.low)
        known = lexicon.is_name(folded)
        capitalised = tok.text[:1].isupper()
        if known and (z < COMMON or capitalised):
            return True
        if known:  # a common French word too: only right after a strong cue or title, or as a later word
            return mode in ("strong", "title") or not first
        if z < RARE:
            return mode in ("strong", "title", "medium") or not first
        if z < UNCOMMON:  # "cissé" (3.1): written in French text, mostly as a name
            return mode in ("strong", "title") or not first
        return False

    def _take(self, tokens, span_start: int, i: int, mode: str, out, score: float) -> None:
        if mode == "title" and i + 1 < len(tokens) and tokens[i].low in PARTICLES \
                and self._name_like(tokens[i + 1], mode, first=False):
            out.append(_result(tokens[span_start].start, tokens[i + 1].end, score))  # "madame da silva", "m. le gall"
            return
        if i >= len(tokens) or not self._name_like(tokens[i], mode, first=True):
            return
        if mode == "medium" and fr_lexicon.longest_town([fr_spoken.plain(t.low) for t in tokens], i):
            return  # "le train pour Saint-Malo"
        j, words = i + 1, 1
        while j < len(tokens) and words < 4:
            if tokens[j].low in PARTICLES and j + 1 < len(tokens) and self._name_like(tokens[j + 1], mode, first=False):
                j, words = j + 2, words + 2
            elif self._name_like(tokens[j], mode, first=False):
                j, words = j + 1, words + 1
            else:
                break
        out.append(_result(tokens[span_start].start, tokens[j - 1].end, score))

    def analyze(self, text, entities, nlp_artifacts=None):
        tokens = fr_spoken.tokenize(text)
        lows = [t.low for t in tokens]
        # spaCy's part-of-speech tags by character offset (none with the blank pipeline).
        self._pos = {t.idx: t.pos_ for t in getattr(nlp_artifacts, "tokens", None) or () if t.pos_}
        out: list[RecognizerResult] = []
        for s, w in enumerate(lows):
            for cue, mode in _CUES_BY_FIRST.get(w, ()):
                n = len(cue)
                if tuple(lows[s : s + n]) != cue:
                    continue
                i = s + n
                while i < len(tokens) and lows[i] in TITLES:  # "c'est madame diallo"
                    i += 1
                self._take(tokens, s + n, i, "title" if i > s + n else mode, out, 0.8)
            if w in TITLES and (w != "m" or tokens[s].text == "M"):
                self._take(tokens, s, s + 1, "title", out, 0.8)
        for s in range(1, len(tokens)):
            for cue in _CUES_AFTER:
                if tuple(lows[s : s + len(cue)]) != cue:
                    continue
                j = s
                while j > 0 and s - j < 4:
                    if self._name_like(tokens[j - 1], "strong", first=True):
                        j -= 1
                    elif j > 1 and j < s and lows[j - 1] in PARTICLES \
                            and self._name_like(tokens[j - 2], "strong", first=True):
                        j -= 2  # "rui da silva a appelé"
                    else:
                        break
                if j < s:
                    out.append(_result(tokens[j].start, tokens[s - 1].end, 0.75))
        first, family = lexicon.first_names(), lexicon.family_names()
        for i in range(len(tokens) - 1):
            a, b = tokens[i], tokens[i + 1]
            fa, fb = lexicon.fold(a.low), lexicon.fold(b.low)
            if fa in first and fb in family and not self._stop(a) and not self._stop(b) \
                    and fr_lexicon.zipf(a.low) < 5.0 and fr_lexicon.zipf(b.low) < COMMON \
                    and not _names_a_place(lows, i):
                out.append(_result(a.start, b.end, 0.7))
        return out


def _names_a_place(lows: list[str], i: int) -> bool:
    """The name at token i follows a street or building word ("rue Victor Hugo", "avenue du
    Général de Gaulle", "lycée Jean Moulin"): a place named after someone, not a person."""
    k = i - 1
    while k >= 0 and lows[k] in ("de", "du", "des", "la", "le", "l'", "d'", "général", "président", "maréchal",
                                 "saint", "sainte"):
        k -= 1
    return k >= 0 and fr_spoken.plain(lows[k]) in _PLACE_PLAIN


_NOT_NAME_POS = {"VERB", "AUX", "ADV", "PRON", "DET", "ADP", "CCONJ", "SCONJ"}
_PLACE_WORDS = {"rue", "avenue", "boulevard", "place", "gare", "quai", "chemin", "allée", "impasse", "route", "pont",
                "parc", "tour", "église", "musée", "lycée", "collège", "école", "hôpital", "aéroport", "centre",
                "boulevard", "square", "cours", "passage", "stade", "salle", "résidence", "cité", "pont", "gymnase",
                "médiathèque", "bibliothèque", "clinique", "institut", "fondation", "université", "faculté"}
_PLACE_PLAIN = frozenset(fr_spoken.plain(w) for w in _PLACE_WORDS)


class FrPersonNotPlaceRecognizer(SpacyRecognizer):
    """spaCy's French PER, less places, towns and numbers it takes for people."""

    def __init__(self):
        super().__init__(supported_language=LANGUAGE, supported_entities=["PERSON"])

    def analyze(self, text, entities, nlp_artifacts=None):
        kept = []
        stop = fr_lexicon.stop_words()
        for r in super().analyze(text, entities, nlp_artifacts):
            tokens = fr_spoken.tokenize(text[r.start : r.end])
            words = [fr_spoken.plain(t.low) for t in tokens]
            if not words or any(w in _PLACE_WORDS or w.isdigit() for w in words):
                continue
            if any(t.low in lexicon.ASSISTANTS for t in tokens):
                continue  # "Dis Siri"
            if r.start == 0 and len(tokens) == 1 and fr_lexicon.zipf(tokens[0].low) > 0 \
                    and not lexicon.is_name(lexicon.fold(tokens[0].low)):
                continue  # a French word opening the sentence ("Livrez-le", "Allume"): a verb read as a name
            spacy_tokens = {t.idx: t for t in getattr(nlp_artifacts, "tokens", None) or ()}
            head = spacy_tokens.get(r.start)
            if len(tokens) == 1 and head is not None and head.lemma_.lower() != head.lower_ \
                    and not lexicon.is_name(lexicon.fold(tokens[0].low)):
                continue  # "Composez": an inflected French word (its lemma differs), not a name
            if any(fr_spoken.plain(t.low) in WEEKDAYS or fr_spoken.month_index(t.low) is not None for t in tokens):
                continue  # "Lundi"
            pos = {t.idx: t.pos_ for t in spacy_tokens.values()}
            if any(pos.get(r.start + t.start) in _NOT_NAME_POS for t in tokens[:1]):
                continue  # "Livrez-le", "Allume la lumière": spaCy reads a verb
            if all(t.low in stop or t.low.endswith("'") or (fr_lexicon.zipf(t.low) >= UNCOMMON
                                                              and not lexicon.is_name(lexicon.fold(t.low)))
                   for t in tokens):
                continue  # "Livrez", "Numéro", "Merci" at the head of a sentence: words, not names
            if fr_lexicon.longest_town(words, 0) == len(words):
                continue  # "Lyon", "Saint-Étienne"
            before = [t.low for t in fr_spoken.tokenize(text[max(0, r.start - 30) : r.start])]
            if _names_a_place(before + words, len(before)):
                continue  # "rue Victor Hugo", "lycée Jean Moulin"
            kept.append(r)
        return kept
