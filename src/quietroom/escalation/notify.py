"""Telling the escalation staff: a case arrived, a deadline is near.

Every one of the controller's escalation staff gets an in-app notice (their Notices page), and
the on-call staff — all of them when nobody is on call — one e-mail each through Django's mail
backends (console in the demo, SMTP in production; `accounts.notices`). A notice carries no
content at all — no category, nothing from the note, no customer, no transcript, no reviewer —
only the severity, the deadline and a link to the case, which needs a sign-in with a second
factor.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from quietroom.accounts import notices
from quietroom.accounts.models import Organisation
from quietroom.audit.log import Actor, record

from . import categories
from .access import CONTROLLER, escalation_staff, staff_of
from .models import Case, OnCall

log = logging.getLogger("quietroom.escalation")


@dataclass(frozen=True)
class Reach:
    """Who a controller's new cases reach: counts only, never people."""

    controller: str
    staff: int        # active escalation staff (in-app notices)
    reachable: int    # of whom with an e-mail address


def reach() -> list[Reach]:
    """Every controller, with its active escalation staff and how many have an e-mail address."""
    counts = {row["organisation_id"]: row for row in escalation_staff().values("organisation_id").annotate(
        staff=Count("id"), reachable=Count("id", filter=~Q(email="")))}
    return [Reach(name, counts.get(pk, {}).get("staff", 0), counts.get(pk, {}).get("reachable", 0))
            for pk, name in Organisation.objects.filter(kind=CONTROLLER).order_by("name").values_list("pk", "name")]


def email_recipients(controller_id) -> list:
    """On-call staff with an address; all escalation staff with an address when none is on call."""
    staff = staff_of(controller_id).exclude(email="").order_by("username")
    on_call = staff.filter(escalation_on_call__on_call=True)
    return list(on_call if on_call.exists() else staff)


def case_link(case: Case) -> str:
    return settings.QUIETROOM["ESCALATION_BASE_URL"].rstrip("/") + reverse("escalation:case", args=[case.pk])


def _send(case: Case, subject: str, lead: str, kind: str) -> int:
    """A notice for every escalation staff member, one e-mail per recipient; returns e-mails sent."""
    staff = list(staff_of(case.controller_id).order_by("username"))
    deadline = f"{case.deadline_at:%Y-%m-%d %H:%M} UTC"
    link = case_link(case)
    for person in staff:
        notices.notify(person, f"{lead} Severity: {case.severity}. Respond by: {deadline}. "
                               f"Open the case (sign-in required): {link}", email=False)
    body = f"{lead}\n\nSeverity: {case.severity}\nRespond by: {deadline}\n\nOpen the case (sign-in required): {link}\n"
    sent = sum(notices.send_email(person, subject, body) for person in email_recipients(case.controller_id))
    if not staff:
        log.warning("escalation notice not delivered: the controller has no escalation staff", extra={"kind": kind})
    elif not sent:
        log.warning("escalation notice not e-mailed: no escalation staff with an e-mail address (in-app only)",
                    extra={"kind": kind})
    # Recorded even when nobody could be told: the case's timeline then says so.
    record(Actor.system(), f"notify.{kind}", outcome="ok" if staff else "failed", object_type="escalation_case",
           object_id=case.pk, purpose="escalation",
           details={"recipients": sent, "notices": len(staff), "severity": case.severity})
    return sent


def case_arrived(case_id) -> int:
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return 0
    return _send(case, f"[QuietRoom] New {case.severity} escalation", "A reviewer flagged content for escalation.",
                 "escalation_arrived")


def deadlines_near(now=None) -> int:
    """The periodic job: remind once per case when its response window is nearly used up."""
    now = now or timezone.now()
    fraction = float(settings.QUIETROOM["ESCALATION_REMIND_FRACTION"])
    reminded = 0
    for case in Case.objects.filter(status__in=[Case.Status.OPEN, Case.Status.AWAITING_CONFIRMATION],
                                    deadline_warned_at__isnull=True).order_by("deadline_at"):
        if not categories.deadline_is_near(case.reported_at, case.deadline_at, now, fraction):
            continue
        with transaction.atomic():
            # Claim the reminder first, so two beat runs never send it twice.
            if not Case.objects.filter(pk=case.pk, deadline_warned_at__isnull=True).update(deadline_warned_at=now):
                continue
        overdue = case.deadline_at <= now
        lead = ("An escalation is past its response deadline." if overdue
                else "An escalation's response deadline is near.")
        _send(case, f"[QuietRoom] {case.severity} escalation {'overdue' if overdue else 'due soon'}", lead,
              "escalation_deadline")
        reminded += 1
    return reminded


def set_on_call(user, on_call: bool) -> OnCall:
    row, _ = OnCall.objects.update_or_create(user=user, defaults={"on_call": on_call})
    return row
