"""Erasure of a customer whose snippet an escalation case holds (GDPR Art. 17(3)(e)).

The erasure completes for everything else at once and keeps exactly what the hold keeps, readable
by escalation staff only; a hold *proposed* and waiting for the second officer counts as a hold;
when the hold is released or the proposal turned down, the erasure finishes by itself.
"""
from __future__ import annotations

import pytest
from django.core.management import call_command

from quietroom import content, gate, vault
from quietroom.audit.log import Actor, verify
from quietroom.audit.models import AuditEvent
from quietroom.escalation import cases
from quietroom.escalation.models import Case, LegalHold
from quietroom.privacy.erasure import erase_customer, finish_waiting
from quietroom.privacy.models import ErasureRequest, HeldKey
from quietroom.recordings.models import CustomerKey, Recording, Snippet
from quietroom.recordings.pseudonyms import customer_pseudonym
from quietroom.review.models import Submission, Task
from tests.escalation.conftest import client_for, escalation_knobs, make_officer, open_task  # noqa: F401 (fixtures)
from tests.review.factories import make_snippets

pytestmark = pytest.mark.django_db
OFFICER = Actor(name="pia", role="privacy_officer", pseudonym="r_pia")
CUSTOMER = "cust-held"
NOTE = "a voice shouting for help at the end"


@pytest.fixture
def held_customer(controller, make_reviewer, reviewer_client, django_capture_on_commit_callbacks):
    """Customer CUSTOMER: 3 recordings of 2 snippets. Reviewer rita transcribes one snippet, then
    flags another with a note (the escalation case); another customer has one snippet.

    Returns a dict: case, pseudonym, the snippets' stored ciphertexts (a "backup"), the plain audio
    of the flagged snippet, rita's plain transcript of the other snippet.
    """
    pseudonym = customer_pseudonym(controller.id, CUSTOMER)
    make_snippets(controller, 3, customers=[pseudonym], snippets_per_recording=2, hypothesis="hello {i} {j}")
    make_snippets(controller, 1, customers=["someone-else"])
    rita = make_reviewer("rita")
    client = reviewer_client(rita)
    task, _, key, _ = open_task(client)
    response = client.post(f"/room/task/{task.pk}/", {"transcript": "plain words", "idempotency_key": key})
    assert response.status_code in (200, 302)
    transcribed = Task.objects.get(pk=task.pk).snippet_id
    task, _, key, _ = open_task(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/room/task/{task.pk}/", {"transcript": "help help", "idempotency_key": key,
                                               "sensitive": "violence_abuse", "sensitive_note": NOTE})
    case = Case.objects.get()
    assert Snippet.objects.get(pk=case.snippet_id).recording.customer_key.pseudonym == pseudonym
    assert transcribed != case.snippet_id
    backup = {s.pk: (content.blob_store().get(s.blob_key), bytes(s.wrapped_dek), s.object_id)
              for s in Snippet.objects.filter(recording__customer_key__pseudonym=pseudonym)}
    return {"case": case, "pseudonym": pseudonym, "backup": backup, "transcribed": transcribed}


def staff_hears(officer, case) -> tuple[int, str]:
    """(length of the audio handed out, the snippet it is): each play carries its own watermark,
    so two plays of the same evidence differ in their bytes, never in their length or snippet."""
    from quietroom.audit.models import Delivery

    audio = gate.snippet_audio_for_escalation(officer, Case.objects.get(pk=case.pk)).audio
    assert audio[:4] == b"RIFF"
    return len(audio), Delivery.objects.latest("pk").object_id


def live_keys() -> list[bytes]:
    keys = [content.key_of(row) for row in CustomerKey.objects.filter(destroyed_at__isnull=True)]
    return keys + [content.key_of(row) for row in HeldKey.objects.filter(destroyed_at__isnull=True)]


def opens_with_a_live_key(ciphertext, wrapped_dek, object_id) -> bool:
    """A copy of the object (a backup of the blob store and of its row) decrypts with a key still held."""
    for key in live_keys():
        try:
            vault.decrypt_object(ciphertext, wrapped_dek, object_id, key)
            return True
        except vault.DecryptionError:
            pass
    return False


