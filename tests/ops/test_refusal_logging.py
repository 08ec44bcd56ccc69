"""A refusal (403) logs one line: status, method and path without its query, no traceback.
A 500 keeps its traceback. Checked on what the configured console handler prints."""
from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import path

from quietroom import urls as quietroom_urls
from quietroom.accounts.models import User
from tests.ops.test_log_redaction import json_log  # noqa: F401  (the console handler's output)

pytestmark = pytest.mark.django_db


def _fails(request):
    raise RuntimeError("a fault in a view")


# This module is also the URLconf of the 500 test: QuietRoom's pages plus one that fails.
urlpatterns = [path("fails-for-the-log-test/", _fails), *quietroom_urls.urlpatterns]
handler403 = quietroom_urls.handler403
handler404 = quietroom_urls.handler404


def console_lines(buffer) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_403_is_one_line_without_traceback_or_query(vendor, json_log):  # noqa: F811
    manager = User.objects.create(username="vm", organisation=vendor, role="vendor_manager")
    client = Client()
    client.force_login(manager)
    response = client.get("/ingestion/batches/?customer=cust-0042&next=/x")
    assert response.status_code == 403
    printed = json_log.getvalue()
    assert "Traceback" not in printed and "PermissionDenied" not in printed and "exc_info" not in printed
    assert "cust-0042" not in printed and "customer=" not in printed
    refusals = [line for line in console_lines(json_log) if line.get("status_code") == 403]
    assert len(refusals) == 1, printed
    refusal = refusals[0]
    assert refusal["message"] == "Forbidden (Permission denied): /ingestion/batches/"
    assert refusal["request"] == "<WSGIRequest: GET '/ingestion/batches/'>"
    assert len(printed.splitlines()) == len(console_lines(json_log))  # every record on one line


@pytest.mark.urls(__name__)
def test_a_500_keeps_its_traceback(json_log):  # noqa: F811
    response = Client(raise_request_exception=False).get("/fails-for-the-log-test/?q=1")
    assert response.status_code == 500
    errors = [line for line in console_lines(json_log) if line.get("status_code") == 500]
    assert len(errors) == 1
    assert "Traceback" in errors[0]["exc_info"] and "RuntimeError: a fault in a view" in errors[0]["exc_info"]
