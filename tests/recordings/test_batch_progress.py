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


def test_a_batch_shows_its_name_controller_dates_and_rejected_rows(controller, audio_dir, vendor):
    from tests.conftest import manifest_row, write_manifest

    manifest = write_manifest(audio_dir, [
        manifest_row("b-1", "rec0.wav"),
        manifest_row("b-2", "rec1.wav", customer="cust-0002", consent="false"),
    ])
    call_command("ingest", str(manifest), "--controller", controller.name, "--label", "March sample",
                 stdout=io.StringIO())
    labelled = IngestBatch.objects.get()
    assert (labelled.controller, labelled.label, labelled.rejected) == (controller, "March sample", 1)
    assert labelled.finished_at is not None and labelled.finished_at >= labelled.created_at  # in-process pipeline
    (audio_dir / "second").mkdir()
    (audio_dir / "second" / "rec0.wav").write_bytes((audio_dir / "rec0.wav").read_bytes())
    call_command("ingest", str(write_manifest(audio_dir / "second", [manifest_row("b-3", "rec0.wav")])),
                 "--controller", controller.name, stdout=io.StringIO())
    unlabelled = IngestBatch.objects.exclude(pk=labelled.pk).get()

    out = io.StringIO()
    call_command("batch_status", stdout=out)
    lines = {line[:8]: line for line in out.getvalue().splitlines()}
    first, second = lines[str(labelled.id)[:8]], lines[str(unlabelled.id)[:8]]
    assert f"March sample [{controller.name}] received {labelled.created_at:%Y-%m-%d %H:%M} UTC, " \
           f"finished {labelled.finished_at:%Y-%m-%d %H:%M} UTC: rows accepted 1, rejected 1, unchanged 0" in first
    # Without a label: the manifest's name with the short id (every demo manifest is manifest.csv).
    assert f" manifest.csv ({str(unlabelled.id)[:8]}) [{controller.name}]" in second

    page = staff(controller, "controller_admin", "ctl-admin").get("/ingestion/batches/").content.decode()
    row = page[page.index(f'data-batch="{str(labelled.id)[:8]}"'):]
    row = row[:row.index("</tr>")]
    for shown in ("March sample", controller.name, f"{labelled.created_at:%Y-%m-%d %H:%M} UTC",
                  f"{labelled.finished_at:%Y-%m-%d %H:%M} UTC", "1 / 1 / 0"):
        assert shown in row, shown
    # Batches belong to their controller by the batch's own field: another controller sees none.
    other = Organisation.objects.create(name="Other Controller", kind="controller")
    assert "March sample" not in staff(other, "controller_admin", "other-admin").get("/ingestion/batches/").content.decode()


def test_the_migration_gives_old_batches_their_controller_and_finish_time(ingested, controller):
    from django.apps import apps
    from importlib import import_module

    from quietroom.recordings.models import Snippet

    backfill = import_module("quietroom.recordings.migrations.0005_batch_controller_label_finished").backfill
    IngestBatch.objects.update(controller=None, finished_at=None)  # as a batch made before the migration
    backfill(apps, None)
    batch = IngestBatch.objects.get()
    assert batch.controller == controller
    last_written = max(*Snippet.objects.values_list("created_at", flat=True),
                       *(t for t in Recording.objects.values_list("raw_deleted_at", flat=True) if t))
    assert batch.finished_at == last_written
