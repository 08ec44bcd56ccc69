"""Erasure by crypto-shredding: unreadable at once, purged, idempotent, resumable after a kill."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.db import connection

from quietroom import content, gate, vault
from quietroom.audit.log import Actor, verify
from quietroom.audit.models import AuditEvent
from quietroom.exports.models import Export, ExportCustomer
from quietroom.privacy.erasure import erase_customer
from quietroom.privacy.models import ErasureRequest
from quietroom.recordings.models import CustomerKey, Recording, Snippet
from quietroom.review.models import Task

pytestmark = pytest.mark.django_db
OFFICER = Actor(name="olivia", role="privacy_officer", pseudonym="r_officer")


class Crash(Exception):
    pass


def crash_at(wanted):
    def hook(step):
        if step == wanted:
            raise Crash(step)
    return hook


def decryptable_anything(pseudonym) -> list[str]:
    """Try to decrypt every ciphertext in the blob store and every row with the customer's key."""
    found = []
    row = CustomerKey.objects.get(pseudonym=pseudonym)
    try:
        content.key_of(row)
        found.append("customer key still unwraps")
    except gate.ContentGone:
        pass
    if row.wrapped_key:
        found.append("wrapped customer key still stored")
    for snippet in Snippet.objects.filter(recording__customer_key=row):
        found.append(f"snippet row {snippet.pk}")
    for blob in content.blob_store().keys():
        # The blob store holds ciphertext only; any blob left for this customer's objects?
        if any(str(rid) in blob for rid in erased_recording_ids):
            found.append(f"blob {blob}")
    return found


erased_recording_ids: set = set()


def test_erasure_makes_everything_unreadable_and_purges_it(playing, controller, pseudonym):
    client, stream, snippet = playing
    assert snippet.recording.customer_key.pseudonym == pseudonym
    erased_recording_ids.clear()
    erased_recording_ids.update(str(r) for r in Recording.objects.filter(customer_key__pseudonym=pseudonym).values_list("pk", flat=True))
    blobs_before = [k for k in content.blob_store().keys() if any(r in k for r in erased_recording_ids)]
    assert blobs_before  # there was something to erase
    export = Export.objects.create(format="jsonl", created_by="ops")
    ExportCustomer.objects.create(export=export, customer_pseudonym=pseudonym, items=3)

    request = erase_customer(controller, "cust-0001", OFFICER)

    assert request.step == "done"
    assert decryptable_anything(pseudonym) == []
    # The reviewer was mid-play: the next range request fails.
    assert client.get(stream, HTTP_RANGE="bytes=100-199").status_code in (403, 404, 410)
    assert not Task.objects.filter(snippet__recording__customer_key__pseudonym=pseudonym).exists()
    assert [e["export_id"] for e in request.exports] == [str(export.id)]
    # Nothing of the other customer was touched.
    other = CustomerKey.objects.exclude(pseudonym=pseudonym).get()
    assert content.key_of(other) and Snippet.objects.filter(recording__customer_key=other).exists()
    # Backups: a ciphertext copied before the erasure cannot be opened without the key.
    assert CustomerKey.objects.get(pseudonym=pseudonym).wrapped_key is None
    actions = set(AuditEvent.objects.filter(customer=pseudonym).values_list("action", flat=True))
    assert {"erasure.start", "key.customer.destroy", "erasure.content_removed", "erasure.completed"} <= actions
    assert verify().ok


def test_a_restored_blob_store_backup_decrypts_with_no_key_left(ingested, controller, pseudonym):
    snippets = list(Snippet.objects.filter(recording__customer_key__pseudonym=pseudonym))
    backup = {s.blob_key: (content.blob_store().get(s.blob_key), bytes(s.wrapped_dek), s.object_id) for s in snippets}
    erase_customer(controller, "cust-0001", OFFICER)
    store = content.blob_store()
    for blob_key, (ciphertext, _, _) in backup.items():
        assert not store.exists(blob_key)
        store.put(blob_key, ciphertext)  # an old backup of the blob store is restored
    live_keys = [content.key_of(row) for row in CustomerKey.objects.filter(destroyed_at__isnull=True)]
    assert live_keys  # the other customer is still readable
    for ciphertext, wrapped_dek, object_id in backup.values():
        for key in live_keys:
            with pytest.raises(vault.DecryptionError):
                vault.decrypt_object(ciphertext, wrapped_dek, object_id, key)
    with pytest.raises(gate.ContentGone):
        content.key_of(CustomerKey.objects.get(pseudonym=pseudonym))


def test_erasing_twice_is_harmless(ingested, controller, pseudonym):
    first = erase_customer(controller, "cust-0001", OFFICER)
    second = erase_customer(controller, "cust-0001", OFFICER)
    assert first.pk == second.pk and second.step == "done"
    assert ErasureRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="erasure.repeat", customer=pseudonym).count() == 1
    assert verify().ok


@pytest.mark.parametrize("step", ["key_destroyed", "content_batch", "content_removed", "exports_listed"])
def test_a_crash_between_steps_resumes_when_rerun(ingested, controller, pseudonym, step):
    with pytest.raises(Crash):
        erase_customer(controller, "cust-0001", OFFICER, after_step=crash_at(step))
    request = ErasureRequest.objects.get()
    assert request.step != "done"
    # Already unreadable after the first step, whatever happens next.
    assert CustomerKey.objects.get(pseudonym=pseudonym).destroyed_at is not None
    again = erase_customer(controller, "cust-0001", OFFICER)
    assert again.step == "done" and again.runs == 2
    assert not Snippet.objects.filter(recording__customer_key__pseudonym=pseudonym).exists()
    assert AuditEvent.objects.filter(action="erasure.resume", customer=pseudonym).count() == 1


