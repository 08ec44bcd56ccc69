"""The auditor's pages: the log (filters, pages, what is shown), verification on a button, the
signed checkpoints for a witness. Auditors and privacy officers only."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from base64 import b64decode

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quietroom.audit import browse, checkpoints, merkle, notes
from quietroom.audit.log import Actor, record
from quietroom.audit.models import AuditEvent
from tests.accounts.conftest import make_user
from tests.audit.tamper import sql, triggers_lifted

pytestmark = pytest.mark.django_db

RITA = Actor(name="rita.realname", role="reviewer", organisation="Vendor A", site="Leeds", country="GB",
             address="203.0.113.77", pseudonym="r_4f1c9a")
BOB = Actor(name="bob.realname", role="reviewer", organisation="Vendor A", site="Leeds", country="GB",
            address="203.0.113.78", pseudonym="r_77b2e0")
UTC = dt.timezone.utc


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def auditor(controller):
    return client_for(make_user("audrey", controller, "auditor"))


@pytest.fixture
def officer(controller):
    return client_for(make_user("olivia", controller, "privacy_officer"))


def rows(response) -> list[tuple[int, str]]:
    """(seq, action) of each entry shown, top to bottom."""
    return [(int(seq), action) for seq, action in
            re.findall(r'<tr class="audit-entry" data-seq="(\d+)" data-action="([^"]*)"', response.content.decode())]


def actions(response) -> list[str]:
    return [action for _, action in rows(response)]


def record_at(monkeypatch, when: dt.datetime, actor: Actor, action: str, **fields):
    """An entry written at `when` (the writer reads the clock under the head lock)."""
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: when)
        return record(actor, action, **fields)


# --- who may read it --------------------------------------------------------------------------


def test_auditors_and_privacy_officers_read_the_log_reviewers_and_vendor_managers_get_403(
        auditor, officer, controller, vendor, make_reviewer):
    record(RITA, "snippet.play", object_type="snippet", object_id="s1")
    for client in (auditor, officer):
        response = client.get("/audit/")
        assert response.status_code == 200
        assert "snippet.play" in actions(response)
        assert client.get("/audit/verify/").status_code == 200
        assert client.get("/audit/checkpoints/").status_code == 200
    reviewer = client_for(make_reviewer("rita"))
    manager = client_for(make_user("manny", vendor, "vendor_manager"))
    admin = client_for(make_user("adam", controller, "controller_admin"))
    for client in (reviewer, manager, admin):
        before = AuditEvent.objects.filter(action="audit.verify").count()
        for url in ("/audit/", "/audit/verify/", "/audit/checkpoints/", "/audit/checkpoints/download"):
            assert client.get(url).status_code == 403, url
        assert client.post("/audit/verify/").status_code == 403
        assert AuditEvent.objects.filter(action="audit.verify").count() == before  # nothing ran
    denied = AuditEvent.objects.filter(action="access.denied", details__view="log_view")
    assert denied.count() == 3
    assert Client().get("/audit/").status_code == 302  # anonymous: to the sign-in page


def test_the_log_shows_pseudonyms_never_usernames_or_addresses(auditor):
    record(RITA, "snippet.play", object_type="snippet", object_id="s1", customer="c_9d2e11", purpose="transcription")
    record(Actor(name="mallory-typed-this", address="198.51.100.9"), "login.password", outcome="denied",
           details={"reason": "unknown account"})
    page = auditor.get("/audit/").content.decode()
    assert "r_4f1c9a" in page and "c_9d2e11" in page and "transcription" in page and "Leeds" in page
    assert "unknown account" in page  # the details are shown
    for secret in ("rita.realname", "203.0.113.77", "mallory-typed-this", "198.51.100.9"):
        assert secret not in page


def test_details_read_as_text_not_python_values(auditor):
    record(RITA, "transcript.submit", outcome="denied", object_type="snippet", object_id="s9",
           details={"reasons": ["four eyes: a second officer confirms", "lease expired"], "four_eyes": True,
                    "labels": []})
    page = auditor.get("/audit/").content.decode()
    assert "reasons: four eyes: a second officer confirms; lease expired" in page
    assert "four eyes: yes" in page and "labels: none" in page
    assert "[&#x27;" not in page and "True" not in page  # no list or bool repr


# --- filters ------------------------------------------------------------------------------------


@pytest.fixture
def events(db):
    record(RITA, "snippet.play", object_type="snippet", object_id="s1", customer="c_1")
    record(BOB, "snippet.play", object_type="snippet", object_id="s2", customer="c_2")
    record(BOB, "snippet.flag", object_type="snippet", object_id="s2", customer="c_2")
    record(Actor.system(), "escalation.created", object_type="escalation_case", object_id="k1")
    record(RITA, "escalation.decision.confirmed", object_type="escalation_case", object_id="k1")
    record(RITA, "escalation_case.view", object_type="escalation_case", object_id="k1")
    record(BOB, "snippet.play", outcome="denied", object_type="snippet", object_id="s3")
    record(BOB, "transcript.submit", outcome="failed", object_type="snippet", object_id="s1")


@pytest.mark.parametrize("params, expected", [
    ({"action": "snippet.play"}, ["snippet.play"] * 3),
    ({"action": "escalation.*"}, ["escalation.decision.confirmed", "escalation.created"]),
    ({"action": "escalation."}, ["escalation.decision.confirmed", "escalation.created"]),
    ({"action": "escalation*"}, ["escalation_case.view", "escalation.decision.confirmed", "escalation.created"]),
    ({"actor": "r_4f1c9a"}, ["escalation_case.view", "escalation.decision.confirmed", "snippet.play"]),
    ({"actor": "system"}, ["escalation.created"]),
    ({"object_type": "snippet", "object_id": "s2"}, ["snippet.flag", "snippet.play"]),
    ({"object_type": "escalation_case"}, ["escalation_case.view", "escalation.decision.confirmed", "escalation.created"]),
    ({"outcome": "denied"}, ["snippet.play"]),
    ({"outcome": "failed"}, ["transcript.submit"]),
    ({"action": "snippet.play", "actor": "r_77b2e0", "outcome": "ok"}, ["snippet.play"]),
    ({"action": "nothing.like.this"}, []),
])
def test_filters_narrow_the_rows(auditor, events, params, expected):
    response = auditor.get("/audit/", params)
    assert response.status_code == 200
    assert actions(response) == expected
    if not expected:
        assert "No entries match these filters" in response.content.decode()


def test_an_unfiltered_page_shows_everything_newest_first(auditor, events):
    shown = rows(auditor.get("/audit/"))
    assert [seq for seq, _ in shown] == sorted((seq for seq, _ in shown), reverse=True)
    assert shown[0][1] == "audit.log.view"  # this very read, on record before anything is shown
    assert {a for _, a in shown} >= {"snippet.play", "escalation.created", "transcript.submit"}


def test_dates_are_whole_days_with_both_ends_included(auditor, monkeypatch):
    for when, action in [(dt.datetime(2025, 2, 28, 23, 59, 59, 999999, tzinfo=UTC), "day.before"),
                         (dt.datetime(2025, 3, 1, 0, 0, tzinfo=UTC), "first.moment"),
                         (dt.datetime(2025, 3, 1, 23, 59, 59, 999999, tzinfo=UTC), "last.moment"),
                         (dt.datetime(2025, 3, 2, 0, 0, tzinfo=UTC), "day.after")]:
        record_at(monkeypatch, when, RITA, action)
    one_day = auditor.get("/audit/", {"date_from": "2025-03-01", "date_to": "2025-03-01"})
    assert actions(one_day) == ["last.moment", "first.moment"]
    assert actions(auditor.get("/audit/", {"date_to": "2025-03-01", "actor": "r_4f1c9a"})) == [
        "last.moment", "first.moment", "day.before"]
    assert actions(auditor.get("/audit/", {"date_from": "2025-03-02", "actor": "r_4f1c9a"})) == ["day.after"]
    assert actions(auditor.get("/audit/", {"date_to": "9999-12-31", "action": "day.after"})) == ["day.after"]
    assert "both included" in one_day.content.decode()


@pytest.mark.parametrize("params, message", [
    ({"date_from": "yesterday"}, "From: not a date: write it as YYYY-MM-DD"),
    ({"date_to": "2025-13-01"}, "To: not a date: write it as YYYY-MM-DD"),
    ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "To: 2025-03-01 is before the From date 2025-03-02"),
    ({"outcome": "maybe"}, "Outcome: unknown outcome &#x27;maybe&#x27;: choose one of ok, denied, failed"),
    ({"action": "snippet play"}, "Action: use letters, digits"),
    ({"action": "*"}, "Action: use letters, digits"),
    ({"object_id": "s1"}, "Object id: give the object type too"),
    ({"before": "abc"}, "Before entry: not an entry number"),
    ({"before": "9" * 30}, "Before entry: Ensure this value is less than or equal to"),
    ({"after": "-1"}, "After entry: Ensure this value is greater than or equal to 0"),
    ({"before": "5", "after": "3"}, "a page is either before or after an entry, not both"),
    ({"actor": "x" * 33}, "Actor pseudonym: Ensure this value has at most 32 characters"),
])
def test_bad_filters_get_a_clear_message_and_no_rows(auditor, events, params, message):
    response = auditor.get("/audit/", params)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "Traceback" not in page and 'id="audit-log"' not in page  # no unfiltered rows passed off as an answer
    assert not AuditEvent.objects.filter(action="audit.log.view").exists()  # nothing was read


def test_reading_the_log_is_recorded_with_its_filters(auditor, events):
    auditor.get("/audit/", {"actor": "r_77b2e0", "outcome": "denied", "date_from": "2025-03-01"})
    viewed = AuditEvent.objects.filter(action="audit.log.view").get()
    assert viewed.role == "auditor" and viewed.actor_pseudonym
    assert viewed.details == {"actor": "r_77b2e0", "outcome": "denied", "since": "2025-03-01T00:00:00+00:00"}


# --- pages --------------------------------------------------------------------------------------


def test_pages_of_fifty_newest_first_with_newer_and_older_links_and_no_count(auditor):
    seqs = [record(RITA, "snippet.play", object_type="snippet", object_id=f"s{i}").seq for i in range(120)]
    record(BOB, "login", details={"factor": "totp"})  # outside the filter
    with CaptureQueriesContext(connection) as queries:
        first = auditor.get("/audit/", {"action": "snippet.play"})
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "audit_auditevent" in q["sql"]]
    assert [s for s, _ in rows(first)] == seqs[::-1][:50]
    links = dict(re.findall(r'<a href="\?([^"]*)" rel="(\w+)"', first.content.decode()))
    assert set(links.values()) == {"next"}  # only "Older" on the newest page
    older = {v: k for k, v in links.items()}["next"].replace("&amp;", "&")
    second = auditor.get("/audit/?" + older)
    assert [s for s, _ in rows(second)] == seqs[::-1][50:100]
    links = {v: k.replace("&amp;", "&") for k, v in re.findall(r'<a href="\?([^"]*)" rel="(\w+)"', second.content.decode())}
    assert set(links) == {"first", "prev", "next"} and "action=snippet.play" in links["next"]
    third = auditor.get("/audit/?" + links["next"])
    assert [s for s, _ in rows(third)] == seqs[::-1][100:]
    assert 'rel="next"' not in third.content.decode()
    third_links = {v: k.replace("&amp;", "&") for k, v in re.findall(r'<a href="\?([^"]*)" rel="(\w+)"', third.content.decode())}
    back = auditor.get("/audit/?" + third_links["prev"])
    assert [s for s, _ in rows(back)] == seqs[::-1][50:100]


@pytest.fixture
def big_log(db):
    """5000 entries inserted directly (their hashes do not matter here), then statistics."""
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    entries = []
    for seq in range(1, 5001):
        rare = seq % 997 == 0
        entries.append(AuditEvent(
            seq=seq, at=start + dt.timedelta(minutes=30 * seq), actor="x", actor_pseudonym=f"r_{seq % 50:06d}",
            action="escalation.created" if rare else ("snippet.play" if seq % 3 else "transcript.read"),
            object_type="snippet", object_id=f"s{seq}", outcome="denied" if rare else "ok",
            prev_hash="0" * 64, hash=f"{seq:064x}", leaf_hash="0" * 64))
    AuditEvent.objects.bulk_create(entries, batch_size=1000)
    sql("ANALYZE audit_auditevent" if connection.vendor == "postgresql" else "ANALYZE")


ACTION_INDEXES = {"audit_event_action_seq", "audit_audit_action_203f66_idx"}  # (action, seq) or the older (action)


@pytest.mark.parametrize("filters, indexes", [
    (browse.Filters(action="escalation.created"), ACTION_INDEXES),
    (browse.Filters(action_prefix="escalation."), ACTION_INDEXES),
    (browse.Filters(actor="r_000007"), {"audit_event_actor_seq"}),
    (browse.Filters(object_type="snippet", object_id="s4321"), {"audit_event_object_seq"}),
    (browse.Filters(outcome="denied"), {"audit_event_outcome_seq"}),
    (browse.Filters(since=dt.datetime(2025, 2, 1, tzinfo=UTC), until=dt.datetime(2025, 2, 2, tzinfo=UTC)),
     {"audit_event_at"}),
])
def test_every_filter_reads_its_page_from_an_index(big_log, filters, indexes):
    for before in (None, 4000):
        plan = browse.newest_first(browse.matching(filters), before, browse.PAGE_SIZE + 1).explain()
        if connection.vendor == "postgresql":
            assert "Seq Scan" not in plan, plan
            assert any(re.search(rf"(using|on) {name}\b", plan) for name in indexes), plan
        else:
            assert any(re.search(rf"SEARCH audit_auditevent USING (COVERING )?INDEX {name}\b", plan) for name in indexes), plan


def test_the_newest_page_reads_only_the_newest_entries(big_log):
    plan = browse.newest_first(browse.matching(browse.Filters()), None, browse.PAGE_SIZE + 1).explain()
    if connection.vendor == "postgresql":
        assert "Seq Scan" not in plan and "Sort" not in plan, plan
    else:
        assert "TEMP B-TREE" not in plan and "USING" in plan, plan


# --- verification -------------------------------------------------------------------------------


def test_verify_on_an_intact_log_says_ok_and_is_recorded(auditor):
    for i in range(5):
        record(RITA, "snippet.play", object_type="snippet", object_id=f"s{i}")
    response = auditor.post("/audit/verify/", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="verify-ok"' in page and "the log is intact" in page
    run = AuditEvent.objects.filter(action="audit.verify").get()
    assert run.outcome == "ok" and run.role == "auditor" and run.details["entries"] == 5
    assert response.redirect_chain[-1][0].endswith(f"?run={run.seq}")
    # The page shows the latest run later too, and says the run may take a while.
    later = auditor.get("/audit/verify/").content.decode()
    assert f"entry {run.seq}" in later and "the log is intact" in later and "seconds per million entries" in later


def test_verify_on_a_tampered_log_names_the_entry_and_the_problem(officer):
    for i in range(6):
        record(RITA, "snippet.play", object_type="snippet", object_id=f"s{i}")
    with triggers_lifted():
        sql("UPDATE audit_auditevent SET object_id = %s WHERE seq = 3", ["forged"])
    page = officer.post("/audit/verify/", follow=True).content.decode()
    assert 'id="verify-broken"' in page
    assert "Broken at entry 3: contents do not match the recorded hash (entry edited)" in page
    assert "/audit/?before=4" in page  # a link to the entry in the log
    run = AuditEvent.objects.filter(action="audit.verify").get()
    assert run.outcome == "failed" and run.details["first_bad_seq"] == 3


def test_verify_needs_the_csrf_token(controller):
    user = make_user("audra", controller, "auditor")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/audit/verify/").status_code == 403
    assert not AuditEvent.objects.filter(action="audit.verify").exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/audit/verify/").content.decode()).group(1)
    assert client.post("/audit/verify/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_an_unknown_verification_run_is_a_message(auditor):
    record(RITA, "snippet.play")
    assert "is not an entry number" in auditor.get("/audit/verify/", {"run": "abc"}).content.decode()
    response = auditor.get("/audit/verify/", {"run": "1"})
    assert response.status_code == 400 and "entry 1 is not a verification run" in response.content.decode()


# --- checkpoints --------------------------------------------------------------------------------


def test_the_checkpoint_download_is_json_a_witness_can_verify_with_the_shown_key(auditor):
    for i in range(5):
        record(RITA, "snippet.play", object_type="snippet", object_id=f"s{i}")
    call_command("audit", "checkpoint", stdout=io.StringIO())
    for i in range(4):
        record(BOB, "snippet.play", object_type="snippet", object_id=f"t{i}")
    call_command("audit", "checkpoint", stdout=io.StringIO())

    page = auditor.get("/audit/checkpoints/").content.decode()
    out = io.StringIO()
    call_command("audit", "public-key", stdout=out)
    public_key = out.getvalue().strip()
    assert f'<pre id="public-key">{public_key}</pre>' in page

    response = auditor.get("/audit/checkpoints/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment; filename=") and ".json" in response["Content-Disposition"]
    exported = json.loads(b"".join(response.streaming_content))
    assert exported["public_key"] == public_key
    verifier = notes.Verifier.parse(public_key)
    signed = [notes.verify_checkpoint(c["note"], verifier) for c in exported["checkpoints"]]
    assert [s.size for s in signed] == [5, 9]
    second = exported["checkpoints"][1]
    assert second["previous_size"] == 5
    merkle.verify_consistency(5, 9, signed[0].root, signed[1].root, [b64decode(p) for p in second["consistency_proof"]])
    assert AuditEvent.objects.filter(action="audit.checkpoints.export", details__size=9).exists()


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_streamed_witness_file_is_the_export_byte_for_byte(count):
    for i in range(count):
        record(RITA, "snippet.play", object_type="snippet", object_id=f"s{i}")
        checkpoints.write_checkpoint()
    streamed = "".join(checkpoints.iter_export_json(chunk_size=2))
    assert streamed == json.dumps(checkpoints.export_for_witness(), indent=2) + "\n"


def test_without_a_signing_key_the_checkpoint_page_says_so(auditor, settings):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    page = auditor.get("/audit/checkpoints/")
    assert page.status_code == 200 and "No signing key can be read" in page.content.decode()
    download = auditor.get("/audit/checkpoints/download")
    assert download.status_code == 302 and download["Location"] == "/audit/checkpoints/"
