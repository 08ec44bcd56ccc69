"""Importers: each converts one dataset format into QuietRoom's validated manifest rows.

An importer is a function `(name, data: bytes, options) -> list[ManifestRow | RowError]`.
It maps its format's columns onto QuietRoom's fields and hands the records to
`manifest.validate_records`, so every format gets the same checks and the same per-row
errors (named with the format's own column names), and then the one ingestion path.
A format's columns that QuietRoom does not use (Common Voice's sentence and votes, a Label
Studio task's other data) are legitimate there and left behind unread; only the QuietRoom
manifest refuses unknown columns (docs/ingestion.md).
"""
from __future__ import annotations

from .common import ImportOptions
from . import audiofolder, commonvoice, labelstudio, quietroom

IMPORTERS = {
    "quietroom": quietroom.read_rows,
    "commonvoice": commonvoice.read_rows,
    "audiofolder": audiofolder.read_rows,
    "labelstudio": labelstudio.read_rows,
}

__all__ = ["IMPORTERS", "ImportOptions", "read_rows"]


def read_rows(fmt: str, name: str, data: bytes, options: ImportOptions):
    from quietroom.recordings.manifest import ManifestError

    try:
        reader = IMPORTERS[fmt]
    except KeyError:
        raise ManifestError(f"unknown import format {fmt!r} (use one of {', '.join(IMPORTERS)})") from None
    return reader(name, data, options)
