"""Issue 14, hole 8: TOTP seeds are sealed in the database; enrolment and sign-in still work."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys

import pyotp
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from quietroom import content, vault
from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import User
from tests.conftest import PASSWORD, totp_code


def raw_row(username: str) -> tuple:
    """The user's row exactly as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE username = %s", [username])
        return cursor.fetchone()


def raw_seed_column(username: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE username = %s", [username])
        return cursor.fetchone()[0]


def sign_in(user, client=None) -> Client:
    client = client or Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    response = client.post("/accounts/login/verify/", {"code": totp_code(user)})
    assert response.status_code == 302 and response["Location"].endswith("/room/"), response.content[:300]
    return client


@pytest.mark.django_db
def test_an_enrolled_seed_is_sealed_in_the_database_and_its_codes_still_sign_in(site):
    _, token = create_invitation(organisation=site.organisation, username="sealed-newbie", role="reviewer",
                                 site=site, locales=["en-GB"])
    client = Client()
    assert client.post(f"/accounts/invite/{token}/", {"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    seed = re.search(r'id="totp-secret">([A-Z2-7]+)<', client.get("/accounts/enrol/").content.decode()).group(1)
    stored = raw_seed_column("sealed-newbie")
    assert stored.startswith(f"sealed:v1${content.key_provider().key_id}$")
    assert all(seed not in str(value) for value in raw_row("sealed-newbie"))
    assert client.post("/accounts/enrol/", {"code": pyotp.TOTP(seed).now()}).status_code == 302

    user = User.objects.get(username="sealed-newbie")
    assert user.totp_secret == seed and user.has_second_factor
    assert raw_seed_column("sealed-newbie") == stored  # saving the user never rewrote the seed
    assert list(User.objects.filter(pk=user.pk).values_list("totp_secret", flat=True)) == [stored]


@pytest.mark.django_db
def test_fixture_seeds_are_sealed_too_and_the_two_step_sign_in_works(make_reviewer):
    user = make_reviewer("rita-sealed")  # the fixtures write plain seeds: the field seals them
    seed = User.objects.get(pk=user.pk).totp_secret
    assert re.fullmatch(r"[A-Z2-7]{32}", seed)
    assert all(seed not in str(value) for value in raw_row("rita-sealed"))
    sign_in(user)
    # The sealed value is bound to its purpose and to the master key: moved into another
    # column or opened as something else, it does not open.
    stored = raw_seed_column("rita-sealed")
    with pytest.raises(vault.DecryptionError):
        content.open_account_secret("recovery", stored)


@pytest.mark.django_db
def test_master_key_rotation_moves_the_seeds_and_sign_in_keeps_working(make_reviewer, settings, tmp_path):
    user = make_reviewer("rotating")
    old_url, old_id = settings.KEY_PROVIDER_URL, content.key_provider().key_id
    vault.create_key_file(tmp_path / "new.key")
    settings.KEY_PROVIDER_URL = f"file://{tmp_path / 'new.key'}"
    with pytest.raises(vault.KeyProviderError, match="rotate_master_key"):
        User.objects.get(pk=user.pk).totp_secret  # noqa: B018  (not under the new key yet)
    call_command("rotate_master_key", "--from", old_url)
    assert raw_seed_column("rotating").startswith(f"sealed:v1${content.key_provider().key_id}$")
    assert content.key_provider().key_id != old_id
    sign_in(User.objects.get(pk=user.pk))
    assert content.rewrap_account_secrets(vault.provider_from_url(old_url)) == 0  # nothing left: harmless


MIGRATE = [sys.executable, "-m", "django", "migrate", "-v0"]


@pytest.mark.system  # two `migrate` processes on a database file of their own
def test_the_migration_seals_stored_seeds_and_leaves_none_in_the_database_file(tmp_path):
    env = {**os.environ, "QUIETROOM_MODE": "demo", "QUIETROOM_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "quietroom.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([*MIGRATE, "accounts", "0002"], env=env, check=True, timeout=300)
    database = tmp_path / "quietroom.sqlite3"
    seeds = [pyotp.random_base32() for _ in range(3)]
    with sqlite3.connect(database) as db:
        for i, seed in enumerate(seeds):
            db.execute(
                "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
                " is_active, date_joined, role, locales, totp_secret, totp_last_step, totp_confirmed, security_keys,"
                " webauthn_handle, current_session_key) VALUES ('!', 0, ?, '', '', '', 0, 1, '2026-01-01', 'reviewer',"
                " '[]', ?, 0, 1, 0, '', '')", [f"old-{i}", seed])
    assert all(seed.encode() in database.read_bytes() for seed in seeds)

    subprocess.run([*MIGRATE, "accounts"], env=env, check=True, timeout=300)  # 0003 seals; 0004-0005 after it
    on_disk = b"".join(path.read_bytes() for path in tmp_path.glob("quietroom.sqlite3*"))
    assert not any(seed.encode() in on_disk for seed in seeds)
    opened = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from quietroom.accounts.models import User; "
                               "print(*User.objects.order_by('username').values_list('totp_secret', flat=True)); "
                               "print(*(u.totp_secret for u in User.objects.order_by('username')))"],
        env=env, check=True, timeout=120, capture_output=True, text=True).stdout.splitlines()
    assert all(value.startswith("sealed:v1$") for value in opened[0].split())
    assert opened[1].split() == seeds
