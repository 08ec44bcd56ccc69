"""The public API: tokens (hashed, scoped, expiring), tenant isolation, batches, exports,
audit checkpoints, every call audited, the schema and the self-contained docs page."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from quietroom.api.models import ApiToken
from quietroom.api.tokens import token_hash
from quietroom.audit.models import AuditEvent
from quietroom.exports.models import Export, ImportRun
from tests.exports.interop_fixtures import audiofolder, common_voice_release

pytestmark = pytest.mark.django_db


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_tokens_are_stored_hashed_and_expired_or_revoked_tokens_are_refused(client, controller, make_token):
    token = make_token(controller)
    row = ApiToken.objects.get()
    assert row.hash == token_hash(token) and token not in row.hash and token.startswith(f"qrt_{row.prefix}_")
    assert client.get("/api/v1/batches", **auth(token)).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    assert client.get("/api/v1/batches", **auth(token + "x")).status_code == 401
    assert client.get("/api/v1/batches").status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/batches", **auth(token)).status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now())
    assert client.get("/api/v1/batches", **auth(token)).status_code == 401


def test_scopes_are_enforced(client, controller, make_token):
    token = make_token(controller, scopes=["batches:read"])
    assert client.get("/api/v1/batches", **auth(token)).status_code == 200
    response = client.get("/api/v1/exports", **auth(token))
    assert response.status_code == 403 and "exports:read" in response.json()["detail"]
    response = client.post("/api/v1/exports", {"format": "jsonl"}, content_type="application/json", **auth(token))
    assert response.status_code == 403 and Export.objects.count() == 0


def test_every_call_is_audited_with_its_outcome(client, controller, make_token):
    token = make_token(controller, scopes=["batches:read"])
    client.get("/api/v1/batches", **auth(token))
    client.get("/api/v1/exports", **auth(token))
    client.get("/api/v1/batches")
    events = list(AuditEvent.objects.filter(action="api.call").order_by("seq"))
    assert [(e.outcome, e.details["status"], e.details["path"]) for e in events] == [
        ("ok", 200, "/api/v1/batches"), ("denied", 403, "/api/v1/exports"), ("denied", 401, "/api/v1/batches"),
    ]
    assert events[0].actor.startswith("svc:") and events[2].actor == "anonymous"
    assert all(token not in json.dumps(e.details) for e in events)


def test_createtoken_prints_the_token_once_and_stores_its_hash(controller, capsys):
    call_command("createtoken", "ci-bot", "--org", controller.name, "--scopes", "exports:read,batches:read", "--days", "7")
    token = capsys.readouterr().out.strip()
    row = ApiToken.objects.get()
    assert row.hash == token_hash(token) and row.account.scopes == ["batches:read", "exports:read"]
    assert timedelta(days=6) < row.expires_at - timezone.now() <= timedelta(days=7)
    assert AuditEvent.objects.filter(action="api.token.create").exists()


def test_batches_from_a_source_root_and_by_upload_with_tenant_isolation(
        client, controller, other_controller, make_token, tmp_path, settings):
    from quietroom import testspeech

    speech = [testspeech.make_conversation(1, seed=s) for s in (41, 42)]
    common_voice_release(tmp_path / "cv", speech)
    meta = audiofolder(tmp_path / "af", speech[:1])
    settings.QUIETROOM_SOURCE_ROOTS = [f"cv={tmp_path / 'cv'}", f"af={tmp_path / 'af'}"]
    token_a, token_b = make_token(controller), make_token(other_controller)

    body = {"format": "commonvoice", "source_root": "cv", "manifest_path": "validated.tsv",
            "consent_basis": "Common Voice CC0", "locale": "en-GB", "region": "GB"}
    response = client.post("/api/v1/batches", body, content_type="application/json", **auth(token_a))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["accepted"] == 2 and created["consent_basis"] == "Common Voice CC0"
    assert created["recordings_processed"] == 2 and len(created["rows"]) == 2

    for bad, reason in (("../cv/validated.tsv", "'..'"), ("/etc/passwd", "absolute")):
        response = client.post("/api/v1/batches", body | {"manifest_path": bad}, content_type="application/json",
                               **auth(token_a))
        assert response.status_code == 400 and reason in response.json()["detail"]
    response = client.post("/api/v1/batches", body | {"consent_basis": ""}, content_type="application/json",
                           **auth(token_a))
    assert response.status_code == 400 and "consent basis" in response.json()["detail"]
    response = client.post("/api/v1/batches", body | {"source_root": "nope"}, content_type="application/json",
                           **auth(token_a))
    assert response.status_code == 400

    upload = io.BytesIO(meta.read_bytes())
    upload.name = "metadata.csv"
    response = client.post("/api/v1/batches/upload", {
        "format": "audiofolder", "source_root": "af", "consent_basis": "contract", "locale": "en-US",
        "region": "GB", "customer_column": "speaker_id", "manifest": upload,
    }, **auth(token_a))
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] == 1

    listed = client.get("/api/v1/batches", **auth(token_a)).json()
    assert {b["id"] for b in listed} == {str(r.id) for r in ImportRun.objects.filter(controller=controller)}
    assert client.get("/api/v1/batches", **auth(token_b)).json() == []
    assert client.get(f"/api/v1/batches/{created['id']}", **auth(token_b)).status_code == 404
    assert client.get(f"/api/v1/batches/{created['id']}", **auth(token_a)).json()["id"] == created["id"]


def test_an_uploaded_batch_refuses_a_decode_bomb_by_row_and_imports_the_rest(
        client, controller, make_token, tmp_path, settings):
    """Issue 14, hole 6, through the API: the refusal is a row of the batch, not a 500 or a crash."""
    from quietroom import testspeech
    from quietroom.recordings.models import Recording
    from tests.deid.test_audio_io import silent_flac

    speech = [testspeech.make_conversation(1, seed=41)]
    meta = audiofolder(tmp_path / "af", speech, rows=[
        {"file_name": "data/utt0.flac", "speaker_id": "spk-0"},
        {"file_name": "data/silence.flac", "speaker_id": "spk-1"},
    ])
    (tmp_path / "af" / "data" / "silence.flac").write_bytes(silent_flac(96000, 4, 600))  # 879 MiB decoded
    settings.QUIETROOM_SOURCE_ROOTS = [f"af={tmp_path / 'af'}"]
    upload = io.BytesIO(meta.read_bytes())
    upload.name = "metadata.csv"
    response = client.post("/api/v1/batches/upload", {
        "format": "audiofolder", "source_root": "af", "consent_basis": "contract", "locale": "en-US",
        "region": "GB", "customer_column": "speaker_id", "manifest": upload,
    }, **auth(make_token(controller)))
    assert response.status_code == 201, response.content
    batch = response.json()
    assert (batch["accepted"], batch["rejected"]) == (1, 1)
    (refused,) = [row for row in batch["rows"] if row["status"] == "rejected"]
    assert refused["reason"].startswith("audio 'data/silence.flac' refused before decoding:")
    assert "4 channels (limit 2)" in refused["reason"] and "sample rate 96000 Hz (limit 48000 Hz)" in refused["reason"]
    assert Recording.objects.filter(controller=controller).count() == 1


def test_exports_create_list_download_and_stay_with_their_controller(
        client, controller, other_controller, make_token, reviewed_for_api):
    token_a, token_b = make_token(controller), make_token(other_controller)
    texts = reviewed_for_api
    response = client.post("/api/v1/exports", {"format": "kaldi", "with_audio": True,
                                               "filters": {"locale": "en-GB"}},
                           content_type="application/json", **auth(token_a))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["item_count"] == len(texts) and created["customer_count"] >= 1
    export = Export.objects.get(id=created["id"])
    assert export.controller == controller and export.customers.count() == created["customer_count"]

    download = client.get(f"/api/v1/exports/{created['id']}/download", **auth(token_a))
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    names = set(archive.namelist())
    assert {"text", "wav.scp", "utt2spk", "spk2utt"} <= names
    assert sum(1 for n in names if n.startswith("audio/")) == len(texts)
    assert {line.split(" ", 1)[1] for line in archive.read("text").decode().splitlines()} == {
        " ".join(t.split()) for t in texts.values()}

    jsonl = client.post("/api/v1/exports", {"format": "jsonl"}, content_type="application/json", **auth(token_a)).json()
    body = client.get(f"/api/v1/exports/{jsonl['id']}/download", **auth(token_a)).content.decode()
    assert len(body.splitlines()) == len(texts)

    assert {e["id"] for e in client.get("/api/v1/exports", **auth(token_a)).json()} == {created["id"], jsonl["id"]}
    assert client.get("/api/v1/exports", **auth(token_b)).json() == []
    assert client.get(f"/api/v1/exports/{created['id']}", **auth(token_b)).status_code == 404
    assert client.get(f"/api/v1/exports/{created['id']}/download", **auth(token_b)).status_code == 404
    # B's own export holds nothing of A's.
    b_export = client.post("/api/v1/exports", {"format": "jsonl"}, content_type="application/json", **auth(token_b)).json()
    assert b_export["item_count"] == 0
    reads = AuditEvent.objects.filter(action="transcript.read", purpose="export.download").count()
    assert reads == 2 * len(texts)


def test_audit_checkpoints_endpoint(client, controller, make_token):
    token = make_token(controller, scopes=["audit:read"])
    response = client.get("/api/v1/audit/checkpoints", **auth(token))
    assert response.status_code == 200
    assert set(response.json()) == {"origin", "public_key", "checkpoints"}


def test_openapi_schema_and_docs_page(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/batches", "/api/v1/exports", "/api/v1/exports/{export_id}/download"} <= set(schema["paths"])
    page = client.get("/api/v1/docs")
    html = page.content.decode()
    assert page.status_code == 200 and "/api/v1/batches/upload" in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script: the CSP would block it
    assert "style=" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_data_subject_access_and_erasure_through_the_api(client, controller, other_controller, make_token,
                                                         reviewed_for_api):
    token = make_token(controller, scopes=["privacy:read", "privacy:write", "exports:write"], name="dpo")
    other = make_token(other_controller, scopes=["privacy:read", "privacy:write"], name="dpo")
    client.post("/api/v1/exports", {"format": "jsonl"}, content_type="application/json", **auth(token))
    customer = "a" * 64  # the Common Voice client_id of the first clip
    report = client.post("/api/v1/privacy/access-report", {"customer_id": customer},
                         content_type="application/json", **auth(token))
    assert report.status_code == 200, report.content
    assert report.json()["access_count"] >= 1 and customer not in report.content.decode()
    assert report.json()["recordings"] == {"status": "received", "erased_at": None}
    mistyped = client.post("/api/v1/privacy/access-report", {"customer_id": customer[:-1]},
                           content_type="application/json", **auth(token))
    assert mistyped.json()["recordings"]["status"] == "never_received"
    assert "No recording was ever received" in mistyped.json()["finding"]
    # The API hands out the signed report field for field: it verifies offline.
    from quietroom.audit import checkpoints
    from quietroom.privacy import offline

    for answer in (report, mistyped):
        assert offline.verify_report(json.loads(answer.content), checkpoints.verifier()) == answer.json()["access_count"]
    erased = client.post("/api/v1/privacy/erasure", {"customer_id": customer}, content_type="application/json",
                         **auth(token))
    assert erased.status_code == 200, erased.content
    body = erased.json()
    assert body["step"] == "done" and len(body["exports"]) == 1
    assert client.get(f"/api/v1/privacy/erasure/{body['id']}", **auth(token)).json()["step"] == "done"
    assert client.get(f"/api/v1/privacy/erasure/{body['id']}", **auth(other)).status_code == 404
    after = client.post("/api/v1/privacy/access-report", {"customer_id": customer},
                        content_type="application/json", **auth(token)).json()
    assert after["recordings"]["status"] == "erased" and "later erased" in after["finding"]


def test_transparency_report_counts_only_the_tokens_controller(client, controller, other_controller, make_token,
                                                               ingested, make_reviewer):
    from datetime import date, timedelta

    from quietroom.audit.log import Actor, record
    from quietroom.recordings.models import Snippet

    reviewer = make_reviewer()
    snippet = Snippet.objects.first()
    record(Actor.for_user(reviewer), "transcript.submit", object_type="snippet", object_id=snippet.pk,
           customer=snippet.recording.customer_key.pseudonym)
    record(Actor.for_user(reviewer), "escalation.created", customer=snippet.recording.customer_key.pseudonym,
           details={"category": "crime"})
    today = date.today()
    query = {"start": (today - timedelta(days=1)).isoformat(), "end": (today + timedelta(days=1)).isoformat()}

    ours = client.get("/api/v1/privacy/transparency", query, **auth(make_token(controller, scopes=["privacy:read"])))
    assert ours.status_code == 200
    body = ours.json()
    assert body["customers_received"] == 2 and body["customers_reviewed"] == 1
    assert body["escalations"] == [{"category": "crime", "outcome": "flagged", "count": 1}]

    theirs = client.get("/api/v1/privacy/transparency", query,
                        **auth(make_token(other_controller, scopes=["privacy:read"], name="other")))
    assert theirs.status_code == 200
    assert theirs.json()["customers_received"] == 0 and theirs.json()["escalations"] == []
    assert client.get("/api/v1/privacy/transparency", query,
                      **auth(make_token(controller, scopes=["audit:read"], name="auditor"))).status_code == 403
    backwards = {"start": query["end"], "end": query["start"]}
    assert client.get("/api/v1/privacy/transparency", backwards,
                      **auth(make_token(controller, scopes=["privacy:read"], name="p2"))).status_code == 400
