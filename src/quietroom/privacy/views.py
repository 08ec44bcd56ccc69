"""The privacy officer's page: run a data subject's access report, see its answer on the page
(never received, received, or received and erased, and the accesses), download it as JSON,
HTML or PDF.

Each run is audited and signs a checkpoint, so a download from the answer page is a new run
(a second `privacy.access_report` entry): the file handed out is a report of its own moment.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from quietroom.accounts.addresses import client_address
from quietroom.accounts.permissions import PRIVACY, requires
from quietroom.audit.log import Actor, record

from . import access_report, leaks
from . import render as editions

CONTENT_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}
FORMATS = ("page", *CONTENT_TYPES)  # "page": the answer shown here first, downloads offered under it
DOWNLOADS = (("json", "JSON (with proofs)"), ("html", "HTML"), ("pdf", "PDF"))


@never_cache
@require_http_methods(["GET", "POST"])
@requires(PRIVACY)
def access_report_view(request):
    controller = request.user.organisation
    error = ""
    customer_id = ""
    if request.method == "POST":
        customer_id = request.POST.get("customer_id", "").strip()
        fmt = request.POST.get("format", "page")
        if controller is None or controller.kind != "controller":
            error = "Only a controller's privacy officer can run access reports."
        elif not customer_id or len(customer_id) > 200:
            error = "Enter the customer id (at most 200 characters)."
        elif fmt not in FORMATS:
            error = "Choose the page, JSON, HTML or PDF."
        else:
            report = access_report.build(controller, customer_id, Actor.for_user(request.user, client_address(request)))
            if fmt == "page":
                return render(request, "privacy/officer.html", {"customer_id": customer_id, "downloads": DOWNLOADS,
                                                               **editions.context(report)})
            body = {"json": editions.as_json, "html": editions.as_html, "pdf": editions.as_pdf}[fmt](report)
            response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
            response["Content-Disposition"] = f'attachment; filename="access-report-{report["customer"][:14]}.{fmt}"'
            response["Cache-Control"] = "no-store, private"
            return response
    return render(request, "privacy/officer.html", {"error": error, "customer_id": customer_id[:200]},
                  status=400 if error else 200)


#: An upload is held in memory only (FILE_UPLOAD_HANDLERS); larger files are refused unread.
TRACE_MAX_BYTES = 50 * 1024 * 1024


@never_cache
@require_http_methods(["GET", "POST"])
def trace_view(request):
    """Upload a leaked clip; the answer names the delivery it came from, or says no mark was
    found. For privacy officers (with the person's identity) and auditors (pseudonyms only)."""
    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not leaks.may_trace(user):
        record(Actor.for_user(user, client_address(request)), "access.denied", outcome="denied",
               details={"view": "trace_view", "missing": ["privacy or view_audit"]})
        raise PermissionDenied("Your role does not allow this.")
    error, traced, name = "", None, ""
    if request.method == "POST":
        upload = request.FILES.get("audio")
        if upload is None:
            error = "Choose the audio file to trace."
        elif upload.size > TRACE_MAX_BYTES:
            error = f"{upload.name[:100]}: larger than {TRACE_MAX_BYTES // (1024 * 1024)} MB."
        else:
            name = upload.name[:100]
            try:
                traced = leaks.trace_file(upload.read(), user, address=client_address(request), name=name)
            except leaks.TraceRefused as refused:
                error = str(refused)
    return render(request, "privacy/trace.html", {"error": error, "traced": traced, "name": name},
                  status=400 if error else 200)
