"""Scheduled privacy jobs (Celery beat; cron: `quietroom privacy retention`,
`quietroom privacy finish-erasures`)."""
from celery import shared_task


@shared_task(name="quietroom.privacy_retention")
def privacy_retention_task() -> dict:
    from .retention import enforce

    return enforce()


@shared_task(name="quietroom.privacy_finish_erasures")
def privacy_finish_erasures_task() -> int:
    """The safety net behind the after-commit hook: erasures whose holds ended, or left by a crash."""
    from .erasure import finish_waiting

    return finish_waiting()
