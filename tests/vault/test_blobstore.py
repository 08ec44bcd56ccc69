import os
import stat

import pytest

from quietroom.vault import BlobStoreError, LocalBlobStore, blobstore_from_url


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


def test_root_created_private(tmp_path):
    LocalBlobStore(tmp_path / "blobs")
    assert stat.S_IMODE(os.stat(tmp_path / "blobs").st_mode) & 0o077 == 0


def test_put_get_exists_delete_keys(store):
    assert not store.exists("recordings/abc")
    store.put("recordings/abc", b"\x00ciphertext\xff")
    store.put("snippets/s-1", b"two")
    assert store.exists("recordings/abc")
    assert store.get("recordings/abc") == b"\x00ciphertext\xff"
    assert sorted(store.keys()) == ["recordings/abc", "snippets/s-1"]
    store.put("recordings/abc", b"replaced")
    assert store.get("recordings/abc") == b"replaced"
    store.delete("recordings/abc")
    store.delete("recordings/abc")  # absent: no error
    assert not store.exists("recordings/abc")
    assert list(store.keys()) == ["snippets/s-1"]


def test_get_missing_names_key(store):
    with pytest.raises(BlobStoreError, match="blob 'recordings/missing' not found"):
        store.get("recordings/missing")


def test_bytes_on_disk_are_exactly_the_given_bytes(store):
    data = os.urandom(1000)
    store.put("recordings/r1", data)
    assert (store.root / "recordings" / "r1").read_bytes() == data


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../b", "a\\b", "", "a//b", "a/", "x.wav"])
def test_invalid_keys_refused(store, key):
    for op in (lambda: store.put(key, b"x"), lambda: store.get(key), lambda: store.delete(key), lambda: store.exists(key)):
        with pytest.raises(BlobStoreError, match="invalid blob key"):
            op()
    assert not (store.root.parent / "x").exists()


def test_put_failure_leaves_no_temp_file(store, monkeypatch):
    store.put("recordings/r1", b"old")

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(BlobStoreError) as exc:
        store.put("recordings/r1", b"new")
    assert "recordings/r1" in str(exc.value) and "No space left on device" in str(exc.value)
    assert sorted(p.name for p in (store.root / "recordings").iterdir()) == ["r1"]
    assert store.get("recordings/r1") == b"old"


def test_keys_skips_temp_files(store):
    store.put("recordings/r1", b"x")
    (store.root / "recordings" / ".tmp-leftover").write_bytes(b"junk")
    assert list(store.keys()) == ["recordings/r1"]


def test_blobstore_from_url(tmp_path):
    s = blobstore_from_url(f"file://{tmp_path}/blobs")
    assert isinstance(s, LocalBlobStore) and s.root == tmp_path / "blobs"
    for url in ("gs://bucket/prefix", "blobs"):
        with pytest.raises(BlobStoreError, match="unsupported blob store URL"):
            blobstore_from_url(url)
