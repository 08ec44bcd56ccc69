"""The eligibility function alone: each rule refuses with its reason (no database)."""
from datetime import datetime, timedelta, timezone
from types import MappingProxyType, SimpleNamespace

import pytest

from quietroom.decisions import Refusal
from quietroom.review.eligibility import History, Limits, PolicyFacts, Residency, correction_reasons, decide

NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)
SITE = SimpleNamespace(id=1, country="GB")
LIMITS = Limits(daily_cap_seconds=3600, max_per_customer_30d=3)


# A fully vetted person of an approved vendor: each test changes the one rule it is about.
VETTED = SimpleNamespace(offboarded_at=None, **{field: datetime(2030, 1, 1, tzinfo=timezone.utc) for field in (
    "identity_verified_until", "background_checked_until", "nda_signed_until", "training_passed_until",
    "access_certified_until")})
APPROVED_VENDOR = SimpleNamespace(kind="vendor", approved_at=datetime(2026, 1, 1, tzinfo=timezone.utc))


def reviewer(**over):
    base = dict(is_active=True, role="reviewer", has_second_factor=True, site_id=1, locales=["en-GB"],
                vetting_state=VETTED, vendor_state=APPROVED_VENDOR)
    base.update(over)
    return SimpleNamespace(**base)


def task(**over):
    base = dict(id="t1", locale="en-GB", status="queued", region="GB", sensitivity="standard",
                duration_seconds=5.0, snippet_id="s1", recording_id="r1", customer_key_id=7)
    base.update(over)
    return SimpleNamespace(**base)


def facts(residency=Residency(), limits=LIMITS, cleared=False, **history):
    return PolicyFacts(residency=residency, limits=limits, history=History(**history), cleared_for_sensitive=cleared)


def test_allowed_when_every_rule_holds():
    decision = decide(reviewer(), SITE, task(), NOW, facts())
    assert decision.allowed and decision.reasons == ()


def test_each_rule_refuses_with_a_reason():
    cases = {
        "account is disabled": reviewer(is_active=False),
        "only reviewers transcribe snippets": reviewer(role="vendor_manager"),
        "second factor not enrolled": reviewer(has_second_factor=False),
        "site is not the reviewer's assigned site": reviewer(site_id=2),
        "no language qualification for en-GB": reviewer(locales=["en-US"]),
    }
    for reason, who in cases.items():
        decision = decide(who, SITE, task(), NOW, facts())
        assert not decision.allowed and decision.reasons == (reason,), reason
    assert decide(reviewer(), None, task(), NOW, facts()).reasons == ("not working from an approved site",)
    assert decide(reviewer(), SITE, task(status="done"), NOW, facts()).reasons == ("task is already complete",)
    assert decide(reviewer(), SITE, task(status="withdrawn"), NOW, facts()).reasons == ("snippet was withdrawn from review",)


def test_without_facts_it_fails_closed():
    decision = decide(reviewer(), SITE, task(), NOW)
    assert not decision.allowed and "policy facts not loaded" in decision.reasons[0]


def test_vetting_and_vendor_rules_refuse_and_a_person_without_their_state_fails_closed():
    expired = SimpleNamespace(**{**vars(VETTED), "nda_signed_until": datetime(2026, 4, 1, tzinfo=timezone.utc)})
    assert decide(reviewer(vetting_state=expired), SITE, task(), NOW, facts()).reasons == (
        "confidentiality agreement (NDA) expired on 2026-04-01",)
    withdrawn = SimpleNamespace(kind="vendor", approved_at=None)
    assert not decide(reviewer(vendor_state=withdrawn), SITE, task(), NOW, facts()).allowed
    for missing in ("vetting_state", "vendor_state"):
        person = reviewer()
        delattr(person, missing)
        with pytest.raises(AttributeError):
            decide(person, SITE, task(), NOW, facts())


def test_all_failing_rules_are_reported_together():
    decision = decide(reviewer(is_active=False, locales=[]), None, task(), NOW, facts())
    assert len(decision.reasons) == 3


def test_residency_uk_data_only_in_uk_eu_or_adequate_countries():
    india = SimpleNamespace(id=1, country="IN")
    refused = decide(reviewer(), india, task(region="GB"), NOW, facts())
    assert not refused.allowed
    assert refused.reasons == ("residency: data of customers in GB may not be reviewed at a site in IN "
                               "(not UK, EU/EEA or listed as adequate by the controller)",)
    for country in ("GB", "DE", "IE", "NO"):
        assert decide(reviewer(), SimpleNamespace(id=1, country=country), task(region="GB"), NOW, facts()).allowed
    adequate = Residency(adequate=frozenset({"CH", "IN"}))
    assert decide(reviewer(), india, task(region="GB"), NOW, facts(residency=adequate)).allowed
    assert not decide(reviewer(), india, task(region="FR"), NOW, facts()).allowed  # EU data too


def test_residency_matrix_narrows_but_never_widens_for_uk_and_eu():
    # A controller tries to allow its UK data in the US: the default still refuses it.
    widen = Residency(matrix=MappingProxyType({"GB": frozenset({"US", "GB"})}))
    us = SimpleNamespace(id=1, country="US")
    assert not decide(reviewer(), us, task(region="GB"), NOW, facts(residency=widen)).allowed
    narrow = Residency(matrix=MappingProxyType({"GB": frozenset({"GB"})}))
    assert not decide(reviewer(), SimpleNamespace(id=1, country="DE"), task(region="GB"), NOW, facts(residency=narrow)).allowed
    assert decide(reviewer(), SITE, task(region="GB"), NOW, facts(residency=narrow)).allowed
    # Outside the UK/EU the matrix decides; no entry means no restriction.
    us_only = Residency(matrix=MappingProxyType({"US": frozenset({"US"})}))
    assert not decide(reviewer(), SITE, task(region="US"), NOW, facts(residency=us_only)).allowed
    assert decide(reviewer(), SITE, task(region="BR"), NOW, facts(residency=us_only)).allowed


