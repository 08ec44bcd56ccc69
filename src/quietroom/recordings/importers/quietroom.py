"""QuietRoom's own manifest (CSV/JSONL): per-row consent, so no batch consent basis needed."""
from __future__ import annotations

from quietroom.recordings.manifest import parse_manifest

from .common import ImportOptions


def read_rows(name: str, data: bytes, options: ImportOptions):
    return parse_manifest(name, data)
