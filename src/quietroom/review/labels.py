"""The labels a reviewer gives a snippet, validated in one place (form posts and autosaves).

Labels are categories and times only — never words — so they can be stored in the clear and
survive the shredding of an accidental activation.
"""
from __future__ import annotations

import json
import math

from quietroom.escalation.categories import CATEGORIES

ACTIVATION = {"": "Not sure", "intended": "Intended for the device", "accidental": "Accidental activation"}
DOMAINS = {
    "": "—", "smart_home": "Smart home", "music": "Music and media", "timers": "Timers and alarms",
    "weather": "Weather", "information": "Information", "shopping": "Shopping",
    "communication": "Calls and messages", "other": "Other",
}
QUALITY = {"": "—", "good": "Good", "fair": "Fair", "poor": "Poor"}
# Escalation categories are defined once, in quietroom.escalation.categories.
SENSITIVE = {"": "—", **CATEGORIES}
MAX_SPANS = 20
MAX_SECONDS = 600.0


class LabelError(ValueError):
    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def _choice(problems, labels, name, allowed):
    value = labels.get(name, "") or ""
    if not isinstance(value, str) or value not in allowed:
        problems.append(f"label {name}: {str(value)[:32]!r} is not one of {', '.join(k for k in allowed if k)}")
        return ""
    return value


def _spans(problems, raw) -> list[dict]:
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            problems.append("label pii_spans: not valid JSON")
            return []
    if not isinstance(raw, list) or len(raw) > MAX_SPANS:
        problems.append(f"label pii_spans: expected a list of at most {MAX_SPANS} spans")
        return []
    spans = []
    for i, span in enumerate(raw, 1):
        try:
            start, end = float(span["start"]), float(span["end"])
        except (TypeError, KeyError, ValueError):
            problems.append(f"label pii_spans: span {i} needs numeric start and end")
            continue
        if not (math.isfinite(start) and math.isfinite(end)) or not 0 <= start < end <= MAX_SECONDS:
            problems.append(f"label pii_spans: span {i} must have 0 <= start < end <= {MAX_SECONDS:g}")
            continue
        spans.append({"start": round(start, 2), "end": round(end, 2)})
    return spans


def clean_labels(labels: dict) -> dict:
    """Normalised labels, or LabelError naming every bad field."""
    if not isinstance(labels, dict):
        raise LabelError(["labels must be an object"])
    problems: list[str] = []
    unknown = set(labels) - {"activation", "domain", "quality", "other_language", "pii_spans", "sensitive"}
    if unknown:
        problems.append(f"unknown labels: {', '.join(sorted(unknown))[:100]}")
    clean = {
        "activation": _choice(problems, labels, "activation", ACTIVATION),
        "domain": _choice(problems, labels, "domain", DOMAINS),
        "quality": _choice(problems, labels, "quality", QUALITY),
        "other_language": labels.get("other_language") in (True, "on", "true", "1"),
        "pii_spans": _spans(problems, labels.get("pii_spans")),
        "sensitive": _choice(problems, labels, "sensitive", SENSITIVE),
    }
    if problems:
        raise LabelError(problems)
    return clean


def labels_from_form(data) -> dict:
    """The label fields of a posted task form (a QueryDict or a plain dict)."""
    return {
        "activation": data.get("activation", ""),
        "domain": data.get("domain", ""),
        "quality": data.get("quality", ""),
        "other_language": data.get("other_language", ""),
        "pii_spans": data.get("pii_spans", ""),
        "sensitive": data.get("sensitive", ""),
    }
