"""The privacy officer's page: run a data subject's access report (JSON, HTML or PDF)."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from quietroom.accounts.addresses import client_address
from quietroom.accounts.permissions import PRIVACY, requires
from quietroom.audit.log import Actor

from . import access_report
from . import render as editions

CONTENT_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@never_cache
@require_http_methods(["GET", "POST"])
@requires(PRIVACY)
def access_report_view(request):
    controller = request.user.organisation
    error = ""
    if request.method == "POST":
        customer_id = request.POST.get("customer_id", "").strip()
        fmt = request.POST.get("format", "json")
        if controller is None or controller.kind != "controller":
            error = "Only a controller's privacy officer can run access reports."
        elif not customer_id or len(customer_id) > 200:
            error = "Enter the customer id (at most 200 characters)."
        elif fmt not in CONTENT_TYPES:
            error = "Choose JSON, HTML or PDF."
        else:
            report = access_report.build(controller, customer_id, Actor.for_user(request.user, client_address(request)))
            body = {"json": editions.as_json, "html": editions.as_html, "pdf": editions.as_pdf}[fmt](report)
            response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
            response["Content-Disposition"] = f'attachment; filename="access-report-{report["customer"][:14]}.{fmt}"'
            response["Cache-Control"] = "no-store, private"
            return response
    return render(request, "privacy/officer.html", {"error": error}, status=400 if error else 200)
