"""Shared fixtures: organisations, a site on loopback, reviewers with TOTP, ingested audio."""
from __future__ import annotations

import csv
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pyotp
import pytest

from quietroom import testspeech

PASSWORD = "a long enough passphrase for tests"


@pytest.fixture
def controller(db):
    from quietroom.accounts.models import Organisation

    return Organisation.objects.create(name="Acme Voice", kind="controller")


@pytest.fixture
def vendor(controller):
    from quietroom.accounts.models import Organisation

    from django.utils import timezone as dj_timezone

    # Approved by the controller to work in GB (accounts: unapproved vendors cannot sign in).
    return Organisation.objects.create(name="Vendor A", kind="vendor", controller=controller,
                                       approved_at=dj_timezone.now(), approved_countries=["GB"])


@pytest.fixture
def site(vendor):
    from quietroom.accounts.models import Site

    return Site.objects.create(organisation=vendor, name="Leeds", country="GB", networks=["127.0.0.0/8", "::1/128"])


@pytest.fixture
def make_reviewer(vendor, site):
    from quietroom.accounts.models import User
    from quietroom.recordings.pseudonyms import user_pseudonym

    def make(username="rita", locales=("en-US",), vetted=True, **extra):
        user = User.objects.create(
            username=username, organisation=vendor, site=site, role="reviewer", locales=list(locales),
            totp_secret=pyotp.random_base32(), totp_confirmed=True, **extra,
        )
        user.set_password(PASSWORD)
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
        if vetted:  # identity, background check, NDA, training, recertification all recorded
            from django.utils import timezone as dj_timezone

            from quietroom.accounts import vetting

            vetting.record_all(user, now=dj_timezone.now(), performed_by="test fixture")
        return user

    return make


def totp_code(user, offset_steps: int = 0) -> str:
    return pyotp.TOTP(user.totp_secret).at(time.time() + 30 * offset_steps)


MANIFEST_FIELDS = ["recording_id", "customer_id", "audio_path", "locale", "region", "source",
                   "activation", "consent", "captured_at"]


def manifest_row(rec_id, audio, *, customer="cust-0001", consent="true", **over):
    row = {
        "recording_id": rec_id, "customer_id": customer, "audio_path": audio, "locale": "en-US",
        "region": "GB", "source": "assistant", "activation": "wake_word", "consent": consent,
        "captured_at": datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc).isoformat(),
    }
    row.update(over)
    return row


def write_manifest(folder: Path, rows: list[dict], name="manifest.csv") -> Path:
    path = folder / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def _deid_asr_memo(settings):
    """The suite ingests the same generated recordings again and again: let the de-identification
    pipeline transcribe each distinct snippet once per process (the real engine still runs)."""
    settings.QUIETROOM = {**settings.QUIETROOM, "DEID_ASR_MEMO": True}


@pytest.fixture(scope="session")
def speech():
    """Two short conversations of real recorded prompts (16 kHz) with their texts."""
    return [testspeech.make_conversation(3, seed=s) for s in (11, 12)]


@pytest.fixture
def audio_dir(tmp_path, speech):
    folder = tmp_path / "audio"
    folder.mkdir()
    for i, (samples, rate, _texts) in enumerate(speech):
        testspeech.write_audio(folder / f"rec{i}.wav", samples, rate, "wav")
    return folder


@pytest.fixture
def ingested(controller, audio_dir):
    """Two recordings ingested and processed into snippets with review tasks."""
    from quietroom.recordings.ingest import ingest_manifest

    manifest = write_manifest(audio_dir, [
        manifest_row("r-1", "rec0.wav", customer="cust-0001"),
        manifest_row("r-2", "rec1.wav", customer="cust-0002"),
    ])
    report = ingest_manifest(manifest, audio_dir, controller)
    assert report.count("accepted") == 2, report.lines()
    return report


@pytest.fixture
def reviewer_client(client, make_reviewer):
    """A logged-in reviewer (session established through the real two-step login)."""
    def login(user):
        response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        response = client.post("/accounts/login/verify/", {"code": totp_code(user)})
        assert response.status_code == 302 and response["Location"].endswith("/room/")
        return client

    return login


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto in server mode) on loopback, for the whole session.

    Also serves KMS. Credentials are dummies set for this process only.
    """
    import os

    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{server._server.server_port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh, empty bucket on the loopback S3 server; yields its name."""
    import uuid

    import boto3

    name = f"qr-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name
