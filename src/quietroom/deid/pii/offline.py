"""Presidio's e-mail check without the network, shared by every language's analyzer."""
from __future__ import annotations


def offline_tldextract() -> None:
    """tldextract reads its bundled public-suffix snapshot instead of fetching the list."""
    import tldextract
    import tldextract.tldextract as impl

    impl.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
