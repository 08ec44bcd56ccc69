"""The AWS KMS key provider against a real KMS-compatible server on loopback (moto)."""
import boto3
import pytest

from quietroom.vault import KeyProviderError, decrypt_object, encrypt_object, new_customer_key, provider_from_url, unwrap_customer_key


@pytest.fixture
def kms_url(s3_endpoint):
    client = boto3.client("kms", endpoint_url=s3_endpoint, region_name="us-east-1")
    key_id = client.create_key(Description="quietroom test master key")["KeyMetadata"]["KeyId"]
    return f"awskms://{key_id}?endpoint={s3_endpoint}&region=us-east-1"


def test_customer_keys_wrap_and_unwrap_through_kms(kms_url):
    provider = provider_from_url(kms_url)
    assert provider.key_id.startswith("awskms:")
    key, wrapped = new_customer_key(provider, "c_customer")
    assert key not in wrapped
    assert unwrap_customer_key(provider, wrapped, "c_customer") == key
    sealed = encrypt_object(b"audio bytes", "snippet:1", key)
    assert decrypt_object(sealed.ciphertext, sealed.wrapped_dek, "snippet:1", unwrap_customer_key(provider, wrapped, "c_customer")) == b"audio bytes"


def test_a_wrapped_key_does_not_unwrap_for_another_customer(kms_url):
    provider = provider_from_url(kms_url)
    _, wrapped = new_customer_key(provider, "c_alice")
    with pytest.raises(KeyProviderError, match="KMS decrypt failed"):
        unwrap_customer_key(provider, wrapped, "c_bob")


def test_unknown_kms_key_is_refused_at_start(s3_endpoint):
    with pytest.raises(KeyProviderError, match="not usable"):
        provider_from_url(f"awskms://00000000-0000-0000-0000-000000000000?endpoint={s3_endpoint}")
