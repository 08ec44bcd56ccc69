"""AES-256-GCM sealing primitive used by every other vault module."""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionError

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = 0x01
_VERSION_BYTE = bytes([VERSION])
# Deliberately one fixed message for every failure mode: telling callers *why*
# authentication failed would only help an attacker.
_AUTH_FAILED = "ciphertext failed authentication (wrong key, wrong object or tampered)"


def generate_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _aead(key: bytes) -> AESGCM:
    # AESGCM would silently accept 16/24-byte keys; we promise AES-256 only.
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"vault keys must be {KEY_BYTES} bytes")
    return AESGCM(key)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Return version || nonce || ciphertext+tag."""
    # Random 96-bit nonces: safe because every DEK seals one object only, and
    # KEKs seal few enough DEKs that collisions are out of reach.
    nonce = os.urandom(NONCE_BYTES)
    # The version byte is authenticated too, so it cannot be swapped to steer
    # decoding towards a future (or weaker) format.
    ct = _aead(key).encrypt(nonce, plaintext, _VERSION_BYTE + aad)
    return _VERSION_BYTE + nonce + ct


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    aead = _aead(key)
    if len(sealed) < 1 + NONCE_BYTES + TAG_BYTES or sealed[0] != VERSION:
        raise DecryptionError(_AUTH_FAILED)
    nonce, ct = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return aead.decrypt(nonce, ct, _VERSION_BYTE + aad)
    except InvalidTag:
        raise DecryptionError(_AUTH_FAILED) from None
