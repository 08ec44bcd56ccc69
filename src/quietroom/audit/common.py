"""What the audit writer (``log.py``), ``checkpoints.py`` and ``verification.py`` share.

Kept below all three so that the log can call checkpoints and verification without either
of them importing the log back.
"""
from __future__ import annotations

import json

from django.conf import settings

from . import chain

GENESIS = "0" * 64
HEAD_MISMATCH = "audit.head_mismatch"
ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# The JSON string quoting json.dumps(ensure_ascii=False) uses (the C version when available).
quote = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring


def chain_key() -> chain.ChainKey:
    """The configured chain key (read once per process)."""
    return chain.load(settings.AUDIT_CHAIN_KEY_FILE)
