"""Who may hear what: one pure function, asked by assignment, streaming and submission.

`decide` looks only at its arguments (no database, no clock of its own), so every rule is
testable in isolation and no caller can re-implement a piece of it differently. The facts it
needs beyond the reviewer, site and task (the controller's residency matrix and limits, and
what this reviewer has already had) arrive as one frozen `PolicyFacts`, loaded by
`review.policy.facts_for_batch` — the only place that reads them from the database. Without
facts the residency, cap and exposure rules cannot be checked, so `decide` refuses (fail closed).

The site is the one the request comes from (`accounts.access.working_site`: the reviewer's
site when the address is on its networks, else none), and reading content or handing work in
needs a live lease (`lease_reasons`, the one place that rule is written). Every refusal is a
`decisions.Reason`: a sentence with a `Refusal` code that callers match.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Mapping

from quietroom.accounts.access import vendor_reasons
from quietroom.accounts.vetting import blocking_reasons
from quietroom.decisions import Decision, Reason, Refusal

# UK and EU/EEA data protection regimes: the default residency rule protects these regions.
UK = frozenset({"GB"})
EU_EEA = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",  # EU 27
    "IS", "LI", "NO",  # EEA
})
PROTECTED_REGIONS = UK | EU_EEA | {"UK", "EU", "EEA"}


@dataclass(frozen=True)
class Residency:
    """A controller's residency matrix: where each customer region may be reviewed."""

    adequate: frozenset[str] = frozenset()
    # region -> site countries; "*" in the set means anywhere (only honoured outside UK/EU).
    matrix: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    def allowed_countries(self, region: str) -> frozenset[str] | None:
        """Site countries allowed for `region`; None means no restriction."""
        region = (region or "").upper()
        listed = self.matrix.get(region)
        if region in PROTECTED_REGIONS:
            default = UK | EU_EEA | self.adequate
            # The matrix may narrow the default for UK and EU data, never widen it.
            return default if listed is None or "*" in listed else frozenset(listed) & default
        if listed is None or "*" in listed:
            return None
        return frozenset(listed)


@dataclass(frozen=True)
class Limits:
    daily_cap_seconds: float
    max_per_customer_30d: int
    allow_same_recording: bool = False
    # Reviewer care: distressing (warned or escalated) snippets per reviewer per day; None = no cap.
    distress_daily_cap: int | None = None


@dataclass(frozen=True)
class History:
    """What the reviewer has had already, not counting the lease being decided.

    Everything they were given counts, submitted or not (skipped, expired, released): see
    `review.models.Exposure`. `seconds_today` is the audio they heard today; `customer_30d`
    counts every snippet given; `declined_recordings` are those they asked never to hear again
    (a distress skip or a sensitive-content flag on one of its snippets).
    """

    seconds_today: float = 0.0
    recordings: frozenset = frozenset()
    snippets: frozenset = frozenset()
    declined_recordings: frozenset = frozenset()
    customer_30d: Mapping = field(default_factory=lambda: MappingProxyType({}))
    skipped: frozenset = frozenset()
    distressing_today: int = 0


@dataclass(frozen=True)
class PolicyFacts:
    residency: Residency
    limits: Limits
    history: History
    cleared_for_sensitive: bool = False
    # About this task's snippet: scored as likely distressing / escalated by a reviewer.
    snippet_distressing: bool = False
    snippet_escalated: bool = False


def lease_reasons(reviewer, task, now: datetime) -> list[Reason]:
    """Why `reviewer` does not hold a *live* lease on `task` at `now` (empty: they do).

    The lease rule, written once: they own it, it is still leased, and it has not expired. An
    expired lease stays `leased` in the database until someone's "next" reclaims it, so the
    status alone proves nothing; the time is part of the rule. (`queue.current_lease` asks the
    same question of the database: `lease_expires_at > now`.)
    """
    if task.lease_owner_id != reviewer.id or task.status != "leased":
        return [Reason(Refusal.NOT_ASSIGNED, "snippet is not assigned to this reviewer")]
    if task.lease_expires_at is None or task.lease_expires_at <= now:
        return [Reason(Refusal.LEASE_EXPIRED, "lease has expired")]
    return []


