"""Background jobs of the recordings context (Celery; in-process when no broker is set)."""
from __future__ import annotations

from quietroom.celery import app

from . import pipeline


@app.task(name="quietroom.process_recording", bind=True, acks_late=True,
          autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_recording_task(self, recording_id: str) -> int:
    return pipeline.process_recording(recording_id)


def enqueue_processing(recording_id: str) -> None:
    process_recording_task.delay(recording_id)
