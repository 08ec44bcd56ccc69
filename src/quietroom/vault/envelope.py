"""Envelope encryption: object -> per-object DEK -> customer KEK -> master key."""

from dataclasses import dataclass

from .crypto import KEY_BYTES, generate_key, open_sealed, seal
from .errors import KeyProviderError
from .keys import KeyProvider

# Distinct AAD prefixes per layer so a wrapped DEK can never be accepted as an
# object ciphertext (or vice versa), and the object id ties each one to its row.
_OBJECT_AAD = b"quietroom/object/v1:"
_DEK_AAD = b"quietroom/dek/v1:"
_CUSTOMER_KEY_AAD = b"quietroom/customer-key/v1:"
_ACCOUNT_SECRET_AAD = b"quietroom/account-secret/v1:"


@dataclass(frozen=True)
class SealedObject:
    ciphertext: bytes
    wrapped_dek: bytes


def encrypt_object(plaintext: bytes, object_id: str, customer_key: bytes) -> SealedObject:
    # A fresh DEK per object: compromising one DEK exposes one object, and
    # nonce reuse under a DEK is impossible in practice.
    dek = generate_key()
    oid = object_id.encode("utf-8")
    return SealedObject(
        ciphertext=seal(dek, plaintext, _OBJECT_AAD + oid),
        wrapped_dek=seal(customer_key, dek, _DEK_AAD + oid),
    )


def decrypt_object(ciphertext: bytes, wrapped_dek: bytes, object_id: str, customer_key: bytes) -> bytes:
    oid = object_id.encode("utf-8")
    dek = open_sealed(customer_key, wrapped_dek, _DEK_AAD + oid)
    return open_sealed(dek, ciphertext, _OBJECT_AAD + oid)


def rewrap_data_key(wrapped_dek: bytes, object_id: str, old_key: bytes, new_key: bytes) -> bytes:
    """Move one object's data key from one key-encryption key to another (a legal hold
    keeping an object of an erased customer). The object's ciphertext is untouched, and neither
    the data key nor the content leaves this function."""
    oid = object_id.encode("utf-8")
    return seal(new_key, open_sealed(old_key, wrapped_dek, _DEK_AAD + oid), _DEK_AAD + oid)


def new_customer_key(provider: KeyProvider, customer_ref: str) -> tuple[bytes, bytes]:
    """Return (customer_key, wrapped_customer_key); persist only the wrapped one."""
    key = generate_key()
    return key, provider.wrap(key, aad=_CUSTOMER_KEY_AAD + customer_ref.encode("utf-8"))


def unwrap_customer_key(provider: KeyProvider, wrapped: bytes, customer_ref: str) -> bytes:
    key = provider.unwrap(wrapped, aad=_CUSTOMER_KEY_AAD + customer_ref.encode("utf-8"))
    # Guard against a third-party provider handing back something that is not
    # a vault key; failing here beats a confusing error deep in AESGCM.
    if len(key) != KEY_BYTES:
        raise KeyProviderError(f"key provider {provider.key_id!r} returned a key of the wrong length")
    return key


def rewrap_customer_key(old: KeyProvider, new: KeyProvider, wrapped: bytes, customer_ref: str) -> bytes:
    """Move a customer key from one master key to another (master key rotation)."""
    key = unwrap_customer_key(old, wrapped, customer_ref)
    return new.wrap(key, aad=_CUSTOMER_KEY_AAD + customer_ref.encode("utf-8"))


def wrap_account_secret(provider: KeyProvider, secret: bytes, purpose: str) -> bytes:
    """Wrap a small secret that is itself a key (a TOTP seed) directly under the master key.

    Like a customer key, and under its own associated data, so a wrapped seed can never be
    accepted as a customer key (or the other way round), nor as a secret of another purpose.
    """
    return provider.wrap(secret, aad=_ACCOUNT_SECRET_AAD + purpose.encode("utf-8"))


def unwrap_account_secret(provider: KeyProvider, wrapped: bytes, purpose: str) -> bytes:
    return provider.unwrap(wrapped, aad=_ACCOUNT_SECRET_AAD + purpose.encode("utf-8"))
