"""Loading the facts the eligibility function needs, and asking it.

`eligibility.decide` is pure; this module is the one place that reads the controller's policy
(residency matrix, adequacy list, caps) and the reviewer's history from the database and hands
them over as frozen data. Assignment, streaming, drafts and submission all go through
`decide_for` (or `facts_for_batch` in the queue), so none of them re-implements a rule.

`transcription_policy` is what the gate asks before a reviewer's read (registered for the
purpose "transcription" in `ReviewConfig.ready`): the whole eligibility decision at the site
the request comes from, with a live lease.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType

from django.conf import settings
from django.db import connection

from quietroom.accounts.access import working_site
from quietroom.accounts.permissions import DO_QA, has_permission
from quietroom.decisions import ALLOWED, Decision, Reason, Refusal
from quietroom.escalation.care import distressing_exposures_since

from . import candidates
from .eligibility import History, Limits, PolicyFacts, Residency, decide
from .models import ControllerPolicy, Draft, Exposure, Task


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


def history_for(user, now: datetime, tasks, known: dict, exclude_task_id=None) -> History:
    """The reviewer's history as far as it matters for `tasks`, given each task's own facts
    (`known`: task pk -> candidates.CandidateFacts), leaving out the exposure of the lease
    they hold on `exclude_task_id`; the totals are one more statement."""
    seconds, per_customer = _totals(user, now, {t.customer_key_id for t in tasks}, exclude_task_id)
    return History(
        seconds_today=seconds,
        recordings=frozenset(t.recording_id for t in tasks if known[t.pk].had_recording),
        snippets=frozenset(t.snippet_id for t in tasks if known[t.pk].had_snippet),
        declined_recordings=frozenset(t.recording_id for t in tasks if known[t.pk].declined_recording),
        customer_30d=MappingProxyType(per_customer),
        skipped=frozenset(t.pk for t in tasks if known[t.pk].skipped),
    )


# Read from the reviewer's exposures (models.Exposure), so snippets skipped, expired or released
# count too: today's audio minutes are those they heard (a play, or a transcript handed in), the
# 30-day count per customer is every snippet they were given (its page shows the customer's words).
_TOTALS_SQL = f"""
    SELECT customer_key_id,
           SUM(CASE WHEN given_at >= %s AND heard_at IS NOT NULL THEN duration_seconds ELSE 0 END),
           SUM(CASE WHEN {{recent}} THEN 1 ELSE 0 END)
    FROM {Exposure._meta.db_table}
    WHERE reviewer_id = %s{{exclude}} AND (given_at >= %s OR {{recent}})
    GROUP BY customer_key_id"""


def _totals(user, now: datetime, customer_key_ids, exclude_task_id) -> tuple[float, dict]:
    """Audio seconds heard today, and snippets given per customer (of `customer_key_ids`) in
    30 days.

    One grouped statement, written out because it runs on every "next": one row per customer
    touched today or among the candidates' customers in the last 30 days.
    """
    to_db = Exposure._meta.get_field("given_at").get_db_prep_value
    today = to_db(start_of_day(now), connection)
    month = to_db(now - timedelta(days=30), connection)
    customers = sorted(c for c in customer_key_ids if c is not None)
    recent = (f"(customer_key_id IN ({', '.join(['%s'] * len(customers))}) AND given_at >= %s)"
              if customers else "1 = 0")
    recent_params = [*customers, month] if customers else []
    exclude, exclude_params = "", []
    if exclude_task_id is not None:
        exclude, exclude_params = " AND task_id <> %s", [Task._meta.pk.get_db_prep_value(exclude_task_id, connection)]
    params = [today, *recent_params, user.pk, *exclude_params, today, *recent_params]
    seconds, per_customer = 0.0, {}
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS_SQL.format(recent=recent, exclude=exclude), params)
        for customer_key_id, customer_seconds, n in cursor.fetchall():
            seconds += float(customer_seconds or 0.0)
            if n:
                per_customer[customer_key_id] = int(n)
    return seconds, per_customer


def seconds_heard_today(user, now: datetime) -> float:
    """Audio seconds this reviewer heard today, as the daily cap counts them."""
    return _totals(user, now, set(), None)[0]


def facts_for_batch(user, tasks, now: datetime) -> dict:
    """PolicyFacts per task: candidates read by the queue carry their own per-task facts
    (`candidates.batch`); then the totals, the distressing count when it matters, and one
    policy per controller. A lone task without them (a held task: the gate's question on every
    page and stream; a gold slot) has its facts, totals and policy read in one statement."""
    from dataclasses import replace

    tasks = list(tasks)
    if any(getattr(t, "candidate_facts", None) is None for t in tasks):
        return {t.pk: _facts_for_one(user, t, now)[t.pk] for t in tasks}
    known = {t.pk: t.candidate_facts for t in tasks}
    read = [getattr(t, "batch_totals", None) for t in tasks]
    if all(read):  # the queue's candidates carry their totals and policy (candidates.batch)
        history = History(
            seconds_today=read[0].seconds_today,
            recordings=frozenset(t.recording_id for t in tasks if known[t.pk].had_recording),
            customer_30d=MappingProxyType({t.customer_key_id: r.customer_30d for t, r in zip(tasks, read)
                                           if r.customer_30d and t.customer_key_id is not None}),
        )
    else:
        history = history_for(user, now, tasks, known)
    if any(f.warned or f.escalated for f in known.values()):
        history = replace(history, distressing_today=distress_today(user, now))
    by_controller: dict = {}
    facts = {}
    for task in tasks:
        if task.controller_id not in by_controller:
            totals = getattr(task, "batch_totals", None)
            policy = ((totals.policy or ControllerPolicy(controller_id=task.controller_id)) if totals is not None
                      else controller_policy(task.controller_id))
            by_controller[task.controller_id] = (residency_of(policy), limits_of(policy))
        facts[task.pk] = _policy_facts(*by_controller[task.controller_id], history, known[task.pk])
    return facts


def _policy_facts(residency: Residency, limits: Limits, history: History, mine) -> PolicyFacts:
    return PolicyFacts(residency=residency, limits=limits, history=history, cleared_for_sensitive=mine.cleared,
                       snippet_distressing=mine.warned or mine.escalated, snippet_escalated=mine.escalated)


def _facts_for_one(user, task, now: datetime) -> dict:
    """`facts_for_batch` for one task read by itself. The lease being decided is not history:
    a task the reviewer holds leaves its own exposure out (a task they held before — skipped,
    expired, released — keeps counting)."""
    from dataclasses import replace

    one = candidates.facts_for_task(user, task, today=start_of_day(now), month=now - timedelta(days=30))
    mine = one.facts
    history = History(
        seconds_today=one.seconds_today,
        recordings=frozenset([task.recording_id] if mine.had_recording else []),
        snippets=frozenset([task.snippet_id] if mine.had_snippet else []),
        declined_recordings=frozenset([task.recording_id] if mine.declined_recording else []),
        customer_30d=MappingProxyType({task.customer_key_id: one.customer_30d}
                                      if one.customer_30d and task.customer_key_id is not None else {}),
        skipped=frozenset([task.pk] if mine.skipped else []),
    )
    if mine.warned or mine.escalated:
        exclude = task.pk if candidates.holds(user, task) else None
        history = replace(history, distressing_today=distress_today(user, now, exclude))
    policy = one.policy or ControllerPolicy(controller_id=task.controller_id)
    return {task.pk: _policy_facts(residency_of(policy), limits_of(policy), history, mine)}


def distress_today(user, now: datetime, exclude_task_id=None) -> int:
    return distressing_exposures_since(user, start_of_day(now), exclude_task_id=exclude_task_id)


def decide_for(user, task, now: datetime, *, address: str | None = None, needs_lease: bool = False) -> Decision:
    """Ask the policy about one task the reviewer holds or might hold (its own lease excluded),
    at the site the request `address` shows (no address: their assigned site)."""
    facts = facts_for_batch(user, [task], now)[task.pk]
    return decide(user, working_site(user, address), task, now, facts, needs_lease=needs_lease)


def transcription_policy(read) -> Decision:
    """The gate's question for a reviewer's read of a task's audio, hypothesis or own draft."""
    subject = read.subject
    task = subject.task if isinstance(subject, Draft) else subject
    decision = decide_for(read.user, task, read.now, address=read.address, needs_lease=True)
    if isinstance(subject, Draft) and subject.reviewer_id != read.user.id:
        return Decision.of([*decision.reasons, Reason(Refusal.NOT_ASSIGNED, "the draft is another reviewer's")])
    return decision


def adjudication_policy(read) -> Decision:
    """A QA lead reads the disputed transcripts of an overlapped snippet (QuietRoom itself may too)."""
    if read.user is None or has_permission(read.user, DO_QA):
        return ALLOWED
    return Decision.of([Reason(Refusal.NO_PERMISSION, "only QA leads adjudicate transcripts")])


def explain(task, reviewers, now: datetime) -> list[tuple[object, Decision]]:
    """For an admin: would each reviewer be allowed this task, and if not, why."""
    return [(reviewer, decide_for(reviewer, task, now)) for reviewer in reviewers]
