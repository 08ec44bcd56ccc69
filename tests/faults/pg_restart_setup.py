"""Set-up for the PostgreSQL restart fault test, run as a subprocess against a private cluster.

Prints one JSON line: the reviewers (username, TOTP secret) and the password.
"""
import csv
import json
import sys
import tempfile
from pathlib import Path

import django

django.setup()

import pyotp  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from quietroom import testspeech  # noqa: E402
from quietroom.accounts.models import Organisation, Site, User  # noqa: E402
from quietroom.recordings.ingest import ingest_manifest  # noqa: E402
from quietroom.recordings.pseudonyms import user_pseudonym  # noqa: E402

PASSWORD = "restart test passphrase words"
call_command("migrate", verbosity=0)
now = timezone.now()
controller = Organisation.objects.create(name="Restart Controller", kind="controller")
vendor_fields = {"kind": "vendor", "controller": controller}
if hasattr(Organisation, "approved_at"):
    vendor_fields.update(approved_at=now, approved_countries=["GB"])
vendor = Organisation.objects.create(name="Restart Vendor", **vendor_fields)
site = Site.objects.create(organisation=vendor, name="Loopback", country="GB", networks=["127.0.0.0/8"])
reviewers = []
for i in range(int(sys.argv[1])):
    user = User.objects.create(username=f"restart-{i}", organisation=vendor, site=site, role="reviewer",
                               locales=["en-US"], totp_secret=pyotp.random_base32(), totp_confirmed=True)
    user.set_password(PASSWORD)
    user.pseudonym = user_pseudonym(user.pk)
    user.save()
    try:
        from quietroom.accounts import vetting

        vetting.record_all(user, now=now, performed_by="fault test")
    except ImportError:
        pass
    reviewers.append({"username": user.username, "secret": user.totp_secret})

with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    rows = []
    for i in range(int(sys.argv[2])):
        samples, rate, _ = testspeech.make_conversation(6, seed=500 + i)
        testspeech.write_audio(folder / f"r{i}.wav", samples, rate, "wav")
        rows.append({"recording_id": f"r{i}", "customer_id": f"c{i}", "audio_path": f"r{i}.wav", "locale": "en-US",
                     "region": "GB", "source": "assistant", "activation": "wake_word", "consent": "true",
                     "captured_at": "2026-02-01T10:00:00+00:00"})
    with (folder / "m.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = ingest_manifest(folder / "m.csv", folder, controller)
    assert report.count("accepted") == len(rows), report.lines()
from quietroom.review.models import Task  # noqa: E402

print(json.dumps({"reviewers": reviewers, "password": PASSWORD, "tasks": Task.objects.count()}))