def standing(reviewer, site, task, now: datetime, *, needs_lease: bool = False) -> list[Reason]:
    """The reasons that need no stored facts: the reviewer, their site, the task's state.

    Enough on its own for handing work *back* (a submission under a live lease, which
    discloses nothing): residency, caps and exposure were decided when the lease was granted,
    and anything that withdraws a snippet later (escalation, shredding, erasure) changes the
    task's status, which is checked here. Every read of content goes through `decide`.
    """
    reasons: list[Reason] = []
    # --- the reviewer -------------------------------------------------------------------
    if not reviewer.is_active:
        reasons.append(Reason(Refusal.ACCOUNT_DISABLED, "account is disabled"))
    if reviewer.role != "reviewer":
        reasons.append(Reason(Refusal.NOT_A_REVIEWER, "only reviewers transcribe snippets"))
    if not reviewer.has_second_factor:
        reasons.append(Reason(Refusal.NO_SECOND_FACTOR, "second factor not enrolled"))
    # vetting: identity, background, NDA, training, recertification
    reasons.extend(Reason(Refusal.VETTING, r) for r in blocking_reasons(reviewer, now))
    # their vendor is approved (never approved or withdrawn: no work)
    reasons.extend(Reason(Refusal.VENDOR_NOT_APPROVED, r) for r in vendor_reasons(reviewer))
    # --- the site (resolved from the request address by the caller) ----------------------
    if site is None:
        reasons.append(Reason(Refusal.NOT_AT_A_SITE, "not working from an approved site"))
    elif reviewer.site_id != site.id:
        reasons.append(Reason(Refusal.WRONG_SITE, "site is not the reviewer's assigned site"))
    # --- the task ------------------------------------------------------------------------
    if task.locale not in (reviewer.locales or []):
        reasons.append(Reason(Refusal.NO_LANGUAGE, f"no language qualification for {task.locale}"))
    if task.status == "done":
        reasons.append(Reason(Refusal.TASK_DONE, "task is already complete"))
    elif task.status == "withdrawn":
        reasons.append(Reason(Refusal.TASK_WITHDRAWN, "snippet was withdrawn from review"))
    if needs_lease:
        reasons.extend(lease_reasons(reviewer, task, now))
    return reasons


def correction_reasons(reviewer, site, submission, now: datetime, *, window: timedelta,
                       latest: bool) -> list[Reason]:
    """Why `reviewer`, working at `site`, may not correct `submission` at `now` (empty: they may).

    A correction reopens the reviewer's own transcript, just handed in, to fix a slip of the
    keys: only their most recent review (`latest`, read by the caller), only within `window`
    of handing it in (zero: corrections are off), and only while it is still theirs to touch.
    The person and site rules are `standing`'s (a done task is the point here, not a refusal;
    a withdrawn one is); whether the snippet has since been flagged, held, withdrawn or erased
    is `privacy.outbound`'s, which the caller adds. Residency, caps and exposure are not asked
    again: nothing new is disclosed, only the words the reviewer wrote minutes ago, at a site
    whose rules the full decision checked when the lease was granted.
    """
    task = submission.task
    reasons = [r for r in standing(reviewer, site, task, now) if r.code is not Refusal.TASK_DONE]
    if task.status not in ("done", "withdrawn"):
        reasons.append(Reason(Refusal.NOT_CORRECTABLE, "the snippet has not been handed in"))
    if submission.reviewer_id != reviewer.id:
        reasons.append(Reason(Refusal.NOT_ASSIGNED, "the submission is another reviewer's"))
    if submission.kind != "review":
        reasons.append(Reason(Refusal.NOT_CORRECTABLE,
                              "only a reviewer's transcript can be corrected (not a gold reference or an adjudication)"))
    labels = submission.labels or {}
    if labels.get("activation") == "accidental" or submission.transcript_ciphertext is None:
        reasons.append(Reason(Refusal.NOT_CORRECTABLE,
                              "an accidental activation: its transcript was destroyed with the snippet"))
    if labels.get("sensitive"):
        reasons.append(Reason(Refusal.ESCALATED, "flagged as sensitive content: the snippet has left review"))
    if window <= timedelta(0):
        reasons.append(Reason(Refusal.CORRECTION_CLOSED, "corrections are turned off"))
    elif now >= submission.submitted_at + window:
        reasons.append(Reason(Refusal.CORRECTION_CLOSED,
                              f"the {window.total_seconds() / 60:g}-minute correction window has closed"))
    if not latest:
        reasons.append(Reason(Refusal.CORRECTION_CLOSED, "only your most recent submission can be corrected"))
    return reasons


