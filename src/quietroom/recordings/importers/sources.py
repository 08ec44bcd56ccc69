"""Where an import reads its manifest and audio: a local folder or an S3 prefix.

Every path in a manifest is relative to the source root and stays inside it: no '..', no
absolute paths, no symlinks out of a local folder. A row may instead name an http(s) URL, which
is fetched only through safe_http (allow-listed hosts, public addresses only).
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Callable

from django.conf import settings

from quietroom.recordings.audio_files import MAX_AUDIO_BYTES, resolve_audio_path

from . import safe_http


class SourceError(ValueError):
    """A source root or a path in it that cannot be used; the message says why."""


def safe_relative_key(relative: str) -> str:
    """A manifest path as an object key suffix, with the same rules as a local path."""
    if "\x00" in relative:
        raise ValueError("path contains a NUL byte")
    if "\\" in relative:
        raise ValueError("backslashes are not allowed in audio paths")
    path = PurePosixPath(relative)
    if path.is_absolute():
        raise ValueError("absolute paths are not allowed; give a path inside the source root")
    if ".." in path.parts:
        raise ValueError("'..' is not allowed in audio paths")
    key = str(path)
    if key in ("", "."):
        raise ValueError("empty path")
    return key


class LocalSource:
    def __init__(self, root: Path, label: str = ""):
        self.root = Path(root)
        if not self.root.is_dir():
            raise SourceError(f"source folder not found: {label or self.root}")
        self.label = label or str(self.root)

    def read(self, relative: str, max_bytes: int) -> bytes:
        path = resolve_audio_path(self.root, relative)
        if path.stat().st_size > max_bytes:
            raise ValueError(f"larger than {max_bytes // (1024 * 1024)} MiB")
        return path.read_bytes()


class S3Source:
    """Objects under s3://bucket/prefix; endpoint from QUIETROOM_S3_ENDPOINT_URL, credentials
    from boto3's usual chain (environment, config files, instance role)."""

    def __init__(self, url: str, label: str = ""):
        import boto3
        from botocore.config import Config

        rest = url[len("s3://"):]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise SourceError("an S3 source needs a bucket: s3://bucket/prefix")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.label = label or url
        endpoint = getattr(settings, "QUIETROOM_S3_ENDPOINT_URL", "") or None
        self.client = boto3.client("s3", endpoint_url=endpoint,
                                   config=Config(retries={"max_attempts": 2}, connect_timeout=10, read_timeout=30))

    def read(self, relative: str, max_bytes: int) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        key = safe_relative_key(relative)
        full = f"{self.prefix}/{key}" if self.prefix else key
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=full)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                raise ValueError("file not found under the source prefix") from exc
            raise ValueError(f"S3 refused the read ({code or 'error'})") from exc
        except BotoCoreError as exc:
            raise ValueError(f"S3 not reachable ({type(exc).__name__})") from exc
        if obj.get("ContentLength", 0) > max_bytes:
            obj["Body"].close()
            raise ValueError(f"larger than {max_bytes // (1024 * 1024)} MiB")
        return obj["Body"].read(max_bytes + 1)[: max_bytes + 1]


def open_source(spec: str, label: str = ""):
    """A local folder path or an s3://bucket/prefix URL."""
    if spec.startswith("s3://"):
        return S3Source(spec, label)
    if "://" in spec:
        raise SourceError("a source root is a local folder or s3://bucket/prefix")
    return LocalSource(Path(spec), label)


def configured_roots() -> dict[str, str]:
    """QUIETROOM_SOURCE_ROOTS as {label: spec}; entries are "label=/folder" or "label=s3://b/p"."""
    roots = {}
    for entry in getattr(settings, "QUIETROOM_SOURCE_ROOTS", []):
        label, sep, spec = entry.partition("=")
        if sep and label.strip() and spec.strip():
            roots[label.strip()] = spec.strip()
    return roots


def audio_opener(source) -> Callable[[str], bytes]:
    """Reads a row's audio: a path inside the source root, or an allow-listed public URL."""
    allowlist = list(getattr(settings, "QUIETROOM_SOURCE_URL_ALLOWLIST", []))

    def open_audio(reference: str) -> bytes:
        if "://" in reference:
            return safe_http.fetch(reference, allowlist=allowlist, max_bytes=MAX_AUDIO_BYTES)
        data = source.read(reference, MAX_AUDIO_BYTES)
        if len(data) > MAX_AUDIO_BYTES:
            raise ValueError(f"larger than {MAX_AUDIO_BYTES // (1024 * 1024)} MiB")
        return data

    return open_audio
