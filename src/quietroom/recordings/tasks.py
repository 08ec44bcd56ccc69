"""Background jobs of the recordings context (Celery; in-process when no broker is set)."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from quietroom.celery import app

from . import pipeline

logger = logging.getLogger(__name__)


@app.task(name="quietroom.process_recording", bind=True, acks_late=True,
          autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_recording_task(self, recording_id: str) -> int:
    return pipeline.process_recording(recording_id)


def enqueue_processing(recording_id: str) -> bool:
    """Queue a recording for de-identification; False if the broker is unreachable.

    A recording that could not be queued stays in status "received" (it is already stored,
    encrypted): `requeue_received` picks it up once the broker is back, so an outage delays
    the pipeline but never loses or fails an ingestion.
    """
    try:
        process_recording_task.delay(recording_id)
    except OperationalError as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("broker unreachable; recording left for requeue", extra={"error": type(exc).__name__})
        return False
    return True


def requeue_received(older_than_seconds: int = 60) -> int:
    """Queue again every recording still waiting (broker outage, lost message). Idempotent:
    processing a recording twice is a no-op, so a duplicate message costs nothing."""
    from .models import Recording

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    queued = 0
    for recording_id in Recording.objects.filter(status="received", received_at__lte=cutoff).values_list("id", flat=True):
        if not enqueue_processing(str(recording_id)):
            break
        queued += 1
    return queued


@app.task(name="quietroom.requeue_received")
def requeue_received_task() -> int:
    return requeue_received()
