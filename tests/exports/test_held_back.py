"""Flagged, escalated, held, withdrawn and erased snippets never leave, by any export.

Issue 15: a snippet a reviewer flagged "Possible violence or abuse" still went out in every
export format and with its audio. Every case here is made through the real paths (the room's
submission with a sensitive label, two officers placing a legal hold, retention, an erasure),
then exported through the command line and the API in every format, with and without audio.
The held-back snippet's id, transcript, customer and audio must be absent, and the export
must say how many items it held back and why (counts only).
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pyotp
import pytest
from django.core.management import call_command
from django.utils import timezone

from quietroom import gate
from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.decisions import Refusal
from quietroom.escalation import cases
from quietroom.escalation.models import Case
from quietroom.exports.formats import FORMATS
from quietroom.exports.models import Export, ExportCustomer
from quietroom.privacy import retention
from quietroom.privacy.erasure import erase_pseudonym
from quietroom.recordings.models import Snippet
from quietroom.review import queue
from quietroom.review.models import Submission, Task
from quietroom.review.submissions import submit
from tests.conftest import PASSWORD
from tests.review.factories import make_snippets

pytestmark = pytest.mark.django_db

ROLES = ("flagged", "held", "withdrawn", "key_destroyed", "shredded", "clean")
EXPECTED = {"flagged": 1, "legal_hold": 1, "withdrawn": 1, "erased": 2}


class Crash(Exception):
    pass


def _crash_after_key(step):
    if step == "key_destroyed":
        raise Crash(step)


@pytest.fixture(autouse=True)
def one_slot_per_snippet(settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0, "REVIEW_GOLD_RATE": 0.0}


@pytest.fixture
def make_officer(controller):
    from quietroom.accounts.models import User
    from quietroom.accounts.pseudonyms import user_pseudonym

    def make(username):
        user = User.objects.create(username=username, organisation=controller, role="privacy_officer",
                                   email=f"{username}@acme.example", totp_secret=pyotp.random_base32(),
                                   totp_confirmed=True)
        user.set_password(PASSWORD)
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
        return user

    return make


def review_all(user, labels_for=lambda n: {}):
    """Lease and submit every queued snippet through the real queue; {snippet id: transcript}."""
    texts = {}
    for n in range(50):
        task = queue.next_task(user, timezone.now())
        if task is None:
            break
        text = f"transcript number {n} of its snippet"
        submit(user, task.id, text, f"k-{user.pk}-{n}", now=timezone.now(), labels=labels_for(n))
        texts[str(task.snippet_id)] = text
    return texts


@pytest.fixture
def restricted(controller, make_reviewer, make_officer, settings):
    """Six reviewed snippets, one customer each: five that may not leave and one that may.

    flagged: the reviewer submitted it with "Possible violence or abuse"; held: flagged, then a
    legal hold placed by two officers; withdrawn: an overlap slot of it withdrawn from review;
    key_destroyed: its customer's erasure stopped after the key was destroyed; shredded: its
    audio shredded by retention (the transcript is still stored); clean: nothing happened to it.
    """
    make_snippets(controller, len(ROLES))
    rita = make_reviewer("rita")
    texts = review_all(rita, lambda n: {"sensitive": "violence_abuse"} if n in (0, 1) else {})
    assert len(texts) == len(ROLES)
    ids = list(texts)
    role = dict(zip(ROLES, ids))
    snippet = {name: Snippet.objects.select_related("recording__customer_key").get(pk=sid) for name, sid in role.items()}

    olivia, oscar = make_officer("olivia"), make_officer("oscar")
    held_case = Case.objects.get(snippet_id=role["held"])
    cases.confirm(oscar, cases.propose(olivia, held_case, "legal_hold", "police request ref 123"))

    Task.for_snippet(snippet["withdrawn"], slot=1, status=Task.Status.WITHDRAWN,
                     withdrawn_reason="recording withdrawn by the controller").save(force_insert=True)

    with pytest.raises(Crash):
        erase_pseudonym(controller, snippet["key_destroyed"].recording.customer_key.pseudonym,
                        Actor(name="dpo"), after_step=_crash_after_key)

    settings.QUIETROOM_RETENTION = {**settings.QUIETROOM_RETENTION, "SNIPPET_DAYS": 7}
    Snippet.objects.filter(pk=role["shredded"]).update(created_at=timezone.now() - timezone.timedelta(days=30))
    retention.enforce()
    assert Snippet.objects.get(pk=role["shredded"]).shredded_at is not None
    assert Submission.objects.get(task__snippet_id=role["shredded"]).transcript_ciphertext is not None

    pseudonyms = {name: s.recording.customer_key.pseudonym for name, s in snippet.items()}
    return {"ids": role, "texts": {name: texts[sid] for name, sid in role.items()}, "pseudonyms": pseudonyms}


# --- reading an export back, whatever its shape ------------------------------------------------


def _parquet(data: bytes) -> tuple[str, set[str]]:
    table = pq.read_table(io.BytesIO(data))
    rows = table.to_pylist()
    audio = {row.pop("audio")["path"] for row in rows if "audio" in row}
    return json.dumps(rows), audio


def _read(files: dict[str, bytes]) -> tuple[str, set[str]]:
    """All the text an export holds (parquet rows included), and the names of its audio files."""
    text, audio = [], set()
    for name, data in files.items():
        if data[:4] == b"PAR1":
            rows, embedded = _parquet(data)
            text.append(rows)
            audio |= embedded
        elif name.endswith(".wav"):
            audio.add(name.rsplit("/", 1)[-1])
        else:
            text.append(data.decode("utf-8"))
    return "\n".join(text), audio


def _folder(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _payload(data: bytes) -> dict[str, bytes]:
    if data[:2] == b"PK":
        archive = zipfile.ZipFile(io.BytesIO(data))
        return {name: archive.read(name) for name in archive.namelist()}
    return {"payload": data}


def assert_only_clean_left(files: dict[str, bytes], restricted, *, with_audio: bool):
    text, audio = _read(files)
    for name in ROLES:
        sid, transcript, pseudonym = (restricted["ids"][name], restricted["texts"][name],
                                      restricted["pseudonyms"][name])
        leaving = name == "clean"
        assert (sid in text) is leaving, f"{name}: snippet id"
        assert (transcript in text) is leaving, f"{name}: transcript"
        assert (pseudonym in text) is leaving, f"{name}: customer pseudonym"
        assert any(sid in a for a in audio) is (leaving and with_audio), f"{name}: audio"
    assert len(audio) == (1 if with_audio else 0)


def _cli(fmt, with_audio, out, capsys):
    call_command("export", "--format", fmt, "--out", str(out), *(["--with-audio"] if with_audio else []))
    return capsys.readouterr().err


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def token(controller, db):
    from quietroom.api.models import ServiceAccount
    from quietroom.api.tokens import issue_token

    account = ServiceAccount.objects.create(organisation=controller, name="pipeline",
                                            scopes=["exports:read", "exports:write"])
    return issue_token(account, days=30)[0]


# --- the rule, through every exit ---------------------------------------------------------------


@pytest.mark.parametrize("with_audio", [False, True], ids=["text", "audio"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_nothing_held_back_leaves_by_the_command_line_or_the_api(restricted, fmt, with_audio, tmp_path, capsys,
                                                                  client, token):
    many_files = fmt == "kaldi" or (with_audio and fmt != "hf")
    out = tmp_path / (fmt if many_files else f"{fmt}.out")
    err = _cli(fmt, with_audio, out, capsys)
    assert_only_clean_left(_folder(out), restricted, with_audio=with_audio)
    row = Export.objects.get()
    assert row.item_count == 1 and row.held_back == EXPECTED
    assert "held back: flagged 1, legal_hold 1, withdrawn 1, erased 2" in err
    assert set(ExportCustomer.objects.filter(export=row).values_list("customer_pseudonym", flat=True)) == {
        restricted["pseudonyms"]["clean"]}
    # The record of the export names no held-back snippet either.
    assert row.snippet_ids == [restricted["ids"]["clean"]]

    created = client.post("/api/v1/exports", {"format": fmt, "with_audio": with_audio},
                          content_type="application/json", **auth(token))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["item_count"] == 1 and body["held_back"] == EXPECTED
    download = client.get(f"/api/v1/exports/{body['id']}/download", **auth(token))
    assert download.status_code == 200
    assert json.loads(download["X-QuietRoom-Held-Back"]) == EXPECTED and download["X-QuietRoom-Items"] == "1"
    assert_only_clean_left(_payload(download.content), restricted, with_audio=with_audio)
    # Nothing held back was ever decrypted for an export.
    for name in ROLES[:-1]:
        assert not AuditEvent.objects.filter(object_id__contains=restricted["ids"][name], outcome="ok",
                                             purpose__startswith="export").exists()


def test_a_download_of_an_export_made_before_the_flag_leaves_the_flagged_snippet_out(
        controller, make_reviewer, settings, client, token):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 1.0, "REVIEW_OVERLAP_K": 2}
    make_snippets(controller, 3)
    first = review_all(make_reviewer("rita"))
    made = {fmt: client.post("/api/v1/exports", {"format": fmt, "with_audio": True},
                             content_type="application/json", **auth(token)).json() for fmt in ("jsonl", "kaldi")}
    assert {e["item_count"] for e in made.values()} == {3}
    before = client.get(f"/api/v1/exports/{made['kaldi']['id']}/download", **auth(token))
    assert len([n for n in _payload(before.content) if n.startswith("audio/")]) == 3

    # A second reviewer hears the same snippets (overlap) and flags one of them.
    flagged = list(first)[0]
    bob = make_reviewer("bob")
    while (task := queue.next_task(bob, timezone.now())) is not None:
        labels = {"sensitive": "violence_abuse"} if str(task.snippet_id) == flagged else {}
        submit(bob, task.id, "second opinion", f"bob-{task.pk}", now=timezone.now(), labels=labels)
    assert Case.objects.filter(snippet_id=flagged).exists()
    # And one customer is erased completely (rows and all).
    erased = list(first)[1]
    erase_pseudonym(controller, Snippet.objects.get(pk=erased).recording.customer_key.pseudonym, Actor(name="dpo"))

    for fmt, export in made.items():
        download = client.get(f"/api/v1/exports/{export['id']}/download", **auth(token))
        assert download.status_code == 200
        files = _payload(download.content)
        text, audio = _read(files)
        for gone in (flagged, erased):
            assert gone not in text and first[gone] not in text and not any(gone in a for a in audio)
        kept = list(first)[2]
        assert kept in text and first[kept] in text and len(audio) == 1
        assert json.loads(download["X-QuietRoom-Held-Back"]) == {"flagged": 1, "legal_hold": 0, "withdrawn": 0,
                                                                "erased": 1}
        assert download["X-QuietRoom-Items"] == "1"
    # The deletion list still names the exports that held the erased customer's item before.
    assert ExportCustomer.objects.filter(export_id__in=[e["id"] for e in made.values()]).count() == 6


def test_the_gate_refuses_an_export_read_of_a_held_back_snippet(restricted):
    """Even a caller that skipped the export's selection cannot decrypt a flagged snippet for it."""
    flagged = Snippet.objects.get(pk=restricted["ids"]["flagged"])
    submission = Submission.objects.get(task__snippet=flagged)
    with pytest.raises(gate.AccessDenied) as refused:
        list(gate.transcripts_for_export(Actor.system(), [submission], purpose="export"))
    assert refused.value.reasons[0].code is Refusal.HELD_FLAGGED
    with pytest.raises(gate.AccessDenied):
        gate.snippet_audio_for_export(Actor.system(), flagged, purpose="export.download")
    assert AuditEvent.objects.filter(action="snippet.read", outcome="denied", object_id=str(flagged.pk)).exists()
    clean = Snippet.objects.get(pk=restricted["ids"]["clean"])
    assert gate.snippet_audio_for_export(Actor.system(), clean, purpose="export")[:4] == b"RIFF"


