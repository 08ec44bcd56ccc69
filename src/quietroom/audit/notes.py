"""C2SP signed notes and checkpoints with Ed25519 (no Django: the offline verifier uses it).

Formats (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint), compatible with
Go's golang.org/x/mod/sumdb/note:
- checkpoint body: ``<origin>\\n<tree size>\\n<base64 root hash>\\n``
- signed note: body, an empty line, then ``— <key name> <base64(key id || signature)>\\n``
- key id: first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key)
- verifier key: ``<name>+<key id hex>+<base64(0x01 || public key)>``
- signer key:   ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || private seed)>``
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = b"\x01"
SIG_PREFIX = "\u2014 "  # em dash and a space


class NoteError(ValueError):
    """A malformed note or key, or a signature that does not verify."""


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ALG_ED25519 + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"key name {name!r} must be non-empty without spaces or '+'")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    key: Ed25519PublicKey

    def encode(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ALG_ED25519 + _raw_public(self.key)).decode()}"

    @classmethod
    def parse(cls, text: str) -> "Verifier":
        parts = text.strip().split("+", 2)  # base64 may itself contain '+'
        if len(parts) != 3:
            raise NoteError("verifier key must look like NAME+KEYID+BASE64")
        name, key_id_hex, blob = parts
        _check_name(name)
        try:
            raw = base64.b64decode(blob, validate=True)
            key_id = bytes.fromhex(key_id_hex)
        except (binascii.Error, ValueError):
            raise NoteError("verifier key is not valid hex/base64") from None
        if len(raw) != 33 or raw[:1] != ALG_ED25519 or len(key_id) != 4:
            raise NoteError("verifier key is not an Ed25519 key")
        if _key_id(name, raw[1:]) != key_id:
            raise NoteError("verifier key id does not match its name and key")
        return cls(name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:]))


@dataclass(frozen=True)
class Signer:
    name: str
    key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        public = self.key.public_key()
        return Verifier(self.name, _key_id(self.name, _raw_public(public)), public)

    def encode(self) -> str:
        seed = self.key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{base64.b64encode(ALG_ED25519 + seed).decode()}"

    @classmethod
    def generate(cls, name: str) -> "Signer":
        _check_name(name)
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> "Signer":
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("signing key must look like PRIVATE+KEY+NAME+KEYID+BASE64")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("signing key is not valid base64") from None
        if len(raw) != 33 or raw[:1] != ALG_ED25519:
            raise NoteError("signing key is not an Ed25519 key")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.verifier.key_id.hex() != parts[3]:
            raise NoteError("signing key id does not match its key")
        return signer

    def sign(self, body: str) -> str:
        """The signed note: body (ending in a newline), blank line, signature line."""
        if not body.endswith("\n") or "\n\n" in body:
            raise NoteError("note body must end with one newline and contain no blank line")
        signature = self.key.sign(body.encode())
        blob = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{body}\n{SIG_PREFIX}{self.name} {blob}\n"


def load_signer(path: "str | os.PathLike[str]") -> Signer:
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_mode & 0o077:
                raise NoteError(f"audit signing key file {str(path)!r} is readable by others; chmod 600 it")
            text = fh.read().decode()
    except FileNotFoundError:
        raise NoteError(f"audit signing key file {str(path)!r} does not exist") from None
    return Signer.parse(text)


def create_signer_file(path: "str | os.PathLike[str]", name: str) -> Signer:
    """Write a new signing key (0600, never overwriting an existing one)."""
    signer = Signer.generate(name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(signer.encode() + "\n")
    return signer


def open_note(note: str, verifier: Verifier) -> str:
    """Check the note's signature by `verifier`; return the signed body."""
    body, sep, signatures = note.partition("\n\n")
    if not sep:
        raise NoteError("note has no signature block")
    body += "\n"
    for line in signatures.splitlines():
        if not line.startswith(SIG_PREFIX):
            raise NoteError("malformed signature line")
        name, _, blob = line[len(SIG_PREFIX):].partition(" ")
        if name != verifier.name:
            continue
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("signature is not valid base64") from None
        if raw[:4] != verifier.key_id:
            continue
        try:
            verifier.key.verify(raw[4:], body.encode())
        except InvalidSignature:
            raise NoteError("checkpoint signature does not verify") from None
        return body
    raise NoteError(f"note carries no signature by {verifier.name}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse_body(cls, body: str) -> "Checkpoint":
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("checkpoint must have origin, size and root hash lines")
        origin, size, root = lines[0], lines[1], lines[2]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError(f"checkpoint tree size {size!r} is not a decimal number")
        try:
            raw = base64.b64decode(root, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("checkpoint root hash is not base64") from None
        if len(raw) != 32:
            raise NoteError("checkpoint root hash is not 32 bytes")
        return cls(origin, int(size), raw)


def verify_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    checkpoint = Checkpoint.parse_body(open_note(note, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint
