"""Keying the audit chain with a secret the database does not hold (no Django here).

The hash chain and the Merkle tree can be recomputed by anyone who can write the database:
the canonical form is documented. Signed checkpoints stop that only up to the newest
checkpoint. Between checkpoints, this key does: every entry carries

    mac = HMAC-SHA256(K, "quietroom/audit/entry-mac/v1\\n" || hash || "\\n" || leaf_hash)

(``hash`` and ``leaf_hash`` as the 64 lowercase hex characters stored in the row), and the
head row carries

    tag = HMAC-SHA256(K, "quietroom/audit/head-tag/v1\\n" || seq || "\\n" || hash)

so an entry rewritten with recomputed hashes, a forged entry appended, or the head moved back
over a cut tail all need K. K is 32 random bytes kept in a file beside the audit signing key
(``QUIETROOM_AUDIT_CHAIN_KEY``; generated under the data folder in demo and test mode).
"""
from __future__ import annotations

import base64
import binascii
import functools
import hmac
import os
import secrets
from hashlib import sha256
from pathlib import Path

ENTRY_DOMAIN = b"quietroom/audit/entry-mac/v1\n"
HEAD_DOMAIN = b"quietroom/audit/head-tag/v1\n"
MIN_KEY_BYTES = 32


class ChainKeyError(ValueError):
    """The chain key file is missing, readable by others, or not a key."""


class ChainKey:
    """HMAC-SHA256 (RFC 2104) under one key, written out so that the padded key and each
    domain prefix are hashed once: a MAC then costs two SHA-256 state copies (about a third
    of ``hmac.new`` per call; every append computes three, verify one per entry)."""

    __slots__ = ("_entry", "_head", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ChainKeyError(f"audit chain key must be at least {MIN_KEY_BYTES} bytes")
        if len(key) > 64:  # the SHA-256 block size
            key = sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._entry = sha256(bytes(b ^ 0x36 for b in key) + ENTRY_DOMAIN)
        self._head = sha256(bytes(b ^ 0x36 for b in key) + HEAD_DOMAIN)
        self._outer = sha256(bytes(b ^ 0x5C for b in key))

    def _mac(self, inner_prefix, message: bytes) -> str:
        inner = inner_prefix.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def entry_mac(self, hash_hex: str, leaf_hex: str) -> str:
        return self._mac(self._entry, f"{hash_hex}\n{leaf_hex}".encode())

    def head_tag(self, seq: int, hash_hex: str) -> str:
        return self._mac(self._head, f"{int(seq)}\n{hash_hex}".encode())

    def entry_ok(self, hash_hex: str, leaf_hex: str, mac: str) -> bool:
        return hmac.compare_digest(self.entry_mac(hash_hex, leaf_hex), mac or "")

    def head_ok(self, seq: int, hash_hex: str, tag: str) -> bool:
        return hmac.compare_digest(self.head_tag(seq, hash_hex), tag or "")


def parse(text: str) -> ChainKey:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raise ChainKeyError("audit chain key file is not base64") from None
    return ChainKey(raw)


@functools.lru_cache(maxsize=4)
def load(path: str) -> ChainKey:
    """The key in `path` (mode 0600), read once per process."""
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_mode & 0o077:
                raise ChainKeyError(f"audit chain key file {path!r} is readable by others; chmod 600 it")
            text = fh.read().decode("ascii", "replace")
    except FileNotFoundError:
        raise ChainKeyError(f"audit chain key file {path!r} does not exist") from None
    return parse(text)


def create_key_file(path: "str | os.PathLike[str]") -> bool:
    """Write a new random key (0600, whole or not at all). False if `path` already exists."""
    from quietroom.vault.secretfiles import create_secret_file

    key = base64.urlsafe_b64encode(secrets.token_bytes(MIN_KEY_BYTES)) + b"\n"
    return create_secret_file(Path(path), key)
