"""Reading numbers, letters and dates the way speech recognisers write them down.

A hypothesis says "oh seven seven double oh nine" or "07700 900" or "twenty two": `Token`s carry
character offsets into the hypothesis, and `digits_of` turns a run of them into the digit string
a person meant, so recognizers can reason about the number rather than its spelling.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"zero": 0, "oh": 0, "o": 0, "nought": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4,
         "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
REPEAT = {"double": 2, "triple": 3}
MONTHS = ("january february march april may june july august september october november december").split()
ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth").split()

_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+|[@+]")


@dataclass(frozen=True)
class Token:
    text: str  # as written
    low: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def is_number_token(tok: Token) -> bool:
    w = tok.low
    return w.isdigit() or w in UNITS or w in TEENS or w in TENS or w in REPEAT or w in ("hundred", "thousand")


def digits_of(tokens: list[Token]) -> str:
    """Digit string for a run of number tokens ("double oh nine" -> "009", "seventy seven" -> "77")."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        w = tokens[i].low
        if w in REPEAT and i + 1 < len(tokens) and (tokens[i + 1].low in UNITS or tokens[i + 1].low.isdigit()):
            nxt = tokens[i + 1].low
            out.append((str(UNITS[nxt]) if nxt in UNITS else nxt) * REPEAT[w])
            i += 2
            continue
        if w.isdigit():
            out.append(w)
        elif w in UNITS:
            out.append(str(UNITS[w]))
        elif w in TEENS:
            out.append(str(TEENS[w]))
        elif w in TENS:
            if i + 1 < len(tokens) and tokens[i + 1].low in UNITS and UNITS[tokens[i + 1].low] > 0 \
                    and tokens[i + 1].low not in ("oh", "o"):
                out.append(str(TENS[w] + UNITS[tokens[i + 1].low]))
                i += 2
                continue
            out.append(str(TENS[w]))
        elif w == "hundred":
            # "one hundred and twenty eight" -> 128; a bare "nine hundred" -> 900.
            k = i + 1
            if k < len(tokens) and tokens[k].low == "and":
                k += 1
            nxt = tokens[k].low if k < len(tokens) else ""
            if nxt in TENS:
                unit = tokens[k + 1].low if k + 1 < len(tokens) else ""
                if unit in UNITS and UNITS[unit] > 0 and unit not in ("oh", "o"):
                    out.append(str(TENS[nxt] + UNITS[unit]))
                    i = k + 2
                    continue
                out.append(str(TENS[nxt]))
                i = k + 1
                continue
            if nxt in TEENS:
                out.append(str(TEENS[nxt]))
                i = k + 1
                continue
            if nxt in UNITS and k > i + 1:  # "hundred and eight"
                out.append("0" + str(UNITS[nxt]))
                i = k + 1
                continue
            out.append("00")
        elif w == "thousand":
            out.append("000")
        i += 1
    return "".join(out)


def joins_number(tokens: list[Token], j: int) -> bool:
    """Token j continues a number: a number word, or the "and" of "one hundred and eight"."""
    if is_number_token(tokens[j]):
        return True
    return (tokens[j].low == "and" and j > 0 and tokens[j - 1].low in ("hundred", "thousand")
            and j + 1 < len(tokens) and is_number_token(tokens[j + 1]))


def number_runs(tokens: list[Token]) -> list[tuple[int, int]]:
    """[i, j) index ranges of maximal runs of number tokens (a dangling "double" is dropped)."""
    runs, i = [], 0
    while i < len(tokens):
        if is_number_token(tokens[i]) and tokens[i].low not in ("hundred", "thousand"):
            j = i
            while j < len(tokens) and joins_number(tokens, j):
                j += 1
            if tokens[j - 1].low in REPEAT:
                j -= 1
            if j > i:
                runs.append((i, j))
            i = max(j, i + 1)
        else:
            i += 1
    return runs


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ---- dates, written or spoken -------------------------------------------------------------
_U = "|".join(k for k in UNITS if k not in ("o", "nil", "nought", "zero"))
_TEEN = "|".join(TEENS)
_TEN = "|".join(TENS)
_ORD_WORDS = "|".join(ORDINALS + [f"(?:twenty|thirty)[ -]{o}" for o in ORDINALS[:9]])
ORDINAL = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORD_WORDS}|(?:{_TEN})[ -](?:{_U})|{_TEEN}|{_TEN}|{_U})"
MONTH = "(?:" + "|".join(MONTHS) + ")"
YEAR = (rf"(?:\d{{4}}|(?:nineteen|twenty)\s+(?:oh\s+(?:{_U})|(?:{_TEN})(?:[ -](?:{_U}))?|{_TEEN}|hundred)"
        rf"|two\s+thousand(?:\s+and)?(?:\s+(?:(?:{_TEN})(?:[ -](?:{_U}))?|{_TEEN}|{_U}))?)")
DATE = re.compile(
    rf"\b(?:(?:the\s+)?{ORDINAL}\s+(?:of\s+)?{MONTH}(?:,?\s+(?:in\s+)?{YEAR})?"
    rf"|{MONTH}\s+(?:the\s+)?{ORDINAL}(?:,?\s+{YEAR})?"
    rf"|{MONTH}\s+{YEAR}"
    rf"|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}})\b",
    re.IGNORECASE,
)
