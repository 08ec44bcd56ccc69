"""Ingestion: a manifest plus a folder of audio becomes encrypted recordings.

Per row: validate, resolve the audio path inside the audio folder, decode it (to reject a
corrupt file by name; a file whose header exceeds the decode limits is refused before any
decoding, so a small compressed "decode bomb" cannot exhaust memory), pseudonymise the customer id, encrypt the audio under a fresh data key,
and record it, all or nothing for that row. Re-running a manifest is a no-op for rows already
ingested (keyed by the product's recording id).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from django.db import IntegrityError, transaction

from quietroom import content
from quietroom.audit.log import Actor, record
from quietroom.deid.audio_io import AudioDecodeError, AudioTooLarge, decode_audio
from quietroom.vault import VaultError

from .audio_files import AudioOpener, local_audio_opener
from .limits import decode_limits
from .manifest import ManifestRow, RowError, read_manifest
from .models import IngestBatch, Recording, Snippet
from .pseudonyms import customer_pseudonym
from .tasks import enqueue_processing

@dataclass
class RowOutcome:
    line: int
    recording_id: str
    status: str  # accepted | rejected | unchanged
    reason: str = ""

    def text(self) -> str:
        """The row's line of the report, e.g. "  rejected  row 3 (rec-3): consent: ..."."""
        label = f"row {self.line}" + (f" ({self.recording_id})" if self.recording_id else "")
        return f"  {self.status:<9} {label}" + (f": {self.reason}" if self.reason else "")


@dataclass(frozen=True)
class PipelineStep:
    """One recording handed to the pipeline: `done` of `total`, and where it stands now.

    With jobs in-process (no broker) the job has run when this is reported: status is
    processed, discarded or failed. With workers it is "queued" (`quietroom ingest --wait`
    then follows the batch). One step with done 0 and status "starting" comes first.
    """
    done: int
    total: int
    recording_id: str  # the product's own recording id, as the row report names it
    status: str
    snippets: int = 0


# Called with each RowOutcome as its row is decided, then with each PipelineStep.
ProgressCallback = Callable[[object], None]


@dataclass
class IngestReport:
    manifest: str
    batch_id: str | None = None
    rows: list[RowOutcome] = field(default_factory=list)
    recording_ids: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    def lines(self) -> list[str]:
        out = [f"manifest {self.manifest}", *(row.text() for row in self.rows)]
        out.append(
            f"accepted {self.count('accepted')}, rejected {self.count('rejected')}, "
            f"unchanged {self.count('unchanged')}"
        )
        return out

    def summary(self) -> str:
        return self.lines()[-1]


def _read_audio(open_audio: AudioOpener, row: ManifestRow) -> tuple[bytes, float]:
    data = open_audio(row.audio_path)
    samples, rate = decode_audio(data, decode_limits())
    return data, len(samples) / rate


def ingest_manifest(manifest_path: Path, audio_root: Path, controller, *, actor: Actor | None = None,
                    progress: ProgressCallback | None = None, label: str = "") -> IngestReport:
    """A QuietRoom manifest (CSV/JSONL) with its audio in a local folder."""
    manifest_path = Path(manifest_path)
    digest = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    return ingest_rows(manifest_path.name, digest, read_manifest(manifest_path),
                       local_audio_opener(audio_root), controller, actor=actor, progress=progress, label=label)


