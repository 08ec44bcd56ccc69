"""The public JSON API under /api/v1/ (Django Ninja), scoped to the token's controller.

Thin views: the work is done by the import/export modules; every object is looked up through
the caller's organisation so a token of controller A never sees controller B's data (a
foreign id answers 404, exactly like a missing one).
"""
from __future__ import annotations

import json
from datetime import date
from uuid import UUID

from django.http import HttpResponse
from ninja import File, Form, NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from quietroom.audit.log import Actor
from quietroom.exports.collect import ExportFilters
from quietroom.exports.imports import import_dataset
from quietroom.exports.models import Export, ImportRun
from quietroom.exports.run import plan_export, render_export
from quietroom.exports.sinks import MemorySink
from quietroom.recordings.importers import ImportOptions
from quietroom.recordings.importers.sources import SourceError, configured_roots, open_source, safe_relative_key
from quietroom.recordings.manifest import ManifestError
from quietroom.recordings.models import Recording

from .auth import ServiceToken, require
from .schemas import (AccessReportOut, BatchCreateIn, BatchDetailOut, BatchOut, CheckpointsOut, CustomerIn,
                      ErasureOut, ErrorOut, ExportCreateIn, ExportOut, ImportOptionsIn, ValidationErrorOut)

MAX_MANIFEST_BYTES = 32 * 1024 * 1024
ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}

api = NinjaAPI(
    title="QuietRoom API", version="1", urls_namespace="api-v1", docs_url=None,
    openapi_url="/openapi.json", auth=ServiceToken(),
    description="Ingest batches, exports, data-subject requests and audit checkpoints for integrations. "
                "Authenticate with `Authorization: Bearer <token>` (see `quietroom createtoken`).",
)


def _actor(request) -> Actor:
    principal = request.auth
    return Actor(name=principal.actor_name, role="service_account", organisation=principal.organisation.name,
                 address=request.META.get("REMOTE_ADDR", "")[:45])


def _batch_out(run: ImportRun, *, rows: bool = False) -> dict:
    processed = (Recording.objects.filter(batch_id=run.batch_id, status="processed").count()
                 if run.batch_id else 0)
    out = {
        "id": run.id, "batch_id": run.batch_id, "format": run.format, "manifest_name": run.manifest_name,
        "source": run.source, "consent_basis": run.consent_basis, "created_at": run.created_at,
        "status": run.status, "accepted": run.accepted, "rejected": run.rejected, "unchanged": run.unchanged,
        "recordings_processed": processed,
        "label": run.batch.label if run.batch else "", "finished_at": run.batch.finished_at if run.batch else None,
    }
    if rows:
        out["rows"] = run.rows
    return out


def _options(body: ImportOptionsIn) -> ImportOptions:
    return ImportOptions(consent_basis=body.consent_basis, locale=body.locale, region=body.region.upper(),
                         source=body.recording_source, customer_column=body.customer_column or "customer_id",
                         id_column=body.id_column, label=body.label)


def _run_import(request, body: ImportOptionsIn, name: str, data: bytes, source) -> ImportRun:
    try:
        return import_dataset(body.format, name, data, source, request.auth.organisation, _options(body),
                              actor=_actor(request))
    except ManifestError as exc:
        raise HttpError(400, str(exc)) from exc


def _source(label: str):
    spec = configured_roots().get(label)
    if spec is None:
        raise HttpError(400, f"no source root labelled {label!r}")
    try:
        return open_source(spec, label)
    except SourceError as exc:
        raise HttpError(400, str(exc)) from exc


# --- ingest batches ----------------------------------------------------------------------------


@api.get("/batches", response={200: list[BatchOut], **ERRORS}, tags=["batches"], summary="List import batches")
def list_batches(request):
    require(request, "batches:read")
    runs = (ImportRun.objects.filter(controller=request.auth.organisation).select_related("batch")
            .order_by("-created_at")[:200])
    return [_batch_out(run) for run in runs]


@api.post("/batches", response={201: BatchDetailOut, 400: ErrorOut, **ERRORS}, tags=["batches"],
          summary="Import a manifest already on a configured source root")
def create_batch(request, body: BatchCreateIn):
    require(request, "batches:write")
    source = _source(body.source_root)
    try:
        path = safe_relative_key(body.manifest_path)
        data = source.read(path, MAX_MANIFEST_BYTES)
    except (ValueError, OSError) as exc:
        raise HttpError(400, f"manifest_path: {exc}") from exc
    run = _run_import(request, body, path.rsplit("/", 1)[-1], data, source)
    return Status(201, _batch_out(run, rows=True))