def test_daily_cap_counts_audio_minutes():
    assert decide(reviewer(), SITE, task(duration_seconds=5), NOW, facts(seconds_today=3595)).allowed
    refused = decide(reviewer(), SITE, task(duration_seconds=5), NOW, facts(seconds_today=3596))
    assert refused.reasons == ("daily cap of 60 audio minutes reached",)


def test_exposure_limits_recording_customer_snippet_and_skips():
    assert decide(reviewer(), SITE, task(), NOW, facts(recordings=frozenset({"r1"}))).reasons == (
        "reviewer has already had a snippet of this recording",)
    same_recording_ok = Limits(daily_cap_seconds=3600, max_per_customer_30d=3, allow_same_recording=True)
    assert decide(reviewer(), SITE, task(), NOW, facts(limits=same_recording_ok, recordings=frozenset({"r1"}))).allowed
    # The same snippet twice is never allowed, whatever the controller says about recordings.
    assert "reviewer has already had this snippet" in decide(
        reviewer(), SITE, task(), NOW, facts(limits=same_recording_ok, recordings=frozenset({"r1"}), snippets=frozenset({"s1"}))).reasons
    assert decide(reviewer(), SITE, task(), NOW, facts(customer_30d=MappingProxyType({7: 2}))).allowed
    assert decide(reviewer(), SITE, task(), NOW, facts(customer_30d=MappingProxyType({7: 3}))).reasons == (
        "reviewer has had 3 snippets of this customer in 30 days",)
    assert decide(reviewer(), SITE, task(), NOW, facts(skipped=frozenset({"t1"}))).reasons == ("reviewer skipped this snippet",)


def test_sensitive_snippets_only_for_cleared_reviewers():
    sensitive = task(sensitivity="sensitive")
    assert decide(reviewer(), SITE, sensitive, NOW, facts()).reasons == (
        "sensitive snippet: reviewer is not cleared for sensitive content",)
    assert decide(reviewer(), SITE, sensitive, NOW, facts(cleared=True)).allowed


def test_a_declined_recording_is_refused_even_where_the_controller_allows_the_same_recording():
    from quietroom.decisions import Refusal

    same_recording_ok = Limits(daily_cap_seconds=3600, max_per_customer_30d=3, allow_same_recording=True)
    declined = facts(limits=same_recording_ok, recordings=frozenset({"r1"}), declined_recordings=frozenset({"r1"}))
    decision = decide(reviewer(), SITE, task(), NOW, declined)
    assert decision.codes == {Refusal.DECLINED_RECORDING}
    assert decision.reasons == ("reviewer skipped a snippet of this recording as distressing or flagged it as "
                                "sensitive content",)
    # Another recording of the same customer is not touched by it.
    assert decide(reviewer(), SITE, task(recording_id="r2", snippet_id="s2"), NOW, declined).allowed


# --- correcting one's last submission (issue 16) ----------------------------------------------

WINDOW = timedelta(minutes=10)


def handed_in(**over):
    base = dict(reviewer_id=1, kind="review", labels={"activation": "intended", "sensitive": ""},
                transcript_ciphertext=b"sealed", submitted_at=NOW - timedelta(minutes=3),
                task=task(status="done"))
    base.update(over)
    return SimpleNamespace(**base)


def correction_codes(submission, who=None, site=SITE, now=NOW, window=WINDOW, latest=True):
    return {r.code for r in correction_reasons(who or reviewer(id=1), site, submission, now, window=window, latest=latest)}


def test_a_reviewer_may_correct_their_latest_submission_within_the_window():
    assert correction_codes(handed_in()) == set()
    # The window is measured from the submit, and closes on the minute.
    assert correction_codes(handed_in(), now=NOW + timedelta(minutes=6, seconds=59)) == set()
    assert correction_codes(handed_in(), now=NOW + timedelta(minutes=7)) == {Refusal.CORRECTION_CLOSED}
    assert correction_codes(handed_in(), window=timedelta(0)) == {Refusal.CORRECTION_CLOSED}


@pytest.mark.parametrize("change, code", [
    (dict(latest=False), Refusal.CORRECTION_CLOSED),
    (dict(who=reviewer(id=2)), Refusal.NOT_ASSIGNED),
    (dict(site=None), Refusal.NOT_AT_A_SITE),
    (dict(who=reviewer(id=1, has_second_factor=False)), Refusal.NO_SECOND_FACTOR),
    (dict(who=reviewer(id=1, locales=["fr-FR"])), Refusal.NO_LANGUAGE),
    (dict(submission=handed_in(kind="gold_reference")), Refusal.NOT_CORRECTABLE),
    (dict(submission=handed_in(kind="adjudication")), Refusal.NOT_CORRECTABLE),
    (dict(submission=handed_in(labels={"activation": "accidental"}, transcript_ciphertext=None)), Refusal.NOT_CORRECTABLE),
    (dict(submission=handed_in(labels={"sensitive": "self_harm"})), Refusal.ESCALATED),
    (dict(submission=handed_in(task=task(status="withdrawn"))), Refusal.TASK_WITHDRAWN),
    (dict(submission=handed_in(task=task(status="leased"))), Refusal.NOT_CORRECTABLE),
])
def test_each_correction_rule_refuses_with_its_code(change, code):
    submission = change.pop("submission", handed_in())
    assert code in correction_codes(submission, **change)
