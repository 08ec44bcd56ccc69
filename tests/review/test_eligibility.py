"""The eligibility function alone: each rule refuses with its reason."""
from datetime import datetime, timezone
from types import SimpleNamespace

from quietroom.review.eligibility import decide

NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)
SITE = SimpleNamespace(id=1)


def reviewer(**over):
    base = dict(is_active=True, role="reviewer", has_second_factor=True, site_id=1, locales=["en-GB"])
    base.update(over)
    return SimpleNamespace(**base)


def task(**over):
    base = dict(locale="en-GB", status="queued")
    base.update(over)
    return SimpleNamespace(**base)


def test_allowed_when_every_rule_holds():
    decision = decide(reviewer(), SITE, task(), NOW)
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
        decision = decide(who, SITE, task(), NOW)
        assert not decision.allowed and decision.reasons == (reason,), reason
    assert decide(reviewer(), None, task(), NOW).reasons == ("not working from an approved site",)
    assert decide(reviewer(), SITE, task(status="done"), NOW).reasons == ("task is already complete",)


def test_all_failing_rules_are_reported_together():
    decision = decide(reviewer(is_active=False, locales=[]), None, task(), NOW)
    assert len(decision.reasons) == 3
