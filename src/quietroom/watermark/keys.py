"""Keyed pseudo-random patterns: nothing of the mark can be read or forged without the secret.

The grid's patterns are AES-256-CTR keystreams under keys derived from the secret with
HMAC-SHA256 and a label naming the pattern; each serial's verification pattern is a keyed
BLAKE2b of the serial. All are pseudo-random functions of the secret, so they are independent of
each other and of the audio: the detector's false-alarm bound rests on that.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import layout

_LABEL = b"quietroom/watermark/v1/"
MIN_SECRET_BYTES = 32


def new_secret() -> bytes:
    return secrets.token_bytes(MIN_SECRET_BYTES)


@dataclass(frozen=True)
class WatermarkKey:
    """A secret and the short id that names it (kept with each delivery, so a rotated key
    still traces the deliveries it marked). The repr never shows the secret."""

    secret: bytes = field(repr=False)
    key_id: str = "1"

    def __post_init__(self):
        if len(self.secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a watermark secret has at least {MIN_SECRET_BYTES} bytes")


def _keystream(secret: bytes, label: str, nbytes: int) -> np.ndarray:
    key = hmac.new(secret, _LABEL + label.encode(), hashlib.sha256).digest()
    encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    return np.frombuffer(encryptor.update(bytes(nbytes)) + encryptor.finalize(), dtype=np.uint8)


def chips(secret: bytes, label: str, n: int) -> np.ndarray:
    """n independent fair ±1 values (float32)."""
    bits = np.unpackbits(_keystream(secret, label, (n + 7) // 8))[:n]
    return (bits.astype(np.float32) * 2.0 - 1.0)


@dataclass(frozen=True)
class Patterns:
    """What one key puts where, in period coordinates (cell = column * BANDS + band).

    data_cells[j]: the cells of payload symbol j; symbol_chips[j]: (256, cells) ±1, one row per
    value of the symbol; verify_cells: the cells of the serial's verification pattern.
    """

    data_cells: tuple[np.ndarray, ...]
    symbol_chips: tuple[np.ndarray, ...]
    verify_cells: np.ndarray


@functools.lru_cache(maxsize=8)
def patterns(secret: bytes) -> Patterns:
    order = np.argsort(_keystream(secret, "cells", 4 * layout.CELLS).view(np.uint32), kind="stable")
    per_symbol = layout.DATA_CELLS // layout.SYMBOLS
    data = tuple(np.sort(order[j * per_symbol:(j + 1) * per_symbol]) for j in range(layout.SYMBOLS))
    values = 1 << layout.SYMBOL_BITS
    symbol_chips = tuple(chips(secret, f"symbol/{j}", values * per_symbol).reshape(values, per_symbol)
                         for j in range(layout.SYMBOLS))
    for table in symbol_chips:
        table.setflags(write=False)
    return Patterns(data, symbol_chips, np.sort(order[layout.DATA_CELLS:]))


@functools.lru_cache(maxsize=8)
def _verify_key(secret: bytes) -> bytes:
    return hmac.new(secret, _LABEL + b"verify", hashlib.sha256).digest()


def verify_chips_many(secret: bytes, serials) -> np.ndarray:
    """(len(serials), verification cells) ±1: each serial's verification pattern, a keyed
    BLAKE2b of the whole serial (a PRF), so a serial decoded wrongly, even in one bit, is
    tested against a pattern unrelated to the mark. Vectorised: the detector tests thousands."""
    size = layout.CELLS - layout.DATA_CELLS
    key = _verify_key(secret)
    digests = b"".join(hashlib.blake2b(int(s).to_bytes(8, "big"), key=key, digest_size=(size + 7) // 8).digest()
                       for s in serials)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(-1, (size + 7) // 8), axis=1)[:, :size]
    return bits.astype(np.float32) * 2.0 - 1.0


def verify_chips(secret: bytes, serial: int) -> np.ndarray:
    return verify_chips_many(secret, [serial])[0]


def cell_chips(secret: bytes, serial: int) -> np.ndarray:
    """(PERIOD_CELLS, BANDS) ±1: the whole period's pattern for a serial."""
    p = patterns(secret)
    grid = np.zeros(layout.CELLS, dtype=np.float32)
    for j, value in enumerate(layout.symbols_of(serial)):
        grid[p.data_cells[j]] = p.symbol_chips[j][value]
    grid[p.verify_cells] = verify_chips(secret, serial)
    return grid.reshape(layout.PERIOD_CELLS, layout.BANDS)
