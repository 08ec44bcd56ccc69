"""Logged details as a person reads them: lists joined, mappings as "key: value", yes/no.

The auditor's log page and the escalation case timeline both show details; neither shows a
Python repr such as `reasons: ['four eyes: ...']`.
"""
from __future__ import annotations


def as_text(value, label=lambda key: str(key).replace("_", " ")) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, (list, tuple, set)):
        return "; ".join(as_text(v, label) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{label(k)}: {as_text(v, label)}" for k, v in value.items()) or "none"
    return str(value)


def pairs(details: dict) -> list[tuple[str, str]]:
    """(key in words, value as text) for every detail, in the order logged."""
    return [(str(k).replace("_", " "), as_text(v)) for k, v in details.items()]
