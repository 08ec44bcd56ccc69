"""A rough "likely distressing" score for a redacted ASR hypothesis, so reviewers are warned.

Pure Python, no Django: the pipeline can call `score` on the redacted hypothesis when it cuts a
snippet, and the room calls it when it first opens a snippet whose score is not stored yet.
It is a warning, not a classifier: word patterns per category, and the snippet is flagged when
any of them matches. A false warning costs the reviewer a click; a missed one costs more, so
the patterns are broad.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: dict[str, tuple[str, ...]] = {
    "violence_abuse": (
        r"\b(hit|hits|hitting|beat|beats|beating|beaten|punch\w*|slap\w*|kick\w*|chok\w*|strangl\w*)"
        r"\s+(me|her|him|you|them|us)\b",
        r"\b(abus\w*|assault\w*|rape\w*|raping|molest\w*|hurt(ing)? me)\b",
        r"\b(leave me alone|get off me|let me go|stop hurting)\b",
        r"\b(blood|bleeding|bruis\w*)\b",
    ),
    "child_safety": (
        r"\b(child|kid|baby|toddler|son|daughter)\b.{0,40}\b(hurt|hit|alone|abus\w*|touch\w*|missing|scared)\b",
        r"\b(groom\w*|underage|child abuse)\b",
    ),
    "self_harm": (
        r"\b(kill|hurt|harm|cut)\s+my\s?self\b",
        r"\b(suicid\w*|end (it|my life)|want to die|don'?t want to (live|be here)|overdose\w*)\b",
    ),
    "threat": (
        r"\b(i('?m| am)? (going to|gonna|will)) (kill|hurt|shoot|stab|burn|find) (you|him|her|them)\b",
        r"\b(bomb|shoot(ing)? up|gun|knife|stab\w*|weapon)\b",
        r"\b(i('?ll| will) kill)\b",
    ),
    "crime": (r"\b(steal\w*|stole|robb\w*|burglar\w*|drugs|dealer|break(ing)? in)\b",),
    "medical": (
        r"\b(can'?t breathe|not breathing|heart attack|stroke|unconscious|seizure|collapsed|ambulance|overdos\w*)\b",
        r"\b(call (an )?ambulance|call 9\s?9\s?9|call 9\s?1\s?1|call 1\s?1\s?2|emergency)\b",
        r"\b(help me|help)\b.{0,20}\b(please|someone)\b",
    ),
}
_COMPILED = {cat: tuple(re.compile(p, re.IGNORECASE) for p in pats) for cat, pats in _PATTERNS.items()}
THRESHOLD = 0.5


@dataclass(frozen=True)
class DistressScore:
    score: float                  # 0..1: share of the strongest evidence seen (1 = several hits)
    categories: tuple[str, ...]   # which kinds of content matched (category codes), never words

    @property
    def warn(self) -> bool:
        return self.score >= THRESHOLD


def score(text: str) -> DistressScore:
    """Score a (redacted) hypothesis. Empty or ordinary speech scores 0."""
    text = " ".join((text or "").split())
    if not text:
        return DistressScore(0.0, ())
    hits = {cat: sum(1 for pattern in patterns if pattern.search(text)) for cat, patterns in _COMPILED.items()}
    matched = tuple(cat for cat, n in hits.items() if n)
    total = sum(hits.values())
    return DistressScore(min(1.0, 0.5 * total), matched)
