"""Importing a dataset: an importer's rows, a source's audio, the one ingestion path, a record.

The import run records the format, where the audio came from, the consent basis the operator
stated and the per-row report; the rows go through `recordings.ingest.ingest_rows` exactly like
a QuietRoom manifest, so validation, pseudonymisation, encryption and idempotency are shared.
"""
from __future__ import annotations

import hashlib

from quietroom.audit.log import Actor, record
from quietroom.recordings.importers import ImportOptions, read_rows
from quietroom.recordings.importers.sources import audio_opener
from quietroom.recordings.ingest import ProgressCallback, RowOutcome, ingest_rows

from .models import ImportRun


def import_dataset(fmt: str, manifest_name: str, manifest_bytes: bytes, source, controller,
                   options: ImportOptions, *, actor: Actor, progress: ProgressCallback | None = None) -> ImportRun:
    """Raises ManifestError (nothing imported) when the manifest as a whole is unusable.

    `progress` hears of each row and each recording's pipeline job as they happen
    (`recordings.ingest.ingest_rows`).
    """
    rows = read_rows(fmt, manifest_name, manifest_bytes, options)
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    report = ingest_rows(manifest_name, digest, rows, audio_opener(source), controller, actor=actor,
                         progress=progress, label=options.label)
    run = ImportRun.objects.create(
        controller=controller, batch_id=report.batch_id, format=fmt, manifest_name=manifest_name[:255],
        manifest_sha256=digest, source=source.label[:300], consent_basis=options.consent_basis[:300],
        created_by=actor.name[:150], accepted=report.count("accepted"), rejected=report.count("rejected"),
        unchanged=report.count("unchanged"),
        rows=[{"line": r.line, "recording_id": r.recording_id, "status": r.status, "reason": r.reason}
              for r in report.rows],
    )
    record(actor, "import.run", object_type="import", object_id=run.id, details={
        "format": fmt, "batch": report.batch_id or "", "consent_basis": options.consent_basis[:200],
        "accepted": run.accepted, "rejected": run.rejected, "unchanged": run.unchanged,
    })
    return run


def report_lines(run: ImportRun, *, rows: bool = True) -> list[str]:
    """The run's report; `rows=False` leaves out the row lines (the command printed them live)."""
    out = [f"import {run.id} ({run.format}) of {run.manifest_name} from {run.source}"]
    if rows:
        out += [RowOutcome(row["line"], row["recording_id"], row["status"], row["reason"]).text() for row in run.rows]
    out.append(f"accepted {run.accepted}, rejected {run.rejected}, unchanged {run.unchanged}")
    return out
