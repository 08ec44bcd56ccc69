"""Scheduled audit jobs (Celery beat: settings.CELERY_BEAT_SCHEDULE; cron: `quietroom audit checkpoint`)."""
from celery import shared_task


@shared_task(name="quietroom.audit_checkpoint")
def audit_checkpoint_task() -> int:
    from .checkpoints import write_checkpoint

    checkpoint = write_checkpoint()
    return checkpoint.size if checkpoint else 0