def test_gold_bookkeeping_is_not_a_withdrawal(controller, make_reviewer, tmp_path):
    """Overlap slots withdrawn because the snippet became gold do not keep it (or its reference) in."""
    from quietroom.review import quality

    (task,) = make_snippets(controller, 1)
    spare = Task.for_snippet(task.snippet, slot=1)
    spare.save(force_insert=True)
    quality.make_gold(task.snippet, "the known transcript", make_reviewer("lead"))
    assert Task.objects.get(pk=spare.pk).withdrawn_reason == Task.BECAME_GOLD
    out = tmp_path / "gold.jsonl"
    call_command("export", "--format", "jsonl", "--out", str(out), "--gold-only")
    (item,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert item["snippet_id"] == str(task.snippet_id) and item["transcript"] == "the known transcript"
    assert Export.objects.get().held_back == {"flagged": 0, "legal_hold": 0, "withdrawn": 0, "erased": 0}


def test_a_snippet_withdrawn_while_an_export_is_written_is_held_back_and_counted(controller, make_reviewer):
    from collections import Counter

    from quietroom.exports.collect import ExportFilters, read_items, select_submissions

    make_snippets(controller, 2)
    texts = review_all(make_reviewer("rita"))
    selection = select_submissions(ExportFilters(), controller=controller)
    assert len(selection.submissions) == 2 and sum(selection.held_back.values()) == 0
    late = selection.submissions[0].task.snippet
    Task.for_snippet(late, slot=1, status=Task.Status.WITHDRAWN,
                     withdrawn_reason="recording withdrawn by the controller").save(force_insert=True)
    held_back = Counter()
    items = list(read_items(Actor(name="cli"), selection.submissions, with_audio=True, held_back=held_back))
    assert [i.snippet_id for i in items] == [s for s in texts if s != str(late.pk)]
    assert held_back == {"withdrawn": 1}
    assert AuditEvent.objects.filter(action="transcript.read", outcome="denied", purpose="export").count() == 1