@api.post("/batches/upload", response={201: BatchDetailOut, 400: ErrorOut, **ERRORS}, tags=["batches"],
          summary="Import an uploaded manifest; audio is read from a configured source root")
def upload_batch(request, options: Form[ImportOptionsIn], source_root: Form[str], manifest: File[UploadedFile]):
    require(request, "batches:write")
    source = _source(source_root)
    if manifest.size is not None and manifest.size > MAX_MANIFEST_BYTES:
        raise HttpError(400, "manifest larger than 32 MiB")
    run = _run_import(request, options, (manifest.name or "manifest").rsplit("/", 1)[-1][:255],
                      manifest.read(), source)
    return Status(201, _batch_out(run, rows=True))


@api.get("/batches/{run_id}", response={200: BatchDetailOut, 404: ErrorOut, **ERRORS}, tags=["batches"],
         summary="Status of one batch, with its per-row report")
def get_batch(request, run_id: UUID):
    require(request, "batches:read")
    run = ImportRun.objects.filter(controller=request.auth.organisation, id=run_id).first()
    if run is None:
        raise HttpError(404, "no such batch")
    return _batch_out(run, rows=True)


# --- exports -----------------------------------------------------------------------------------


def _export_out(export: Export) -> dict:
    return {"id": export.id, "format": export.format, "created_at": export.created_at,
            "with_audio": export.with_audio, "item_count": export.item_count,
            "customer_count": export.customers.count(), "filters": export.filters,
            "held_back": export.held_back}


def _own_export(request, export_id: UUID) -> Export:
    export = Export.objects.filter(controller=request.auth.organisation, id=export_id).first()
    if export is None:
        raise HttpError(404, "no such export")
    return export


@api.get("/exports", response={200: list[ExportOut], **ERRORS}, tags=["exports"], summary="List exports")
def list_exports(request):
    require(request, "exports:read")
    exports = Export.objects.filter(controller=request.auth.organisation).order_by("-created_at")[:200]
    return [_export_out(e) for e in exports]


@api.post("/exports", response={201: ExportOut, 400: ErrorOut, **ERRORS}, tags=["exports"],
          summary="Create an export of reviewed snippets (recorded; download it separately)")
def create_export(request, body: ExportCreateIn):
    require(request, "exports:write")
    f = body.filters
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise HttpError(400, "filters: date_from is after date_to")
    filters = ExportFilters(date_from=f.date_from, date_to=f.date_to, locale=f.locale or None,
                            min_agreement=f.min_agreement, gold_only=f.gold_only)
    export = plan_export(body.format, _actor(request), controller=request.auth.organisation, filters=filters,
                         with_audio=body.with_audio)
    return Status(201, _export_out(export))


@api.get("/exports/{export_id}", response={200: ExportOut, 404: ErrorOut, **ERRORS}, tags=["exports"],
         summary="An export's metadata")
def get_export(request, export_id: UUID):
    require(request, "exports:read")
    return _export_out(_own_export(request, export_id))


_DOWNLOAD_HEADERS = {
    "X-QuietRoom-Items": {"description": "items in this download", "schema": {"type": "integer"}},
    "X-QuietRoom-Held-Back": {
        "description": "JSON object: items held back by reason (flagged, legal_hold, withdrawn, erased), when the "
                       "export was made plus those of its items held back since; counts only",
        "schema": {"type": "string"}},
}


