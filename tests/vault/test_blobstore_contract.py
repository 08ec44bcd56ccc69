"""One behaviour for every blob store: the local folder and S3 (a real server on loopback)."""
import pytest

from quietroom.vault import BlobStoreError, LocalBlobStore, blobstore_from_url
from quietroom.vault.s3 import S3BlobStore


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return blobstore_from_url(f"s3://{bucket}/quietroom/blobs?endpoint={endpoint}")


def test_put_get_exists_delete(store):
    store.put("snippets/abc/0", b"\x00ciphertext\xff")
    assert store.exists("snippets/abc/0")
    assert store.get("snippets/abc/0") == b"\x00ciphertext\xff"
    store.put("snippets/abc/0", b"replaced")
    assert store.get("snippets/abc/0") == b"replaced"
    store.delete("snippets/abc/0")
    assert not store.exists("snippets/abc/0")
    store.delete("snippets/abc/0")  # deleting twice is harmless (erasure reruns rely on it)


def test_missing_blob_is_a_clear_error(store):
    with pytest.raises(BlobStoreError, match="blob 'recordings/nope' not found"):
        store.get("recordings/nope")


def test_keys_lists_what_was_stored(store):
    for key in ("recordings/a", "snippets/a/0", "snippets/a/1"):
        store.put(key, b"x")
    assert sorted(store.keys()) == ["recordings/a", "snippets/a/0", "snippets/a/1"]


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../b", "a\\b", "", "x.wav"])
def test_invalid_keys_are_refused(store, key):
    with pytest.raises(BlobStoreError):
        store.put(key, b"x")


def test_s3_prefix_keeps_stores_apart(s3_endpoint, s3_bucket):
    a = blobstore_from_url(f"s3://{s3_bucket}/tenant-a?endpoint={s3_endpoint}")
    b = blobstore_from_url(f"s3://{s3_bucket}/tenant-b?endpoint={s3_endpoint}")
    a.put("recordings/1", b"a")
    assert list(b.keys()) == [] and not b.exists("recordings/1")


def test_unreachable_object_store_is_a_clear_error_and_names_no_secret(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    store = S3BlobStore("bucket", "p", endpoint_url="http://127.0.0.1:9")  # nothing listens on port 9
    store.client.meta.config.retries = {"max_attempts": 1}
    with pytest.raises(BlobStoreError) as err:
        store.put("recordings/x", b"data")
    message = str(err.value)
    assert "could not write blob 'recordings/x'" in message and "unreachable" in message
    assert "very-secret-value" not in message


def test_missing_bucket_is_reported(s3_endpoint):
    store = blobstore_from_url(f"s3://no-such-bucket-here/p?endpoint={s3_endpoint}")
    with pytest.raises(BlobStoreError, match="NoSuchBucket"):
        store.put("recordings/x", b"data")
