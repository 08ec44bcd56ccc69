"""Blob store on S3-compatible object storage (AWS S3, MinIO, Ceph RGW, ...).

URL form: s3://BUCKET/PREFIX?endpoint=http://host:port&region=eu-west-2
Credentials come from the standard AWS sources (environment, shared config, instance role),
never from the URL, so they do not end up in logs or error messages.
A single PutObject is atomic in S3: a reader sees the old object or the new, never half.
"""
from __future__ import annotations

from typing import Iterator
from urllib.parse import parse_qs, urlparse

from .blobkeys import KEY_RE
from .errors import BlobStoreError

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, client=None) -> None:
        import boto3
        from botocore.config import Config

        if not bucket:
            raise BlobStoreError("S3 blob store needs a bucket name (s3://BUCKET/PREFIX)")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
            # Fail fast and let the caller decide: a stuck request must not hold a DB lock.
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _object_key(self, key: str) -> str:
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            raise BlobStoreError(f"invalid blob key {key!r}")
        return self.prefix + key

    def _fail(self, verb: str, key: str, exc: Exception) -> BlobStoreError:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "error")
            return BlobStoreError(f"could not {verb} blob '{key}': S3 said {code}")
        return BlobStoreError(f"could not {verb} blob '{key}': object store unreachable ({type(exc).__name__})")

    def put(self, key: str, data: bytes) -> None:
        name = self._object_key(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        except Exception as exc:  # botocore raises many types; all mean "not stored"
            raise self._fail("write", key, exc) from None

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        name = self._object_key(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise BlobStoreError(f"blob '{key}' not found") from None
            raise self._fail("read", key, exc) from None
        except Exception as exc:
            raise self._fail("read", key, exc) from None

    def delete(self, key: str) -> None:
        name = self._object_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            raise self._fail("delete", key, exc) from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        name = self._object_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise self._fail("check", key, exc) from None
        except Exception as exc:
            raise self._fail("check", key, exc) from None

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    if KEY_RE.fullmatch(key):
                        yield key
        except Exception as exc:
            raise self._fail("list", self.prefix or "/", exc) from None

    def check(self) -> None:
        """Readiness probe: the bucket is reachable with our credentials."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise self._fail("reach", self.bucket, exc) from None


def s3_from_url(url: str) -> S3BlobStore:
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    return S3BlobStore(
        parsed.netloc, parsed.path.lstrip("/"),
        endpoint_url=query.get("endpoint", [None])[0], region=query.get("region", [None])[0],
    )
