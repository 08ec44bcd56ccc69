"""Personal data in ASR hypotheses: Presidio, configured offline, plus spoken-form recognizers.

`detect(text, language="en"|"fr") -> list[PiiSpan]` and `redact_text(text, spans)`; see `engine`.
"""
from .engine import ENTITIES, PiiSpan, analyzer_version, detect, entities_for, merge_spans, redact_text

__all__ = ["ENTITIES", "PiiSpan", "analyzer_version", "detect", "entities_for", "merge_spans", "redact_text"]
