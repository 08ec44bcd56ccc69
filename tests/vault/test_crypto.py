import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from quietroom.vault import DecryptionError, KEY_BYTES, generate_key, open_sealed, seal

AAD = b"quietroom/test:obj-1"


def _flip(data: bytes, index: int) -> bytes:
    b = bytearray(data)
    b[index] ^= 0x01
    return bytes(b)


def test_round_trip_and_format():
    key = generate_key()
    assert len(key) == KEY_BYTES
    sealed = seal(key, b"hello voice", AAD)
    assert sealed[0] == 0x01
    assert len(sealed) == 1 + 12 + len(b"hello voice") + 16
    assert b"hello voice" not in sealed
    assert open_sealed(key, sealed, AAD) == b"hello voice"


def test_wrong_key_fails():
    sealed = seal(generate_key(), b"secret", AAD)
    with pytest.raises(DecryptionError):
        open_sealed(generate_key(), sealed, AAD)


def test_wrong_aad_fails():
    key = generate_key()
    sealed = seal(key, b"secret", AAD)
    with pytest.raises(DecryptionError):
        open_sealed(key, sealed, b"quietroom/test:obj-2")


@pytest.mark.parametrize("index", [0, 1, 12, 13, -1], ids=["version", "nonce-first", "nonce-last", "ciphertext", "tag"])
def test_flipped_byte_fails(index):
    key = generate_key()
    sealed = seal(key, b"secret", AAD)
    with pytest.raises(DecryptionError) as exc:
        open_sealed(key, _flip(sealed, index), AAD)
    assert "failed authentication" in str(exc.value)


def test_version_byte_is_mixed_into_aad():
    # Decrypting the body with the caller's AAD alone must fail: proves the
    # version byte is authenticated, not merely checked on the way in.
    key = generate_key()
    sealed = seal(key, b"secret", AAD)
    with pytest.raises(InvalidTag):
        AESGCM(key).decrypt(sealed[1:13], sealed[13:], AAD)
    assert AESGCM(key).decrypt(sealed[1:13], sealed[13:], b"\x01" + AAD) == b"secret"


@pytest.mark.parametrize("sealed", [b"", b"\x01", b"\x01" + bytes(27)])
def test_too_short_fails(sealed):
    with pytest.raises(DecryptionError):
        open_sealed(generate_key(), sealed, AAD)


def test_two_seals_differ():
    key = generate_key()
    a, b = seal(key, b"same", AAD), seal(key, b"same", AAD)
    assert a != b
    assert a[1:13] != b[1:13]


def test_error_message_leaks_nothing():
    key = generate_key()
    sealed = seal(key, b"top secret words", AAD)
    with pytest.raises(DecryptionError) as exc:
        open_sealed(generate_key(), sealed, AAD)
    assert "top secret" not in str(exc.value)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__