@pytest.mark.django_db(transaction=True)  # the killed process and the rerun read committed rows
def test_an_erasure_killed_with_sigkill_resumes_from_the_command_line(ingested, controller, pseudonym, tmp_path):
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env.update({
        "QUIETROOM_DATA_DIR": str(settings.DATA_DIR), "QUIETROOM_KEY_PROVIDER": settings.KEY_PROVIDER_URL,
        "QUIETROOM_BLOB_URL": settings.BLOB_URL, "QUIETROOM_PSEUDONYM_KEY": settings.PSEUDONYM_KEY,
        "QUIETROOM_SECRET_KEY": settings.SECRET_KEY, "QUIETROOM_AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY_FILE,
        "DJANGO_SETTINGS_MODULE": "quietroom.settings",
    })
    script = textwrap.dedent(f"""
        import os, signal, django
        django.setup()
        from quietroom.accounts.models import Organisation
        from quietroom.audit.log import Actor
        from quietroom.privacy.erasure import erase_customer
        def die(step):
            if step == "content_batch":
                os.kill(os.getpid(), signal.SIGKILL)
        erase_customer(Organisation.objects.get(pk={controller.pk}), "cust-0001", Actor(name="cli"), after_step=die)
    """)
    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert ErasureRequest.objects.get().step == "key_destroyed"
    rerun = subprocess.run([sys.executable, "-m", "quietroom.cli", "privacy", "erase", "--controller", controller.name,
                            "--customer-id", "cust-0001", "--yes"], env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert ErasureRequest.objects.get().step == "done"
    assert not Recording.objects.filter(customer_key__pseudonym=pseudonym).exists()
    assert "cust-0001" not in rerun.stdout + rerun.stderr


def test_the_reviewer_mid_play_gets_410_as_soon_as_the_key_is_destroyed(playing, controller, pseudonym):
    client, stream, snippet = playing
    assert snippet.recording.customer_key.pseudonym == pseudonym
    with pytest.raises(Crash):  # stop right after step 1: the task and lease still exist
        erase_customer(controller, "cust-0001", OFFICER, after_step=crash_at("key_destroyed"))
    response = client.get(stream, HTTP_RANGE="bytes=100-199")
    assert response.status_code == 410
    # Refused mid-view: nothing released, so an attempt to play, not further bytes (docs/audit.md).
    assert AuditEvent.objects.filter(action="snippet.play", outcome="failed").exists()


def test_the_erase_command_shows_each_step_as_it_is_done(ingested, controller, pseudonym):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("privacy", "erase", "--controller", controller.name, "--customer-id", "cust-0001", "--yes",
                 stdout=out)
    lines = out.getvalue().splitlines()
    steps = [line for line in lines if line.startswith("erasure ") and "/3: " in line]
    assert [s.split(":")[0] for s in steps] == ["erasure 1/3", "erasure 2/3", "erasure 3/3"]
    assert "customer key destroyed" in steps[0] and "removed" in steps[1] and "deletion list" in steps[2]
    assert "erasure: removed a batch of recordings with their snippets and blobs" in lines
    assert lines.index(steps[0]) < lines.index(steps[1]) < lines.index(steps[2])
    assert lines[-1].startswith("erasure ") and ": done; removed" in lines[-1]
    assert "cust-0001" not in out.getvalue()


def _nothing_erased(pseudonym) -> bool:
    return (not ErasureRequest.objects.exists()
            and CustomerKey.objects.get(pseudonym=pseudonym).destroyed_at is None
            and Recording.objects.filter(customer_key__pseudonym=pseudonym).exists())


def test_erase_refuses_without_a_terminal_unless_yes_is_given(ingested, controller, pseudonym):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    piped = io.StringIO("yes\n")  # a script piping "yes" is not a person at a terminal
    with pytest.raises(CommandError) as refused:
        call_command("privacy", "erase", "--controller", controller.name, "--customer-id", "cust-0001",
                     stdin=piped, stdout=io.StringIO())
    message = str(refused.value)
    assert "standard input is not a terminal" in message and "--yes" in message
    assert "Acme Voice" in message and "cust-0001" not in message
    assert _nothing_erased(pseudonym)


def test_erase_at_a_terminal_goes_on_only_when_yes_is_typed(ingested, controller, pseudonym):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    def at_a_terminal(typed: str) -> str:
        leader, follower = os.openpty()
        os.write(leader, typed.encode())
        out = io.StringIO()
        with os.fdopen(follower, "r") as terminal:
            try:
                call_command("privacy", "erase", "--controller", controller.name, "--customer-id", "cust-0001",
                             stdin=terminal, stdout=out)
            finally:
                os.close(leader)
        return out.getvalue()

    with pytest.raises(CommandError, match="not confirmed"):
        at_a_terminal("y\n")
    assert _nothing_erased(pseudonym)
    out = at_a_terminal("yes\n")
    assert "cannot be undone" in out and "Type yes to go on" in out and "cust-0001" not in out
    assert ErasureRequest.objects.get().step == "done"
    assert not Recording.objects.filter(customer_key__pseudonym=pseudonym).exists()
