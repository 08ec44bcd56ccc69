"""Encryption at rest for recordings, snippets and transcripts.

Self-contained by design: imports nothing from Django or other quietroom apps.
"""

from .blobstore import BlobStore, LocalBlobStore, blobstore_from_url
from .crypto import KEY_BYTES, generate_key, open_sealed, seal
from .envelope import (
    SealedObject,
    decrypt_object,
    encrypt_object,
    new_customer_key,
    rewrap_customer_key,
    rewrap_data_key,
    unwrap_account_secret,
    unwrap_customer_key,
    wrap_account_secret,
)
from .errors import BlobStoreError, DecryptionError, KeyProviderError, VaultError
from .keys import KeyProvider, LocalKeyFileProvider, create_key_file, provider_from_url

__all__ = [
    "KEY_BYTES",
    "BlobStore",
    "BlobStoreError",
    "DecryptionError",
    "KeyProvider",
    "KeyProviderError",
    "LocalBlobStore",
    "LocalKeyFileProvider",
    "SealedObject",
    "VaultError",
    "blobstore_from_url",
    "create_key_file",
    "decrypt_object",
    "encrypt_object",
    "generate_key",
    "new_customer_key",
    "open_sealed",
    "provider_from_url",
    "rewrap_customer_key",
    "rewrap_data_key",
    "seal",
    "unwrap_account_secret",
    "unwrap_customer_key",
    "wrap_account_secret",
]
