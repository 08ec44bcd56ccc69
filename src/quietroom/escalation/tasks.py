"""The periodic deadline reminder (Celery beat `quietroom.escalation_deadlines`; cron:
`quietroom escalation deadlines`)."""
from celery import shared_task


@shared_task(name="quietroom.escalation_deadlines")
def escalation_deadlines_task() -> int:
    from .notify import deadlines_near

    return deadlines_near()