def ingest_rows(
    manifest_name: str, manifest_sha256: str, rows: Iterable[ManifestRow | RowError],
    open_audio: AudioOpener, controller, *, actor: Actor | None = None,
    progress: ProgressCallback | None = None, label: str = "",
) -> IngestReport:
    """The one ingestion path: validated rows from any importer, audio from any opener.

    `label` names the batch for people (`ingest --label`); without one it is shown by its
    manifest's name and short id.

    `progress`, if given, hears of each row as it is decided (a RowOutcome) and of each
    recording as its pipeline job returns (a PipelineStep), so a command can show the work as
    it happens rather than all at once at the end.
    """
    actor = actor or Actor.system()
    report = IngestReport(manifest=manifest_name)
    digest = manifest_sha256
    batch: IngestBatch | None = None
    seen: dict[str, int] = {}
    stored: dict[str, str] = {}  # recording pk -> the product's recording id
    tell = progress or (lambda event: None)

    def decided(outcome: RowOutcome) -> None:
        report.rows.append(outcome)
        tell(outcome)

    for item in rows:
        if isinstance(item, RowError):
            decided(RowOutcome(item.line, item.recording_id, "rejected", item.reason))
            continue
        if item.recording_id in seen:
            decided(RowOutcome(item.line, item.recording_id, "rejected",
                               f"recording_id: duplicate of row {seen[item.recording_id]}"))
            continue
        seen[item.recording_id] = item.line
        if Recording.objects.filter(controller=controller, external_id=item.recording_id).exists():
            decided(RowOutcome(item.line, item.recording_id, "unchanged", "already ingested"))
            continue
        try:
            data, duration = _read_audio(open_audio, item)
        except (ValueError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if isinstance(exc, AudioTooLarge):
                reason = f"audio {item.audio_path!r} {reason}"
            else:
                kind = "could not decode" if isinstance(exc, AudioDecodeError) else "audio_path"
                reason = f"{kind} {item.audio_path!r}: {reason}"
            decided(RowOutcome(item.line, item.recording_id, "rejected", reason))
            continue
        try:
            with transaction.atomic():
                if batch is None:
                    batch = IngestBatch.objects.create(controller=controller, manifest_name=manifest_name[:255],
                                                       manifest_sha256=digest, label=label.strip()[:100])
                    report.batch_id = str(batch.id)
                recording = _store_recording(controller, batch, item, data, duration)
        except (IntegrityError, VaultError) as exc:
            reason = "already ingested concurrently" if isinstance(exc, IntegrityError) else str(exc)
            decided(RowOutcome(item.line, item.recording_id, "rejected", reason))
            continue
        decided(RowOutcome(item.line, item.recording_id, "accepted"))
        report.recording_ids.append(str(recording.id))
        stored[str(recording.id)] = item.recording_id

    if batch is not None:
        IngestBatch.objects.filter(pk=batch.pk).update(
            accepted=report.count("accepted"), rejected=report.count("rejected"),
            unchanged=report.count("unchanged"),
        )
        record(actor, "ingest.batch", object_type="batch", object_id=batch.id, details={
            "accepted": report.count("accepted"), "rejected": report.count("rejected"),
            "unchanged": report.count("unchanged"),
        })
    if progress is not None and report.recording_ids:
        tell(PipelineStep(0, len(report.recording_ids), "", "starting"))
    for done, recording_id in enumerate(report.recording_ids, start=1):
        enqueue_processing(recording_id)
        if progress is not None:
            # In-process (no broker) the job has run by now; with workers it is queued.
            status, snippets = _pipeline_state(recording_id)
            tell(PipelineStep(done, len(report.recording_ids), stored[recording_id], status, snippets))
    return report


def _pipeline_state(recording_id: str) -> tuple[str, int]:
    """(status, snippets) of a recording just handed to the pipeline; "queued" if a worker has it."""
    status = Recording.objects.filter(pk=recording_id).values_list("status", flat=True).first()
    if status == Recording.Status.RECEIVED:
        return "queued", 0
    return status, Snippet.objects.filter(recording_id=recording_id).count()


def _store_recording(controller, batch, row: ManifestRow, data: bytes, duration: float) -> Recording:
    pseudonym = customer_pseudonym(controller.id, row.customer_id)
    recording = Recording(
        external_id=row.recording_id, controller=controller, batch=batch,
        customer_key=content.customer_key_row(pseudonym), locale=row.locale, region=row.region,
        source=row.source, activation=row.activation, captured_at=row.captured_at, accidental=row.accidental,
        duration_seconds=duration,
    )
    content.seal_recording_audio(recording, data)
    try:
        recording.save(force_insert=True)
    except Exception:
        # The row did not land: do not leave its ciphertext behind.
        content.blob_store().delete(recording.blob_key)
        raise
    return recording
