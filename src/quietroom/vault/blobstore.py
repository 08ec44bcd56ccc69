"""Blob storage for ciphertexts (the vault never hands it plaintext)."""

import os
import tempfile
from pathlib import Path
from typing import Iterator, Protocol
from urllib.parse import unquote, urlparse

from .blobkeys import KEY_RE
from .errors import BlobStoreError


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self) -> Iterator[str]: ...


def _fsync_dir(path: Path) -> None:
    # A rename/unlink is only durable once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    def __init__(self, root: "str | os.PathLike[str]") -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            raise BlobStoreError(f"invalid blob key {key!r}: use [A-Za-z0-9_-] segments joined by '/'")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Same directory as the target so os.replace is an atomic rename:
            # readers see the old blob or the new one, never a partial write.
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
            _fsync_dir(path.parent)
        except OSError as e:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            raise BlobStoreError(f"could not write blob '{key}': {e.strerror}") from None

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise BlobStoreError(f"blob '{key}' not found") from None
        except OSError as e:
            raise BlobStoreError(f"could not read blob '{key}': {e.strerror}") from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, IsADirectoryError):
            return
        except OSError as e:
            raise BlobStoreError(f"could not delete blob '{key}': {e.strerror}") from None
        try:
            # Deletion is how erasure is honoured, so make it survive a crash.
            _fsync_dir(path.parent)
        except OSError as e:
            raise BlobStoreError(f"could not delete blob '{key}': {e.strerror}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterator[str]:
        for dirpath, _dirnames, filenames in os.walk(self.root):
            for name in filenames:
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                # Skips temp files and anything else a key could never name.
                if KEY_RE.fullmatch(key):
                    yield key


def blobstore_from_url(url: str) -> BlobStore:
    parsed = urlparse(url)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost") and parsed.path.startswith("/"):
        return LocalBlobStore(Path(unquote(parsed.path)))
    if parsed.scheme == "s3":
        from .s3 import s3_from_url  # boto3 is imported only when S3 is configured

        return s3_from_url(url)
    raise BlobStoreError(
        f"unsupported blob store URL scheme '{parsed.scheme}'; expected file:///abs/path or s3://bucket/prefix"
    )
