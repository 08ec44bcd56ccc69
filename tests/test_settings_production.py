"""Production mode refuses to start without real secrets, database and master key."""
import os
import subprocess
import sys

import pytest

GOOD_SECRET = "k" * 20 + "Xy7-good-secret-material-0123456789"


def start(env_over: dict, code: str = "import django; django.setup(); print('started')") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIETROOM_", "DATABASE_URL"))}
    env.update({"QUIETROOM_MODE": "production", "DJANGO_SETTINGS_MODULE": "quietroom.settings"})
    env.update(env_over)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


COMPLETE = {
    "QUIETROOM_SECRET_KEY": GOOD_SECRET,
    "QUIETROOM_PSEUDONYM_KEY": GOOD_SECRET[::-1],
    "QUIETROOM_WATERMARK_KEY": "w" + GOOD_SECRET[1:],
    "DATABASE_URL": "postgres://quietroom@127.0.0.1:5432/quietroom",
    "QUIETROOM_KEY_PROVIDER": "file:///etc/quietroom/master.key",
    "QUIETROOM_AUDIT_SIGNING_KEY": "/etc/quietroom/audit-signing.key",
    "QUIETROOM_AUDIT_CHAIN_KEY": "/etc/quietroom/audit-chain.key",
}


def test_complete_production_configuration_starts():
    result = start(COMPLETE)
    assert result.returncode == 0 and "started" in result.stdout, result.stderr[-500:]


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_each_missing_setting_is_refused_by_name(missing):
    env = {k: v for k, v in COMPLETE.items() if k != missing}
    result = start(env)
    assert result.returncode != 0 and missing in result.stderr


@pytest.mark.parametrize("bad", ["changeme", "django-insecure-change-me", "short-secret"])
def test_default_or_weak_secret_key_is_refused(bad):
    result = start({**COMPLETE, "QUIETROOM_SECRET_KEY": bad})
    assert result.returncode != 0 and "QUIETROOM_SECRET_KEY" in result.stderr
    assert bad not in result.stderr.replace("QUIETROOM_SECRET_KEY", "")  # the secret is not echoed


def test_sqlite_is_refused_in_production():
    result = start({**COMPLETE, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


CHECK = "import django; django.setup(); from django.core.management import call_command; call_command('check'); print('checked')"


def test_serving_is_refused_while_the_audit_chain_key_cannot_be_read(tmp_path):
    """The setting alone is not enough: every audited action needs the key, so `check` (run by
    serve and migrate) refuses a path that does not hold one."""
    missing = start(COMPLETE, CHECK)
    assert missing.returncode != 0 and "QUIETROOM_AUDIT_CHAIN_KEY" in missing.stderr and "does not exist" in missing.stderr
    from quietroom.audit.chain import create_key_file

    key = tmp_path / "audit-chain.key"
    assert create_key_file(key)
    found = start({**COMPLETE, "QUIETROOM_AUDIT_CHAIN_KEY": str(key)}, CHECK)
    assert found.returncode == 0 and "checked" in found.stdout, found.stderr[-500:]
    key.chmod(0o644)
    readable = start({**COMPLETE, "QUIETROOM_AUDIT_CHAIN_KEY": str(key)}, CHECK)
    assert readable.returncode != 0 and "readable by others" in readable.stderr


EMAIL = ("import django; django.setup(); from django.conf import settings as s; "
         "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER, "
         "s.EMAIL_HOST_PASSWORD == 'p,ss word', s.EMAIL_TIMEOUT)")


def test_escalation_and_security_mail_is_configured_from_the_environment():
    """SMTP by default in production; backend, relay, STARTTLS and credentials from the environment."""
    default = start(COMPLETE, EMAIL)
    assert default.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "localhost", "25", "False",
                                      "False", "10"], default.stderr[-500:]
    configured = start({**COMPLETE, "QUIETROOM_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                        "QUIETROOM_EMAIL_HOST": "relay.example", "QUIETROOM_EMAIL_PORT": "587",
                        "QUIETROOM_EMAIL_STARTTLS": "1", "QUIETROOM_EMAIL_USER": "quietroom",
                        "QUIETROOM_EMAIL_PASSWORD": "p,ss word", "QUIETROOM_EMAIL_TIMEOUT": "5"}, EMAIL)
    assert configured.stdout.split() == ["django.core.mail.backends.filebased.EmailBackend", "relay.example", "587",
                                         "True", "quietroom", "True", "5"], configured.stderr[-500:]