def assert_erased_except(held: dict, kept_snippet_ids: set):
    """Everything of the customer is gone or unreadable, except the snippets a hold keeps."""
    pseudonym = held["pseudonym"]
    row = CustomerKey.objects.get(pseudonym=pseudonym)
    assert row.wrapped_key is None and row.destroyed_at is not None
    with pytest.raises(gate.ContentGone):
        content.key_of(row)
    left = set(Snippet.objects.filter(recording__customer_key=row).values_list("pk", flat=True))
    assert left == kept_snippet_ids
    for snippet_id, copy in held["backup"].items():
        if snippet_id not in kept_snippet_ids:
            assert not opens_with_a_live_key(*copy), f"snippet {snippet_id} still decrypts from a backup"
    blobs = set(content.blob_store().keys())
    assert {s.blob_key for s in Snippet.objects.filter(pk__in=kept_snippet_ids)} <= blobs
    assert not Task.objects.filter(customer_key=row).exclude(snippet_id__in=kept_snippet_ids).exists()
    assert not Submission.objects.filter(task__snippet_id=held["transcribed"]).exists()


def test_a_pending_hold_proposal_keeps_the_snippet_readable_and_the_erasure_reports_the_case(
        held_customer, make_officer, controller):
    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    heard_before = staff_hears(second, case)
    cases.propose(first, case, "legal_hold", "police request expected")
    assert Case.objects.get().status == "awaiting_confirmation"

    request = erase_customer(controller, CUSTOMER, OFFICER)

    assert request.step == "held" and request.completed_at is None
    (entry,) = request.held
    assert entry["case_id"] == str(case.pk) and entry["category"] == "violence_abuse"
    assert entry["hold"] == "proposed" and entry["until"] == "decided" and entry["decide_by"]
    assert entry["kept"] == {"snippets": 1, "transcripts": 1, "notes": 1}
    assert NOTE not in str(request.held) and "help" not in str(request.held)
    # The second officer can still hear the evidence and read the note, and decide.
    assert staff_hears(second, case) == heard_before
    assert gate.escalation_note_for_staff(second, Case.objects.get()) == NOTE
    page = client_for(second).get(f"/escalation/case/{case.pk}/").content.decode()
    assert "no longer available" not in page
    assert_erased_except(held_customer, {case.snippet_id})
    held = AuditEvent.objects.get(action="erasure.held", customer=held_customer["pseudonym"])
    assert held.details["holds"][0]["case_id"] == str(case.pk)
    assert verify().ok


def test_a_confirmed_hold_keeps_only_the_held_snippet_and_the_cli_says_which_case(
        held_customer, make_officer, controller, capsys):
    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    cases.confirm(second, cases.propose(first, case, "legal_hold", "police request ref 123"))
    heard_before = staff_hears(first, case)

    call_command("privacy", "erase", "--controller", controller.name, "--customer-id", CUSTOMER, "--yes")

    out = capsys.readouterr().out
    assert str(case.pk) in out and "Possible violence or abuse" in out and "legal hold" in out
    assert "1 snippet" in out and CUSTOMER not in out and NOTE not in out
    request = ErasureRequest.objects.get()
    assert request.step == "held"
    assert request.held[0]["hold"] == "confirmed" and request.held[0]["until"] == "released"
    assert_erased_except(held_customer, {case.snippet_id})
    assert staff_hears(first, case) == heard_before
    # Only escalation staff: the export path and a reviewer never reach the held snippet.
    snippet = Snippet.objects.get(pk=case.snippet_id)
    assert gate.snippet_audio_for_export(OFFICER, snippet) is None
    # Re-running the erasure changes nothing while the hold lasts.
    again = erase_customer(controller, CUSTOMER, OFFICER)
    assert again.step == "held" and staff_hears(first, case) == heard_before


def test_releasing_the_hold_finishes_the_erasure_by_itself(held_customer, make_officer, controller,
                                                             django_capture_on_commit_callbacks):
    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    cases.confirm(second, cases.propose(first, case, "legal_hold", "police request ref 123"))
    erase_customer(controller, CUSTOMER, OFFICER)
    # A copy of the held snippet as it is stored now (its data key re-wrapped by the hold's key).
    ciphertext, _, object_id = held_customer["backup"][case.snippet_id]
    held_copy = (ciphertext, bytes(Snippet.objects.get(pk=case.snippet_id).wrapped_dek), object_id)
    assert opens_with_a_live_key(*held_copy)

    with django_capture_on_commit_callbacks(execute=True):
        cases.release_hold(second, LegalHold.objects.get(), "police confirmed no further need")

    request = ErasureRequest.objects.get()
    assert request.step == "done" and request.completed_at is not None and request.held == []
    assert_erased_except(held_customer, set())
    assert not opens_with_a_live_key(*held_copy)
    assert not HeldKey.objects.filter(destroyed_at__isnull=True).exists()
    assert not Recording.objects.filter(customer_key__pseudonym=held_customer["pseudonym"]).exists()
    with pytest.raises(gate.ContentGone):
        staff_hears(first, case)
    assert gate.escalation_note_for_staff(first, Case.objects.get()) == ""
    case = Case.objects.get()
    assert case.snippet_id is None and case.status == "closed"  # the case record stays
    actions = set(AuditEvent.objects.filter(customer=held_customer["pseudonym"]).values_list("action", flat=True))
    assert {"erasure.held", "erasure.hold_ended", "key.held.destroy", "erasure.completed"} <= actions
    assert verify().ok


