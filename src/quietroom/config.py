"""Where QuietRoom's settings come from: environment variables, with demo-only defaults.

Kept apart from settings.py so that the rules ("no secret has a default outside demo mode")
are plain functions a test can call, and so the CLI can prepare a demo data folder before
Django is configured.
"""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MODES = ("demo", "production", "test")

# Values that must never be accepted as a real secret: Django's startproject placeholder,
# our own documentation example, and obviously weak strings.
KNOWN_BAD_SECRETS = {
    "",
    "changeme",
    "change-me",
    "secret",
    "insecure",
    "quietroom",
    "django-insecure-change-me",
}


def mode() -> str:
    value = os.environ.get("QUIETROOM_MODE", "demo").strip().lower()
    if value not in MODES:
        raise ImproperlyConfigured(
            f"QUIETROOM_MODE must be one of {', '.join(MODES)} (got {value!r})"
        )
    return value


def data_dir() -> Path:
    """The folder holding the SQLite file, blobs and demo secrets."""
    explicit = os.environ.get("QUIETROOM_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "quietroom"


def _demo_secret_file(folder: Path, name: str, nbytes: int) -> str:
    """Read or create a random secret under the demo data folder (mode 0600)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if not path.exists():
        from quietroom.vault.secretfiles import create_secret_file

        # Another process starting at the same moment may win; then its secret is the one.
        create_secret_file(path, base64.urlsafe_b64encode(secrets.token_bytes(nbytes)) + b"\n")
    return path.read_text().strip()


def secret(env_name: str, *, demo_file: str, nbytes: int = 48) -> str:
    """A secret from the environment; generated under the data folder only in demo/test mode."""
    value = os.environ.get(env_name, "").strip()
    if value:
        if value.lower() in KNOWN_BAD_SECRETS or len(value) < 32:
            raise ImproperlyConfigured(
                f"{env_name} is a placeholder or shorter than 32 characters; "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return value
    if mode() == "production":
        raise ImproperlyConfigured(
            f"{env_name} is not set; production mode has no default secrets"
        )
    return _demo_secret_file(data_dir() / "secrets", demo_file, nbytes)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if mode() == "production" and not url.startswith(("postgres://", "postgresql://")):
            raise ImproperlyConfigured(
                "DATABASE_URL must point at PostgreSQL in production mode "
                "(SQLite is the single-machine demo default)"
            )
        return url
    if mode() == "production":
        raise ImproperlyConfigured(
            "DATABASE_URL is not set; production mode needs a real database "
            "(e.g. postgres://user@host:5432/quietroom)"
        )
    return f"sqlite:///{data_dir() / 'quietroom.sqlite3'}"


# SQLite's own files beside the database: rollback journal, write-ahead log, shared memory.
SQLITE_COMPANIONS = ("-journal", "-wal", "-shm")


def private_sqlite_file(path: "str | os.PathLike[str]") -> None:
    """Create the SQLite database file readable by this user only (0600) before SQLite does.

    SQLite creates a missing database with 0644 less the umask: readable by every account on
    the machine, and the file holds pseudonyms, wrapped keys and the audit log. Its journal,
    WAL and shared-memory files copy the database file's permissions, so they are private
    too. A database (or companion) left readable by an older version is tightened to 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        try:
            mode = file.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(file, mode & 0o700)


def master_key_url() -> str:
    """Where the master key lives (a key provider URL)."""
    url = os.environ.get("QUIETROOM_KEY_PROVIDER", "").strip()
    if url:
        return url
    if mode() == "production":
        raise ImproperlyConfigured(
            "QUIETROOM_KEY_PROVIDER is not set; production mode needs a master key "
            "(e.g. file:///etc/quietroom/master.key, created with `quietroom createmasterkey`)"
        )
    path = data_dir() / "secrets" / "master.key"
    if not path.exists():
        # Demo/test only: a local master key generated on first start (mode 0600).
        from quietroom.vault import create_key_file

        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        create_key_file(path, exist_ok=True)  # another process starting now may have made it
    return f"file://{path}"


def blob_url() -> str:
    url = os.environ.get("QUIETROOM_BLOB_URL", "").strip()
    return url or f"file://{data_dir() / 'blobs'}"


def csv_env(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_str(name: str, default: str = "") -> str:
    """The first comma-separated item of `name`, stripped; `default` when it names none."""
    return (csv_env(name, default) or [default])[0]


def env_int(name: str, default: int) -> int:
    """The first comma-separated item of `name` as an int; `default` when `name` is unset.

    Set but blank, it has no first item and settings fail to load (IndexError), as before.
    """
    return int(csv_env(name, str(default))[0])


def env_float(name: str, default: float) -> float:
    """As `env_int`, as a float."""
    return float(csv_env(name, str(default))[0])


def audit_origin() -> str:
    """The checkpoint origin line (and signing key name): names this log to witnesses."""
    return os.environ.get("QUIETROOM_AUDIT_ORIGIN", "").strip() or "quietroom.local/audit"


def _key_file(variable: str, what: str, command: str, filename: str, create) -> str:
    """A key file named by `variable`; required in production, generated once elsewhere.

    Demo/test: created under the data folder on first start (`create(path)`, which leaves a
    file another process made first alone). Production: refused when unset, so a restored or
    moved installation never silently starts with a fresh key.
    """
    path = os.environ.get(variable, "").strip()
    if path:
        return path
    if mode() == "production":
        raise ImproperlyConfigured(
            f"{variable} is not set; production mode needs {what} (create one with `{command}`)"
        )
    target = data_dir() / "secrets" / filename
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        create(target)
    return str(target)


def audit_signing_key_file() -> str:
    """Ed25519 key that signs audit checkpoints (C2SP signer-key text, mode 0600)."""
    def create(target):
        from quietroom.audit.notes import create_signer_file

        try:
            create_signer_file(target, audit_origin())
        except FileExistsError:
            pass  # another process created it first

    return _key_file("QUIETROOM_AUDIT_SIGNING_KEY", "the audit signing key file",
                     "quietroom audit create-signing-key PATH", "audit-signing.key", create)


def audit_chain_key_file() -> str:
    """HMAC key that binds each audit entry and the chain's head (audit/chain.py).

    Kept outside the database (beside the signing key), so that someone who can write the
    database cannot recompute the tail of the log.
    """
    def create(target):
        from quietroom.audit.chain import create_key_file

        create_key_file(target)  # False if another process created it first: then theirs is the key

    return _key_file("QUIETROOM_AUDIT_CHAIN_KEY", "the audit chain key file",
                     "quietroom audit create-chain-key PATH", "audit-chain.key", create)

