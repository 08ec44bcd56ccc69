"""Master-key providers that wrap and unwrap customer keys."""

import base64
import binascii
import hashlib
import os
import stat
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from .crypto import KEY_BYTES, generate_key, open_sealed, seal
from .errors import KeyProviderError
from .secretfiles import create_secret_file


class KeyProvider(Protocol):
    key_id: str

    def wrap(self, key: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes: ...


class LocalKeyFileProvider:
    """Master key held in a local file (base64, one line, mode 0600)."""

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = Path(path)
        self._key = self._load()
        # Derived, not the key itself, so it can be logged and stored next to
        # wrapped keys to tell which master key they need.
        digest = hashlib.sha256(b"quietroom/key-id:" + self._key).hexdigest()
        self.key_id = "local:" + digest[:16]

    def _load(self) -> bytes:
        where = f"master key file {str(self.path)!r}"
        try:
            with open(self.path, "rb") as f:
                # fstat the open file, not the path, so the mode we check is
                # the mode of the file we actually read.
                mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
                if mode & 0o077:
                    raise KeyProviderError(
                        f"{where} is accessible by group/others (mode {mode:04o}); "
                        f"run 'chmod 600 {self.path}'"
                    )
                raw = f.read()
        except FileNotFoundError:
            raise KeyProviderError(f"{where} does not exist") from None
        except OSError as e:
            raise KeyProviderError(f"could not read {where}: {e.strerror}") from None
        try:
            key = base64.b64decode(raw.strip(), validate=True)
        except (binascii.Error, ValueError):
            # `from None`: decoder errors may quote the offending input.
            raise KeyProviderError(f"{where} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise KeyProviderError(f"{where} must hold a {KEY_BYTES}-byte key, found {len(key)} bytes")
        return key

    def wrap(self, key: bytes, aad: bytes) -> bytes:
        return seal(self._key, key, aad)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        return open_sealed(self._key, wrapped, aad)

    def __repr__(self) -> str:  # never show the key
        return f"LocalKeyFileProvider(path={str(self.path)!r}, key_id={self.key_id!r})"


def create_key_file(path: "str | os.PathLike[str]", *, exist_ok: bool = False) -> None:
    """Write a fresh random master key; never overwrites (that would orphan data).

    The key appears whole or not at all (`secretfiles.create_secret_file`). With `exist_ok` an
    existing key is kept silently: demo mode creates its key on first start, and two
    processes may start at once.
    """
    path = Path(path)
    try:
        created = create_secret_file(path, base64.b64encode(generate_key()) + b"\n")
    except OSError as e:
        raise KeyProviderError(f"could not create master key file {str(path)!r}: {e.strerror}") from None
    if not created and not exist_ok:
        raise KeyProviderError(f"master key file {str(path)!r} already exists; refusing to overwrite")


def provider_from_url(url: str) -> KeyProvider:
    """`file:///abs/path` or `/abs/path` -> LocalKeyFileProvider."""
    parsed = urlparse(url)
    if parsed.scheme == "" and url.startswith("/"):
        return LocalKeyFileProvider(url)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost") and parsed.path.startswith("/"):
        return LocalKeyFileProvider(unquote(parsed.path))
    if parsed.scheme in ("", "file"):
        raise KeyProviderError("key provider path must be absolute: use file:///abs/path or /abs/path")
    if parsed.scheme == "awskms":
        from .kms import kms_from_url  # boto3 is imported only when KMS is configured

        return kms_from_url(url)
    raise KeyProviderError(
        f"unsupported key provider URL scheme '{parsed.scheme}'; expected file:///abs/path or awskms://KEY"
    )
