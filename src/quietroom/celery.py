"""Celery application. Without REDIS_URL, tasks run in-process (see settings)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quietroom.settings")
app = Celery("quietroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
