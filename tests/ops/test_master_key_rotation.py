"""Master key rotation re-wraps customer keys, resumes after a crash, and loses nothing."""
import boto3
import pytest
from django.core.management import call_command

from quietroom import content, vault
from quietroom.audit.models import AuditEvent
from quietroom.recordings.models import CustomerKey, Snippet

pytestmark = pytest.mark.django_db


def readable(snippet_count_expected):
    """Every snippet still decrypts under the current master key."""
    count = 0
    for snippet in Snippet.objects.select_related("recording__customer_key"):
        key = content.key_of(snippet.recording.customer_key)
        vault.decrypt_object(content.blob_store().get(snippet.blob_key), bytes(snippet.wrapped_dek), snippet.object_id, key)
        count += 1
    assert count == snippet_count_expected


def test_rotation_to_a_new_key_file_is_resumable(ingested, settings, tmp_path, monkeypatch):
    old_url = settings.KEY_PROVIDER_URL
    old = content.key_provider()
    snippets = Snippet.objects.count()
    new_path = tmp_path / "new-master.key"
    vault.create_key_file(new_path)
    settings.KEY_PROVIDER_URL = f"file://{new_path}"
    new = content.key_provider()
    assert new.key_id != old.key_id

    real = vault.rewrap_customer_key
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed mid-rotation")
        return real(*args, **kwargs)

    monkeypatch.setattr(vault, "rewrap_customer_key", crash_on_second)
    with pytest.raises(RuntimeError):
        content.rewrap_customer_keys(old)
    ids = sorted(CustomerKey.objects.values_list("master_key_id", flat=True))
    assert ids == sorted([old.key_id, new.key_id])  # one moved, one not: a consistent half-way state

    monkeypatch.setattr(vault, "rewrap_customer_key", real)
    call_command("rotate_master_key", "--from", old_url)
    assert set(CustomerKey.objects.values_list("master_key_id", flat=True)) == {new.key_id}
    readable(snippets)
    call_command("rotate_master_key", "--from", old_url)  # nothing left to do: harmless
    assert AuditEvent.objects.filter(action="key.rotate").count() == 2


def test_rotation_into_kms(ingested, settings, s3_endpoint):
    old = content.key_provider()
    key_id = boto3.client("kms", endpoint_url=s3_endpoint, region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
    settings.KEY_PROVIDER_URL = f"awskms://{key_id}?endpoint={s3_endpoint}&region=us-east-1"
    assert content.rewrap_customer_keys(old) == 2
    assert all(k.startswith("awskms:") for k in CustomerKey.objects.values_list("master_key_id", flat=True))
    readable(Snippet.objects.count())
