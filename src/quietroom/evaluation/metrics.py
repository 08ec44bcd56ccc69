"""Metrics the way the VoicePrivacy Challenge reports them: EER from trial scores, DET points,
WER (jiwer), PII span recall/precision, and how much PII a redacted snippet still says."""
from __future__ import annotations

import re

import numpy as np

from quietroom.deid.pii import spoken


def eer(target: np.ndarray, nontarget: np.ndarray) -> float:
    """Equal error rate: where false acceptance equals false rejection (linear interpolation)."""
    target, nontarget = np.asarray(target, float), np.asarray(nontarget, float)
    if target.size == 0 or nontarget.size == 0:
        raise ValueError("need target and non-target scores")
    thresholds = np.unique(np.concatenate([target, nontarget]))
    frr = np.array([(target < t).mean() for t in thresholds])
    far = np.array([(nontarget >= t).mean() for t in thresholds])
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


def det_points(target: np.ndarray, nontarget: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.unique(np.concatenate([target, nontarget]))
    frr = np.array([(target < t).mean() for t in thresholds])
    far = np.array([(nontarget >= t).mean() for t in thresholds])
    return far, frr


_DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def normalise(text: str) -> str:
    """Lower case, no punctuation, digits spelled one by one, "oh" read as zero: WER and leak
    checks compare what was said, not how the recogniser formatted it."""
    tokens = spoken.tokenize(text.replace("@", " at "))
    out = []
    for tok in tokens:
        if tok.low.isdigit():
            out += [_DIGIT_NAMES[int(c)] for c in tok.low]
        elif tok.low in ("oh", "o"):
            out.append("zero")
        else:
            out.append(re.sub(r"[^a-z']", "", tok.low))
    return " ".join(w for w in out if w)


_UNIT_NAMES = {v: k for k, v in spoken.UNITS.items() if k not in ("oh", "o", "nought", "nil")}
_TEEN_NAMES = {v: k for k, v in spoken.TEENS.items()}
_TENS_NAMES = {v: k for k, v in spoken.TENS.items()}


def _small_number_words(text: str) -> str:
    """1-2 digit numbers as words ("20 minutes" -> "twenty minutes"), the way the references
    say them; longer digit strings are left to `normalise` (one digit at a time)."""
    def words(m: re.Match) -> str:
        n = int(m.group())
        if n < 10:
            return _UNIT_NAMES[n]
        if n < 20:
            return _TEEN_NAMES[n]
        tens, unit = divmod(n, 10)
        return _TENS_NAMES[tens * 10] + (f" {_UNIT_NAMES[unit]}" if unit else "")

    return re.sub(r"(?<![\d.,:])\b(?!0\d)\d{1,2}\b(?![\d.,:]\d)", words, text)


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER after the same normalisation of both sides (`normalise`, with one- and
    two-digit numbers read as words so "20" and "twenty" are the same word)."""
    import jiwer

    refs = [normalise(_small_number_words(r)) for r in references]
    hyps = [normalise(_small_number_words(h)) for h in hypotheses]
    keep = [(r, h) for r, h in zip(refs, hyps) if r]
    return float(jiwer.wer([r for r, _ in keep], [h for _, h in keep]))


def span_scores(items, predict) -> dict:
    """Recall: labelled spans whose every token is covered by some detection. Precision:
    detections that overlap a labelled span. Entity-agnostic: any label still bleeps."""
    tp = fn = fp = hit = 0
    for item in items:
        pred = predict(item.text)
        for a, b, _e in item.spans:
            toks = [t for t in spoken.tokenize(item.text[a:b])]
            covered = all(any(p.start <= a + t.start and a + t.end <= p.end for p in pred) for t in toks)
            tp, fn = tp + covered, fn + (not covered)
        for p in pred:
            if any(p.start < b and p.end > a for a, b, _e in item.spans):
                hit += 1
            else:
                fp += 1
    return {"recall": tp / max(1, tp + fn), "precision": hit / max(1, hit + fp), "spans": tp + fn,
            "detections": hit + fp}


def _covered(item, a: int, b: int, pred) -> bool:
    toks = spoken.tokenize(item.text[a:b])
    return all(any(p.start <= a + t.start and a + t.end <= p.end for p in pred) for t in toks)


def pii_breakdown(items, predict, name_known=None) -> dict:
    """`span_scores`' rules, per style and per labelled entity: {style: {recall, precision,
    spans, detections, entities: {entity: {recall, spans}}, false_positives: {detected label:
    count}}}. With `name_known(span text) -> bool`, PERSON recall is also split into names the
    recognizer's gazetteer knows ("PERSON_known") and the rest ("PERSON_unknown")."""
    out: dict = {}
    for item in items:
        style = getattr(item, "style", "spoken")
        block = out.setdefault(style, {"tp": 0, "fn": 0, "hit": 0, "fp": 0, "entities": {}, "false_positives": {}})
        pred = predict(item.text)
        for a, b, entity in item.spans:
            keys = [entity]
            if entity == "PERSON" and name_known is not None:
                keys.append("PERSON_known" if name_known(item.text[a:b]) else "PERSON_unknown")
            found = _covered(item, a, b, pred)
            block["tp" if found else "fn"] += 1
            for key in keys:
                e = block["entities"].setdefault(key, {"found": 0, "spans": 0})
                e["found"] += found
                e["spans"] += 1
        for p in pred:
            if any(p.start < b and p.end > a for a, b, _e in item.spans):
                block["hit"] += 1
            else:
                block["fp"] += 1
                block["false_positives"][p.entity] = block["false_positives"].get(p.entity, 0) + 1
    result = {}
    for style, block in out.items():
        spans, detections = block["tp"] + block["fn"], block["hit"] + block["fp"]
        result[style] = {
            "recall": round(block["tp"] / max(1, spans), 4), "precision": round(block["hit"] / max(1, detections), 4),
            "spans": spans, "detections": detections, "sentences": sum(1 for i in items if getattr(i, "style", "spoken") == style),
            "entities": {k: {"recall": round(v["found"] / v["spans"], 4), "spans": v["spans"]}
                         for k, v in sorted(block["entities"].items())},
            "false_positives": dict(sorted(block["false_positives"].items())),
        }
    return result


_NOT_PII_WORDS = {"at", "dot", "the", "of", "and", "double", "triple", "underscore", "hundred"}


def pii_tokens(text: str, spans) -> list[str]:
    """Normalised words inside the labelled spans that carry the personal data."""
    out = []
    for a, b, _e in spans:
        out += [w for w in normalise(text[a:b]).split() if w not in _NOT_PII_WORDS]
    return out


def leaked(pii_words: list[str], hypothesis: str) -> int:
    """How many of the PII words (as a multiset) the hypothesis of the redacted audio still says."""
    said = normalise(hypothesis).split()
    count = 0
    for w in pii_words:
        if w in said:
            said.remove(w)
            count += 1
    return count
