"""Prometheus metrics.

Business gauges (queue depth, lease age, throughput, refused accesses) are computed from the
database at scrape time, so every web process reports the same truth and nothing is lost on
restart. Request latency is a per-process histogram; under gunicorn, set
PROMETHEUS_MULTIPROC_DIR so all workers' samples are aggregated.
"""
from __future__ import annotations

import os
from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, REGISTRY

REQUEST_LATENCY = Histogram(
    "quietroom_request_seconds", "HTTP request latency by route and status class",
    ["route", "status"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class DatabaseCollector:
    """Gauges read from the database when Prometheus scrapes."""

    def collect(self):
        from quietroom.audit.models import AuditEvent
        from quietroom.recordings.models import Recording, Snippet
        from quietroom.review.models import Task

        now = timezone.now()
        depth = GaugeMetricFamily("quietroom_queue_depth", "Review tasks by status", labels=["status"])
        for row in Task.objects.values("status").annotate(n=Count("id")):
            depth.add_metric([row["status"]], row["n"])
        yield depth

        oldest = Task.objects.filter(status="leased").aggregate(oldest=Min("lease_expires_at"))["oldest"]
        age = GaugeMetricFamily("quietroom_oldest_lease_expiry_seconds", "Seconds until the oldest live lease expires (negative: overdue)")
        age.add_metric([], (oldest - now).total_seconds() if oldest else 0.0)
        yield age

        hour_ago = now - timedelta(hours=1)
        processed = GaugeMetricFamily("quietroom_pipeline_recordings_last_hour", "Recordings de-identified in the last hour")
        processed.add_metric([], Recording.objects.filter(status="processed", received_at__gte=hour_ago).count())
        yield processed
        snippets = GaugeMetricFamily("quietroom_pipeline_snippets_last_hour", "Snippets produced in the last hour")
        snippets.add_metric([], Snippet.objects.filter(created_at__gte=hour_ago).count())
        yield snippets
        backlog = GaugeMetricFamily("quietroom_pipeline_backlog", "Recordings received and not yet processed")
        backlog.add_metric([], Recording.objects.filter(status="received").count())
        yield backlog

        refused = GaugeMetricFamily("quietroom_refused_accesses_last_hour", "Refused accesses by action", labels=["action"])
        for row in AuditEvent.objects.filter(outcome="denied", at__gte=hour_ago).values("action").annotate(n=Count("id")):
            refused.add_metric([row["action"]], row["n"])
        yield refused


_DB_COLLECTOR = DatabaseCollector()
_REGISTERED = False


def registry():
    """The registry to expose: multiprocess-aggregated under gunicorn when configured."""
    global _REGISTERED
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        reg.register(_DB_COLLECTOR)
        return reg
    if not _REGISTERED:
        REGISTRY.register(_DB_COLLECTOR)
        _REGISTERED = True
    return REGISTRY
