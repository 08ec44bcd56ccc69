"""E-mails to the on-call escalation staff: a case arrived, a deadline is near.

Through Django's mail backends (console in the demo, SMTP in production). A message carries
no content at all — no category words from the note, no customer, no transcript — only the
severity, the deadline and a link to the case, which needs a sign-in with a second factor.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from quietroom.audit.log import Actor, record

from . import categories
from .access import staff_of
from .models import Case, OnCall

log = logging.getLogger("quietroom.escalation")


def recipients(controller_id) -> list[str]:
    """On-call staff of the controller; all of its escalation staff when nobody is on call."""
    staff = staff_of(controller_id).exclude(email="")
    on_call = staff.filter(escalation_on_call__on_call=True)
    chosen = on_call if on_call.exists() else staff
    return sorted(chosen.values_list("email", flat=True))


def case_link(case: Case) -> str:
    return settings.QUIETROOM["ESCALATION_BASE_URL"].rstrip("/") + reverse("escalation:case", args=[case.pk])


def _send(case: Case, subject: str, lead: str, kind: str) -> int:
    to = recipients(case.controller_id)
    if not to:
        log.warning("escalation notice not sent: no escalation staff with an e-mail address", extra={"kind": kind})
        return 0
    body = (f"{lead}\n\nSeverity: {case.severity}\nRespond by: {case.deadline_at:%Y-%m-%d %H:%M} UTC\n\n"
            f"Open the case (sign-in required): {case_link(case)}\n")
    sent = send_mail(subject, body, None, to, fail_silently=False)
    record(Actor.system(), f"notify.{kind}", object_type="escalation_case", object_id=case.pk,
           purpose="escalation", details={"recipients": len(to), "severity": case.severity})
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
