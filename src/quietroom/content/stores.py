"""The configured key provider and blob store, built once per URL."""
from __future__ import annotations

import functools

from django.conf import settings

from quietroom import vault


@functools.lru_cache(maxsize=None)
def _key_provider(url: str):
    return vault.provider_from_url(url)


@functools.lru_cache(maxsize=None)
def _blob_store(url: str):
    return vault.blobstore_from_url(url)


def key_provider():
    return _key_provider(settings.KEY_PROVIDER_URL)


def blob_store():
    return _blob_store(settings.BLOB_URL)
