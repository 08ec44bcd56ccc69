"""Liveness, readiness and Prometheus metrics.

/healthz answers as long as the process serves requests. /readyz checks what a request needs:
the database, the broker (when one is configured) and the blob store; a load balancer takes
the instance out while any is down. It also lists warnings that need a person, not a restart:
a controller whose new escalation cases would reach nobody by e-mail (named by organisation,
with counts, never by person); a warning never makes an instance unready, since taking every
instance out would hide the cases too. /metrics exposes queue depth, lease age, pipeline
throughput, refused accesses and request latency. None of them show personal data.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import metrics


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2).ping()


def _check_blob_store() -> None:
    from quietroom.content import blob_store

    store = blob_store()
    if hasattr(store, "check"):
        store.check()
    else:
        store.exists("readyz/probe")


CHECKS = {"database": _check_database, "broker": _check_broker, "blob_store": _check_blob_store}


def _officers(n: int) -> str:
    return f"{n} active privacy officer{'' if n == 1 else 's'}"


def escalation_reach_problems() -> list[str]:
    """One sentence per controller whose new cases no escalation staff would get by e-mail."""
    from quietroom.escalation.notify import reach

    problems = []
    for row in reach():
        if row.reachable:
            continue
        if row.staff:
            problems.append(f"controller {row.controller!r} has no active escalation staff with an e-mail address "
                            f"({_officers(row.staff)}, none with one): new escalation cases reach "
                            "them only as in-app notices; give a privacy officer an address")
        else:
            problems.append(f"controller {row.controller!r} has no active escalation staff with an e-mail address "
                            "(no active privacy officer): new escalation cases reach nobody; invite one "
                            "(quietroom createinvite USER --org ORG --role privacy_officer --email ADDRESS)")
    return problems


@never_cache
@require_GET
def readyz(request):
    results, ready = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:  # any failure means "not ready"; the type is enough to act on
            ready = False
            results[name] = {"ok": False, "error": type(exc).__name__}
    warnings = []
    if results["database"]["ok"]:
        try:
            warnings = escalation_reach_problems()
        except Exception as exc:  # a warning's own failure is a warning, never "not ready"
            warnings = [f"escalation reach not checked ({type(exc).__name__})"]
    return JsonResponse({"ready": ready, "checks": results, "warnings": warnings}, status=200 if ready else 503)


def _metrics_allowed(request) -> bool:
    import ipaddress

    from quietroom.accounts.addresses import client_address

    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.QUIETROOM_METRICS_NETWORKS)


@never_cache
@require_GET
def metrics_view(request):
    # Counts only, but still operational detail: scrapers come from configured networks.
    if not _metrics_allowed(request):
        return HttpResponse("metrics are served to the monitoring network only", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(metrics.registry()), content_type=CONTENT_TYPE_LATEST)
