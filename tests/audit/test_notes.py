"""C2SP signed-note checkpoints with Ed25519."""
import base64

import pytest

from quietroom.audit import notes


def test_a_checkpoint_signs_and_verifies_and_round_trips_its_keys(tmp_path):
    signer = notes.create_signer_file(tmp_path / "key", "example.org/log")
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    again = notes.load_signer(tmp_path / "key")
    assert again.verifier.encode() == signer.verifier.encode()
    note = signer.sign(notes.Checkpoint("example.org/log", 5, b"\x07" * 32).body())
    lines = note.split("\n")
    assert lines[:3] == ["example.org/log", "5", base64.b64encode(b"\x07" * 32).decode()]
    assert lines[3] == "" and lines[4].startswith("\u2014 example.org/log ")
    checkpoint = notes.verify_checkpoint(note, notes.Verifier.parse(signer.verifier.encode()))
    assert (checkpoint.size, checkpoint.root) == (5, b"\x07" * 32)


def test_a_changed_line_or_another_key_fails():
    signer = notes.Signer.generate("example.org/log")
    note = signer.sign(notes.Checkpoint("example.org/log", 5, b"\x07" * 32).body())
    with pytest.raises(notes.NoteError):
        notes.verify_checkpoint(note.replace("\n5\n", "\n6\n"), signer.verifier)
    with pytest.raises(notes.NoteError):
        notes.verify_checkpoint(note, notes.Signer.generate("example.org/log").verifier)


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    notes.create_signer_file(tmp_path / "key", "n")
    (tmp_path / "key").chmod(0o644)
    with pytest.raises(notes.NoteError, match="readable by others"):
        notes.load_signer(tmp_path / "key")


def test_keys_round_trip_whatever_their_base64_holds():
    for _ in range(40):  # base64 often contains '+': parsing must not split on it
        signer = notes.Signer.generate("example.org/log")
        assert notes.Signer.parse(signer.encode()).verifier.encode() == signer.verifier.encode()
        assert notes.Verifier.parse(signer.verifier.encode()).key_id == signer.verifier.key_id
