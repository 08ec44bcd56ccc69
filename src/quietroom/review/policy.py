"""Loading the facts the eligibility function needs, and asking it.

`eligibility.decide` is pure; this module is the one place that reads the controller's policy
(residency matrix, adequacy list, caps) and the reviewer's history from the database and hands
them over as frozen data. Assignment, streaming, drafts and submission all go through
`decide_for` (or `facts_for_batch` in the queue), so none of them re-implements a rule.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from types import MappingProxyType

from django.conf import settings
from django.db.models import Count, Q, Sum

from .eligibility import Decision, History, Limits, PolicyFacts, Residency, decide
from .models import ControllerPolicy, ReviewerClearance, Skip, Task

HELD = (Task.Status.LEASED, Task.Status.DONE)


def _knob(name: str):
    return settings.QUIETROOM[name]


def controller_policy(controller_id) -> ControllerPolicy:
    """The controller's stored policy, or an unsaved one carrying the defaults."""
    row = ControllerPolicy.objects.filter(controller_id=controller_id).first() if controller_id else None
    return row or ControllerPolicy(controller_id=controller_id)


def residency_of(policy: ControllerPolicy) -> Residency:
    matrix = {str(region).upper(): frozenset(str(c).upper() for c in countries)
              for region, countries in (policy.residency_matrix or {}).items()}
    return Residency(adequate=frozenset(str(c).upper() for c in policy.adequate_countries or []),
                     matrix=MappingProxyType(matrix))


def limits_of(policy: ControllerPolicy) -> Limits:
    cap = policy.daily_cap_minutes if policy.daily_cap_minutes is not None else _knob("REVIEW_DAILY_CAP_MINUTES")
    per_customer = (policy.max_per_customer_30d if policy.max_per_customer_30d is not None
                    else _knob("REVIEW_MAX_PER_CUSTOMER_30D"))
    return Limits(daily_cap_seconds=float(cap) * 60, max_per_customer_30d=int(per_customer),
                  allow_same_recording=policy.allow_same_recording,
                  distress_daily_cap=int(_knob("CARE_DISTRESS_DAILY_CAP")))


def start_of_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def history_for(user, now: datetime, tasks, *, exclude_task_id=None) -> History:
    """The reviewer's history as far as it matters for `tasks` (a few indexed queries)."""
    mine = Task.objects.filter(lease_owner=user, status__in=HELD)
    if exclude_task_id is not None:
        mine = mine.exclude(pk=exclude_task_id)
    recording_ids = {t.recording_id for t in tasks}
    snippet_ids = {t.snippet_id for t in tasks}
    customer_ids = {t.customer_id for t in tasks}
    had = list(mine.filter(recording_id__in=recording_ids).values_list("recording_id", "snippet_id"))
    # Audio seconds today and per-customer counts over 30 days in one grouped query (this runs
    # on every next and every submit): one row per customer touched today or recently.
    today = Q(assigned_at__gte=start_of_day(now))
    recent = Q(customer_id__in=customer_ids, assigned_at__gte=now - timedelta(days=30))
    seconds = 0.0
    per_customer: Counter = Counter()
    for customer_id, customer_seconds, n in (
        mine.filter(today | recent).order_by().values_list("customer_id")
        .annotate(s=Sum("duration_seconds", filter=today), n=Count("pk", filter=recent))
        .values_list("customer_id", "s", "n")
    ):
        seconds += customer_seconds or 0.0
        if n:
            per_customer[customer_id] = n
    skipped = frozenset(Skip.objects.filter(reviewer=user, task_id__in=[t.pk for t in tasks]).values_list("task_id", flat=True))
    return History(
        seconds_today=float(seconds),
        recordings=frozenset(r for r, _ in had),
        snippets=frozenset(s for _, s in had if s in snippet_ids),
        customer_30d=MappingProxyType(dict(per_customer)),
        skipped=skipped,
    )


def facts_for_batch(user, tasks, now: datetime, *, exclude_task_id=None) -> dict:
    """PolicyFacts per task for a batch of candidates (one history, one policy per controller)."""
    from dataclasses import replace

    from quietroom.escalation.care import distress_facts

    history = history_for(user, now, tasks, exclude_task_id=exclude_task_id)
    distressing, escalated, distressing_today = distress_facts(
        user, [t.snippet_id for t in tasks], start_of_day(now), exclude_task_id=exclude_task_id)
    history = replace(history, distressing_today=distressing_today)
    cleared = ReviewerClearance.objects.filter(reviewer=user, sensitive_content=True).exists()
    by_controller: dict = {}
    facts = {}
    for task in tasks:
        if task.controller_id not in by_controller:
            policy = controller_policy(task.controller_id)
            by_controller[task.controller_id] = (residency_of(policy), limits_of(policy))
        residency, limits = by_controller[task.controller_id]
        facts[task.pk] = PolicyFacts(residency=residency, limits=limits, history=history, cleared_for_sensitive=cleared,
                                     snippet_distressing=task.snippet_id in distressing,
                                     snippet_escalated=task.snippet_id in escalated)
    return facts


def decide_for(user, task, now: datetime) -> Decision:
    """Ask the policy about one task the reviewer holds or might hold (its own lease excluded)."""
    facts = facts_for_batch(user, [task], now, exclude_task_id=task.pk)[task.pk]
    return decide(user, getattr(user, "site", None), task, now, facts)


def explain(task, reviewers, now: datetime) -> list[tuple[object, Decision]]:
    """For an admin: would each reviewer be allowed this task, and if not, why."""
    return [(reviewer, decide_for(reviewer, task, now)) for reviewer in reviewers]
