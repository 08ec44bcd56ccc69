"""Reading French numbers the way speech recognisers write them down.

"zéro six douze trente-quatre cinquante-six soixante-dix-huit" is the phone number
0612345678: French is read in pairs, and a pair can take three words ("quatre-vingt-dix-sept").
`tokenize` splits on spaces and hyphens ("soixante-dix-huit" -> soixante, dix, huit) and keeps
character offsets; `number_runs` finds runs of number tokens and `digits_of` turns one into the
digit string a person meant: each spoken group (0-99, or with "cent"/"mille") becomes its
digits, one digit when said as one digit ("zéro", "six"), two for a pair ("douze" -> 12).
Accents are optional throughout (a recogniser may drop them: "zero", "deuxieme").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

UNITS = {"zéro": 0, "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
         "sept": 7, "huit": 8, "neuf": 9}
TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16}
TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
        "septante": 70, "huitante": 80, "octante": 80, "nonante": 90}  # Belgian and Swiss forms too
BIG = {"cent": 100, "cents": 100, "mille": 1000}
MONTHS = ("janvier février mars avril mai juin juillet août septembre octobre novembre décembre").split()
_MONTHS_PLAIN = {unicodedata.normalize("NFKD", m).encode("ascii", "ignore").decode(): i for i, m in enumerate(MONTHS)}

_TOKEN = re.compile(r"[^\W\d_]+(?:['’](?=[^\W\d_]))?|\d+|[@+]")


@dataclass(frozen=True)
class Token:
    text: str  # as written
    low: str  # lower case, accents kept
    start: int
    end: int


def plain(word: str) -> str:
    """Lower case without accents: "Zéro" -> "zero"."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def tokenize(text: str) -> list[Token]:
    """Words (an elided "l'" or "d'" is its own token), digit runs, "@" and "+"."""
    return [Token(m.group(), m.group().lower().replace("’", "'"), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _value(tok: Token) -> tuple[str, int] | None:
    w = plain(tok.low)
    for kind, table in (("unit", UNITS), ("teen", TEENS), ("ten", TENS), ("big", BIG)):
        if w in table or tok.low in table:
            return kind, table.get(w, table.get(tok.low))
    return None


def is_number_token(tok: Token) -> bool:
    return tok.low.isdigit() or _value(tok) is not None


def joins_number(tokens: list[Token], j: int) -> bool:
    """Token j continues a number: a number word, or the "et" of "vingt et un"."""
    if is_number_token(tokens[j]):
        return True
    return (tokens[j].low == "et" and 0 < j < len(tokens) - 1 and (_value(tokens[j - 1]) or ("", 0))[0] == "ten"
            and plain(tokens[j + 1].low) in ("un", "une", "onze"))


def number_runs(tokens: list[Token]) -> list[tuple[int, int]]:
    """[i, j) index ranges of maximal runs of number tokens."""
    runs, i = [], 0
    while i < len(tokens):
        if is_number_token(tokens[i]):
            j = i
            while j < len(tokens) and joins_number(tokens, j):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _pair(tokens: list[Token], i: int) -> tuple[int, int] | None:
    """(value 0-99 said as a pair, tokens used) from token i: "douze", "trente et un",
    "soixante-dix-huit", "quatre-vingt-dix-sept", "quatre-vingts"; None if token i starts none."""
    v = _value(tokens[i]) if i < len(tokens) else None
    if v is None:
        return None
    kind, n = v
    nxt = _value(tokens[i + 1]) if i + 1 < len(tokens) else None
    if kind == "unit" and n == 4 and nxt == ("ten", 20):  # quatre-vingt(s)
        if plain(tokens[i + 1].low) == "vingts":  # the plural is 80 exactly ("quatre-vingts douze": 80 12)
            return 80, 2
        kind, n, i = "ten", 80, i + 1
        nxt = _value(tokens[i + 1]) if i + 1 < len(tokens) else None
        used0 = 2
    else:
        used0 = 1
    if kind == "teen":
        if n == 10 and nxt and nxt[0] == "unit" and nxt[1] >= 7:  # dix-sept, dix-huit, dix-neuf
            return 10 + nxt[1], used0 + 1
        return n, used0
    if kind != "ten":
        return None
    k = i + 1
    if k < len(tokens) and tokens[k].low == "et":
        k += 1
    after = _value(tokens[k]) if k < len(tokens) else None
    if after and after[0] == "unit" and after[1] > 0:
        return n + after[1], used0 + (k - i)
    if after and after[0] == "teen" and n in (60, 80):  # soixante-douze, quatre-vingt-dix-sept
        inner = _pair(tokens, k)
        if inner:
            return n + inner[0], used0 + (k - i) - 1 + inner[1]
    return n, used0


def digits_of(tokens: list[Token]) -> str:
    """Digit string for a run of number tokens ("zéro six douze" -> "0612", "cent vingt-trois"
    -> "123", "deux mille" -> "2000", "mille neuf cent quatre-vingt-cinq" -> "1985")."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.low.isdigit():
            out.append(tok.low)
            i += 1
            continue
        # A group with "cent"/"mille": read the whole number ("deux cent douze", "mille neuf cent").
        k, has_big = i, False
        while k < len(tokens) and (_value(tokens[k]) or tokens[k].low == "et") and not tokens[k].low.isdigit():
            if (_value(tokens[k]) or ("",))[0] == "big":
                has_big = True
            if not has_big and k > i + 3:
                break
            k += 1
        if has_big and _value(tok) != ("unit", 0):  # a leading "zéro" is a digit of its own
            value, j = _big_number(tokens, i)
            if j > i:
                out.append(str(value))
                i = j
                continue
        v = _value(tok)
        if v and v[0] == "unit" and not (v[1] == 4 and i + 1 < len(tokens) and _value(tokens[i + 1]) == ("ten", 20)):
            out.append(str(v[1]))
            i += 1
            continue
        pair = _pair(tokens, i)
        if pair:
            out.append(f"{pair[0]:02d}" if pair[0] >= 10 else str(pair[0]))
            i += pair[1]
            continue
        i += 1  # a stray "et"
    return "".join(out)


def _big_number(tokens: list[Token], i: int) -> tuple[int, int]:
    """A number with "cent"/"mille" from token i: (value, index after it)."""
    total, current, j, seen_big, after_number = 0, 0, i, False, False
    while j < len(tokens):
        v = _value(tokens[j])
        if tokens[j].low.isdigit() or (v is None and tokens[j].low != "et"):
            break
        if v is None:  # "et"
            j += 1
            continue
        if after_number and v[0] != "big":
            break  # "soixante-huit six cents": two numbers (68, 600), not 74 hundred
        after_number = v[0] != "big"
        if v[0] == "big":
            if v[1] == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * 1000
                current = 0
            seen_big = True
            j += 1
            continue
        if seen_big and current % 100 and v[0] != "unit":
            break
        pair = _pair(tokens, j)
        if pair is None:
            current += v[1]
            j += 1
        else:
            if current % 100 and not seen_big:
                break
            current += pair[0]
            j += pair[1]
    return total + current, j


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def nir_ok(digits: str) -> bool:
    """A French social-security number (NIR): 13 digits and a 2-digit key, 97 - (NIR mod 97).
    Corsica's 2A/2B departments are read as 19/18 for the key."""
    if len(digits) != 15 or digits[0] not in "12378":
        return False
    return 97 - int(digits[:13]) % 97 == int(digits[13:])


def month_index(word: str) -> int | None:
    return _MONTHS_PLAIN.get(plain(word))
