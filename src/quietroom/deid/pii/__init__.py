"""Personal data in ASR hypotheses: Presidio, configured offline, plus spoken-form recognizers.

`detect(text) -> list[PiiSpan]` and `redact_text(text, spans)`; see `engine`.
"""
from .engine import ENTITIES, PiiSpan, analyzer_version, detect, merge_spans, redact_text

__all__ = ["ENTITIES", "PiiSpan", "analyzer_version", "detect", "merge_spans", "redact_text"]
