import pytest

from quietroom.vault import (
    DecryptionError,
    LocalKeyFileProvider,
    SealedObject,
    create_key_file,
    decrypt_object,
    encrypt_object,
    generate_key,
    new_customer_key,
    unwrap_customer_key,
)


@pytest.fixture
def provider(tmp_path):
    create_key_file(tmp_path / "master.key")
    return LocalKeyFileProvider(tmp_path / "master.key")


def test_round_trip():
    ck = generate_key()
    obj = encrypt_object(b"recording bytes", "rec-1", ck)
    assert isinstance(obj, SealedObject)
    assert b"recording bytes" not in obj.ciphertext
    assert decrypt_object(obj.ciphertext, obj.wrapped_dek, "rec-1", ck) == b"recording bytes"


def test_fresh_dek_per_call():
    ck = generate_key()
    a, b = encrypt_object(b"x", "rec-1", ck), encrypt_object(b"x", "rec-1", ck)
    assert a.wrapped_dek != b.wrapped_dek and a.ciphertext != b.ciphertext


def test_swapped_ciphertext_between_objects_fails():
    ck = generate_key()
    a, b = encrypt_object(b"alpha", "rec-a", ck), encrypt_object(b"beta", "rec-b", ck)
    # Whole row moved under another id.
    with pytest.raises(DecryptionError):
        decrypt_object(a.ciphertext, a.wrapped_dek, "rec-b", ck)
    # Only the ciphertext column swapped.
    with pytest.raises(DecryptionError):
        decrypt_object(a.ciphertext, b.wrapped_dek, "rec-b", ck)


def test_other_customers_key_fails():
    obj = encrypt_object(b"alpha", "rec-a", generate_key())
    with pytest.raises(DecryptionError):
        decrypt_object(obj.ciphertext, obj.wrapped_dek, "rec-a", generate_key())


def test_destroyed_customer_key_makes_data_unrecoverable():
    ck = generate_key()
    obj = encrypt_object(b"alpha", "rec-a", ck)
    del ck  # erasure: only the stored columns remain
    for _ in range(3):
        with pytest.raises(DecryptionError):
            decrypt_object(obj.ciphertext, obj.wrapped_dek, "rec-a", generate_key())


def test_customer_key_wrap_round_trip(provider):
    key, wrapped = new_customer_key(provider, "cust-1")
    assert key not in wrapped
    assert unwrap_customer_key(provider, wrapped, "cust-1") == key


def test_customer_key_bound_to_customer_ref_and_provider(provider, tmp_path):
    key, wrapped = new_customer_key(provider, "cust-1")
    with pytest.raises(DecryptionError):
        unwrap_customer_key(provider, wrapped, "cust-2")
    create_key_file(tmp_path / "other.key")
    other = LocalKeyFileProvider(tmp_path / "other.key")
    assert other.key_id != provider.key_id
    with pytest.raises(DecryptionError):
        unwrap_customer_key(other, wrapped, "cust-1")


def test_full_chain(provider):
    ck, wrapped_ck = new_customer_key(provider, "cust-1")
    obj = encrypt_object(b"transcript", "tr-9", ck)
    ck2 = unwrap_customer_key(provider, wrapped_ck, "cust-1")
    assert decrypt_object(obj.ciphertext, obj.wrapped_dek, "tr-9", ck2) == b"transcript"
