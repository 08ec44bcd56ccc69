"""Master key held in AWS KMS (or a KMS-compatible service): keys never leave it.

URL form: awskms://KEY-ID-OR-ALIAS?endpoint=http://host:port&region=eu-west-2
(an alias is written without its "alias/" prefix: awskms://alias/quietroom works too).
Wrapping a customer key is a KMS Encrypt call whose encryption context carries our associated
data, so a wrapped key only unwraps for the customer it was made for.
"""
from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

from .errors import KeyProviderError


class AwsKmsProvider:
    def __init__(self, key_id: str, *, endpoint_url: str | None = None, region: str | None = None, client=None):
        import boto3
        from botocore.config import Config

        if not key_id:
            raise KeyProviderError("AWS KMS provider needs a key id or alias (awskms://KEY)")
        self.client = client or boto3.client(
            "kms", endpoint_url=endpoint_url, region_name=region or "us-east-1",
            config=Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"}),
        )
        try:
            meta = self.client.describe_key(KeyId=key_id)["KeyMetadata"]
        except Exception as exc:
            raise KeyProviderError(f"KMS key {key_id!r} is not usable: {type(exc).__name__}") from None
        self.arn = meta["Arn"]
        self.key_id = "awskms:" + meta["KeyId"]

    @staticmethod
    def _context(aad: bytes) -> dict[str, str]:
        return {"quietroom-aad": base64.b64encode(aad).decode()}

    def wrap(self, key: bytes, aad: bytes) -> bytes:
        try:
            return self.client.encrypt(KeyId=self.arn, Plaintext=key, EncryptionContext=self._context(aad))["CiphertextBlob"]
        except Exception as exc:
            raise KeyProviderError(f"KMS encrypt failed: {type(exc).__name__}") from None

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        try:
            return self.client.decrypt(
                KeyId=self.arn, CiphertextBlob=wrapped, EncryptionContext=self._context(aad),
            )["Plaintext"]
        except Exception as exc:
            raise KeyProviderError(f"KMS decrypt failed: {type(exc).__name__}") from None

    def __repr__(self) -> str:
        return f"AwsKmsProvider({self.key_id})"


def kms_from_url(url: str) -> AwsKmsProvider:
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    key = (parsed.netloc + parsed.path).strip("/")
    return AwsKmsProvider(key, endpoint_url=query.get("endpoint", [None])[0], region=query.get("region", [None])[0])
