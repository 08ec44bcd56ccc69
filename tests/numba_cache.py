"""Running code in a process where numba can cache compiled functions nowhere.

numba refuses cache=True outright, at import, where it finds no writable place (a read-only
install and home); the project's compiled functions must then compile per process, silently.
Simulated by letting numba look only at NUMBA_CACHE_DIR and pointing that below a file (the
tests run as root, which writes into read-only folders)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import quietroom


def run_with_nowhere_to_cache(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    """`script` run by `python -W error -c` with `args`, numba's cache pointed where nothing can
    be written; asserts nothing was."""
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    env = dict(os.environ, PYTHONPATH=str(Path(quietroom.__file__).parent.parent),
               NUMBA_CACHE_DIR=str(blocker / "cache"), NUMBA_CACHE_LOCATOR_CLASSES="UserProvidedCacheLocator")
    result = subprocess.run([sys.executable, "-W", "error", "-c", script, *args],
                            env=env, capture_output=True, text=True, timeout=300)
    assert not (tmp_path / "cache").exists()
    return result
