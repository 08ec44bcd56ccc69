"""Scheduled privacy jobs (Celery beat; cron: `quietroom privacy retention`)."""
from celery import shared_task


@shared_task(name="quietroom.privacy_retention")
def privacy_retention_task() -> dict:
    from .retention import enforce

    return enforce()