def test_turning_the_pending_proposal_down_finishes_the_erasure(held_customer, make_officer, controller,
                                                                 django_capture_on_commit_callbacks):
    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    proposal = cases.propose(first, case, "legal_hold", "maybe")
    erase_customer(controller, CUSTOMER, OFFICER)
    assert ErasureRequest.objects.get().step == "held"

    with django_capture_on_commit_callbacks(execute=True):
        cases.reject(second, proposal, "nothing to preserve")

    assert ErasureRequest.objects.get().step == "done"
    assert_erased_except(held_customer, set())
    with pytest.raises(gate.ContentGone):
        staff_hears(first, case)


def test_a_crash_after_the_release_commits_is_finished_by_the_periodic_job(held_customer, make_officer, controller):
    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    cases.confirm(second, cases.propose(first, case, "legal_hold", "keep"))
    erase_customer(controller, CUSTOMER, OFFICER)
    assert finish_waiting() == 0  # still held: nothing to do, nothing written
    # The release commits, but the process dies before its after-commit hook runs (the test's
    # transaction never commits, so the hook never fires: exactly that state).
    cases.release_hold(second, LegalHold.objects.get(), "no longer needed")
    assert ErasureRequest.objects.get().step == "held"

    call_command("privacy", "finish-erasures")

    assert ErasureRequest.objects.get().step == "done"
    assert_erased_except(held_customer, set())


def test_a_crash_while_shredding_the_released_snippet_resumes(held_customer, make_officer, controller):
    from quietroom.privacy.erasure import erase_pseudonym

    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    cases.confirm(second, cases.propose(first, case, "legal_hold", "keep"))
    erase_customer(controller, CUSTOMER, OFFICER)
    cases.release_hold(second, LegalHold.objects.get(), "no longer needed")

    class Crash(Exception):
        pass

    def crash(step):
        if step == "held_key_destroyed":
            raise Crash(step)

    with pytest.raises(Crash):
        erase_pseudonym(controller, held_customer["pseudonym"], OFFICER, after_step=crash)
    # Unreadable already, though its rows are still there.
    snippet = Snippet.objects.get(pk=case.snippet_id)
    assert not opens_with_a_live_key(content.blob_store().get(snippet.blob_key), bytes(snippet.wrapped_dek),
                                     snippet.object_id)
    assert finish_waiting() == 1
    assert ErasureRequest.objects.get().step == "done"
    assert_erased_except(held_customer, set())


def test_master_key_rotation_moves_held_keys_too(held_customer, make_officer, controller, settings, tmp_path):
    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    cases.confirm(second, cases.propose(first, case, "legal_hold", "keep"))
    erase_customer(controller, CUSTOMER, OFFICER)
    heard = staff_hears(first, case)
    old = content.key_provider()
    new_path = tmp_path / "new-master.key"
    vault.create_key_file(new_path)
    settings.KEY_PROVIDER_URL = f"file://{new_path}"

    content.rewrap_customer_keys(old)

    assert set(HeldKey.objects.values_list("master_key_id", flat=True)) == {content.key_provider().key_id}
    assert staff_hears(first, case) == heard


def test_the_api_answers_202_and_names_the_holding_case(held_customer, make_officer, controller, client):
    from quietroom.api.models import ServiceAccount
    from quietroom.api.tokens import issue_token

    account = ServiceAccount.objects.create(organisation=controller, name="dpo",
                                            scopes=["privacy:read", "privacy:write"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(account, days=1)[0]}"}
    case = held_customer["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    proposal = cases.propose(first, case, "legal_hold", "police request expected")

    response = client.post("/api/v1/privacy/erasure", {"customer_id": CUSTOMER}, content_type="application/json",
                           **auth)

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["step"] == "held" and body["completed_at"] is None
    (entry,) = body["held"]
    assert (entry["case_id"], entry["category"], entry["hold"], entry["until"]) == (
        str(case.pk), "violence_abuse", "proposed", "decided")
    assert entry["kept"] == {"snippets": 1, "transcripts": 1, "notes": 1} and entry["decide_by"]
    assert NOTE not in response.content.decode() and CUSTOMER not in response.content.decode()
    # The status follows the case: confirmed now, kept until released.
    cases.confirm(second, proposal)
    status = client.get(f"/api/v1/privacy/erasure/{body['id']}", **auth).json()
    assert status["held"][0]["hold"] == "confirmed" and status["held"][0]["until"] == "released"
