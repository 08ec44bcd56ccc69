"""Deadline reminders: the periodic job (Celery beat entry and a command) e-mails once per case."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command

from quietroom.audit.models import AuditEvent
from quietroom.escalation import notify
from quietroom.escalation.models import Case

pytestmark = pytest.mark.django_db


def test_beat_schedules_the_deadline_job():
    entry = django_settings.CELERY_BEAT_SCHEDULE["escalation-deadlines"]
    from quietroom.escalation.tasks import escalation_deadlines_task

    assert entry["task"] == escalation_deadlines_task.name == "quietroom.escalation_deadlines"


def test_reminder_when_the_deadline_nears_once_and_without_content(flagged, make_officer, capsys):
    officer = make_officer("olivia")
    mail.outbox.clear()
    case = flagged["case"]
    call_command("escalation", "deadlines")
    assert mail.outbox == []  # fresh case: plenty of time
    window = case.deadline_at - case.reported_at
    Case.objects.filter(pk=case.pk).update(reported_at=case.reported_at - window * 0.8,
                                           deadline_at=case.deadline_at - window * 0.8)
    call_command("escalation", "deadlines")
    assert "reminders sent for 1 case(s)" in capsys.readouterr().out
    (message,) = mail.outbox
    assert message.to == [officer.email] and "due soon" in message.subject
    assert flagged["note"] not in message.body and f"/escalation/case/{case.pk}/" in message.body
    call_command("escalation", "deadlines")
    assert len(mail.outbox) == 1  # once per case
    assert AuditEvent.objects.filter(action="notify.escalation_deadline", object_id=str(case.pk)).count() == 1


def test_overdue_and_decided_cases(flagged, make_officer):
    from quietroom.escalation import cases

    make_officer("olivia")
    case = flagged["case"]
    mail.outbox.clear()
    Case.objects.filter(pk=case.pk).update(deadline_at=case.reported_at + timedelta(seconds=1))
    assert notify.deadlines_near(now=case.reported_at + timedelta(hours=1)) == 1
    assert "overdue" in mail.outbox[0].subject
    cases.propose(make_officer("oscar"), Case.objects.get(), "no_action", "nothing of concern")
    Case.objects.filter(pk=case.pk).update(deadline_warned_at=None)
    assert notify.deadlines_near(now=case.reported_at + timedelta(hours=2)) == 0  # decided: no reminder