@api.get("/exports/{export_id}/download", response={200: bytes, 404: ErrorOut, **ERRORS}, tags=["exports"],
         summary="Download an export (one file, or a zip when it has several), rendered afresh: anything flagged, "
                 "held, withdrawn or erased since is left out",
         openapi_extra={"responses": {200: {"description": "the export file", "headers": _DOWNLOAD_HEADERS,
                                            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}})
def download_export(request, export_id: UUID):
    require(request, "exports:read")
    export = _own_export(request, export_id)
    sink = MemorySink()
    rendering = render_export(export, sink, _actor(request), purpose="export.download")
    name, payload = sink.payload()
    response = HttpResponse(payload, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{export.id}-{name}"'
    response["Cache-Control"] = "no-store"
    response["X-QuietRoom-Items"] = str(rendering.items)
    response["X-QuietRoom-Held-Back"] = json.dumps(rendering.held_back, separators=(",", ":"))
    return response


# --- data-subject requests (functions of quietroom.privacy) --------------------------------------


def _erasure_out(request_row) -> dict:
    from quietroom.privacy.erasure import held_report

    return {"id": request_row.id, "step": request_row.step, "requested_at": request_row.requested_at,
            "completed_at": request_row.completed_at, "removed": request_row.removed,
            "exports": request_row.exports, "held": held_report(request_row)}

@api.post("/privacy/access-report", response={200: AccessReportOut, **ERRORS}, tags=["privacy"],
          summary="Signed access report for one customer: whether their recordings were ever received (or "
                  "erased), and every access to their content, with proofs")
def access_report(request, body: CustomerIn):
    require(request, "privacy:read")
    from quietroom.privacy import access_report as reports

    return reports.build(request.auth.organisation, body.customer_id, _actor(request))


@api.post("/privacy/erasure", response={200: ErasureOut, 202: ErasureOut, **ERRORS}, tags=["privacy"],
          summary="Erase one customer (crypto-shredding; idempotent) and get the export deletion list",
          description="200: erased. 202: erased except what legal holds keep (`held`: which case holds what, "
                      "since when, until when; counts, never content); the erasure finishes by itself when "
                      "those holds end.")
def erase(request, body: CustomerIn):
    require(request, "privacy:write")
    from quietroom.privacy.erasure import erase_customer

    row = erase_customer(request.auth.organisation, body.customer_id, _actor(request))
    return Status(200 if row.step == "done" else 202, _erasure_out(row))

@api.get("/privacy/erasure/{erasure_id}", response={200: ErasureOut, 404: ErrorOut, **ERRORS}, tags=["privacy"],
         summary="Status of an erasure request")
def erasure_status(request, erasure_id: UUID):
    require(request, "privacy:read")
    from quietroom.privacy.models import ErasureRequest

    row = ErasureRequest.objects.filter(controller=request.auth.organisation, id=erasure_id).first()
    if row is None:
        raise HttpError(404, "no such erasure request")
    return _erasure_out(row)


class PeriodIn(Schema):
    start: date
    end: date


@api.get("/privacy/transparency", response={200: dict, 400: ErrorOut, **ERRORS}, tags=["privacy"],
         summary="Transparency report for a period (this controller's customers only)")
def transparency_report(request, period: Query[PeriodIn]):
    require(request, "privacy:read")
    start, end = period.start, period.end
    from datetime import datetime, time, timedelta, timezone

    from quietroom.privacy import transparency

    if end < start:
        raise HttpError(400, "end must not be before start")
    # Both days are included, like `export --to` and `privacy transparency --to`.
    begin = datetime.combine(start, time.min, tzinfo=timezone.utc)
    finish = datetime.combine(end, time.min, tzinfo=timezone.utc) + timedelta(days=1)
    report = transparency.build(begin, finish, controller=request.auth.organisation)
    return {
        "start": start.isoformat(), "end": end.isoformat(),
        "customers_received": report.customers_received, "customers_reviewed": report.customers_reviewed,
        "share_reviewed": report.share_reviewed,
        "reviewed_by_locale": dict(report.reviewed_by_locale),
        "reviewed_by_vendor": dict(report.reviewed_by_vendor),
        "reviewed_by_country": dict(report.reviewed_by_country),
        "escalations": [{"category": c, "outcome": o, "count": n} for (c, o), n in sorted(report.escalations.items())],
        "erasures": report.erasures,
        "refused_accesses": dict(report.refusals),
    }


# --- audit ---------------------------------------------------------------------------------------


@api.get("/audit/checkpoints", response={200: CheckpointsOut, **ERRORS}, tags=["audit"],
         summary="Signed audit checkpoints (tree heads) with consistency proofs")
def audit_checkpoints(request):
    require(request, "audit:read")
    from django.conf import settings

    from quietroom.audit import checkpoints
    from quietroom.audit.models import AuditCheckpoint

    try:
        public_key = checkpoints.verifier().encode()
    except Exception:  # no signing key configured yet: checkpoints are still listed
        public_key = ""
    return {
        "origin": getattr(settings, "AUDIT_ORIGIN", ""), "public_key": public_key,
        "checkpoints": [
            {"size": c.size, "root_hash": c.root_hash, "note": c.note, "previous_size": c.previous_size,
             "consistency_proof": list(c.consistency_proof), "created_at": c.created_at}
            for c in AuditCheckpoint.objects.order_by("size")
        ],
    }
