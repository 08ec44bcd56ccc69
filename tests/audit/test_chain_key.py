"""The chain key: a file apart from the database, created whole and never replaced."""
import pytest

from quietroom.audit import chain


def test_the_key_file_is_created_once_private_and_loads(tmp_path):
    path = tmp_path / "audit-chain.key"
    assert chain.create_key_file(path)
    first = path.read_bytes()
    assert not chain.create_key_file(path) and path.read_bytes() == first  # never overwritten
    assert path.stat().st_mode & 0o777 == 0o600
    key = chain.load(str(path))
    assert key.entry_ok("a" * 64, "b" * 64, key.entry_mac("a" * 64, "b" * 64))


def test_a_key_readable_by_others_or_too_short_is_refused(tmp_path):
    path = tmp_path / "open.key"
    assert chain.create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(chain.ChainKeyError, match="readable by others"):
        chain.load(str(path))
    with pytest.raises(chain.ChainKeyError, match="at least 32 bytes"):
        chain.ChainKey(b"short")
    with pytest.raises(chain.ChainKeyError, match="does not exist"):
        chain.load(str(tmp_path / "missing.key"))


def test_entry_macs_and_head_tags_cannot_stand_in_for_each_other():
    key, other = chain.ChainKey(b"k" * 32), chain.ChainKey(b"j" * 32)
    mac = key.entry_mac("a" * 64, "b" * 64)
    assert mac != key.head_tag(1, "a" * 64) and not key.head_ok(1, "a" * 64, mac)
    assert not other.entry_ok("a" * 64, "b" * 64, mac)
    assert not key.entry_ok("a" * 64, "b" * 64, "")


@pytest.mark.parametrize("key", [b"k" * 32, bytes(range(64)), b"long" * 40])
def test_macs_are_the_documented_hmac_sha256(key):
    """docs/privacy.md gives the formulas; anyone holding the key can check with the standard library."""
    import hmac

    chained = chain.ChainKey(key)
    h, leaf = "a" * 64, "b" * 64
    assert chained.entry_mac(h, leaf) == hmac.new(key, b"quietroom/audit/entry-mac/v1\n" + f"{h}\n{leaf}".encode(), "sha256").hexdigest()
    assert chained.head_tag(7, h) == hmac.new(key, b"quietroom/audit/head-tag/v1\n" + f"7\n{h}".encode(), "sha256").hexdigest()


def test_the_cli_creates_a_chain_key_before_settings_load_and_never_overwrites(tmp_path, capsys):
    from quietroom import cli

    path = tmp_path / "audit-chain.key"
    cli.main(["audit", "create-chain-key", str(path)])
    assert "QUIETROOM_AUDIT_CHAIN_KEY=" in capsys.readouterr().out
    chain.load(str(path))
    first = path.read_bytes()
    with pytest.raises(SystemExit, match="exists"):
        cli.main(["audit", "create-chain-key", str(path)])
    assert path.read_bytes() == first
