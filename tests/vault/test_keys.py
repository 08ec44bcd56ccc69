import base64
import os
import stat

import pytest

from quietroom.vault import KeyProviderError, LocalKeyFileProvider, create_key_file, provider_from_url


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_create_key_file_mode_0600_and_valid(tmp_path):
    path = tmp_path / "master.key"
    create_key_file(path)
    assert _mode(path) == 0o600
    assert len(base64.b64decode(path.read_text().strip(), validate=True)) == 32


def test_create_key_file_refuses_overwrite(tmp_path):
    path = tmp_path / "master.key"
    create_key_file(path)
    before = path.read_bytes()
    with pytest.raises(KeyProviderError, match="already exists"):
        create_key_file(path)
    assert path.read_bytes() == before


def test_provider_refuses_group_readable_file(tmp_path):
    path = tmp_path / "master.key"
    create_key_file(path)
    os.chmod(path, 0o644)
    b64 = path.read_text().strip()
    with pytest.raises(KeyProviderError) as exc:
        LocalKeyFileProvider(path)
    msg = str(exc.value)
    assert str(path) in msg and "chmod 600" in msg
    assert b64 not in msg


def test_provider_refuses_wrong_length(tmp_path):
    path = tmp_path / "short.key"
    b64 = base64.b64encode(os.urandom(16)).decode()
    path.write_text(b64 + "\n")
    os.chmod(path, 0o600)
    with pytest.raises(KeyProviderError) as exc:
        LocalKeyFileProvider(path)
    assert str(path) in str(exc.value) and b64 not in str(exc.value)


def test_provider_refuses_non_base64_without_echoing_it(tmp_path):
    path = tmp_path / "bad.key"
    path.write_text("not*base64*SECRETISH\n")
    os.chmod(path, 0o600)
    with pytest.raises(KeyProviderError) as exc:
        LocalKeyFileProvider(path)
    assert "SECRETISH" not in str(exc.value)


def test_provider_refuses_missing_file(tmp_path):
    with pytest.raises(KeyProviderError, match="does not exist"):
        LocalKeyFileProvider(tmp_path / "nope.key")


def test_wrap_unwrap_round_trip_and_key_id(tmp_path):
    path = tmp_path / "master.key"
    create_key_file(path)
    p = LocalKeyFileProvider(path)
    assert p.key_id.startswith("local:") and len(p.key_id) == len("local:") + 16
    assert LocalKeyFileProvider(path).key_id == p.key_id  # stable across loads
    wrapped = p.wrap(b"k" * 32, aad=b"ctx")
    assert p.unwrap(wrapped, aad=b"ctx") == b"k" * 32
    assert path.read_text().strip() not in repr(p)


def test_provider_from_url_both_forms(tmp_path):
    path = tmp_path / "master.key"
    create_key_file(path)
    a = provider_from_url(f"file://{path}")
    b = provider_from_url(str(path))
    assert isinstance(a, LocalKeyFileProvider) and isinstance(b, LocalKeyFileProvider)
    assert a.key_id == b.key_id


@pytest.mark.parametrize("url", ["s3://x", "vault://kms/key"])
def test_provider_from_url_refuses_other_schemes(url):
    with pytest.raises(KeyProviderError, match="unsupported key provider URL scheme"):
        provider_from_url(url)


def test_provider_from_url_refuses_relative_path():
    with pytest.raises(KeyProviderError, match="absolute"):
        provider_from_url("master.key")
