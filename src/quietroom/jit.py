"""numba's `njit` with its on-disk cache where that is possible, for the compiled code of the
speech de-identification (`deid/_mcadams_jit.py`) and the watermark embedder
(`watermark/embedding.py`).

The cache (NUMBA_CACHE_DIR, __pycache__ beside the module, or the user's cache folder) holds
machine code compiled from the module's source only, never audio or keys. Where nothing is
writable (a read-only install and home) numba refuses cache=True outright, at import: the
functions are then compiled in each process instead (tests/numba_cache.py).
"""
from __future__ import annotations

import numba


def njit_cached(**options):
    """A decorator: `numba.njit(cache=True, **options)`, or without the cache where numba has none."""
    def decorate(function):
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError:  # "cannot cache function ...: no locator available for file ..."
            return numba.njit(**options)(function)
    return decorate
