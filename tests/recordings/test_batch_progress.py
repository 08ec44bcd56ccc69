"""Ingestion progress: the command's progress bar and the controller's page."""
import io

import pytest
from django.core.management import call_command
from django.test import Client

from quietroom.accounts.models import Organisation, User
from quietroom.recordings.models import IngestBatch, Recording

pytestmark = pytest.mark.django_db


def staff(org, role, username):
    user = User.objects.create(username=username, organisation=org, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_batch_status_shows_a_bar_and_the_page_shows_only_the_controllers_batches(ingested, controller, vendor):
    batch = IngestBatch.objects.get()
    Recording.objects.filter(external_id="r-2").update(status="received")  # one still waiting
    out = io.StringIO()
    call_command("batch_status", str(batch.id), stdout=out)
    assert "1/2" in out.getvalue() and "[" in out.getvalue()

    page = staff(controller, "controller_admin", "ctl-admin").get("/ingestion/batches/")
    assert page.status_code == 200
    assert b'<progress max="2" value="1">' in page.content

    other = Organisation.objects.create(name="Other Controller", kind="controller")
    assert b"<progress" not in staff(other, "controller_admin", "other-admin").get("/ingestion/batches/").content
    assert staff(vendor, "vendor_manager", "vm").get("/ingestion/batches/").status_code == 403


def test_batch_status_takes_a_short_id_and_says_what_is_wrong_with_a_bad_one(ingested):
    from django.core.management.base import CommandError

    batch = IngestBatch.objects.get()
    out = io.StringIO()
    call_command("batch_status", str(batch.id)[:8], stdout=out)
    line = out.getvalue().strip()
    assert line.startswith(str(batch.id)[:8]) and "rows accepted 2, rejected 0" in line and "UTC" in line
    for bad, reason in [("zz-not-an-id", "is not a batch id"), ("0000", "no batch id starts with")]:
        with pytest.raises(CommandError, match=reason):
            call_command("batch_status", bad if bad != "0000" or not str(batch.id).startswith("0000") else "ffff")
    filler = "0000" if str(batch.id)[4:8] != "0000" else "1111"
    twin = IngestBatch.objects.create(id=str(batch.id)[:4] + filler + str(batch.id)[8:], manifest_name="m.csv",
                                      manifest_sha256="0" * 64)
    assert str(twin.id)[:4] == str(batch.id)[:4]
    with pytest.raises(CommandError, match="matches 2 batches"):
        call_command("batch_status", str(batch.id)[:4])
