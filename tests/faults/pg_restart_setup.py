"""Set-up for the PostgreSQL restart fault test, run as a subprocess against a private cluster.

Prints one JSON line: the reviewers (username, TOTP secret) and the password. The queue is
built from sealed snippets made by tests/review/factories.py, not by running the
de-identification pipeline: the test is about the database restart, not about the pipeline.
"""
import json
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for tests.review.factories
django.setup()

import pyotp  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from quietroom.accounts.models import Organisation, Site, User  # noqa: E402
from quietroom.accounts.pseudonyms import user_pseudonym  # noqa: E402
from tests.review.factories import make_snippets  # noqa: E402

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

# One snippet per recording, so every reviewer may take any task (one snippet of a recording
# per reviewer), and far more tasks than four reviewers submit in the test's 25 seconds.
make_snippets(controller, int(sys.argv[2]), seconds=2.0)
from quietroom.review.models import Task  # noqa: E402

print(json.dumps({"reviewers": reviewers, "password": PASSWORD, "tasks": Task.objects.count()}))
