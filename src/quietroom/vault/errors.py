"""Vault exception hierarchy.

Messages must never include key material or plaintext: they end up in logs.
"""


class VaultError(Exception):
    """Base class for every error raised by the vault."""


class DecryptionError(VaultError):
    """A ciphertext did not authenticate (wrong key, wrong object or tampered)."""


class BlobStoreError(VaultError):
    """A blob could not be stored, read or deleted, or its key is invalid."""


class KeyProviderError(VaultError):
    """A master key could not be loaded, created or used."""
