"""Creating a secret file (a key, a demo secret) so that nobody ever sees half of one.

The secret is written and flushed under a temporary name in the same folder (mode 0600 from
creation), then hard-linked to its real name. `link` fails if the name exists, so an existing
secret (or a planted symlink) is never replaced, and two processes starting together (two
workers, two commands) cannot both create one: the second finds the first's, complete.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def create_secret_file(path: "str | os.PathLike[str]", data: bytes) -> bool:
    """Write `data` to a new file at `path`, mode 0600. False (nothing written) if it exists."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)