def decide(reviewer, site, task, now: datetime, facts: PolicyFacts | None = None, *,
           needs_lease: bool = False) -> Decision:
    """May `reviewer`, working at `site`, hear and transcribe `task` at time `now`?

    `needs_lease`: the question is about a task they should already hold (a play, a view of
    the hypothesis or of their draft), so a live lease of theirs is required too.
    """
    reasons = standing(reviewer, site, task, now, needs_lease=needs_lease)
    if facts is None:
        reasons.append(Reason(Refusal.FACTS_MISSING,
                              "policy facts not loaded (residency, caps and exposure cannot be checked)"))
        return Decision.of(reasons)
    # --- residency -----------------------------------------------------------------------
    region = getattr(task, "region", "") or ""
    allowed = facts.residency.allowed_countries(region)
    if site is not None and allowed is not None and site.country.upper() not in allowed:
        reasons.append(Reason(Refusal.RESIDENCY, (
            f"residency: data of customers in {region.upper()} may not be reviewed at a site in "
            f"{site.country.upper()} (not UK, EU/EEA or listed as adequate by the controller)"
            if region.upper() in PROTECTED_REGIONS else
            f"residency: data of customers in {region.upper()} may not be reviewed at a site in {site.country.upper()}"
        )))
    # --- sensitivity ---------------------------------------------------------------------
    if getattr(task, "sensitivity", "standard") != "standard" and not facts.cleared_for_sensitive:
        reasons.append(Reason(Refusal.NOT_CLEARED_SENSITIVE,
                              "sensitive snippet: reviewer is not cleared for sensitive content"))
    if facts.snippet_escalated:
        # Escalated content goes to the controller's escalation staff, never back to review.
        reasons.append(Reason(Refusal.ESCALATED, "snippet was escalated as sensitive content"))
    cap = facts.limits.distress_daily_cap
    if facts.snippet_distressing and cap is not None and facts.history.distressing_today >= cap:
        reasons.append(Reason(Refusal.DISTRESS_CAP, f"daily cap of {cap} distressing snippets reached"))
    # --- daily cap and exposure ------------------------------------------------------------
    history, limits = facts.history, facts.limits
    duration = float(getattr(task, "duration_seconds", 0.0) or 0.0)
    if history.seconds_today + duration > limits.daily_cap_seconds:
        reasons.append(Reason(Refusal.DAILY_CAP,
                              f"daily cap of {limits.daily_cap_seconds / 60:g} audio minutes reached"))
    if getattr(task, "snippet_id", None) in history.snippets:
        reasons.append(Reason(Refusal.HAD_SNIPPET, "reviewer has already had this snippet"))
    elif getattr(task, "recording_id", None) in history.declined_recordings:
        # Whatever the controller allows: the reviewer said they do not want to hear it.
        reasons.append(Reason(Refusal.DECLINED_RECORDING, "reviewer skipped a snippet of this recording as "
                                                          "distressing or flagged it as sensitive content"))
    elif not limits.allow_same_recording and getattr(task, "recording_id", None) in history.recordings:
        reasons.append(Reason(Refusal.HAD_RECORDING, "reviewer has already had a snippet of this recording"))
    if history.customer_30d.get(getattr(task, "customer_key_id", None), 0) >= limits.max_per_customer_30d:
        reasons.append(Reason(Refusal.CUSTOMER_CAP,
                              f"reviewer has had {limits.max_per_customer_30d} snippets of this customer in 30 days"))
    if getattr(task, "id", None) in history.skipped:
        reasons.append(Reason(Refusal.SKIPPED, "reviewer skipped this snippet"))
    return Decision.of(reasons)
